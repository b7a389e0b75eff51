// The broker routes what policy allows, to exactly the permitted agencies,
// durably and at least once, and audits both the sharing and the withholding.
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "tests/integration/broker_fixture.h"

namespace accord::testing {
namespace {

using Names = std::vector<std::string>;

TestEvent HighRiskIncident(const std::string& id) {
  TestEvent e;
  e.id = id;
  e.flags = {v1::FLAG_CHILDREN_IN_HOUSEHOLD, v1::FLAG_CHILDREN_PRESENT};
  e.sections = {"summary", "risk", "detail", "children", "victim_contact"};
  e.child = "Jones|Mia|2018-06-30";
  return e;
}

TEST_F(BrokerTest, EachRecipientOpensExactlyThePermittedSectionsAndOthersGetNothing) {
  absl::StatusOr<v1::ReceiptBody> receipt = Publish("police", HighRiskIncident("police-inc-1"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->sequence(), 1u);
  EXPECT_FALSE(receipt->duplicate());

  const std::map<std::string, Names> expected = {
      {"victim_services", {"detail", "risk", "summary", "victim_contact"}},
      {"childrens_services", {"children", "detail", "risk", "summary"}},
      {"probation", {"detail", "risk", "summary"}},
      {"marac_coordinator", {"detail", "risk", "summary"}},
  };
  for (const auto& [agency, sections] : expected) {
    std::vector<v1::Delivery> got = Receive(agency, 2, absl::Milliseconds(1500));
    ASSERT_EQ(got.size(), 1u) << agency;
    EXPECT_EQ(OpenedSections(agency, got[0]), sections) << agency;
    for (const v1::KeyWrap& w : got[0].envelope().wraps()) {
      EXPECT_EQ(w.recipient(), agency) << "a delivery carries only the recipient's own wraps";
    }
  }
  for (const std::string agency : {"perpetrator_programme", "auditor", "police"}) {
    EXPECT_TRUE(Receive(agency, 1, absl::Milliseconds(700)).empty()) << agency << " must receive nothing";
  }

  // The audit log names every recipient with its sections, and every refusal.
  v1::WhoSawQuery q;
  q.set_event_id("police-inc-1");
  q.add_actions(v1::AUDIT_ACTION_ROUTED);
  absl::StatusOr<v1::WhoSawResponse> routed = WhoSaw(q);
  ASSERT_TRUE(routed.ok()) << routed.status();
  std::map<std::string, Names> audited;
  for (const v1::WhoSawRow& row : routed->rows()) {
    Names s(row.record().sections().begin(), row.record().sections().end());
    std::sort(s.begin(), s.end());
    audited[row.record().recipient()] = s;
    EXPECT_FALSE(row.record().rule_ids().empty());
    EXPECT_FALSE(row.record().policy_hash().empty());
  }
  EXPECT_EQ(audited, expected);
  q.clear_actions();
  q.add_actions(v1::AUDIT_ACTION_WITHHELD);
  absl::StatusOr<v1::WhoSawResponse> withheld = WhoSaw(q);
  ASSERT_TRUE(withheld.ok()) << withheld.status();
  // One WITHHELD record per event lists every recipient and section refused.
  ASSERT_EQ(withheld->rows_size(), 1) << "one withheld record per event";
  std::set<std::string> refused;
  for (const v1::Withholding& w : withheld->rows(0).record().withheld()) {
    refused.insert(w.recipient());
    EXPECT_FALSE(w.rule_id().empty() && w.reason().empty()) << w.recipient() << ": every withholding says why";
  }
  EXPECT_TRUE(refused.count("perpetrator_programme")) << "withholding is audited too";
  for (const auto& [agency, sections] : expected) {
    for (const v1::Withholding& w : withheld->rows(0).record().withheld()) {
      if (w.recipient() != agency) continue;
      EXPECT_TRUE(w.section().empty() ||
                  std::find(sections.begin(), sections.end(), w.section()) == sections.end())
          << agency << " was both sent and refused '" << w.section() << "'";
    }
  }
  // Asking about one agency finds the record through the agency index.
  q.set_agency("perpetrator_programme");
  absl::StatusOr<v1::WhoSawResponse> for_programme = WhoSaw(q);
  ASSERT_TRUE(for_programme.ok()) << for_programme.status();
  ASSERT_EQ(for_programme->rows_size(), 1);
  EXPECT_EQ(for_programme->rows(0).leaf_index(), withheld->rows(0).leaf_index());
  q.clear_agency();
  // Deliveries were audited as they were streamed.
  q.clear_actions();
  q.add_actions(v1::AUDIT_ACTION_DELIVERED);
  absl::StatusOr<v1::WhoSawResponse> delivered = WhoSaw(q);
  ASSERT_TRUE(delivered.ok());
  std::set<std::string> got;
  for (const v1::WhoSawRow& row : delivered->rows()) got.insert(row.record().recipient());
  EXPECT_EQ(got, (std::set<std::string>{"victim_services", "childrens_services", "probation", "marac_coordinator"}));
}

TEST_F(BrokerTest, DuplicatePublishReturnsTheOriginalReceipt) {
  agents::AgencyClient& police = Client("police");
  TestEvent e = HighRiskIncident("police-dup-1");
  absl::StatusOr<v1::Envelope> env = police.PlanAndSeal(Header("police", e), Sections(e), absl::Seconds(10));
  ASSERT_TRUE(env.ok()) << env.status();
  absl::StatusOr<v1::ReceiptBody> first = police.Publish(*env, absl::Seconds(10));
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<v1::ReceiptBody> again = police.Publish(*env, absl::Seconds(10));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->sequence(), first->sequence());
  EXPECT_EQ(again->audit_leaf_index(), first->audit_leaf_index());
  EXPECT_EQ(Receive("probation", 3, absl::Milliseconds(1000)).size(), 1u) << "delivered once";
}

TEST_F(BrokerTest, UnacknowledgedEventsComeAgainAndAcknowledgedOnesDoNot) {
  ASSERT_TRUE(Publish("police", HighRiskIncident("police-ack-1")).ok());
  ASSERT_TRUE(Publish("police", HighRiskIncident("police-ack-2")).ok());
  std::vector<v1::Delivery> first = Receive("probation", 2, absl::Seconds(5));
  ASSERT_EQ(first.size(), 2u);
  // Disconnected without acknowledging: both again, same positions.
  std::vector<v1::Delivery> second = Receive("probation", 2, absl::Seconds(5));
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].queue_sequence(), first[0].queue_sequence());
  EXPECT_EQ(second[1].queue_sequence(), first[1].queue_sequence());
  ASSERT_TRUE(Ack("probation", first[0].queue_sequence()).ok());
  std::vector<v1::Delivery> third = Receive("probation", 2, absl::Milliseconds(1500));
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].queue_sequence(), first[1].queue_sequence());
  ASSERT_TRUE(Ack("probation", first[1].queue_sequence()).ok());
  EXPECT_TRUE(Receive("probation", 1, absl::Milliseconds(700)).empty());
  // Acknowledging beyond the queue is refused.
  absl::Status beyond = Ack("probation", 99);
  EXPECT_EQ(beyond.code(), absl::StatusCode::kOutOfRange) << beyond;
  // A stream open before the publish gets it without polling.
  std::thread late([&] {
    absl::SleepFor(absl::Milliseconds(300));
    ASSERT_TRUE(Publish("police", HighRiskIncident("police-ack-3")).ok());
  });
  std::vector<v1::Delivery> live = Receive("probation", 1, absl::Seconds(10));
  late.join();
  ASSERT_EQ(live.size(), 1u);
  v1::EventHeader h;
  h.ParseFromString(live[0].envelope().header());
  EXPECT_EQ(h.event_id(), "police-ack-3");
}

