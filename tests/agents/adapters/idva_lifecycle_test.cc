// victim_services (IDVA / partner-support worker) profile, the issue-12
// records: a MARAC referral, the state of partner support (offered, engaged,
// declined, not engaging, closed: declaring and ending partner_support), the
// partner-support side of the safety-planning exchange and scheduled partner
// feedback, neither ever carrying where she is or her health, from
// deploy/samples/victim_services/lifecycle.csv and its bad/ file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/agents/adapters/sample_support.h"

namespace accord::agents {
namespace {

using namespace accord::agents::testing;  // NOLINT
using ::testing::ElementsAre;
using ::testing::HasSubstr;

MapResult Lifecycle() { return MapSample("victim_services", "lifecycle/idva.csv"); }

const MappedEvent* Idva(const MapResult& result, const std::string& record) {
  return FindRecord(result, "victim_services", record);
}

TEST(IdvaLifecycleTest, MapsEverySampleRow) {
  MapResult result = Lifecycle();
  for (const Rejection& j : result.rejects) ADD_FAILURE() << j.line << ": " << j.reason;
  ASSERT_EQ(result.events.size(), 8u);
  ExpectSectionsIndexed(result);
  ExpectNoPersonalDataInHeaders(result, {"IDVA-07", "IDVA-11"});
}

TEST(IdvaLifecycleTest, MaracReferralIsAddressedToTheCoordinatorWithItsThreshold) {
  MapResult result = Lifecycle();
  const MappedEvent* e = Idva(result, "IDVA-MR-5521-01");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.kind(), v1::EVENT_KIND_MARAC_REFERRAL);
  EXPECT_EQ(e->header.destination().agency(), "marac_coordinator");
  EXPECT_EQ(e->header.about(), v1::SUBJECT_ROLE_VICTIM);
  EXPECT_EQ(e->header.risk().level(), v1::RISK_LEVEL_HIGH);
  EXPECT_EQ(e->header.risk().score(), 18);
  auto detail = Section<v1::MaracReferral>(*e, "detail");
  EXPECT_EQ(detail.threshold(), "visible_high_risk");
  EXPECT_EQ(detail.dash_score(), 18);
  EXPECT_THAT(detail.reasons(), ElementsAre("Strangulation", "Separation", "Sexual abuse disclosed"));
  EXPECT_EQ(Section<v1::Summary>(*e, "summary").headline(), "Referral to MARAC: visible_high_risk, DASH 18/27");
}

TEST(IdvaLifecycleTest, PartnerSupportIsDeclaredWhenOfferedRecordedWhenDeclinedAndEndedWhenClosed) {
  MapResult result = Lifecycle();
  const std::vector<std::tuple<std::string, std::string, int, bool>> cases = {
      // record, state, relations declared, ended
      {"IDVA-PS-5521-01", "offered", 1, false},
      {"IDVA-PS-5521-02", "engaged", 1, false},
      {"IDVA-PS-5634-01", "declined", 0, false},
      {"IDVA-PS-5635-01", "not_engaging", 0, false},
      {"IDVA-PS-5521-03", "closed", 1, true},
  };
  for (const auto& [record, state, relations, ended] : cases) {
    const MappedEvent* e = Idva(result, record);
    ASSERT_NE(e, nullptr) << record;
    EXPECT_EQ(e->header.kind(), v1::EVENT_KIND_PARTNER_SUPPORT_STATUS) << record;
    EXPECT_EQ(e->header.about(), v1::SUBJECT_ROLE_VICTIM);
    EXPECT_EQ(Section<v1::EngagementUpdate>(*e, "detail").level(), state) << record;
    ASSERT_EQ(e->header.relations_size(), relations) << record;
    if (relations == 1) {
      EXPECT_EQ(e->header.relations(0).relation(), "partner_support");
      EXPECT_EQ(e->header.relations(0).agency(), "victim_services");
      EXPECT_EQ(e->header.relations(0).ended(), ended) << record;
    }
  }
  // Declining is a recorded state (seed 003 l.908), not an end of support.
  const MappedEvent* declined = Idva(result, "IDVA-PS-5634-01");
  EXPECT_EQ(Section<v1::Summary>(*declined, "summary").headline(), "Partner support (up2u): declined");
  const MappedEvent* not_engaging = Idva(result, "IDVA-PS-5635-01");
  EXPECT_EQ(Section<v1::Summary>(*not_engaging, "summary").headline(), "Partner support (drive): not_engaging");
}

TEST(IdvaLifecycleTest, SafetyPlanningAndFeedbackGoToTheProgrammeWithoutHerWhereaboutsOrHealth) {
  MapResult result = Lifecycle();
  const MappedEvent* exchange = Idva(result, "IDVA-SPX-5521-01");
  ASSERT_NE(exchange, nullptr);
  EXPECT_EQ(exchange->header.kind(), v1::EVENT_KIND_SAFETY_PLANNING_EXCHANGE);
  EXPECT_EQ(exchange->header.destination().agency(), "up2u");
  EXPECT_THAT(SectionNames(*exchange), ElementsAre("summary", "risk", "detail"));
  auto plan = Section<v1::SafetyPlanUpdate>(*exchange, "detail");
  EXPECT_THAT(plan.measures(), ElementsAre("Feels watched when he collects the children", "Worried about her new job"));
  EXPECT_EQ(plan.notes(), "Siân: rhannu'r cynllun diogelwch – risk unchanged");  // UTF-8 kept

  const MappedEvent* feedback = Idva(result, "IDVA-PF-5521-2M");
  ASSERT_NE(feedback, nullptr);
  EXPECT_EQ(feedback->header.kind(), v1::EVENT_KIND_PARTNER_FEEDBACK);
  EXPECT_EQ(feedback->header.destination().agency(), "up2u");
  EXPECT_EQ(feedback->header.consent().purpose(), "programme_partner_support");
  EXPECT_EQ(feedback->header.consent().subject_ref(), kCarys.ref());
  EXPECT_EQ(feedback->header.consent().consent_event_id(),
            EventIdFor(LinkageKey(), "victim_services", "IDVA-C-5521-03"));
  EXPECT_THAT(SectionNames(*feedback), ElementsAre("summary"));
  EXPECT_EQ(Section<v1::Summary>(*feedback, "summary").headline(), "Partner feedback at 2m: feels safer");
  for (const MappedEvent* e : {exchange, feedback}) {
    for (const std::string& name : SectionNames(*e)) {
      EXPECT_NE(name.rfind("victim_contact", 0), 0u) << e->source;
      EXPECT_NE(name.rfind("health", 0), 0u) << e->source;
    }
  }
}

TEST(IdvaLifecycleTest, BadRowsAreRejectedWithReasons) {
  MapResult result = MapSample("victim_services", "bad/lifecycle-bad.csv");
  EXPECT_TRUE(result.events.empty());
  ExpectRejects(result,
                {
                    {2, "threshold visible_high_risk needs a DASH score of 14 or more; dash_score is 9"},
                    {3, "referral_to is required"},
                    {4, "support_status 'refused' is not one of: offered, engaged, declined, not_engaging, "
                        "unable_to_contact, closed"},
                    {5, "partner_feedback needs the victim's consent"},
                    {6, "interval '3m' is not one of: 2m, 6m, 1y, 18m, 2y"},
                    {7, "victim_address is not allowed on this record: a partner_feedback record goes to the "
                        "programme"},
                    {8, "health_notes is not allowed on this record: a safety_planning record goes to the programme"},
                    {9, "meeting_ref is required"},
                    {10, "programme 'victim_services' is this agency"},
                });
}

}  // namespace
}  // namespace accord::agents
