// The shipped example policy (deploy/policies/cardiff-and-vale.yaml) and the
// smaller one-programme policy the mechanism tests run on
// (tests/policies/one-programme.yaml) are clean under `check` and pass their
// own cases.
#include <gtest/gtest.h>

#include "policy/lint.h"
#include "policy/loader.h"
#include "policy/scenario.h"

namespace accord::policy {
namespace {

const std::string kDir = std::string(ACCORD_SOURCE_DIR) + "/deploy/policies/";
const std::string kTestDir = std::string(ACCORD_SOURCE_DIR) + "/tests/policies/";

TEST(ExamplePolicyTest, LoadsWithoutWarnings) {
  auto loaded = LoadPolicyFile(kTestDir + "one-programme.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->warnings.empty());
  EXPECT_TRUE(Lint(*loaded->policy).empty());
}

TEST(ExamplePolicyTest, PassesItsOwnCases) {
  auto loaded = LoadPolicyFile(kTestDir + "one-programme.yaml");
  ASSERT_TRUE(loaded.ok());
  auto cases = ParseTestFile(kTestDir + "one-programme.cases.yaml");
  ASSERT_TRUE(cases.ok()) << cases.status();
  EXPECT_GE(cases->size(), 30u);
  Evaluator evaluator(loaded->policy);
  for (const TestCase& t : *cases) {
    CaseResult r = RunCase(evaluator, t);
    EXPECT_TRUE(r.failures.empty()) << t.name << ": " << r.failures[0];
  }
}

TEST(ExamplePolicyTest, AWrongExpectationFails) {
  auto loaded = LoadPolicyFile(kTestDir + "one-programme.yaml");
  auto cases = ParseTestFile(kTestDir + "one-programme.cases.yaml");
  ASSERT_TRUE(loaded.ok() && cases.ok());
  TestCase t = (*cases)[0];
  t.expect["perpetrator_programme"] = {Expectation::Kind::kSections, {"victim_contact"}};
  EXPECT_FALSE(RunCase(Evaluator(loaded->policy), t).failures.empty());
}

// The two-programme partnership (Up2U and Drive as separate agencies, a rule
// per flow of docs/flows.md): clean, and passes its own cases.
TEST(ExamplePolicyTest, CardiffAndValeLoadsWithoutWarnings) {
  auto loaded = LoadPolicyFile(kDir + "cardiff-and-vale.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->warnings.empty());
  EXPECT_TRUE(Lint(*loaded->policy).empty());
}

TEST(ExamplePolicyTest, CardiffAndValePassesItsOwnCases) {
  auto loaded = LoadPolicyFile(kDir + "cardiff-and-vale.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  auto cases = ParseTestFile(kDir + "cardiff-and-vale.cases.yaml");
  ASSERT_TRUE(cases.ok()) << cases.status();
  EXPECT_GE(cases->size(), 100u);
  Evaluator evaluator(loaded->policy);
  for (const TestCase& t : *cases) {
    CaseResult r = RunCase(evaluator, t);
    EXPECT_TRUE(r.failures.empty()) << t.name << ": " << r.failures[0];
  }
}

// The cases can fail: Up2U receiving the victim's whereabouts on the first
// storyline step, or Drive receiving a MARAC listing for a man it does not
// work with, is caught.
TEST(ExamplePolicyTest, CardiffAndValeWrongExpectationsFail) {
  auto loaded = LoadPolicyFile(kDir + "cardiff-and-vale.yaml");
  auto cases = ParseTestFile(kDir + "cardiff-and-vale.cases.yaml");
  ASSERT_TRUE(loaded.ok() && cases.ok());
  Evaluator evaluator(loaded->policy);
  TestCase first = (*cases)[0];
  first.expect["up2u"] = {Expectation::Kind::kSections, {"victim_contact"}};
  EXPECT_FALSE(RunCase(evaluator, first).failures.empty());
  bool found = false;
  for (const TestCase& t : *cases) {
    if (t.name != "F3 - Drive gets no listing for a man it does not work with") continue;
    found = true;
    TestCase wrong = t;
    wrong.expect["drive"] = {Expectation::Kind::kSections, {"summary", "detail"}};
    EXPECT_FALSE(RunCase(evaluator, wrong).failures.empty());
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace accord::policy
