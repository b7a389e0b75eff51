// marac_coordinator profile: the MARAC list export in
// deploy/samples/marac_coordinator (listings, research requests, decisions,
// actions, each addressed where it must go), and its bad/ file, whose bad
// rows are refused by line while its good rows still map.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/agents/adapters/sample_support.h"

namespace accord::agents {
namespace {

using namespace accord::agents::testing;  // NOLINT
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const MappedEvent* Marac(const MapResult& result, const std::string& record_id) {
  return FindRecord(result, "marac_coordinator", record_id);
}

TEST(MaracCoordinatorMapperTest, MapsEverySampleRow) {
  MapResult result = MapSample("marac_coordinator", "marac-list.csv");
  EXPECT_EQ(result.events.size(), 10u);
  for (const Rejection& j : result.rejects) ADD_FAILURE() << j.line << ": " << j.reason;
  ExpectSectionsIndexed(result);
  ExpectNoPersonalDataInHeaders(result, {"MC-02"});
  std::vector<v1::EventKind> kinds;
  for (const MappedEvent& e : result.events) kinds.push_back(e.header.kind());
  EXPECT_THAT(kinds, ElementsAre(v1::EVENT_KIND_MARAC_LISTING, v1::EVENT_KIND_MARAC_LISTING,
                                 v1::EVENT_KIND_MARAC_LISTING, v1::EVENT_KIND_INFORMATION_REQUEST,
                                 v1::EVENT_KIND_INFORMATION_REQUEST, v1::EVENT_KIND_REFERRAL,
                                 v1::EVENT_KIND_MARAC_DECISION, v1::EVENT_KIND_MEETING_ACTION,
                                 v1::EVENT_KIND_MEETING_ACTION, v1::EVENT_KIND_MEETING_ACTION));
  for (const MappedEvent& e : result.events) {
    EXPECT_EQ(e.header.sender(), "marac_coordinator");
    EXPECT_EQ(e.header.actor().role(), "marac_coordinator");
  }
}

TEST(MaracCoordinatorMapperTest, ListingCarriesThresholdRepeatAndTheDriveCandidate) {
  MapResult result = MapSample("marac_coordinator", "marac-list.csv");
  const MappedEvent* e = Marac(result, "MARAC-L-250313-01");
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(HasFlag(*e, v1::FLAG_CASE_LISTED_AT_MARAC));
  EXPECT_TRUE(HasFlag(*e, v1::FLAG_CHILDREN_IN_HOUSEHOLD));
  EXPECT_EQ(e->header.case_ref(), "case-" + kCarys.ref().substr(0, 16));
  EXPECT_EQ(SubjectRef(*e, v1::SUBJECT_ROLE_PERPETRATOR), kDaniel.ref());
  EXPECT_EQ(e->header.risk().level(), v1::RISK_LEVEL_HIGH);
  // A candidate for the high-harm programme: the listing is addressed to it.
  EXPECT_EQ(e->header.destination().agency(), "drive");
  EXPECT_EQ(e->header.destination().service(), "Drive");
  EXPECT_EQ(e->header.about(), v1::SUBJECT_ROLE_PERPETRATOR);
  EXPECT_THAT(SectionNames(*e), ElementsAre("summary", "risk", "detail", "children"));
  auto detail = Section<v1::MaracListing>(*e, "detail");
  EXPECT_EQ(detail.meeting_ref(), "MARAC-CDF-250313");
  EXPECT_EQ(detail.meeting_at().seconds(), 1741858200);  // 2025-03-13T09:30:00Z
  EXPECT_EQ(detail.threshold(), "visible_high_risk");
  EXPECT_EQ(detail.dash_score(), 18);
  EXPECT_FALSE(detail.repeat());
  EXPECT_FALSE(HasFlag(*e, v1::FLAG_REPEAT_MARAC));
  EXPECT_TRUE(detail.drive_candidate());
  EXPECT_THAT(detail.reasons(), ElementsAre("Strangulation", "Separation", "Children in the household"));
  auto summary = Section<v1::Summary>(*e, "summary");
  EXPECT_EQ(summary.headline(),
            "MARAC listing MARAC-CDF-250313 on 2025-03-13: visible high risk (DASH 18/27); perpetrator a "
            "candidate for the high-harm programme");
  // Text in any script is kept byte for byte.
  EXPECT_THAT(summary.text(), HasSubstr("Siân (IDVA) presents – cyfieithydd Cymraeg ar gael"));

  const MappedEvent* repeat = Marac(result, "MARAC-L-250313-02");
  ASSERT_NE(repeat, nullptr);
  auto repeat_detail = Section<v1::MaracListing>(*repeat, "detail");
  EXPECT_EQ(repeat_detail.threshold(), "professional_judgement");
  EXPECT_TRUE(repeat_detail.repeat());
  EXPECT_TRUE(HasFlag(*repeat, v1::FLAG_REPEAT_MARAC));  // in the header, for rules and agendas
  EXPECT_TRUE(HasFlag(*repeat, v1::FLAG_CASE_LISTED_AT_MARAC));
  EXPECT_FALSE(repeat->header.has_destination());  // not a candidate: addressed to nobody in particular
  EXPECT_EQ(Section<v1::Summary>(*repeat, "summary").headline(),
            "MARAC listing MARAC-CDF-250313 on 2025-03-13: professional judgement; repeat");
  const MappedEvent* escalation = Marac(result, "MARAC-L-250313-03");
  ASSERT_NE(escalation, nullptr);
  EXPECT_EQ(Section<v1::MaracListing>(*escalation, "detail").threshold(), "potential_escalation");
  EXPECT_EQ(escalation->header.risk().level(), v1::RISK_LEVEL_MEDIUM);
}

TEST(MaracCoordinatorMapperTest, ResearchRequestsAreAddressedToTheAgencyAsked) {
  MapResult result = MapSample("marac_coordinator", "marac-list.csv");
  const MappedEvent* e = Marac(result, "MARAC-R-250313-02");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.kind(), v1::EVENT_KIND_INFORMATION_REQUEST);
  EXPECT_EQ(e->header.destination().agency(), "probation");
  auto detail = Section<v1::MeetingAction>(*e, "detail");
  EXPECT_EQ(detail.owner_agency(), "probation");
  EXPECT_EQ(detail.action(), "Sentence, licence conditions and OASys RoSH for the perpetrator");
  EXPECT_EQ(detail.due().seconds(), 1741737600);  // 2025-03-12T00:00:00Z
  EXPECT_EQ(Section<v1::Summary>(*e, "summary").headline(),
            "MARAC research request (MARAC-CDF-250313) to probation, due 2025-03-12");
}

TEST(MaracCoordinatorMapperTest, PuttingThePerpetratorForwardIsAReferralTheProgrammeAnswers) {
  MapResult result = MapSample("marac_coordinator", "marac-list.csv");
  const MappedEvent* e = Marac(result, "MARAC-D-250313-01");
  ASSERT_NE(e, nullptr);
  // REFERRAL, so that the programme's REFERRAL_ACCEPTED / DECLINED can reply
  // to it (the broker accepts answers only to a referral addressed to it).
  EXPECT_EQ(e->header.kind(), v1::EVENT_KIND_REFERRAL);
  EXPECT_EQ(e->header.destination().agency(), "drive");
  EXPECT_EQ(e->header.destination().service(), "Drive");
  EXPECT_EQ(e->header.about(), v1::SUBJECT_ROLE_PERPETRATOR);
  ASSERT_EQ(e->header.relations_size(), 1);
  EXPECT_EQ(e->header.relations(0).relation(), "referrer");
  EXPECT_EQ(e->header.relations(0).agency(), "marac_coordinator");
  auto referral = Section<v1::Referral>(*e, "detail");
  EXPECT_EQ(referral.source(), v1::REFERRAL_SOURCE_MARAC);
  EXPECT_EQ(referral.to_service(), "Drive");
  EXPECT_EQ(referral.reason(), "MARAC MARAC-CDF-250313: High harm and a previous partner; for B-SAFER screening");

  const MappedEvent* review = Marac(result, "MARAC-D-250313-02");
  ASSERT_NE(review, nullptr);
  EXPECT_EQ(review->header.kind(), v1::EVENT_KIND_MARAC_DECISION);
  EXPECT_FALSE(review->header.has_destination());
  EXPECT_EQ(Section<v1::MeetingAction>(*review, "detail").action(),
            "review_at_next_marac: Awaiting the housing move");
}

TEST(MaracCoordinatorMapperTest, EachActionIsAddressedToItsOwnerWithItsDueDate) {
  MapResult result = MapSample("marac_coordinator", "marac-list.csv");
  const std::vector<std::pair<std::string, std::string>> owners = {
      {"MARAC-A-250313-01", "police"},
      {"MARAC-A-250313-02", "victim_services"},
      {"MARAC-A-250313-03", "childrens_services"}};
  for (const auto& [record, owner] : owners) {
    const MappedEvent* e = Marac(result, record);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->header.kind(), v1::EVENT_KIND_MEETING_ACTION);
    EXPECT_EQ(e->header.destination().agency(), owner) << record;
    auto detail = Section<v1::MeetingAction>(*e, "detail");
    EXPECT_EQ(detail.owner_agency(), owner);
    EXPECT_TRUE(detail.has_due());
  }
  const MappedEvent* e = Marac(result, "MARAC-A-250313-01");
  EXPECT_EQ(Section<v1::MeetingAction>(*e, "detail").due().seconds(), 1741910400);  // 2025-03-14
  EXPECT_EQ(Section<v1::Summary>(*e, "summary").headline(),
            "MARAC action (MARAC-CDF-250313) for police, due 2025-03-14");
}

