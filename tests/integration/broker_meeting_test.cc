// A meeting pack gives each member exactly what the policy allows it, most
// urgent case first (risk level, then the recency-frequency-gravity score),
// and only what is new since that member's previous pack.
#include <algorithm>

#include "policy/policy_holder.h"
#include "tests/integration/broker_fixture.h"

namespace accord::testing {
namespace {

class BrokerMeetingTest : public BrokerTest {
 protected:
  absl::StatusOr<v1::MeetingPack> Pull(const std::string& agency, const std::string& meeting) {
    auto stub = v1::MeetingService::NewStub(Client(agency).channel());
    grpc::ClientContext ctx;
    v1::PullPackRequest req;
    req.set_meeting_id(meeting);
    v1::MeetingPack pack;
    grpc::Status s = stub->PullPack(&ctx, req, &pack);
    if (!s.ok()) return agents::FromGrpc(s, "PullPack");
    return pack;
  }
};

TEST_F(BrokerMeetingTest, PackHoldsWhatPolicyAllowsEachMemberInPriorityOrder) {
  std::vector<TestEvent> events;
  auto add = [&](const std::string& id, const std::string& case_ref, v1::EventKind kind, v1::RiskLevel risk,
                 std::vector<std::string> sections) {
    TestEvent e;
    e.id = id;
    e.case_ref = case_ref;
    e.kind = kind;
    e.risk = risk;
    e.sections = std::move(sections);
    events.push_back(e);
  };
  add("police-a1", "case-A", v1::EVENT_KIND_DOMESTIC_INCIDENT, v1::RISK_LEVEL_HIGH, {"summary", "risk", "detail", "victim_contact"});
  add("police-b1", "case-B", v1::EVENT_KIND_RISK_ASSESSMENT, v1::RISK_LEVEL_VERY_HIGH, {"summary", "risk"});
  add("police-c1", "case-C", v1::EVENT_KIND_DOMESTIC_INCIDENT, v1::RISK_LEVEL_HIGH, {"summary", "risk", "detail", "victim_contact"});
  add("police-c2", "case-C", v1::EVENT_KIND_RISK_ASSESSMENT, v1::RISK_LEVEL_HIGH, {"summary", "risk"});
  for (const TestEvent& e : events) ASSERT_TRUE(Publish("police", e).ok()) << e.id;

  absl::StatusOr<std::unique_ptr<policy::PolicyHolder>> policy =
      policy::PolicyHolder::Create(ACCORD_SOURCE_DIR "/tests/policies/one-programme.yaml");
  ASSERT_TRUE(policy.ok());
  const std::vector<std::string> members = {"police", "probation", "victim_services", "childrens_services",
                                            "marac_coordinator"};
  for (const std::string& member : members) {
    // What the policy allows this member, event by event.
    std::map<std::string, std::vector<std::string>> allowed;  // event id -> sections
    for (const TestEvent& e : events) {
      v1::EventHeader h = Header("police", e);
      for (const std::string& s : e.sections) h.add_sections()->set_name(s);
      v1::Decision d = (*policy)->Current()->Evaluate(h, {}, [](const std::string&, const std::string&) {
        return v1::CONSENT_STATE_UNSPECIFIED;
      });
      for (const v1::RecipientDecision& rd : d.recipients()) {
        if (rd.recipient() != member) continue;
        std::vector<std::string> names;
        for (const v1::SectionGrant& g : rd.grants()) names.push_back(g.section());
        std::sort(names.begin(), names.end());
        allowed[e.id] = names;
      }
    }
    absl::StatusOr<v1::MeetingPack> pack = Pull(member, "daily-discussion");
    ASSERT_TRUE(pack.ok()) << member << ": " << pack.status();
    std::map<std::string, std::vector<std::string>> got;
    for (const v1::PackCase& c : pack->cases()) {
      for (const v1::Delivery& d : c.deliveries()) {
        v1::EventHeader h;
        h.ParseFromString(d.envelope().header());
        EXPECT_EQ(h.case_ref(), c.case_ref());
        got[h.event_id()] = OpenedSections(member, d);
      }
      EXPECT_FALSE(c.score_explanation().empty());
    }
    EXPECT_EQ(got, allowed) << member;
    // Documented order: risk level first, then score.
    for (int i = 1; i < pack->cases_size(); ++i) {
      const v1::PackCase& a = pack->cases(i - 1);
      const v1::PackCase& b = pack->cases(i);
      EXPECT_TRUE(a.risk_level() > b.risk_level() ||
                  (a.risk_level() == b.risk_level() && a.priority_score() >= b.priority_score()))
          << member << ": " << a.case_ref() << " before " << b.case_ref();
    }
    if (member == "marac_coordinator") {
      ASSERT_EQ(pack->cases_size(), 3);
      EXPECT_EQ(pack->cases(0).case_ref(), "case-B") << "very high risk first";
      EXPECT_EQ(pack->cases(1).case_ref(), "case-C") << "two events outrank one at the same level";
      EXPECT_EQ(pack->cases(2).case_ref(), "case-A");
    }
    // The next pack holds only what is new since this one.
    absl::StatusOr<v1::MeetingPack> again = Pull(member, "daily-discussion");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->cases_size(), 0) << member;
  }
  TestEvent later;
  later.id = "police-a2";
  later.case_ref = "case-A";
  ASSERT_TRUE(Publish("police", later).ok());
  absl::StatusOr<v1::MeetingPack> next = Pull("marac_coordinator", "daily-discussion");
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->cases_size(), 1);
  EXPECT_EQ(next->cases(0).case_ref(), "case-A");

  // Pulls are audited.
  v1::WhoSawQuery q;
  q.set_event_id("police-a1");
  q.add_actions(v1::AUDIT_ACTION_MEETING_PACK_PULLED);
  absl::StatusOr<v1::WhoSawResponse> rows = WhoSaw(q);
  ASSERT_TRUE(rows.ok());
  EXPECT_GE(rows->rows_size(), 1);
}

TEST_F(BrokerMeetingTest, OnlyMembersPullAndOnlyConfiguredMeetingsExist) {
  absl::StatusOr<v1::MeetingPack> outsider = Pull("perpetrator_programme", "daily-discussion");
  EXPECT_EQ(outsider.status().code(), absl::StatusCode::kPermissionDenied) << outsider.status();
  absl::StatusOr<v1::MeetingPack> unknown = Pull("police", "weekly-marac");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound) << unknown.status();
}

}  // namespace
}  // namespace accord::testing
