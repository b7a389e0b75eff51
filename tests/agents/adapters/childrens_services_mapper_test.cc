// childrens_services profile: child-protection status changes and
// safeguarding concerns from deploy/samples/childrens_services, and the
// rejects in its bad/ folder.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/agents/adapters/sample_support.h"

namespace accord::agents {
namespace {

using namespace accord::agents::testing;  // NOLINT
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ChildrensServicesMapperTest, MapsEverySampleRow) {
  MapResult result = MapSample("childrens_services", "cp-status.csv");
  EXPECT_EQ(result.events.size(), 6u);
  for (const Rejection& j : result.rejects) ADD_FAILURE() << j.line << ": " << j.reason;
  ExpectSectionsIndexed(result);
  ExpectNoPersonalDataInHeaders(result, {"SW-0419", "SW-0533"});
}

TEST(ChildrensServicesMapperTest, ChildProtectionPlan) {
  MapResult result = MapSample("childrens_services", "cp-status.csv");
  const MappedEvent* e = FindRecord(result, "childrens_services", "CS-CP-30117-3");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.kind(), v1::EVENT_KIND_CHILD_PROTECTION_STATUS);
  EXPECT_TRUE(HasFlag(*e, v1::FLAG_CHILDREN_IN_HOUSEHOLD));
  EXPECT_EQ(e->header.actor().role(), "social_worker");
  EXPECT_EQ(SubjectRef(*e, v1::SUBJECT_ROLE_VICTIM), kCarys.ref());
  EXPECT_EQ(SubjectRef(*e, v1::SUBJECT_ROLE_PERPETRATOR), kDaniel.ref());
  EXPECT_EQ(e->header.case_ref(), "case-" + kCarys.ref().substr(0, 16));
  EXPECT_THAT(SectionNames(*e), ElementsAre("summary", "detail", "children"));
  auto detail = Section<v1::ChildProtectionStatus>(*e, "detail");
  EXPECT_EQ(detail.from_status(), "child_in_need");
  EXPECT_EQ(detail.to_status(), "cp_plan");
  EXPECT_EQ(detail.category(), "emotional_abuse");
  auto children = Section<v1::ChildrenDetail>(*e, "children");
  ASSERT_EQ(children.children_size(), 2);
  // The child the record is about comes first, with the new status and school.
  EXPECT_EQ(children.children(0).child_ref(), kFfion.ref());
  EXPECT_EQ(children.children(0).cp_status(), "cp_plan");
  EXPECT_EQ(children.children(0).school_ref(), "SCH-CDF-0231");
  EXPECT_EQ(children.children(0).age_years(), 9);
  EXPECT_EQ(children.children(1).child_ref(), kOsian.ref());
  EXPECT_EQ(children.children(1).cp_status(), "");
  EXPECT_EQ(Section<v1::Summary>(*e, "summary").headline(),
            "Child protection status of a child aged 9: child_in_need -> cp_plan (emotional_abuse)");
}

TEST(ChildrensServicesMapperTest, SafeguardingConcern) {
  MapResult result = MapSample("childrens_services", "cp-status.csv");
  const MappedEvent* e = FindRecord(result, "childrens_services", "CS-SC-30117-5");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.kind(), v1::EVENT_KIND_SAFEGUARDING_CONCERN);
  auto concern = Section<v1::SafeguardingConcern>(*e, "detail");
  EXPECT_EQ(concern.about(), "child");
  EXPECT_THAT(concern.concern(), HasSubstr("\"mum was crying\""));
}

TEST(ChildrensServicesMapperTest, BadSamplesAreRejectedWithReasons) {
  MapResult result = MapSample("childrens_services", "bad/cp-status-bad.csv");
  EXPECT_TRUE(result.events.empty());
  const std::vector<std::pair<int, std::string>> expected = {
      {2, "cp_to_status 'cp-plan?' is not one of: none, child_in_need, cp_plan, looked_after, closed"},
      {3, "cp_category is required"},
      {4, "child_dob is required"},
      {5, "cp_from_status and cp_to_status are both 'cp_plan'"},
      {6, "child date of birth 2025-05-01 is after occurred_at"},
      {7, "concern_about 'parent' is not one of: child, adult_at_risk"},
  };
  ExpectRejects(result, expected);
}

