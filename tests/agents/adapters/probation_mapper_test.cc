// probation profile: supervision updates, custody release and referrals from
// deploy/samples/probation, and the rejects in its bad/ folder.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/agents/adapters/sample_support.h"

namespace accord::agents {
namespace {

using namespace accord::agents::testing;  // NOLINT
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kDay = 86400;

TEST(ProbationMapperTest, MapsEverySampleRow) {
  MapResult result = MapSample("probation", "supervision.csv");
  EXPECT_EQ(result.events.size(), 4u);
  for (const Rejection& j : result.rejects) ADD_FAILURE() << j.line << ": " << j.reason;
  ExpectSectionsIndexed(result);
  ExpectNoPersonalDataInHeaders(result, {"OM-2231", "OM-1874"});
}

TEST(ProbationMapperTest, SupervisionUpdateFlagsTheSubjectAndCarriesRisk) {
  MapResult result = MapSample("probation", "supervision.csv");
  const MappedEvent* e = FindRecord(result, "probation", "NPS-SUP-88120-07");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.kind(), v1::EVENT_KIND_SUPERVISION_UPDATE);
  EXPECT_TRUE(HasFlag(*e, v1::FLAG_SUBJECT_UNDER_SUPERVISION));
  EXPECT_TRUE(HasFlag(*e, v1::FLAG_CHILDREN_IN_HOUSEHOLD));
  EXPECT_EQ(e->header.actor().role(), "probation_officer");
  EXPECT_EQ(e->header.risk().level(), v1::RISK_LEVEL_HIGH);
  EXPECT_EQ(e->header.risk().tool(), v1::RISK_TOOL_OASYS);
  EXPECT_EQ(SubjectRef(*e, v1::SUBJECT_ROLE_PERPETRATOR), kDaniel.ref());
  EXPECT_EQ(e->header.case_ref(), "case-" + kCarys.ref().substr(0, 16));
  EXPECT_THAT(SectionNames(*e), ElementsAre("summary", "risk", "detail", "children"));
  auto risk = Section<v1::RiskDetail>(*e, "risk");
  EXPECT_EQ(risk.previous_level(), v1::RISK_LEVEL_MEDIUM);
  EXPECT_EQ(risk.assessor_role(), "probation_officer");
  auto detail = Section<v1::SupervisionUpdate>(*e, "detail");
  EXPECT_EQ(detail.status(), "compliant");
  EXPECT_EQ(detail.supervision_ends().seconds(), 1778976000);  // 2026-05-17T00:00:00Z
  EXPECT_EQ(Section<v1::Summary>(*e, "summary").headline(),
            "Supervision compliant (community_order), ends 2026-05-17");
}

TEST(ProbationMapperTest, ReferralDeclaresProbationTheReferrer) {
  MapResult result = MapSample("probation", "supervision.csv");
  const MappedEvent* e = FindRecord(result, "probation", "NPS-REF-88120-01");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.kind(), v1::EVENT_KIND_REFERRAL);
  ASSERT_EQ(e->header.relations_size(), 1);
  EXPECT_EQ(e->header.relations(0).relation(), "referrer");
  EXPECT_EQ(e->header.relations(0).agency(), "probation");
  // Addressed in the header: the agency and the service within it, about him.
  EXPECT_EQ(e->header.destination().agency(), "up2u");
  EXPECT_EQ(e->header.destination().service(), "Up2U");
  EXPECT_EQ(e->header.about(), v1::SUBJECT_ROLE_PERPETRATOR);
  auto referral = Section<v1::Referral>(*e, "detail");
  EXPECT_EQ(referral.source(), v1::REFERRAL_SOURCE_PROBATION);
  EXPECT_EQ(referral.to_service(), "Up2U");
  EXPECT_TRUE(referral.perpetrator_consents());
}

