// Every kind of bad publish is refused with a specific code and message, and
// leaves nothing behind: no event, no delivery, and the event id stays free.
#include <fstream>

#include "absl/time/clock.h"
#include "cli/partnership.h"
#include "cli/subprocess.h"
#include "crypto/hash.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "tests/broker/audit/test_log.h"
#include "tests/integration/broker_fixture.h"

namespace accord::testing {
namespace {

class BrokerRejectionTest : public BrokerTest {
 protected:
  // Tree size as the auditor sees it (its own query adds one record).
  uint64_t AuditSize() {
    auto stub = v1::AuditService::NewStub(Client("auditor").channel());
    grpc::ClientContext ctx;
    v1::SignedTreeHead sth;
    EXPECT_TRUE(stub->GetSignedTreeHead(&ctx, v1::GetSignedTreeHeadRequest(), &sth).ok());
    v1::TreeHead th;
    th.ParseFromString(sth.tree_head());
    return th.tree_size();
  }

  // A sealed, valid envelope from police for `e` (not yet published).
  v1::Envelope Sealed(const TestEvent& e) {
    absl::StatusOr<v1::Envelope> env = Client("police").PlanAndSeal(Header("police", e), Sections(e), absl::Seconds(10));
    EXPECT_TRUE(env.ok()) << env.status();
    return *env;
  }

  absl::Status RawPublish(const v1::Envelope& env) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::Receipt r;
    return agents::FromGrpc(Client("police").exchange().Publish(&ctx, env, &r), "Publish");
  }

  // The newest REJECTED record, as the auditor sees it.
  v1::AuditRecord LastRefusal() {
    v1::WhoSawQuery q;
    q.add_actions(v1::AUDIT_ACTION_REJECTED);
    absl::StatusOr<v1::WhoSawResponse> rows = WhoSaw(q);
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok() || rows->rows_size() == 0) return v1::AuditRecord();
    return rows->rows(rows->rows_size() - 1).record();
  }

  // Refused with `code` and a message containing `words`; nothing stored but
  // the refusal's own audit record, which names the caller, call and code.
  void ExpectRefused(const v1::Envelope& env, absl::StatusCode code, const std::string& words) {
    const uint64_t before = AuditSize();
    absl::Status s = RawPublish(env);
    EXPECT_EQ(s.code(), code) << s;
    EXPECT_NE(s.message().find(words), std::string::npos) << s;
    EXPECT_EQ(AuditSize(), before + 2) << "the refusal and the auditor's own query were added";
    const v1::AuditRecord r = LastRefusal();
    EXPECT_EQ(r.action(), v1::AUDIT_ACTION_REJECTED);
    EXPECT_EQ(r.actor_agency(), "police");
    EXPECT_EQ(r.refused_call(), "publish");
    EXPECT_EQ(r.error_code(), absl::StatusCodeToString(code));
    v1::EventHeader h;
    ASSERT_TRUE(h.ParseFromString(env.header()));
    EXPECT_EQ(r.event_id(), h.event_id());
    EXPECT_EQ(r.header_sha256(), crypto::Sha256(env.header()));
    EXPECT_NE(r.reason().find(words), std::string::npos) << r.reason();
    EXPECT_TRUE(Receive("probation", 1, absl::Milliseconds(500)).empty()) << "nothing delivered";
  }

  // A TLS channel to the broker with arbitrary client credentials.
  absl::Status DirectoryWith(const std::string& cert, const std::string& key) {
    const crypto::PartnershipPaths p(Partnership());
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = *crypto::ReadFileToString(p.CaCert());
    tls.pem_cert_chain = *crypto::ReadFileToString(cert);
    tls.pem_private_key = *crypto::ReadFileToString(key);
    auto channel = grpc::CreateChannel(broker_->address(), grpc::SslCredentials(tls));
    auto stub = v1::DirectoryService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::Directory d;
    return agents::FromGrpc(stub->GetDirectory(&ctx, v1::GetDirectoryRequest(), &d), "GetDirectory");
  }
};

