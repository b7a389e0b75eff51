// The flows partnerships run (issue 12), through the real broker over mutual
// TLS, with a partnership of two programmes (Up2U and Drive, seeds 000 and
// 002) and a policy written for these tests: referrals that go where they
// are addressed, relations declared only by the right agency and ended by the
// programme's own events, a perpetrator's relations and history followed
// across cases, standing risk, a serial pattern told once, and partner
// feedback raised when it falls due. Each test checks who receives which
// sections and, as important, who receives nothing.
#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "tests/integration/broker_fixture.h"

namespace accord::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kFlowsPolicy[] = R"(version: 1
name: flows-test
agencies:
  police: {kind: police}
  probation: {kind: probation}
  childrens_services: {kind: childrens_services}
  victim_services: {kind: victim_services, description: IDVA service and partner-support worker}
  up2u: {kind: perpetrator_programme, description: "Up2U: assessment-led, referrals from agencies"}
  drive: {kind: perpetrator_programme, description: "Drive: high-harm, cases from MARAC"}
  marac_coordinator: {kind: marac_coordinator}
  auditor: {kind: auditor}
sections: [summary, risk, detail, victim_contact, health, children]
relations:
  programme:
    id: programme-by-the-programme
    declared_by: {kinds: [perpetrator_programme]}
    self: true
    scope: perpetrator
    implied_by: {events: [referral_accepted]}
    ends_on: {events: [programme_completed, step_down, deselection, referral_declined]}
  referrer:
    id: referrer-is-the-referral-sender
    declared_by: {senders_of: [referral]}
    self: true
    implied_by: {events: [referral]}
  partner_support:
    id: partner-support-by-the-idva-service
    declared_by: {kinds: [victim_services]}
    self: true
rules:
  - id: referral-about-him-to-its-programme
    effect: permit
    when: {events: [referral], about: [perpetrator], destination_kinds: [perpetrator_programme]}
    to: {destination: true}
    sections: [summary, risk, detail]
    basis: public_task
  - id: never-a-victims-referral-to-a-programme
    effect: forbid
    when: {events: [referral], about: [victim]}
    to: {kinds: [perpetrator_programme]}
  - id: referral-answers-to-the-referrer
    effect: permit
    when: {events: [referral_accepted, referral_declined, referral_closed]}
    to: {relations: [referrer]}
    sections: [summary]
    basis: public_task
  - id: incidents-to-idva-and-marac
    effect: permit
    when: {senders: [police], events: [domestic_incident]}
    to: {agencies: [victim_services, marac_coordinator]}
    sections: [summary, risk, detail, victim_contact]
    basis: safeguarding_adults
  - id: repeat-incidents-to-his-programme
    effect: permit
    when: {senders: [police], events: [domestic_incident, order_breach]}
    to: {relations: [programme]}
    sections: [summary, risk]
    basis: prevention_detection_of_crime
  - id: programme-news-to-partner-support
    effect: permit
    when: {sender_kinds: [perpetrator_programme], events: [engagement_update, deselection, programme_completed]}
    to: {relations: [partner_support]}
    sections: [summary, risk]
    basis: safeguarding_adults
  - id: deselection-to-police-and-marac
    effect: permit
    when: {sender_kinds: [perpetrator_programme], events: [deselection]}
    to: {agencies: [police, marac_coordinator]}
    sections: [summary, risk]
    basis: prevention_detection_of_crime
  - id: high-risk-ending-to-police
    effect: permit
    when: {sender_kinds: [perpetrator_programme], events: [programme_completed, step_down], min_case_risk: high}
    to: {agencies: [police]}
    sections: [summary]
    basis: safeguarding_adults
  - id: never-her-contact-or-health-to-a-programme
    effect: forbid
    to: {kinds: [perpetrator_programme]}
    sections: [victim_contact, health@victim]
patterns:
  - id: serial-perpetrator
    description: three incidents with two different victims within a year
    perpetrator: {incidents: 3, different_victims: 2, within_days: 365}
    notify: {kinds: [marac_coordinator], agencies: [drive]}
schedules:
  - id: partner-feedback
    started_by: {events: [referral_accepted], sender_kinds: [perpetrator_programme]}
    steps:
      - {label: 2 months, after_days: 61}
      - {label: 6 months, after_days: 183}
    notify: {relations: [partner_support]}
)";

