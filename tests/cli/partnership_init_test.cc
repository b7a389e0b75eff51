// `accord partnership init`: a usable partnership, or nothing at all.
#include "cli/partnership.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "crypto/envelope.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "cli/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace accord::cli {
namespace {

namespace fs = std::filesystem;

class PartnershipInitTest : public ::testing::Test {
 protected:

  PartnershipOptions Options(const std::string& name) {
    PartnershipOptions o;
    o.dir = (root_ / name).string();
    o.agencies = *ParseAgencies("police,probation,victim_services,perpetrator_programme,auditor");
    return o;
  }

  int Entries() { return static_cast<int>(std::distance(fs::directory_iterator(root_), {})); }

  accord::testing::TempDir tmp_;
  const fs::path& root_ = tmp_.path();
};

TEST_F(PartnershipInitTest, CreatesAWorkingPartnership) {
  PartnershipOptions o = Options("cardiff");
  ASSERT_TRUE(InitPartnership(o).ok());
  crypto::PartnershipPaths p(o.dir);
  EXPECT_EQ(*crypto::ReadPartnershipId(p), "cardiff");
  auto directory = crypto::LoadVerifiedDirectory(p);
  ASSERT_TRUE(directory.ok()) << directory.status();
  EXPECT_EQ(directory->Agencies().size(), 5u);
  EXPECT_TRUE(fs::exists(o.dir + "/README.md"));
  EXPECT_EQ(Entries(), 1) << "no temporary directory left behind";

  // Agency keys match the directory, and secrets are owner-only.
  auto police = crypto::ReadSigningKey(p.AgencySigningKey("police"));
  ASSERT_TRUE(police.ok()) << police.status();
  EXPECT_EQ(directory->Current("police", absl::Now())->signing_key_id(), police->key_id());
  for (const std::string& f : {p.AdminKey(), p.CaKey(), p.LogKey(), p.BrokerTlsKey(),
                               p.AgencyTlsKey("police"), p.AgencyLinkageKey("auditor")}) {
    struct stat st {};
    ASSERT_EQ(::stat(f.c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 077, 0u) << f << " must be owner-only";
  }
  // Every agency holds the same linkage key.
  EXPECT_EQ(crypto::ReadLinkageKey(p.AgencyLinkageKey("police"))->view(),
            crypto::ReadLinkageKey(p.AgencyLinkageKey("victim_services"))->view());

  // The certificates chain to the partnership CA with the right names.
  EXPECT_TRUE(RunProgram({"openssl", "verify", "-CAfile", p.CaCert(), "-purpose", "sslclient",
                          p.AgencyCert("probation")})
                  .ok());
  EXPECT_TRUE(RunProgram({"openssl", "verify", "-CAfile", p.CaCert(), "-purpose", "sslserver",
                          p.BrokerCert()})
                  .ok());
  EXPECT_TRUE(RunProgram({"sh", "-c",
                          "openssl x509 -noout -subject -in '" + p.AgencyCert("probation") +
                              "' | grep -q 'CN = probation'"})
                  .ok());
}

TEST_F(PartnershipInitTest, RefusesToOverwriteAnExistingPartnership) {
  PartnershipOptions o = Options("cardiff");
  ASSERT_TRUE(InitPartnership(o).ok());
  const std::string before = *crypto::ReadFileToString(o.dir + "/public/directory.pb");
  absl::Status again = InitPartnership(o);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(again.message().find("refusing"), std::string::npos);
  EXPECT_EQ(*crypto::ReadFileToString(o.dir + "/public/directory.pb"), before);
  EXPECT_EQ(Entries(), 1);
}

TEST_F(PartnershipInitTest, AcceptsAnEmptyExistingDirectory) {
  fs::create_directory(root_ / "empty");
  EXPECT_TRUE(InitPartnership(Options("empty")).ok());
}

TEST_F(PartnershipInitTest, RejectsBadAgencyLists) {
  EXPECT_NE(ParseAgencies("police,Probation").status().message().find("lower-case identifier"),
            std::string::npos);
  EXPECT_NE(ParseAgencies("police,police").status().message().find("listed twice"),
            std::string::npos);
  EXPECT_FALSE(ParseAgencies("police,,probation").ok());
  EXPECT_FALSE(ParseAgencies("police,1st_agency").ok());
  EXPECT_FALSE(ParseAgencies("police,gwent:spaceship").ok());
  EXPECT_NE(ParseAgencies("police,gwent").status().message().find("gwent:KIND"),
            std::string::npos);
  EXPECT_FALSE(ParseAgencies("police").ok());
  auto ok = ParseAgencies("south_wales_police:police, idva:victim_services");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[1].id, "idva");
  EXPECT_EQ((*ok)[1].kind, v1::AGENCY_KIND_VICTIM_SERVICES);
}

TEST_F(PartnershipInitTest, UnwritablePathGivesClearErrorAndWritesNothing) {
  const std::string file = (root_ / "a_file").string();
  { std::ofstream(file) << "x"; }
  PartnershipOptions o = Options("unused");
  o.dir = file + "/partnership";
  absl::Status s = InitPartnership(o);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not exist"), std::string::npos) << s;
  o.dir = "/proc/accord-cannot-write-here";
  s = InitPartnership(o);
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(fs::exists(o.dir));
  EXPECT_EQ(Entries(), 1);
}

TEST_F(PartnershipInitTest, FailureHalfWayLeavesNothingBehind) {
  // Without openssl on PATH the CA step fails after keys were written.
  const std::string old_path = std::getenv("PATH");
  ::setenv("PATH", "/nonexistent", 1);
  absl::Status s = InitPartnership(Options("cardiff"));
  ::setenv("PATH", old_path.c_str(), 1);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("openssl"), std::string::npos);
  EXPECT_EQ(Entries(), 0) << "temporary directory must be removed";
}

}  // namespace
}  // namespace accord::cli