TEST_F(BrokerRejectionTest, ClientCertificateFromAnotherCaIsRefused) {
  cli::PartnershipOptions o;
  o.dir = tmp_.Path("other");
  o.agencies = *cli::ParseAgencies("police,auditor");
  ASSERT_TRUE(cli::InitPartnership(o).ok());
  const crypto::PartnershipPaths other(o.dir);
  absl::Status s = DirectoryWith(other.AgencyCert("police"), other.AgencyTlsKey("police"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  // The genuine certificate works on the same broker.
  const crypto::PartnershipPaths ours(Partnership());
  EXPECT_TRUE(DirectoryWith(ours.AgencyCert("police"), ours.AgencyTlsKey("police")).ok());
}

TEST_F(BrokerRejectionTest, ExpiredClientCertificateIsRefused) {
  const crypto::PartnershipPaths p(Partnership());
  const std::string key = tmp_.Path("expired.key"), csr = tmp_.Path("expired.csr"),
                    crt = tmp_.Path("expired.crt"), ext = tmp_.Path("ext.cnf");
  std::ofstream(ext) << "extendedKeyUsage=clientAuth\n";
  ASSERT_TRUE(cli::RunProgram({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                               "-out", key}).ok());
  ASSERT_TRUE(cli::RunProgram({"openssl", "req", "-new", "-key", key, "-subj", "/CN=police", "-out", csr}).ok());
  ASSERT_TRUE(cli::RunProgram({"openssl", "x509", "-req", "-in", csr, "-CA", p.CaCert(), "-CAkey", p.CaKey(),
                               "-CAcreateserial", "-CAserial", tmp_.Path("ca.srl"), "-days", "-1", "-sha256",
                               "-extfile", ext, "-out", crt}).ok());
  absl::Status s = DirectoryWith(crt, key);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
}

TEST_F(BrokerRejectionTest, ClientCertificateWithTwoCommonNamesIsRefused) {
  // Issued by the partnership CA, valid, but naming two agencies: gRPC would
  // report only one of them. The broker refuses to guess.
  const crypto::PartnershipPaths p(Partnership());
  const std::string key = tmp_.Path("two.key"), csr = tmp_.Path("two.csr"), crt = tmp_.Path("two.crt"),
                    ext = tmp_.Path("ext.cnf");
  std::ofstream(ext) << "extendedKeyUsage=clientAuth\n";
  ASSERT_TRUE(cli::RunProgram({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                               "-out", key}).ok());
  for (const char* subject : {"/CN=auditor/CN=police", "/CN=police/CN=auditor"}) {
    ASSERT_TRUE(cli::RunProgram({"openssl", "req", "-new", "-key", key, "-subj", subject, "-out", csr}).ok());
    ASSERT_TRUE(cli::RunProgram({"openssl", "x509", "-req", "-in", csr, "-CA", p.CaCert(), "-CAkey", p.CaKey(),
                                 "-CAcreateserial", "-CAserial", tmp_.Path("ca.srl"), "-days", "2", "-sha256",
                                 "-extfile", ext, "-out", crt}).ok());
    absl::Status s = DirectoryWith(crt, key);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << subject << ": " << s;
    EXPECT_NE(s.message().find("2 common names"), std::string::npos) << s;
  }
  // The same CA's single-CN certificate for the same key works.
  ASSERT_TRUE(cli::RunProgram({"openssl", "req", "-new", "-key", key, "-subj", "/CN=police", "-out", csr}).ok());
  ASSERT_TRUE(cli::RunProgram({"openssl", "x509", "-req", "-in", csr, "-CA", p.CaCert(), "-CAkey", p.CaKey(),
                               "-CAcreateserial", "-CAserial", tmp_.Path("ca.srl"), "-days", "2", "-sha256",
                               "-extfile", ext, "-out", crt}).ok());
  EXPECT_TRUE(DirectoryWith(crt, key).ok());
}

TEST_F(BrokerRejectionTest, HeaderClaimingAnotherSenderIsRefused) {
  // Signed with probation's own key, but sent over police's connection.
  TestEvent e = Incident("probation-spoof-1");
  v1::EventHeader h = Header("probation", e);
  absl::StatusOr<crypto::SigningKey> probation =
      crypto::ReadSigningKey(crypto::PartnershipPaths(Partnership()).AgencySigningKey("probation"));
  ASSERT_TRUE(probation.ok());
  absl::StatusOr<v1::Envelope> env = crypto::SealEvent(h, Sections(e), {}, *probation);
  ASSERT_TRUE(env.ok()) << env.status();
  ExpectRefused(*env, absl::StatusCode::kPermissionDenied, "header names sender 'probation'");
}

TEST_F(BrokerRejectionTest, BadSignatureIsRefused) {
  v1::Envelope env = Sealed(Incident("police-badsig-1"));
  std::string sig = env.signature();
  sig[5] = static_cast<char>(sig[5] ^ 0x01);
  env.set_signature(sig);
  ExpectRefused(env, absl::StatusCode::kUnauthenticated, "signature");
  // The id was not consumed.
  EXPECT_TRUE(Publish("police", Incident("police-badsig-1")).ok());
}

TEST_F(BrokerRejectionTest, SectionDigestMismatchIsRefused) {
  v1::Envelope env = Sealed(Incident("police-digest-1"));
  std::string ct = env.sections(0).ciphertext();
  ct[0] = static_cast<char>(ct[0] ^ 0x80);
  env.mutable_sections(0)->set_ciphertext(ct);
  ExpectRefused(env, absl::StatusCode::kDataLoss, "digest");
}

TEST_F(BrokerRejectionTest, WrapToAForbiddenAgencyIsRefusedNamingTheRule) {
  // Police seal the victim's contact details for the perpetrator programme as
  // well as for the plan's recipients.
  TestEvent e = Incident("police-leak-1");
  agents::AgencyClient& police = Client("police");
  v1::SharePlan plan;
  ASSERT_TRUE(police.PlanAndSeal(Header("police", e), Sections(e), absl::Seconds(10), &plan).ok());
  absl::StatusOr<crypto::VerifiedDirectory> dir = crypto::LoadVerifiedDirectory(crypto::PartnershipPaths(Partnership()));
  ASSERT_TRUE(dir.ok());
  std::vector<crypto::RecipientKey> keys;
  for (const v1::RecipientPlan& r : plan.recipients()) {
    v1::DirectoryEntry entry = *dir->Current(r.decision().recipient(), absl::Now());
    crypto::RecipientKey k{entry.agency_id(), entry.encryption_key_id(), entry.encryption_public_key(), {}};
    for (const v1::SectionGrant& g : r.decision().grants()) k.sections.push_back(g.section());
    if (!k.sections.empty()) keys.push_back(k);
  }
  v1::DirectoryEntry pp = *dir->Current("perpetrator_programme", absl::Now());
  keys.push_back({"perpetrator_programme", pp.encryption_key_id(), pp.encryption_public_key(), {"victim_contact"}});
  v1::EventHeader h = Header("police", e);
  h.set_policy_version(plan.policy_version());
  absl::StatusOr<crypto::SigningKey> sk =
      crypto::ReadSigningKey(crypto::PartnershipPaths(Partnership()).AgencySigningKey("police"));
  absl::StatusOr<v1::Envelope> env = crypto::SealEvent(h, Sections(e), keys, *sk);
  ASSERT_TRUE(env.ok()) << env.status();
  const uint64_t before = AuditSize();
  absl::Status s = RawPublish(*env);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_NE(s.message().find("'victim_contact' may not be sent to 'perpetrator_programme'"), std::string::npos) << s;
  EXPECT_NE(s.message().find("rule '"), std::string::npos) << "names the rule: " << s;
  EXPECT_EQ(AuditSize(), before + 2) << "the refusal is audited";
  const v1::AuditRecord refusal = LastRefusal();
  EXPECT_EQ(refusal.event_id(), "police-leak-1");
  EXPECT_EQ(refusal.error_code(), "PERMISSION_DENIED");
  ASSERT_EQ(refusal.rule_ids_size(), 1);
  EXPECT_EQ(refusal.rule_ids(0), "never-victim-contact-to-programme") << "the forbid rule";
  EXPECT_TRUE(Receive("victim_services", 1, absl::Milliseconds(500)).empty());
  EXPECT_TRUE(Receive("perpetrator_programme", 1, absl::Milliseconds(500)).empty());
}

TEST_F(BrokerRejectionTest, OversizedEnvelopeIsRefused) {
  TestEvent e = Incident("police-big-1");
  std::vector<crypto::PlainSection> sections = Sections(e);
  v1::Summary big;
  big.set_text(std::string(280000, 'x'));  // over the 256 KiB limit, under gRPC's own cap
  sections.push_back({"detail2", "accord.v1.Summary", big.SerializeAsString()});
  absl::StatusOr<crypto::SigningKey> sk =
      crypto::ReadSigningKey(crypto::PartnershipPaths(Partnership()).AgencySigningKey("police"));
  absl::StatusOr<v1::Envelope> env = crypto::SealEvent(Header("police", e), sections, {}, *sk);
  ASSERT_TRUE(env.ok());
  ExpectRefused(*env, absl::StatusCode::kResourceExhausted, "limit");
}

TEST_F(BrokerRejectionTest, DuplicateIdWithDifferentContentIsRefused) {
  ASSERT_TRUE(Publish("police", Incident("police-dup-1")).ok());
  ASSERT_EQ(Receive("probation", 1, absl::Seconds(5)).size(), 1u);
  TestEvent changed = Incident("police-dup-1");
  changed.risk = v1::RISK_LEVEL_VERY_HIGH;
  const uint64_t before = AuditSize();
  absl::StatusOr<v1::ReceiptBody> r = Publish("police", changed);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists) << r.status();
  EXPECT_EQ(AuditSize(), before + 2) << "the refusal is audited";
  EXPECT_EQ(LastRefusal().error_code(), "ALREADY_EXISTS");
  std::vector<v1::Delivery> got = Receive("probation", 2, absl::Milliseconds(1000));
  ASSERT_EQ(got.size(), 1u) << "only the original";
}

TEST_F(BrokerRejectionTest, StalePlanIsRefusedAfterAPolicyChange) {
  v1::Envelope env = Sealed(Incident("police-stale-1"));
  v1::EventHeader h;
  h.ParseFromString(env.header());
  h.set_policy_version("0000000000000000000000000000000000000000000000000000000000000000");
  absl::StatusOr<crypto::SigningKey> sk =
      crypto::ReadSigningKey(crypto::PartnershipPaths(Partnership()).AgencySigningKey("police"));
  TestEvent e = Incident("police-stale-1");
  absl::StatusOr<v1::Envelope> resealed = crypto::SealEvent(h, Sections(e), {}, *sk);
  ASSERT_TRUE(resealed.ok());
  ExpectRefused(*resealed, absl::StatusCode::kFailedPrecondition, "policy changed");
}

TEST_F(BrokerRejectionTest, NonAuditorsCannotQueryTheAuditLog) {
  auto stub = v1::AuditService::NewStub(Client("police").channel());
  grpc::ClientContext ctx;
  v1::WhoSawResponse resp;
  grpc::Status s = stub->WhoSaw(&ctx, v1::WhoSawQuery(), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
}

TEST_F(BrokerRejectionTest, BadConfigurationsRefuseToStart) {
  auto start_with = [&](const std::string& name, const std::string& extra) {
    const std::string path = tmp_.Path(name + ".yaml");
    std::ofstream(path) << "listen: 127.0.0.1:0\n"
                        << "data: " << tmp_.Path(name + "-data") << "\n"
                        << "partnership: " << Partnership() << "\n"
                        << "policy: " ACCORD_SOURCE_DIR "/tests/policies/one-programme.yaml\n"
                        << extra;
    return BrokerProcess::Start(path, tmp_.Path(name + ".log"));
  };
  absl::StatusOr<std::unique_ptr<BrokerProcess>> plaintext = start_with("plain", "insecure_dev_plaintext: true\n");
  ASSERT_FALSE(plaintext.ok());
  EXPECT_NE(plaintext.status().message().find("--insecure-dev-plaintext"), std::string::npos) << plaintext.status();
  absl::StatusOr<std::unique_ptr<BrokerProcess>> typo = start_with("typo", "limits:\n  max_envelope_byte: 10\n");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("unknown key 'max_envelope_byte'"), std::string::npos) << typo.status();
  absl::StatusOr<std::unique_ptr<BrokerProcess>> stranger =
      start_with("stranger", "meetings:\n  - id: m\n    members: [police, housing]\n");
  ASSERT_FALSE(stranger.ok());
  EXPECT_NE(stranger.status().message().find("'housing'"), std::string::npos) << stranger.status();
  audit::testing::MakeOldLayoutDatabase(tmp_.Path("old-data"));  // the earlier per-node audit layout
  absl::StatusOr<std::unique_ptr<BrokerProcess>> old = start_with("old", "");
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.status().message().find("audit_nodes"), std::string::npos) << old.status();
}

}  // namespace
}  // namespace accord::testing