std::vector<std::string> AllAgencies() {
  return {"police",          "probation",           "childrens_services", "victim_services",
          "up2u:perpetrator_programme", "drive:perpetrator_programme", "marac_coordinator", "auditor"};
}

class BrokerFlowsTest : public BrokerTest {
 protected:
  void SetUp() override {
    agencies_ = AllAgencies();
    policy_text_ = kFlowsPolicy;
    BrokerTest::SetUp();
  }

  // What `agency` receives within `wait`: for each delivery, its event id and
  // the sections it opens.
  std::map<std::string, std::vector<std::string>> Got(const std::string& agency, size_t want,
                                                      absl::Duration wait = absl::Seconds(5)) {
    std::map<std::string, std::vector<std::string>> out;
    for (const v1::Delivery& d : Receive(agency, want, wait)) {
      if (d.has_notice()) continue;
      v1::EventHeader h;
      h.ParseFromString(d.envelope().header());
      std::vector<std::string> opened = OpenedSections(agency, d);
      std::sort(opened.begin(), opened.end());
      out[h.event_id()] = opened;
    }
    return out;
  }

  // The broker notices `agency` receives within `wait`, each verified with
  // the log key.
  std::vector<v1::NoticeBody> Notices(const std::string& agency, absl::Duration wait = absl::Seconds(1)) {
    std::vector<v1::NoticeBody> out;
    for (const v1::Delivery& d : Receive(agency, 1000, wait)) {
      if (!d.has_notice()) continue;
      absl::StatusOr<v1::NoticeBody> body = Client(agency).VerifyNotice(d.notice());
      EXPECT_TRUE(body.ok()) << body.status();
      if (body.ok()) out.push_back(*std::move(body));
    }
    return out;
  }

  // Event ids only; for "nothing arrives" checks, wait briefly.
  std::vector<std::string> Ids(const std::string& agency, absl::Duration wait = absl::Milliseconds(600)) {
    std::vector<std::string> ids;
    for (const auto& [id, sections] : Got(agency, 1000, wait)) ids.push_back(id);
    return ids;
  }

  absl::StatusOr<v1::ReceiptBody> Referral(const std::string& sender, const std::string& id, const std::string& to,
                                           v1::SubjectRole about, const std::string& case_ref = "case-1") {
    TestEvent e;
    e.id = id;
    e.kind = v1::EVENT_KIND_REFERRAL;
    e.case_ref = case_ref;
    e.sections = {"summary", "risk", "detail"};
    return Publish(sender, e, [&](v1::EventHeader* h) {
      h->mutable_destination()->set_agency(to);
      h->set_about(about);
    });
  }

  absl::StatusOr<v1::ReceiptBody> Answer(const std::string& sender, v1::EventKind kind, const std::string& id,
                                         const std::string& referral) {
    TestEvent e;
    e.id = id;
    e.kind = kind;
    e.sections = {"summary"};
    return Publish(sender, e, [&](v1::EventHeader* h) { h->set_in_reply_to(referral); });
  }

  absl::StatusOr<v1::ReceiptBody> Incident(const std::string& id, const std::string& case_ref,
                                           const std::string& victim) {
    TestEvent e;
    e.id = id;
    e.case_ref = case_ref;
    e.victim = victim;
    return Publish("police", e);
  }

  // The IDVA service declares itself the case's partner-support worker.
  absl::StatusOr<v1::ReceiptBody> DeclarePartnerSupport(const std::string& id) {
    TestEvent e;
    e.id = id;
    e.kind = v1::EVENT_KIND_PARTNER_SUPPORT_STATUS;
    e.sections = {"summary"};
    v1::CaseRelation mine;
    mine.set_relation("partner_support");
    mine.set_agency("victim_services");
    e.relations = {mine};
    return Publish("victim_services", e);
  }

  absl::StatusOr<v1::ReceiptBody> FromProgramme(const std::string& programme, v1::EventKind kind,
                                                const std::string& id, v1::RiskLevel risk = v1::RISK_LEVEL_HIGH) {
    TestEvent e;
    e.id = id;
    e.kind = kind;
    e.risk = risk;
    e.sections = {"summary", "risk"};
    return Publish(programme, e);
  }
};

