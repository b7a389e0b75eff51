// perpetrator_programme (Up2U / Drive) profile, JSON lines: referral,
// outcome, assessment, attendance, engagement and an increasing-risk alert
// under a safeguarding override from deploy/samples/perpetrator_programme,
// and the rejects in its bad/ folder.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/agents/adapters/sample_support.h"

namespace accord::agents {
namespace {

using namespace accord::agents::testing;  // NOLINT
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::vector<std::pair<std::string, std::string>> Relations(const MappedEvent& e) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const v1::CaseRelation& r : e.header.relations()) out.emplace_back(r.relation(), r.agency());
  return out;
}

TEST(PerpetratorProgrammeMapperTest, MapsEverySampleLine) {
  MapResult result = MapSample("perpetrator_programme", "up2u.jsonl");
  EXPECT_EQ(result.events.size(), 10u);
  for (const Rejection& j : result.rejects) ADD_FAILURE() << j.line << ": " << j.reason;
  ExpectSectionsIndexed(result);
  ExpectNoPersonalDataInHeaders(result, {"UP2U-F03", "UP2U-F05", "UP2U-M01"});
  std::vector<v1::EventKind> kinds;
  for (const MappedEvent& e : result.events) kinds.push_back(e.header.kind());
  EXPECT_THAT(kinds, ElementsAre(v1::EVENT_KIND_REFERRAL, v1::EVENT_KIND_REFERRAL_OUTCOME,
                                 v1::EVENT_KIND_ASSESSMENT_REPORT, v1::EVENT_KIND_SESSION_ATTENDANCE,
                                 v1::EVENT_KIND_SESSION_ATTENDANCE, v1::EVENT_KIND_SESSION_ATTENDANCE,
                                 v1::EVENT_KIND_ENGAGEMENT_UPDATE, v1::EVENT_KIND_RISK_ALERT,
                                 v1::EVENT_KIND_REFERRAL, v1::EVENT_KIND_REFERRAL_OUTCOME));
}

TEST(PerpetratorProgrammeMapperTest, AProgrammeDeclaresOnlyItselfAndOnlyOnceItHasTakenHimOn) {
  // The referrer and partner_support columns are read but never declared:
  // the referrer is the referral's sender and the IDVA service declares
  // partner support itself (a policy with a relations section refuses a
  // programme that declares either). A referral received, or one declined,
  // declares nothing; an acceptance and the work that follows declare
  // `programme` = this agency.
  MapResult result = MapSample("perpetrator_programme", "up2u.jsonl");
  int declaring = 0;
  for (const MappedEvent& e : result.events) {
    if (SubjectRef(e, v1::SUBJECT_ROLE_PERPETRATOR) != kDaniel.ref()) continue;
    EXPECT_EQ(SubjectRef(e, v1::SUBJECT_ROLE_VICTIM), kCarys.ref());
    EXPECT_EQ(e.header.case_ref(), "case-" + kCarys.ref().substr(0, 16));
    EXPECT_EQ(e.header.actor().role(), "facilitator");
    if (e.header.kind() == v1::EVENT_KIND_REFERRAL) {
      EXPECT_TRUE(Relations(e).empty()) << e.source;
      continue;
    }
    EXPECT_THAT(Relations(e), UnorderedElementsAre(
                                  std::pair<std::string, std::string>{"programme", "perpetrator_programme"}))
        << e.source;
    ++declaring;
  }
  EXPECT_EQ(declaring, 7);
}

TEST(PerpetratorProgrammeMapperTest, MissedSession) {
  MapResult result = MapSample("perpetrator_programme", "up2u.jsonl");
  const MappedEvent* e = FindRecord(result, "perpetrator_programme", "UP2U-S-0231-03");
  ASSERT_NE(e, nullptr);
  auto session = Section<v1::SessionAttendance>(*e, "detail");
  EXPECT_EQ(session.status(), v1::SessionAttendance::STATUS_MISSED);
  EXPECT_EQ(session.session_ref(), "M1-S3");
  EXPECT_EQ(session.sessions_attended(), 1);
  EXPECT_EQ(session.sessions_missed(), 2);
  EXPECT_EQ(Section<v1::Summary>(*e, "summary").headline(),
            "up2u: Session M1-S3: missed (1 attended, 2 missed so far)");
}

