// Attacks on the broker found by trying it as an attacker and as a careless
// operator would (issue 11), each against the real broker over mutual TLS:
// event ids in another agency's namespace, undefined enum values, hostile
// sizes echoed back, undecodable requests, floods of refusals, idle streams.
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "crypto/hash.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "agents/sdk/outbox.h"
#include "agents/sdk/publisher.h"
#include "grpcpp/generic/generic_stub.h"
#include "tests/integration/broker_fixture.h"

namespace accord::testing {
namespace {

class BrokerHardeningTest : public BrokerTest {
 protected:
  void SetUp() override {
    extra_limits_ = "  refusal_audit_burst: 5\n  refusal_audit_per_minute: 60\n";
    BrokerTest::SetUp();
  }

  // Seals `h` as police would, with no wraps (refusal happens before wraps matter).
  v1::Envelope SealAs(const std::string& sender, const v1::EventHeader& h, const TestEvent& e) {
    absl::StatusOr<crypto::SigningKey> sk =
        crypto::ReadSigningKey(crypto::PartnershipPaths(Partnership()).AgencySigningKey(sender));
    EXPECT_TRUE(sk.ok());
    absl::StatusOr<v1::Envelope> env = crypto::SealEvent(h, Sections(e), {}, *sk);
    EXPECT_TRUE(env.ok()) << env.status();
    return *env;
  }

  absl::Status RawPublish(const std::string& sender, const v1::Envelope& env) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::Receipt r;
    return agents::FromGrpc(Client(sender).exchange().Publish(&ctx, env, &r), "Publish");
  }

  absl::Status RawPlan(const std::string& sender, const v1::EventHeader& h) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::PlanShareRequest req;
    req.set_header(h.SerializeAsString());
    v1::SharePlan plan;
    return agents::FromGrpc(Client(sender).exchange().PlanShare(&ctx, req, &plan), "PlanShare");
  }

  std::vector<v1::AuditRecord> Records(v1::AuditAction action, const std::string& event_id = "") {
    v1::WhoSawQuery q;
    q.add_actions(action);
    q.set_event_id(event_id);
    absl::StatusOr<v1::WhoSawResponse> rows = WhoSaw(q);
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::vector<v1::AuditRecord> out;
    if (rows.ok()) {
      for (const v1::WhoSawRow& r : rows->rows()) out.push_back(r.record());
    }
    return out;
  }
};

TEST_F(BrokerHardeningTest, AnotherAgencysEventIdCannotBeTaken) {
  // Police try to take probation's next id first.
  TestEvent squat = Incident("probation-alert-7");
  absl::StatusOr<v1::ReceiptBody> taken = Publish("police", squat);
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kInvalidArgument) << taken.status();
  EXPECT_NE(taken.status().message().find("namespace"), std::string::npos) << taken.status();
  // Probation's real alert goes through.
  TestEvent alert = Incident("probation-alert-7");
  alert.kind = v1::EVENT_KIND_RISK_ALERT;
  absl::StatusOr<v1::ReceiptBody> real = Publish("probation", alert);
  ASSERT_TRUE(real.ok()) << real.status();
  EXPECT_FALSE(real->duplicate());
  // Ids without any namespace are refused too, and a prefix that merely starts
  // like another agency's id is not that agency's namespace.
  for (const char* id : {"alert-7", "policeman-1", "police", "police-"}) {
    EXPECT_EQ(Publish("police", Incident(id)).status().code(), absl::StatusCode::kInvalidArgument) << id;
  }
  EXPECT_TRUE(Publish("police", Incident("police:incident-1")).ok());
}