TEST_F(BrokerTest, WithdrawnConsentStopsConsentBasedSharingButNotSafeguarding) {
  const std::string victim = "Evans|Amy|1994-09-09";
  ASSERT_TRUE(RecordConsent("victim_services", "victim_services-consent-1", victim, "victim_support", v1::CONSENT_STATE_GIVEN).ok());
  TestEvent e;
  e.id = "police-medium-1";
  e.risk = v1::RISK_LEVEL_MEDIUM;
  e.victim = victim;
  e.child = "Evans|Leo|2017-01-05";
  e.flags = {v1::FLAG_CHILDREN_IN_HOUSEHOLD};
  e.sections = {"summary", "risk", "children"};
  ASSERT_TRUE(Publish("police", e).ok());
  std::vector<v1::Delivery> idva = Receive("victim_services", 1, absl::Seconds(5));
  ASSERT_EQ(idva.size(), 1u) << "consent given: the IDVA receives the incident";
  ASSERT_TRUE(Ack("victim_services", idva[0].queue_sequence()).ok());
  std::vector<v1::Delivery> cs = Receive("childrens_services", 1, absl::Seconds(5));
  ASSERT_EQ(cs.size(), 1u);
  ASSERT_TRUE(Ack("childrens_services", cs[0].queue_sequence()).ok());

  ASSERT_TRUE(RecordConsent("victim_services", "victim_services-consent-2", victim, "victim_support",
                            v1::CONSENT_STATE_WITHDRAWN).ok());
  auto stub = v1::ConsentService::NewStub(Client("police").channel());
  grpc::ClientContext ctx;
  v1::GetConsentRequest req;
  req.set_subject_ref(Pseudonym(victim));
  req.set_purpose("victim_support");
  v1::ConsentStatus status;
  ASSERT_TRUE(stub->GetConsent(&ctx, req, &status).ok());
  EXPECT_EQ(status.state(), v1::CONSENT_STATE_WITHDRAWN);
  EXPECT_EQ(status.recorded_by(), "victim_services");

  e.id = "police-medium-2";  // the same incident, published again
  ASSERT_TRUE(Publish("police", e).ok());
  EXPECT_TRUE(Receive("victim_services", 1, absl::Milliseconds(1000)).empty())
      << "consent withdrawn: nothing more for the IDVA";
  std::vector<v1::Delivery> still = Receive("childrens_services", 1, absl::Seconds(5));
  ASSERT_EQ(still.size(), 1u) << "safeguarding sharing continues";
  EXPECT_EQ(OpenedSections("childrens_services", still[0]), (Names{"children", "risk", "summary"}));
}

