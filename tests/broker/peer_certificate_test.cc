// The agency a client certificate names, read once per certificate: real
// certificates made with openssl for the test, parsed by the broker's code.
#include "broker/peer_certificate.h"

#include <gtest/gtest.h>

#include <string>

#include "cli/subprocess.h"
#include "crypto/partnership.h"
#include "tests/testing/temp_dir.h"

namespace accord::broker {
namespace {

class PeerCertificateTest : public ::testing::Test {
 protected:
  // A self-signed Ed25519 certificate with `subject`, as PEM.
  std::string Cert(const std::string& name, const std::string& subject) {
    const std::string key = tmp_.Path(name + ".key");
    const std::string crt = tmp_.Path(name + ".crt");
    absl::Status s = cli::RunProgram({"openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-subj", subject,
                                      "-days", "1", "-keyout", key, "-out", crt});
    EXPECT_TRUE(s.ok()) << s;
    absl::StatusOr<std::string> pem = crypto::ReadFileToString(crt);
    EXPECT_TRUE(pem.ok()) << pem.status();
    return pem.ok() ? *pem : std::string();
  }
  testing::TempDir tmp_;
};

TEST_F(PeerCertificateTest, NamesTheOneCommonName) {
  absl::StatusOr<std::string> cn = SingleCommonName(Cert("police", "/O=Partnership/CN=police"));
  ASSERT_TRUE(cn.ok()) << cn.status();
  EXPECT_EQ(*cn, "police");
}

TEST_F(PeerCertificateTest, CacheAnswersAsAParseWouldAndKeepsNoRefusal) {
  PeerNameCache cache;
  const std::string police = Cert("police", "/CN=police");
  const std::string probation = Cert("probation", "/CN=probation");
  const std::string two = Cert("two", "/CN=police/CN=probation");
  for (int round = 0; round < 3; ++round) {
    absl::StatusOr<std::string> a = cache.CommonName(police);
    absl::StatusOr<std::string> b = cache.CommonName(probation);
    ASSERT_TRUE(a.ok() && b.ok()) << a.status() << " " << b.status();
    EXPECT_EQ(*a, "police");
    EXPECT_EQ(*b, "probation");
    // Refused every time, with the parse's own reason, and never kept.
    absl::StatusOr<std::string> refused = cache.CommonName(two);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_NE(refused.status().message().find("2 common names"), std::string::npos) << refused.status();
    EXPECT_EQ(cache.size(), 2u);
  }
  // A certificate that differs in one byte is a different certificate: it is
  // parsed, not matched to a kept name.
  std::string damaged = police;
  damaged[damaged.size() / 2] = damaged[damaged.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(cache.CommonName(damaged).ok());
  EXPECT_EQ(cache.CommonName(std::string()).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(PeerCertificateTest, CacheStaysWithinItsBound) {
  PeerNameCache cache(2);
  const std::string certs[] = {Cert("a", "/CN=police"), Cert("b", "/CN=probation"), Cert("c", "/CN=auditor")};
  const char* names[] = {"police", "probation", "auditor"};
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 3; ++i) {
      absl::StatusOr<std::string> cn = cache.CommonName(certs[i]);
      ASSERT_TRUE(cn.ok()) << cn.status();
      EXPECT_EQ(*cn, names[i]);
      EXPECT_LE(cache.size(), 2u);
    }
  }
}

}  // namespace
}  // namespace accord::broker