TEST_F(BrokerHardeningTest, UndefinedEnumValuesAreRefused) {
  struct Case {
    const char* what;
    std::function<void(v1::EventHeader*)> mangle;
    const char* words;
  };
  const std::vector<Case> cases = {
      {"kind 65", [](v1::EventHeader* h) { h->set_kind(static_cast<v1::EventKind>(65)); }, "EventKind"},
      {"flag 200", [](v1::EventHeader* h) { h->add_flags(static_cast<v1::Flag>(200)); }, "Flag"},
      {"flag -1", [](v1::EventHeader* h) { h->add_flags(static_cast<v1::Flag>(-1)); }, "Flag"},
      {"flag 64", [](v1::EventHeader* h) { h->add_flags(static_cast<v1::Flag>(64)); }, "Flag"},
      {"role 9", [](v1::EventHeader* h) { h->mutable_subjects(0)->set_role(static_cast<v1::SubjectRole>(9)); },
       "SubjectRole"},
      {"risk 7", [](v1::EventHeader* h) { h->mutable_risk()->set_level(static_cast<v1::RiskLevel>(7)); },
       "RiskLevel"},
  };
  int n = 0;
  for (const Case& c : cases) {
    TestEvent e = Incident(absl::StrCat("police-enum-", ++n));
    v1::EventHeader h = Header("police", e);
    c.mangle(&h);
    absl::Status plan = RawPlan("police", h);
    EXPECT_EQ(plan.code(), absl::StatusCode::kInvalidArgument) << c.what << ": " << plan;
    EXPECT_NE(plan.message().find(c.words), std::string::npos) << c.what << ": " << plan;
    absl::Status pub = RawPublish("police", SealAs("police", h, e));
    EXPECT_EQ(pub.code(), absl::StatusCode::kInvalidArgument) << c.what << ": " << pub;
  }
  EXPECT_TRUE(Receive("probation", 1, absl::Milliseconds(500)).empty()) << "nothing was routed";
}

TEST_F(BrokerHardeningTest, HugeInputsAreNotEchoedInErrors) {
  TestEvent e = Incident("police-huge-1");
  v1::EventHeader h = Header("police", e);
  h.set_sender(std::string(12000, 'p'));
  absl::Status s = RawPlan("police", h);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s.message().substr(0, 200);
  EXPECT_LT(s.message().size(), 300u) << "the 12000-byte sender is not echoed";
  EXPECT_NE(s.message().find("(12000 bytes)"), std::string::npos) << s;

  h = Header("police", e);
  h.set_case_ref(std::string(9000, 'c'));
  s = RawPlan("police", h);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(s.message().size(), 300u);

  h = Header("police", e);
  h.set_event_id(std::string(10000, 'x'));
  s = RawPublish("police", SealAs("police", h, e));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(s.message().size(), 300u);
}

TEST_F(BrokerHardeningTest, UndecodableRequestsAreInvalidArgumentNamingTheMessage) {
  grpc::GenericStub stub(Client("police").channel());
  const std::string garbage("\xff\xff\xff\xff\x0f\x01", 6);  // a truncated varint tag
  for (const char* method : {"/accord.v1.ExchangeService/Publish", "/accord.v1.ExchangeService/PlanShare",
                             "/accord.v1.ConsentService/GetConsent", "/accord.v1.ExchangeService/Ack"}) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    grpc::Slice slice(garbage);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
      status = s;
      done.Notify();
    });
    done.WaitForNotification();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method << ": " << status.error_message();
    EXPECT_NE(status.error_message().find("does not decode as accord.v1."), std::string::npos)
        << method << ": " << status.error_message();
  }
}

TEST_F(BrokerHardeningTest, RefusalsAreAuditedAndAFloodIsCountedNotStored) {
  // 40 refusals as fast as they come: at most the burst (5) plus what the rate
  // (1/s) refills are recorded one by one; the rest are counted.
  const int kFlood = 40;
  for (int i = 0; i < kFlood; ++i) {
    ASSERT_EQ(Publish("police", Incident(absl::StrCat("not-mine-", i))).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  std::vector<v1::AuditRecord> first = Records(v1::AUDIT_ACTION_REJECTED);
  EXPECT_GE(first.size(), 5u);
  EXPECT_LT(first.size(), 20u) << "the flood did not grow the log one record per refusal";
  for (const v1::AuditRecord& r : first) {
    EXPECT_EQ(r.actor_agency(), "police");
    EXPECT_EQ(r.refused_call(), "plan_share") << "the agent plans first, and the plan is refused";
    EXPECT_EQ(r.error_code(), "INVALID_ARGUMENT");
    EXPECT_EQ(r.event_id().rfind("not-mine-", 0), 0u);
    EXPECT_FALSE(r.header_sha256().empty());
  }
  // A second later the bucket has a token again: the next refusal is recorded
  // with the count of those that were not.
  absl::SleepFor(absl::Milliseconds(1500));
  ASSERT_FALSE(Publish("police", Incident("not-mine-last")).ok());
  std::vector<v1::AuditRecord> all = Records(v1::AUDIT_ACTION_REJECTED);
  ASSERT_GT(all.size(), first.size());
  uint64_t accounted = 0;
  for (const v1::AuditRecord& r : all) accounted += 1 + r.refusals_not_recorded();
  EXPECT_EQ(accounted, static_cast<uint64_t>(kFlood + 1)) << "every refusal is recorded or counted";
  EXPECT_GT(all.back().refusals_not_recorded(), 0u);
}

TEST_F(BrokerHardeningTest, RefusedAcksAreAudited) {
  EXPECT_EQ(Ack("probation", 99).code(), absl::StatusCode::kOutOfRange);
  std::vector<v1::AuditRecord> refused = Records(v1::AUDIT_ACTION_REJECTED);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].refused_call(), "ack");
  EXPECT_EQ(refused[0].actor_agency(), "probation");
  EXPECT_EQ(refused[0].queue_sequence(), 99u);
  EXPECT_EQ(refused[0].error_code(), "OUT_OF_RANGE");
}