TEST(MaracCoordinatorMapperTest, BadRowsAreRefusedByLineAndTheGoodRowsStillMap) {
  MapResult result = MapSample("marac_coordinator", "bad/marac-list-bad.csv");
  const std::vector<std::pair<int, std::string>> expected = {
      {3, "threshold visible_high_risk needs a DASH score of 14 or more; dash_score is 9"},
      {4, "threshold 'high' is not one of: visible_high_risk, potential_escalation, professional_judgement, "
          "serial"},
      {5, "repeat is required"},
      {6, "drive_candidate is yes but destination is empty"},
      {7, "owner_agency is required"},
      {8, "due '14/03/2025' is not a real date written YYYY-MM-DD"},
      {9, "destination 'marac_coordinator' is this agency: an event cannot be addressed to its sender"},
      {10, "decision put_forward_to_drive needs the perpetrator"},
      {11, "dash_score 16 is visible high risk (14 or more) but risk_level is medium"},
      {12, "destination is given but drive_candidate is not yes"},
  };
  ExpectRejects(result, expected);
  for (const Rejection& j : result.rejects) EXPECT_EQ(j.file, "marac-list-bad.csv");
  ASSERT_EQ(result.events.size(), 2u);
  EXPECT_NE(Marac(result, "MARAC-BAD-OK-1"), nullptr);
  EXPECT_NE(Marac(result, "MARAC-BAD-OK-2"), nullptr);
}

}  // namespace
}  // namespace accord::agents