TEST(ProbationMapperTest, ReleaseOnLicence) {
  MapResult result = MapSample("probation", "supervision.csv");
  const MappedEvent* e = FindRecord(result, "probation", "NPS-REL-40917-01");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.kind(), v1::EVENT_KIND_CUSTODY_RELEASE);
  EXPECT_TRUE(HasFlag(*e, v1::FLAG_SUBJECT_UNDER_SUPERVISION));
  EXPECT_FALSE(HasFlag(*e, v1::FLAG_CHILDREN_IN_HOUSEHOLD));
  auto detail = Section<v1::CustodyRelease>(*e, "detail");
  EXPECT_EQ(detail.release_type(), "licence");
  EXPECT_EQ(detail.released_at().seconds() % kDay, 0);
  EXPECT_EQ(detail.licence_conditions_size(), 4);
  const Person rebecca{"Lloyd", "Rebecca", "1987-04-25"};
  EXPECT_EQ(e->header.case_ref(), "case-" + rebecca.ref().substr(0, 16));
}

TEST(ProbationMapperTest, BadSamplesAreRejectedWithReasons) {
  MapResult result = MapSample("probation", "bad/supervision-bad.csv");
  EXPECT_TRUE(result.events.empty());
  const std::vector<std::pair<int, std::string>> expected = {
      {2, "release_date '2025-02-30' is not a real date written YYYY-MM-DD"},
      {3, "supervision_status 'paused' is not one of: started, compliant, breach, ended"},
      {4, "perpetrator_dob is required"},
      {5, "licence_conditions are given but release_type is not licence"},
      {6, "referral_to is required"},
      {7, "risk_level is required when other risk columns are given"},
  };
  ExpectRejects(result, expected);
}

TEST(ProbationMapperTest, SupervisionDeclaresTheOffenderManagerAndItsEndEndsIt) {
  MapResult result = MapSample("probation", "supervision.csv");
  const MappedEvent* e = FindRecord(result, "probation", "NPS-SUP-88120-07");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->header.relations_size(), 1);
  EXPECT_EQ(e->header.relations(0).relation(), "offender_manager");
  EXPECT_EQ(e->header.relations(0).agency(), "probation");
  EXPECT_FALSE(e->header.relations(0).ended());
  MapResult ended = MapText("probation", "probation", "supervision-ended.csv",
                            "record_id,record_type,occurred_at,offender_manager_id,perpetrator_family_name,"
                            "perpetrator_given_name,perpetrator_dob,victim_family_name,victim_given_name,victim_dob,"
                            "supervision_status\n"
                            "NPS-SUP-1,supervision,2026-05-17T09:00:00Z,OM-2231,Price,Daniel,1988-07-22,Morgan,Carys,"
                            "1991-03-14,ended\n");
  for (const Rejection& j : ended.rejects) ADD_FAILURE() << j.line << ": " << j.reason;
  ASSERT_EQ(ended.events.size(), 1u);
  const MappedEvent* m = &ended.events[0];
  ASSERT_EQ(m->header.relations_size(), 1);
  EXPECT_EQ(m->header.relations(0).relation(), "offender_manager");
  EXPECT_TRUE(m->header.relations(0).ended());
  EXPECT_FALSE(HasFlag(*m, v1::FLAG_SUBJECT_UNDER_SUPERVISION));
}

TEST(ProbationMapperTest, HisOwnHealthNeedsAreHealthOfThePerpetrator) {
  MapResult result = MapText("probation", "probation", "referral-health.csv",
                             "record_id,record_type,occurred_at,offender_manager_id,perpetrator_family_name,"
                             "perpetrator_given_name,perpetrator_dob,case_ref,referral_to,mental_health_concern,"
                             "health_notes\n"
                             "NPS-REF-2,referral,2025-03-12T15:00:00Z,OM-2231,Price,Daniel,1988-07-22,CDF-2025-0117,"
                             "up2u,yes,"
                             "Anxiety; sees his GP monthly\n");
  for (const Rejection& j : result.rejects) ADD_FAILURE() << j.line << ": " << j.reason;
  ASSERT_EQ(result.events.size(), 1u);
  const MappedEvent* m = &result.events[0];
  EXPECT_THAT(SectionNames(*m), ElementsAre("summary", "detail", "health@perpetrator"));
  auto health = Section<v1::HealthDetail>(*m, "health@perpetrator");
  EXPECT_TRUE(health.mental_health_concern());
  EXPECT_EQ(health.text(), "Anxiety; sees his GP monthly");
}

}  // namespace
}  // namespace accord::agents