TEST_F(BrokerHardeningTest, SubscribeStreamsPerAgencyAreCapped) {
  // The default cap is 4 open streams per agency.
  ASSERT_TRUE(Publish("police", Incident("police-cap-1")).ok());
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::Delivery>>> streams;
  for (int i = 0; i < 4; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    streams.push_back(Client("probation").exchange().Subscribe(contexts.back().get(), v1::SubscribeRequest()));
    v1::Delivery d;
    ASSERT_TRUE(streams.back()->Read(&d)) << "stream " << i << " is open and delivers";
  }
  grpc::ClientContext fifth;
  fifth.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  auto extra = Client("probation").exchange().Subscribe(&fifth, v1::SubscribeRequest());
  v1::Delivery d;
  EXPECT_FALSE(extra->Read(&d));
  grpc::Status s = extra->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_NE(s.error_message().find("max_streams_per_agency"), std::string::npos) << s.error_message();
  // Other agencies are unaffected.
  EXPECT_EQ(Receive("victim_services", 1, absl::Seconds(5)).size(), 1u);
  for (size_t i = 0; i < streams.size(); ++i) {
    contexts[i]->TryCancel();
    streams[i]->Finish();
  }
}

TEST_F(BrokerHardeningTest, IdleStreamsDoNotMultiplyDeliveryRecords) {
  // Four streams of one agency that never acknowledge: each gets the event,
  // but the log records its first delivery once, not once per stream.
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::Delivery>>> streams;
  for (int i = 0; i < 4; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    contexts.back()->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    streams.push_back(Client("probation").exchange().Subscribe(contexts.back().get(), v1::SubscribeRequest()));
  }
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(Publish("police", Incident(absl::StrCat("police-idle-", i))).ok());
  for (auto& stream : streams) {
    for (int i = 1; i <= 3; ++i) {
      v1::Delivery d;
      ASSERT_TRUE(stream->Read(&d));
    }
  }
  for (int i = 1; i <= 3; ++i) {
    int to_probation = 0;
    for (const v1::AuditRecord& r : Records(v1::AUDIT_ACTION_DELIVERED, absl::StrCat("police-idle-", i))) {
      if (r.recipient() == "probation") ++to_probation;
    }
    EXPECT_EQ(to_probation, 1) << "police-idle-" << i;
  }
  for (size_t i = 0; i < streams.size(); ++i) {
    contexts[i]->TryCancel();
    streams[i]->Finish();
  }
}