TEST_F(BrokerTest, OverridesReachTheAuditorAndNotificationsCarryNoSections) {
  // Case relations are remembered from earlier events: probation referred.
  TestEvent referral;
  referral.id = "probation-ref-1";
  referral.kind = v1::EVENT_KIND_REFERRAL;
  referral.risk = v1::RISK_LEVEL_HIGH;
  referral.sections = {"summary", "detail"};
  v1::CaseRelation referrer;
  referrer.set_relation("referrer");
  referrer.set_agency("probation");
  referral.relations = {referrer};
  ASSERT_TRUE(Publish("probation", referral).ok());

  TestEvent alert;
  alert.id = "perpetrator_programme-alert-1";
  alert.kind = v1::EVENT_KIND_RISK_ALERT;
  alert.sections = {"summary", "risk", "detail", "override_justification"};
  agents::AgencyClient& programme = Client("perpetrator_programme");
  v1::EventHeader h = Header("perpetrator_programme", alert);
  h.mutable_override()->set_reason("risk_to_child");
  h.mutable_override()->mutable_authorised_by()->set_role("programme_manager");
  h.mutable_override()->mutable_authorised_by()->set_staff_ref("s-77");
  h.mutable_override()->set_justification_section("override_justification");
  absl::StatusOr<v1::Envelope> env = programme.PlanAndSeal(h, Sections(alert), absl::Seconds(10));
  ASSERT_TRUE(env.ok()) << env.status();
  ASSERT_TRUE(programme.Publish(*env, absl::Seconds(10)).ok());

  std::vector<v1::Delivery> auditor = Receive("auditor", 1, absl::Seconds(5));
  ASSERT_EQ(auditor.size(), 1u) << "every override reaches the auditor";
  EXPECT_EQ(OpenedSections("auditor", auditor[0]), (Names{"override_justification"}));
  std::vector<v1::Delivery> probation = Receive("probation", 1, absl::Seconds(5));
  ASSERT_EQ(probation.size(), 1u);
  EXPECT_EQ(OpenedSections("probation", probation[0]), (Names{"detail", "risk", "summary"}));
  v1::WhoSawQuery q;
  q.set_event_id("perpetrator_programme-alert-1");
  q.add_actions(v1::AUDIT_ACTION_OVERRIDE_USED);
  absl::StatusOr<v1::WhoSawResponse> used = WhoSaw(q);
  ASSERT_TRUE(used.ok());
  ASSERT_EQ(used->rows_size(), 1);
  EXPECT_EQ(used->rows(0).record().override().authorised_by().staff_ref(), "s-77");

  // Police may only be told that a referral outcome exists.
  TestEvent outcome;
  outcome.id = "perpetrator_programme-outcome-1";
  outcome.kind = v1::EVENT_KIND_REFERRAL_OUTCOME;
  outcome.sections = {"summary", "detail"};
  ASSERT_TRUE(Publish("perpetrator_programme", outcome).ok());
  std::vector<v1::Delivery> police = Receive("police", 2, absl::Seconds(5));
  ASSERT_EQ(police.size(), 2u) << "the override alert, then the notice";
  const v1::Delivery& notice = police[1];
  v1::EventHeader nh;
  nh.ParseFromString(notice.envelope().header());
  EXPECT_EQ(nh.event_id(), "perpetrator_programme-outcome-1");
  EXPECT_TRUE(notice.notification_only());
  EXPECT_EQ(notice.envelope().sections_size(), 0);
  EXPECT_EQ(notice.envelope().wraps_size(), 0);
  EXPECT_TRUE(OpenedSections("police", notice).empty()) << "the header verifies; nothing to open";
}