TEST(PerpetratorProgrammeMapperTest, IncreasingRiskAlertUnderSafeguardingOverride) {
  MapResult result = MapSample("perpetrator_programme", "up2u.jsonl");
  const MappedEvent* e = FindRecord(result, "perpetrator_programme", "UP2U-X-0231-01");
  ASSERT_NE(e, nullptr);
  const v1::EventHeader& h = e->header;
  EXPECT_EQ(h.kind(), v1::EVENT_KIND_RISK_ALERT);
  EXPECT_EQ(h.risk().level(), v1::RISK_LEVEL_VERY_HIGH);
  EXPECT_TRUE(HasFlag(*e, v1::FLAG_ESCALATION));
  EXPECT_TRUE(HasFlag(*e, v1::FLAG_CHILDREN_IN_HOUSEHOLD));
  ASSERT_TRUE(h.has_override());
  EXPECT_EQ(h.override().reason(), "risk_to_child");
  EXPECT_EQ(h.override().authorised_by().role(), "service_manager");
  EXPECT_EQ(h.override().authorised_by().staff_ref(),
            StaffRefFor(LinkageKey(), "perpetrator_programme", "UP2U-M01"));
  EXPECT_EQ(h.override().justification_section(), "override_justification");
  EXPECT_THAT(SectionNames(*e),
              ElementsAre("summary", "risk", "detail", "children", "health", "override_justification"));
  auto alert = Section<v1::RiskAlert>(*e, "detail");
  EXPECT_EQ(alert.from_level(), v1::RISK_LEVEL_HIGH);
  EXPECT_EQ(alert.to_level(), v1::RISK_LEVEL_VERY_HIGH);
  EXPECT_EQ(alert.indicators_size(), 3);
  auto why = Section<v1::OverrideJustification>(*e, "override_justification");
  EXPECT_EQ(why.reason(), "risk_to_child");
  EXPECT_EQ(why.authorising_officer_ref(), "UP2U-M01");
  EXPECT_FALSE(why.consent_sought());
  EXPECT_THAT(why.why_not_consent(), HasSubstr("warn him"));
  EXPECT_TRUE(Section<v1::HealthDetail>(*e, "health").substance_misuse());
}

TEST(PerpetratorProgrammeMapperTest, SelfReferralDeclinedForFalseCompliance) {
  MapResult result = MapSample("perpetrator_programme", "up2u.jsonl");
  const MappedEvent* referral = FindRecord(result, "perpetrator_programme", "UP2U-R-0245");
  const MappedEvent* outcome = FindRecord(result, "perpetrator_programme", "UP2U-O-0245");
  ASSERT_TRUE(referral && outcome);
  EXPECT_EQ(Section<v1::Referral>(*referral, "detail").source(), v1::REFERRAL_SOURCE_SELF);
  // Neither a referral received nor a declined outcome makes him the programme's.
  EXPECT_EQ(referral->header.relations_size(), 0);
  EXPECT_EQ(outcome->header.relations_size(), 0);
  EXPECT_EQ(Section<v1::ReferralOutcome>(*outcome, "detail").outcome(),
            v1::ReferralOutcome::OUTCOME_DECLINED);
  EXPECT_TRUE(HasFlag(*outcome, v1::FLAG_FALSE_COMPLIANCE));
}

TEST(PerpetratorProgrammeMapperTest, BadSamplesAreRejectedWithReasons) {
  MapResult result = MapSample("perpetrator_programme", "bad/up2u-bad.jsonl");
  EXPECT_TRUE(result.events.empty());
  const std::vector<std::pair<int, std::string>> expected = {
      {1, "not a JSON object"},
      {2, "attendance 'late' is not one of: attended, missed, cancelled, rescheduled"},
      {3, "authorising_officer_id is required"},
      {4, "unknown field 'particpant_dob'"},
      {5, "risk_level is below previous_risk_level"},
      {6, "an override needs another officer's authority"},
      {7, "session_at '2025-03-27 17:00' is not an RFC 3339 date and time"},
  };
  EXPECT_EQ(result.rejects.size(), expected.size());
  for (const auto& [line, reason] : expected) {
    const Rejection* r = RejectOn(result, line);
    ASSERT_NE(r, nullptr) << "line " << line << " not rejected";
    EXPECT_THAT(r->reason, HasSubstr(reason)) << "line " << line;
    EXPECT_EQ(r->file, "up2u-bad.jsonl");
  }
}

}  // namespace
}  // namespace accord::agents