TEST_F(BrokerHardeningTest, OnlyTheAgenciesThePolicyNamesMayRecordOrReadConsent) {
  const std::string victim = "Evans|Amy|1994-09-09";
  ASSERT_TRUE(RecordConsent("victim_services", "victim_services-consent-1", victim, "victim_support",
                            v1::CONSENT_STATE_GIVEN)
                  .ok());
  // The perpetrator programme tries to withdraw the victim's consent.
  absl::StatusOr<v1::ReceiptBody> withdrawn = RecordConsent(
      "perpetrator_programme", "perpetrator_programme-consent-1", victim, "victim_support",
      v1::CONSENT_STATE_WITHDRAWN);
  EXPECT_EQ(withdrawn.status().code(), absl::StatusCode::kPermissionDenied) << withdrawn.status();
  EXPECT_NE(withdrawn.status().message().find("programme-never-records-consent"), std::string::npos)
      << withdrawn.status();
  // Police may not record it either (default deny), nor the IDVA for the perpetrator.
  EXPECT_EQ(RecordConsent("police", "police-consent-1", victim, "victim_support", v1::CONSENT_STATE_REFUSED)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  // The IDVA still receives her standard-risk incidents: her consent stands.
  TestEvent e = Incident("police-medium-after");
  e.risk = v1::RISK_LEVEL_MEDIUM;
  e.victim = victim;
  e.sections = {"summary", "risk"};
  ASSERT_TRUE(Publish("police", e).ok());
  EXPECT_EQ(Receive("victim_services", 1, absl::Seconds(5)).size(), 1u) << "consent given still holds";

  auto read = [&](const std::string& agency) {
    auto stub = v1::ConsentService::NewStub(Client(agency).channel());
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::GetConsentRequest req;
    req.set_subject_ref(Pseudonym(victim));
    req.set_purpose("victim_support");
    v1::ConsentStatus status;
    grpc::Status s = stub->GetConsent(&ctx, req, &status);
    return std::make_pair(s, status);
  };
  auto [programme, hidden] = read("perpetrator_programme");
  EXPECT_EQ(programme.error_code(), grpc::StatusCode::PERMISSION_DENIED) << programme.error_message();
  EXPECT_NE(programme.error_message().find("programme-never-reads-consent"), std::string::npos);
  EXPECT_EQ(hidden.state(), v1::CONSENT_STATE_UNSPECIFIED);
  auto [police, shown] = read("police");
  ASSERT_TRUE(police.ok()) << police.error_message();
  EXPECT_EQ(shown.state(), v1::CONSENT_STATE_GIVEN);

  // Each refusal is audited with the rule that refused it.
  std::vector<v1::AuditRecord> refused = Records(v1::AUDIT_ACTION_REJECTED);
  ASSERT_EQ(refused.size(), 3u);
  EXPECT_EQ(refused[0].actor_agency(), "perpetrator_programme");
  EXPECT_EQ(refused[0].refused_call(), "plan_share") << "refused when it asked for a plan";
  ASSERT_EQ(refused[0].rule_ids_size(), 1);
  EXPECT_EQ(refused[0].rule_ids(0), "programme-never-records-consent");
  EXPECT_EQ(refused[1].actor_agency(), "police");
  EXPECT_EQ(refused[1].rule_ids(0), "default-deny");
  EXPECT_EQ(refused[2].refused_call(), "get_consent");
  EXPECT_EQ(refused[2].rule_ids(0), "programme-never-reads-consent");
}

TEST_F(BrokerHardeningTest, TheAgentSetsAsideWhatTheBrokerRefusesAndGoesOn) {
  absl::StatusOr<std::unique_ptr<agents::Outbox>> outbox = agents::Outbox::Open(tmp_.Path("outbox"));
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  TestEvent bad = Incident("probation-not-ours");  // another agency's namespace
  TestEvent good = Incident("police-after-the-refused-one");
  std::vector<agents::OutgoingEvent> events = {{Header("police", bad), Sections(bad), "incidents.csv:2"},
                                               {Header("police", good), Sections(good), "incidents.csv:3"}};
  ASSERT_EQ(*(*outbox)->AddAll(events), 2);
  agents::Publisher publisher(&Client("police"), outbox->get());
  std::vector<agents::PublishOutcome> reported;
  absl::Status drained =
      publisher.Drain([] { return false; }, [&](const agents::PublishOutcome& o) { reported.push_back(o); });
  ASSERT_TRUE(drained.ok()) << drained;
  ASSERT_EQ(reported.size(), 2u) << "the refusal is reported, and the next event still goes out";
  EXPECT_FALSE(reported[0].accepted);
  EXPECT_EQ(reported[0].error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(reported[1].accepted);
  EXPECT_EQ(*(*outbox)->PendingCount(), 0u);
  absl::StatusOr<std::vector<agent::OutboxRecord>> kept = (*outbox)->Sent();
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 2u);
  EXPECT_EQ((*kept)[0].header().event_id(), "probation-not-ours");
  EXPECT_EQ((*kept)[0].refused_code(), "INVALID_ARGUMENT") << "set aside with its reason";
  EXPECT_NE((*kept)[0].refused_reason().find("namespace"), std::string::npos);
  EXPECT_TRUE((*kept)[1].refused_code().empty());
}

}  // namespace
}  // namespace accord::testing