TEST_F(BrokerTest, ConcurrentPublishersAndSubscribersDeliverEveryEventOncePerRecipient) {
  constexpr int kPublishers = 3;
  constexpr int kPerPublisher = 15;
  const std::vector<std::string> recipients = {"victim_services", "probation", "marac_coordinator"};
  for (const std::string& r : recipients) Client(r);
  Client("police");
  std::map<std::string, std::set<std::string>> seen;
  std::mutex seen_mu;
  std::atomic<bool> publishing{true};
  std::vector<std::thread> subscribers;
  for (const std::string& r : recipients) {
    subscribers.emplace_back([&, r] {
      const absl::Time deadline = absl::Now() + absl::Seconds(60);
      while (absl::Now() < deadline) {
        std::vector<v1::Delivery> got = Receive(r, 10, absl::Milliseconds(500));
        for (const v1::Delivery& d : got) {
          v1::EventHeader h;
          h.ParseFromString(d.envelope().header());
          std::lock_guard<std::mutex> lock(seen_mu);
          seen[r].insert(h.event_id());
        }
        if (!got.empty()) ASSERT_TRUE(Ack(r, got.back().queue_sequence()).ok());
        std::lock_guard<std::mutex> lock(seen_mu);
        if (!publishing && seen[r].size() == kPublishers * kPerPublisher) return;
      }
    });
  }
  std::vector<std::thread> publishers;
  std::atomic<int> failures{0};
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p] {
      for (int i = 0; i < kPerPublisher; ++i) {
        if (!Publish("police", HighRiskIncident(absl::StrCat("police-load-", p, "-", i))).ok()) ++failures;
      }
    });
  }
  for (auto& t : publishers) t.join();
  publishing = false;
  for (auto& t : subscribers) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (const std::string& r : recipients) {
    EXPECT_EQ(seen[r].size(), static_cast<size_t>(kPublishers * kPerPublisher)) << r;
  }
}

}  // namespace
}  // namespace accord::testing