TEST_F(BrokerFlowsTest, AReferralReachesOnlyTheProgrammeItIsAddressedTo) {
  ASSERT_TRUE(Referral("probation", "probation-r1", "up2u", v1::SUBJECT_ROLE_PERPETRATOR).ok());
  std::map<std::string, std::vector<std::string>> up2u = Got("up2u", 1);
  ASSERT_EQ(up2u.size(), 1u);
  EXPECT_THAT(up2u["probation-r1"], ElementsAre("detail", "risk", "summary"));
  EXPECT_THAT(Ids("drive"), IsEmpty()) << "a referral to Up2U does not reach Drive";

  // A referral about the victim never reaches a programme, even addressed to one.
  ASSERT_TRUE(Referral("police", "police-r2", "drive", v1::SUBJECT_ROLE_VICTIM).ok());
  EXPECT_THAT(Ids("drive"), IsEmpty());
  EXPECT_THAT(Ids("up2u"), ElementsAre("probation-r1")) << "only the referral about him";
}

TEST_F(BrokerFlowsTest, ARelationDeclaredByTheWrongAgencyIsRefusedAndNothingIsStored) {
  TestEvent e;
  e.id = "police-inc-rel";
  v1::CaseRelation r;
  r.set_relation("partner_support");
  r.set_agency("victim_services");
  e.relations = {r};
  absl::StatusOr<v1::ReceiptBody> refused = Publish("police", e);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("partner_support"));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("partner-support-by-the-idva-service"));
  EXPECT_THAT(Ids("victim_services"), IsEmpty()) << "nothing was routed";

  // A programme may declare only itself.
  TestEvent p;
  p.id = "up2u-eng-1";
  p.kind = v1::EVENT_KIND_ENGAGEMENT_UPDATE;
  p.sections = {"summary"};
  v1::CaseRelation other;
  other.set_relation("programme");
  other.set_agency("drive");
  p.relations = {other};
  EXPECT_EQ(Publish("up2u", p).status().code(), absl::StatusCode::kPermissionDenied);

  // Nothing was stored: the refused id is still free, and the event without
  // the relation is accepted as new.
  e.relations.clear();
  absl::StatusOr<v1::ReceiptBody> again = Publish("police", e);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->duplicate());
}

TEST_F(BrokerFlowsTest, TheProgrammeHearsOfHisIncidentsAcrossCasesUntilItDeselectsHim) {
  // Probation refers him to Drive; Drive accepts (which makes it his programme).
  ASSERT_TRUE(Referral("probation", "probation-r1", "drive", v1::SUBJECT_ROLE_PERPETRATOR).ok());
  ASSERT_TRUE(Answer("drive", v1::EVENT_KIND_REFERRAL_ACCEPTED, "drive-acc-1", "probation-r1").ok());
  EXPECT_THAT(Ids("probation", absl::Seconds(3)), ::testing::Contains("drive-acc-1"))
      << "the referrer hears the answer";
  // The IDVA service supports the victim as partner-support worker.
  ASSERT_TRUE(DeclarePartnerSupport("victim_services-ps-1").ok());
  std::vector<std::string> before = Ids("drive");  // the referral itself

  // An incident on his case reaches Drive without her contact details.
  ASSERT_TRUE(Incident("police-inc-1", "case-1", "Jones|Sarah|1990-04-01").ok());
  std::map<std::string, std::vector<std::string>> drive = Got("drive", before.size() + 1);
  ASSERT_TRUE(drive.count("police-inc-1")) << "a repeat incident reaches his programme";
  EXPECT_THAT(drive["police-inc-1"], ElementsAre("risk", "summary"));
  // An incident with a new partner, recorded under another case, reaches it
  // too: the programme relation is his, not the first case's.
  ASSERT_TRUE(Incident("police-inc-2", "case-2", "Evans|Rhian|1995-09-30").ok());
  drive = Got("drive", before.size() + 2);
  EXPECT_TRUE(drive.count("police-inc-2")) << "his programme hears of the new partner's incident";
  EXPECT_THAT(drive["police-inc-2"], ElementsAre("risk", "summary"));
  EXPECT_THAT(Ids("up2u"), IsEmpty()) << "the other programme hears nothing";

  // Drive de-selects him: police, MARAC and the partner-support worker are
  // told; later incidents no longer reach Drive.
  ASSERT_TRUE(FromProgramme("drive", v1::EVENT_KIND_DESELECTION, "drive-desel-1").ok());
  EXPECT_THAT(Ids("police", absl::Seconds(3)), ::testing::Contains("drive-desel-1"));
  EXPECT_THAT(Ids("marac_coordinator", absl::Seconds(3)), ::testing::Contains("drive-desel-1"));
  EXPECT_THAT(Ids("victim_services", absl::Seconds(3)), ::testing::Contains("drive-desel-1"));
  ASSERT_TRUE(Incident("police-inc-3", "case-1", "Jones|Sarah|1990-04-01").ok());
  EXPECT_THAT(Ids("victim_services", absl::Seconds(3)), ::testing::Contains("police-inc-3"));
  EXPECT_FALSE(Got("drive", 1000, absl::Seconds(1)).count("police-inc-3"))
      << "an ended relation stops delivery";
}