TEST(ChildrensServicesMapperTest, ChildProtectionDeclaresTheLeadProfessionalAndClosingEndsIt) {
  MapResult result = MapSample("childrens_services", "cp-status.csv");
  const MappedEvent* e = FindRecord(result, "childrens_services", "CS-CP-30117-3");
  ASSERT_NE(e, nullptr);
  // The perpetrator is named: children's services also work with his children.
  ASSERT_EQ(e->header.relations_size(), 2);
  EXPECT_EQ(e->header.relations(0).relation(), "lead_professional");
  EXPECT_EQ(e->header.relations(0).agency(), "childrens_services");
  EXPECT_FALSE(e->header.relations(0).ended());
  EXPECT_EQ(e->header.relations(1).relation(), "child_protection");
  EXPECT_EQ(e->header.relations(1).agency(), "childrens_services");
  EXPECT_FALSE(e->header.relations(1).ended());
  MapResult closed = MapText("childrens_services", "childrens_services", "cp-closed.csv",
                             "record_id,record_type,occurred_at,social_worker_id,child_family_name,child_given_name,"
                             "child_dob,victim_family_name,victim_given_name,victim_dob,cp_from_status,cp_to_status\n"
                             "CS-CP-1,cp_status,2025-09-01T10:00:00Z,SW-0419,Price,Ffion,2015-09-03,Morgan,Carys,"
                             "1991-03-14,cp_plan,closed\n");
  for (const Rejection& j : closed.rejects) ADD_FAILURE() << j.line << ": " << j.reason;
  ASSERT_EQ(closed.events.size(), 1u);
  const MappedEvent* ended = &closed.events[0];
  // No perpetrator named: only the lead professional, ended.
  ASSERT_EQ(ended->header.relations_size(), 1);
  EXPECT_EQ(ended->header.relations(0).relation(), "lead_professional");
  EXPECT_TRUE(ended->header.relations(0).ended());
  MapResult closed_with_him =
      MapText("childrens_services", "childrens_services", "cp-closed.csv",
              "record_id,record_type,occurred_at,social_worker_id,child_family_name,child_given_name,"
              "child_dob,victim_family_name,victim_given_name,victim_dob,perpetrator_family_name,"
              "perpetrator_given_name,perpetrator_dob,cp_from_status,cp_to_status\n"
              "CS-CP-2,cp_status,2025-09-01T10:00:00Z,SW-0419,Price,Ffion,2015-09-03,Morgan,Carys,"
              "1991-03-14,Price,Daniel,1988-07-22,cp_plan,closed\n");
  for (const Rejection& j : closed_with_him.rejects) ADD_FAILURE() << j.line << ": " << j.reason;
  ASSERT_EQ(closed_with_him.events.size(), 1u);
  const v1::EventHeader& both = closed_with_him.events[0].header;
  ASSERT_EQ(both.relations_size(), 2);
  EXPECT_EQ(both.relations(1).relation(), "child_protection");
  EXPECT_TRUE(both.relations(0).ended());
  EXPECT_TRUE(both.relations(1).ended());
}

TEST(ChildrensServicesMapperTest, ReferralsNameTheirDestinationAndWhomTheyAreAbout) {
  MapResult result = MapSample("childrens_services", "lifecycle/referrals.csv");
  for (const Rejection& j : result.rejects) ADD_FAILURE() << j.line << ": " << j.reason;
  ASSERT_EQ(result.events.size(), 3u);
  ExpectSectionsIndexed(result);
  ExpectNoPersonalDataInHeaders(result, {"SW-0419"});
  const MappedEvent* up2u = FindRecord(result, "childrens_services", "CS-REF-7731-01");
  ASSERT_NE(up2u, nullptr);
  EXPECT_EQ(up2u->header.kind(), v1::EVENT_KIND_REFERRAL);
  EXPECT_EQ(up2u->header.destination().agency(), "up2u");
  EXPECT_EQ(up2u->header.destination().service(), "Up2U");
  EXPECT_EQ(up2u->header.about(), v1::SUBJECT_ROLE_PERPETRATOR);
  ASSERT_EQ(up2u->header.relations_size(), 1);
  EXPECT_EQ(up2u->header.relations(0).relation(), "referrer");
  EXPECT_EQ(up2u->header.relations(0).agency(), "childrens_services");
  auto referral = Section<v1::Referral>(*up2u, "detail");
  EXPECT_EQ(referral.source(), v1::REFERRAL_SOURCE_CHILDRENS_SERVICES);
  EXPECT_EQ(referral.to_service(), "Up2U");
  EXPECT_EQ(Section<v1::Summary>(*up2u, "summary").headline(), "Referral to Up2U (perpetrator consents)");

  const MappedEvent* child = FindRecord(result, "childrens_services", "CS-REF-7731-02");
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->header.destination().agency(), "victim_services");
  EXPECT_EQ(child->header.destination().service(), "Children's IDVA");
  EXPECT_EQ(child->header.about(), v1::SUBJECT_ROLE_CHILD);
  EXPECT_EQ(Section<v1::Summary>(*child, "summary").headline(), "Referral of the child to Children's IDVA");
  // UTF-8 text is kept as written.
  EXPECT_EQ(Section<v1::Referral>(*child, "detail").reason(),
            "Ffion (9) has asked to talk to someone about what she saw; Gwasanaeth Cymraeg os oes modd");

  const MappedEvent* victim = FindRecord(result, "childrens_services", "CS-REF-7731-03");
  ASSERT_NE(victim, nullptr);
  EXPECT_EQ(victim->header.about(), v1::SUBJECT_ROLE_VICTIM);
  EXPECT_EQ(victim->header.destination().agency(), "victim_services");
}

TEST(ChildrensServicesMapperTest, BadReferralsAreRejectedWithReasons) {
  MapResult result = MapSample("childrens_services", "bad/referrals-bad.csv");
  EXPECT_TRUE(result.events.empty());
  ExpectRejects(result, {
                            {2, "referral_about 'father' is not one of: victim, perpetrator, child"},
                            {3, "the record is about the perpetrator (referral_about is empty) but names no "
                                "perpetrator"},
                            {4, "referral_to 'childrens_services' is this agency: an event cannot be addressed to "
                                "its sender"},
                            {5, "referral_to 'Up2U' is not an identifier"},
                        });
}

}  // namespace
}  // namespace accord::agents
