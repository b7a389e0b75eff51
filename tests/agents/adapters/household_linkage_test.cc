// The demo household, as five agencies export it: the same people get the
// same pseudonyms and the same case reference everywhere, computed
// independently by each agency from names and dates of birth.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/agents/adapters/sample_support.h"

namespace accord::agents {
namespace {

using namespace accord::agents::testing;  // NOLINT

const std::vector<std::pair<std::string, std::string>> kSampleFiles = {
    {"police", "incidents.csv"},      {"police", "justice.csv"},
    {"probation", "supervision.csv"}, {"childrens_services", "cp-status.csv"},
    {"victim_services", "idva.csv"},  {"perpetrator_programme", "up2u.jsonl"}};

TEST(HouseholdLinkageTest, EveryAgencyFilesTheHouseholdUnderOneCaseWithTheSamePseudonyms) {
  const std::string household = "case-" + kCarys.ref().substr(0, 16);
  std::map<std::string, int> events_per_agency;
  for (const auto& [profile, file] : kSampleFiles) {
    MapResult result = MapSample(profile, file);
    EXPECT_TRUE(result.rejects.empty()) << profile << "/" << file;
    for (const MappedEvent& e : result.events) {
      const std::string victim = SubjectRef(e, v1::SUBJECT_ROLE_VICTIM);
      if (victim != kCarys.ref()) {
        EXPECT_NE(e.header.case_ref(), household) << e.source;
        continue;
      }
      ++events_per_agency[profile];
      EXPECT_EQ(e.header.case_ref(), household) << e.source;
      EXPECT_EQ(SubjectRef(e, v1::SUBJECT_ROLE_PERPETRATOR), kDaniel.ref()) << e.source;
      std::set<std::string> children;
      for (const v1::SubjectRef& s : e.header.subjects()) {
        if (s.role() == v1::SUBJECT_ROLE_CHILD) children.insert(s.ref());
      }
      EXPECT_EQ(children, (std::set<std::string>{kFfion.ref(), kOsian.ref()})) << e.source;
    }
  }
  EXPECT_EQ(events_per_agency.size(), 5u);
  EXPECT_EQ(events_per_agency["police"], 4);
  EXPECT_EQ(events_per_agency["probation"], 3);
  EXPECT_EQ(events_per_agency["childrens_services"], 5);
  EXPECT_EQ(events_per_agency["victim_services"], 6);
  EXPECT_EQ(events_per_agency["perpetrator_programme"], 8);
}

TEST(HouseholdLinkageTest, AnotherLinkageKeyGivesUnlinkablePseudonyms) {
  crypto::SecretBytes other(std::string(32, '\x07'));
  auto mapper = MakeMapper("police");
  ASSERT_TRUE(mapper.ok());
  auto result = (*mapper)->MapFile(kSamples + "police/incidents.csv", {"police", &other});
  ASSERT_TRUE(result.ok()) << result.status();
  for (const MappedEvent& e : result->events) {
    for (const v1::SubjectRef& s : e.header.subjects()) {
      for (const Person& p : kEveryone) EXPECT_NE(s.ref(), p.ref());
    }
  }
}

TEST(HouseholdLinkageTest, MakeMapperNamesTheValidProfiles) {
  for (const std::string& p : MapperProfiles()) EXPECT_TRUE(MakeMapper(p).ok()) << p;
  auto bad = MakeMapper("idva");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      std::string(bad.status().message()),
      ::testing::HasSubstr("police, probation, childrens_services, victim_services, perpetrator_programme"));
}

TEST(HouseholdLinkageTest, MappingNeedsAValidLinkageKeyAndAgency) {
  auto mapper = MakeMapper("police");
  ASSERT_TRUE(mapper.ok());
  const std::string file = kSamples + "police/incidents.csv";
  EXPECT_EQ((*mapper)->MapFile(file, {"police", nullptr}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  crypto::SecretBytes short_key(std::string(16, '\x01'));
  EXPECT_EQ((*mapper)->MapFile(file, {"police", &short_key}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*mapper)->MapFile(file, {"Police HQ", &LinkageKey()}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace accord::agents