TEST_F(BrokerFlowsTest, ADeclinedReferralNeverMakesTheProgrammeHis) {
  ASSERT_TRUE(Referral("probation", "probation-r1", "up2u", v1::SUBJECT_ROLE_PERPETRATOR).ok());
  absl::StatusOr<v1::ReceiptBody> declined =
      Answer("up2u", v1::EVENT_KIND_REFERRAL_DECLINED, "up2u-dec-1", "probation-r1");
  ASSERT_TRUE(declined.ok()) << declined.status();
  ASSERT_TRUE(Incident("police-inc-1", "case-1", "Jones|Sarah|1990-04-01").ok());
  EXPECT_THAT(Ids("up2u", absl::Seconds(1)), ElementsAre("probation-r1"));
}

TEST_F(BrokerFlowsTest, ASerialPatternIsToldOnceToTheAgenciesThePolicyNames) {
  ASSERT_TRUE(Incident("police-inc-1", "case-1", "Jones|Sarah|1990-04-01").ok());
  ASSERT_TRUE(Incident("police-inc-2", "case-1", "Jones|Sarah|1990-04-01").ok());
  EXPECT_THAT(Notices("marac_coordinator"), IsEmpty()) << "two incidents, one victim: no pattern yet";
  // The third, with a new partner under another case, completes it.
  ASSERT_TRUE(Incident("police-inc-3", "case-2", "Evans|Rhian|1995-09-30").ok());
  ASSERT_TRUE(Incident("police-inc-4", "case-2", "Evans|Rhian|1995-09-30").ok());
  for (const std::string& agency : {std::string("marac_coordinator"), std::string("drive")}) {
    std::vector<v1::NoticeBody> got = Notices(agency, absl::Seconds(3));
    ASSERT_EQ(got.size(), 1u) << agency << " is told exactly once";
    EXPECT_EQ(got[0].kind(), v1::EVENT_KIND_SERIAL_PATTERN);
    EXPECT_EQ(got[0].rule_id(), "serial-perpetrator");
    EXPECT_EQ(got[0].case_ref(), "case-2");
    EXPECT_EQ(got[0].anchor_event_id(), "police-inc-3");
    EXPECT_THAT(got[0].related_case_refs(), ElementsAre("case-1"));
    ASSERT_EQ(got[0].subjects_size(), 1);
    EXPECT_EQ(got[0].subjects(0).ref(), Pseudonym("Jones|Mark|1988-02-12")) << "his pseudonym, never a name";
  }
  for (const std::string& agency : {std::string("police"), std::string("up2u"), std::string("victim_services")}) {
    EXPECT_THAT(Notices(agency, absl::Milliseconds(300)), IsEmpty()) << agency << " is not named";
  }
  // The auditor sees the notification in the log.
  v1::WhoSawQuery q;
  q.set_event_id("broker:serial_pattern:serial-perpetrator:" + Pseudonym("Jones|Mark|1988-02-12"));
  absl::StatusOr<v1::WhoSawResponse> who = WhoSaw(q);
  ASSERT_TRUE(who.ok()) << who.status();
  std::vector<std::string> notified;
  for (const v1::WhoSawRow& row : who->rows()) {
    if (row.record().action() == v1::AUDIT_ACTION_NOTIFIED) notified.push_back(row.record().recipient());
  }
  EXPECT_THAT(notified, UnorderedElementsAre("marac_coordinator", "drive"));
}

