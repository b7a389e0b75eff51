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

}  // namespace
}  // namespace accord::agents
