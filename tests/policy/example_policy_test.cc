// The shipped example policy is clean under `check` and passes its own cases.
#include <gtest/gtest.h>

#include "policy/lint.h"
#include "policy/loader.h"
#include "policy/scenario.h"

namespace accord::policy {
namespace {

const std::string kDir = std::string(ACCORD_SOURCE_DIR) + "/deploy/policies/";

TEST(ExamplePolicyTest, LoadsWithoutWarnings) {
  auto loaded = LoadPolicyFile(kDir + "daily-discussion.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->warnings.empty());
  EXPECT_TRUE(Lint(*loaded->policy).empty());
}

TEST(ExamplePolicyTest, PassesItsOwnCases) {
  auto loaded = LoadPolicyFile(kDir + "daily-discussion.yaml");
  ASSERT_TRUE(loaded.ok());
  auto cases = ParseTestFile(kDir + "daily-discussion.cases.yaml");
  ASSERT_TRUE(cases.ok()) << cases.status();
  EXPECT_GE(cases->size(), 30u);
  Evaluator evaluator(loaded->policy);
  for (const TestCase& t : *cases) {
    CaseResult r = RunCase(evaluator, t);
    EXPECT_TRUE(r.failures.empty()) << t.name << ": " << r.failures[0];
  }
}

TEST(ExamplePolicyTest, AWrongExpectationFails) {
  auto loaded = LoadPolicyFile(kDir + "daily-discussion.yaml");
  auto cases = ParseTestFile(kDir + "daily-discussion.cases.yaml");
  ASSERT_TRUE(loaded.ok() && cases.ok());
  TestCase t = (*cases)[0];
  t.expect["perpetrator_programme"] = {Expectation::Kind::kSections, {"victim_contact"}};
  EXPECT_FALSE(RunCase(Evaluator(loaded->policy), t).failures.empty());
}

}  // namespace
}  // namespace accord::policy