TEST_F(BrokerFlowsTest, CompletionNeverLowersTheStandingRisk) {
  // A high-risk incident on case-1; a standard one on case-3 (another couple).
  ASSERT_TRUE(Incident("police-inc-1", "case-1", "Jones|Sarah|1990-04-01").ok());
  TestEvent low;
  low.id = "police-inc-low";
  low.case_ref = "case-3";
  low.risk = v1::RISK_LEVEL_STANDARD;
  low.victim = "Price|Ann|1980-01-01";
  low.perpetrator = "Price|Tom|1979-03-03";
  ASSERT_TRUE(Publish("police", low).ok());
  // The programme completes on both, reporting standard risk.
  TestEvent done;
  done.id = "up2u-done-1";
  done.kind = v1::EVENT_KIND_PROGRAMME_COMPLETED;
  done.risk = v1::RISK_LEVEL_STANDARD;
  done.sections = {"summary"};
  ASSERT_TRUE(Publish("up2u", done).ok());
  TestEvent done3 = done;
  done3.id = "up2u-done-3";
  done3.case_ref = "case-3";
  done3.victim = low.victim;
  done3.perpetrator = low.perpetrator;
  ASSERT_TRUE(Publish("up2u", done3).ok());
  // A later step-down on case-1 still finds the case high risk.
  TestEvent step = done;
  step.id = "up2u-step-1";
  step.kind = v1::EVENT_KIND_STEP_DOWN;
  ASSERT_TRUE(Publish("up2u", step).ok());
  std::vector<std::string> police = Ids("police", absl::Seconds(2));
  EXPECT_THAT(police, ::testing::Contains("up2u-done-1"));
  EXPECT_THAT(police, ::testing::Contains("up2u-step-1")) << "the completion did not lower the standing risk";
  EXPECT_THAT(police, ::testing::Not(::testing::Contains("up2u-done-3"))) << "case-3 was never high risk";
}

TEST_F(BrokerFlowsTest, PartnerFeedbackIsRaisedWhenDueToThePartnerSupportWorker) {
  // The IDVA service is the partner-support worker on the case.
  ASSERT_TRUE(DeclarePartnerSupport("victim_services-ps-1").ok());
  ASSERT_TRUE(Referral("probation", "probation-r1", "up2u", v1::SUBJECT_ROLE_PERPETRATOR).ok());
  // Up2U accepted him 70 days ago (recorded late): the 2-month step is due,
  // the 6-month one is not.
  TestEvent acc;
  acc.id = "up2u-acc-1";
  acc.kind = v1::EVENT_KIND_REFERRAL_ACCEPTED;
  acc.sections = {"summary"};
  ASSERT_TRUE(Publish("up2u", acc, [](v1::EventHeader* h) {
                h->set_in_reply_to("probation-r1");
                *h->mutable_occurred_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(
                    absl::ToUnixSeconds(absl::Now() - absl::Hours(24 * 70)));
              }).ok());
  std::vector<v1::NoticeBody> due = Notices("victim_services", absl::Seconds(5));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind(), v1::EVENT_KIND_FEEDBACK_DUE);
  EXPECT_EQ(due[0].schedule_step(), "2 months");
  EXPECT_EQ(due[0].rule_id(), "partner-feedback");
  EXPECT_EQ(due[0].anchor_event_id(), "up2u-acc-1");
  EXPECT_EQ(due[0].case_ref(), "case-1");
  for (const std::string& agency : {std::string("up2u"), std::string("probation"), std::string("police")}) {
    EXPECT_THAT(Notices(agency, absl::Milliseconds(300)), IsEmpty()) << agency;
  }
  // Raised once: a restart does not raise it again.
  broker_->Terminate();
  StartBroker();
  DropClients();
  EXPECT_EQ(Notices("victim_services", absl::Seconds(3)).size(), 1u);
}

}  // namespace
}  // namespace accord::testing
