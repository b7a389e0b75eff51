// The demo household, as five agencies export it: the same people get the
// same pseudonyms and the same case reference everywhere, computed
// independently by each agency from names and dates of birth.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_replace.h"
#include "tests/agents/adapters/sample_support.h"
#include "tests/testing/temp_dir.h"

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

// The household again, with the names in Irish, Ukrainian and Welsh, written
// by the police in capitals with combining accents (CSV, raw UTF-8) and by
// the programme in mixed case, composed, as JSON \u escapes: one person,
// one pseudonym, one case.
TEST(HouseholdLinkageTest, NamesWrittenDifferentlyByEachAgencyStillLink) {
  accord::testing::TempDir tmp;
  auto rewrite = [&](const std::string& profile, const std::string& file,
                     const std::vector<std::pair<absl::string_view, absl::string_view>>& names) {
    std::ifstream in(kSamples + profile + "/" + file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const std::string path = tmp.Path(file);
    std::ofstream(path, std::ios::binary) << absl::StrReplaceAll(text.str(), names);
    auto mapper = MakeMapper(profile);
    EXPECT_TRUE(mapper.ok());
    absl::StatusOr<MapResult> result = (*mapper)->MapFile(path, {profile, &LinkageKey()});
    EXPECT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(result->rejects.empty()) << profile << ": " << result->rejects.front().reason;
    return *std::move(result);
  };
  const MapResult police = rewrite("police", "incidents.csv",
                                   {{"Morgan", "O\u0301 SU\u0301ILLEABHA\u0301IN"},
                                    {"Carys", "SIA\u0302N"},
                                    {"Price", "\u0428\u0415\u0412\u0427\u0415\u041D\u041A\u041E"},
                                    {"Daniel", "\u041E\u041B\u0415\u041A\u0421\u0410\u041D\u0414\u0420"},
                                    {"Ffion", "W\u0302YN"},
                                    {"Osian", "RH\u0176S"}});
  const MapResult programme = rewrite("perpetrator_programme", "up2u.jsonl",
                                      {{"Morgan", "\\u00d3 S\\u00failleabh\\u00e1in"},
                                       {"Carys", "Si\\u00e2n"},
                                       {"Price", "\\u0428\\u0435\\u0432\\u0447\\u0435\\u043d\\u043a\\u043e"},
                                       {"Daniel", "\\u041e\\u043b\\u0435\\u043a\\u0441\\u0430\\u043d\\u0434\\u0440"},
                                       {"Ffion", "\\u0175yn"},
                                       {"Osian", "Rh\\u0177s"}});
  const std::string victim = Pseudonym("\u00D3 S\u00FAilleabh\u00E1in", "Si\u00E2n", kCarys.dob);
  const std::string perpetrator = Pseudonym("\u0428\u0435\u0432\u0447\u0435\u043D\u043A\u043E",
                                            "\u041E\u043B\u0435\u043A\u0441\u0430\u043D\u0434\u0440", kDaniel.dob);
  const std::set<std::string> children = {
      Pseudonym("\u0428\u0435\u0432\u0447\u0435\u043D\u043A\u043E", "\u0175yn", kFfion.dob),
      Pseudonym("\u0428\u0435\u0432\u0447\u0435\u043D\u043A\u043E", "Rh\u0177s", kOsian.dob)};
  int linked = 0;
  for (const MapResult* result : {&police, &programme}) {
    for (const MappedEvent& e : result->events) {
      if (SubjectRef(e, v1::SUBJECT_ROLE_VICTIM) != victim) continue;
      ++linked;
      EXPECT_EQ(e.header.case_ref(), "case-" + victim.substr(0, 16)) << e.source;
      EXPECT_EQ(SubjectRef(e, v1::SUBJECT_ROLE_PERPETRATOR), perpetrator) << e.source;
      std::set<std::string> got;
      for (const v1::SubjectRef& s : e.header.subjects()) {
        if (s.role() == v1::SUBJECT_ROLE_CHILD) got.insert(s.ref());
      }
      EXPECT_EQ(got, children) << e.source;
    }
  }
  // As many as with the names in ASCII (HouseholdLinkageTest above).
  int expected = 0;
  for (const MapResult& r : {MapSample("police", "incidents.csv"), MapSample("perpetrator_programme", "up2u.jsonl")}) {
    for (const MappedEvent& e : r.events) expected += SubjectRef(e, v1::SUBJECT_ROLE_VICTIM) == kCarys.ref();
  }
  EXPECT_GT(expected, 2);
  EXPECT_EQ(linked, expected) << "every event about the household, from both agencies";
}

}  // namespace
}  // namespace accord::agents
