// Loading: every malformed policy is rejected with a message naming the place;
// a rejected reload leaves the previous policy active; the hash ignores form.
#include "policy/loader.h"

#include <fstream>

#include <gtest/gtest.h>

#include "policy/lint.h"
#include "policy/policy_holder.h"
#include "tests/testing/temp_dir.h"

namespace accord::policy {
namespace {

constexpr char kBase[] = R"(version: 1
agencies:
  police: {kind: police}
  victim_services: {kind: victim_services}
  perpetrator_programme: {kind: perpetrator_programme}
sections: [summary, victim_contact]
)";

absl::Status Parse(const std::string& text) { return ParsePolicy(text, "p.yaml").status(); }

void ExpectError(const std::string& text, const std::string& where, const std::string& what) {
  absl::Status s = Parse(text);
  ASSERT_FALSE(s.ok()) << text;
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(where), std::string::npos) << s.message() << " (want " << where << ")";
  EXPECT_NE(s.message().find(what), std::string::npos) << s.message();
}

TEST(LoaderTest, MalformedYamlNamesLineAndColumn) {
  ExpectError("version: 1\nagencies: {police: {kind: police}\n", "p.yaml:", "");
  ExpectError("version: [1\n", "p.yaml:", "");
}

TEST(LoaderTest, UnknownFieldsAreRejected) {
  ExpectError(std::string(kBase) + "rulez: []\n", "p.yaml:7:1", "unknown key 'rulez'");
  ExpectError(std::string(kBase) +
                  "rules:\n  - id: a\n    effect: permit\n    to: {agencies: [police]}\n    sections: [summary]\n"
                  "    basis: public_task\n    colour: red\n",
              "p.yaml:13:5", "unknown key 'colour'");
  ExpectError(std::string(kBase) + "rules:\n  - id: a\n    effect: permit\n    when: {sender: [police]}\n"
                                   "    to: {agencies: [police]}\n    sections: [summary]\n    basis: public_task\n",
              "p.yaml:10:12", "unknown key 'sender'");
}

TEST(LoaderTest, DuplicateRuleIdsAreRejected) {
  const std::string rule = "  - id: same\n    effect: permit\n    to: {agencies: [police]}\n    sections: [summary]\n"
                           "    basis: public_task\n";
  ExpectError(std::string(kBase) + "rules:\n" + rule + rule, "p.yaml:13", "duplicate rule id 'same'");
}

TEST(LoaderTest, TypeErrorsAreRejected) {
  ExpectError(std::string(kBase) + "rules: {}\n", "p.yaml:7", "'rules' must be a list");
  ExpectError(std::string(kBase) + "rules:\n  - id: a\n    effect: allow\n    to: {agencies: [police]}\n",
              "p.yaml:9:13", "effect 'allow'");
  ExpectError(std::string(kBase) + "rules:\n  - id: a\n    effect: permit\n    when: {min_risk: severe}\n"
                                   "    to: {agencies: [police]}\n    sections: [summary]\n    basis: public_task\n",
              "p.yaml:10", "min_risk 'severe'");
  ExpectError(std::string(kBase) + "rules:\n  - id: a\n    effect: permit\n    to: {agencies: [police]}\n"
                                   "    sections: [summary]\n    basis: because\n",
              "p.yaml:12:12", "basis 'because'");
  ExpectError(std::string(kBase) + "rules:\n  - id: a\n    effect: permit\n    to: {agencies: [police]}\n"
                                   "    sections: [summary]\n    basis: consent\n",
              "p.yaml", "no 'consent: {purpose");
  ExpectError("version: 1\nagencies: {police: {kind: constabulary}}\nsections: [summary]\n", "p.yaml:2",
              "unknown agency kind");
  ExpectError("version: 2\nagencies: {}\nsections: []\n", "p.yaml:1", "version 1");
}

TEST(LoaderTest, ForbidNamingUnknownThingsIsAnError) {
  ExpectError(std::string(kBase) + "rules:\n  - id: f\n    effect: forbid\n    to: {agencies: [perpetrator_programm]}\n"
                                   "    sections: [victim_contact]\n",
              "p.yaml:10", "forbid rule must only name known things");
  ExpectError(std::string(kBase) + "rules:\n  - id: f\n    effect: forbid\n    to: {agencies: [perpetrator_programme]}\n"
                                   "    sections: [victim_contacts]\n",
              "p.yaml:11", "unknown section 'victim_contacts'");
}

TEST(LoaderTest, UnknownNamesInPermitsAreWarningsAndNeverWiden) {
  auto r = ParsePolicy(std::string(kBase) +
                           "rules:\n  - id: a\n    effect: permit\n    when: {senders: [polise], events: [domestic_incidnt]}\n"
                           "    to: {agencies: [victim_services]}\n    sections: [summary]\n    basis: public_task\n",
                       "p.yaml");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->warnings.size(), 2u);
  EXPECT_NE(r->warnings[0].message.find("unknown agency 'polise'"), std::string::npos);
  EXPECT_EQ(r->warnings[0].at.line, 10);
  const Rule& rule = r->policy->rules()[0];
  EXPECT_EQ(rule.when.senders, 0u) << "a list of only unknown senders matches nobody";
  EXPECT_EQ(rule.when.event_kinds, 0u);
  auto lint = Lint(*r->policy);
  ASSERT_GE(lint.size(), 1u);
  EXPECT_NE(lint[0].message.find("can never match"), std::string::npos);
}

TEST(LoaderTest, LintFindsShadowedPermitsAndOverridesWithoutJustification) {
  auto r = ParsePolicy(std::string(kBase) +
                           "rules:\n"
                           "  - id: p\n    effect: permit\n    to: {agencies: [perpetrator_programme]}\n"
                           "    sections: [victim_contact]\n    basis: public_task\n"
                           "  - id: f\n    effect: forbid\n    to: {kinds: [perpetrator_programme]}\n"
                           "    sections: [victim_contact]\n"
                           "overrides:\n  - id: o\n    invokers: [police]\n    reasons: [risk_to_child]\n"
                           "    to: {agencies: [victim_services]}\n    sections: [summary]\n    basis: vital_interests\n"
                           "consent_authority: {}\nrelations: {}\n",
                       "p.yaml");
  ASSERT_TRUE(r.ok()) << r.status();
  auto lint = Lint(*r->policy);
  ASSERT_EQ(lint.size(), 2u);
  EXPECT_NE(lint[0].message.find("shadowed by forbid rule 'f'"), std::string::npos);
  EXPECT_NE(lint[1].message.find("no justification section"), std::string::npos);
}

TEST(LoaderTest, HashIgnoresFormattingButNotMeaning) {
  auto a = ParsePolicy(kBase, "a");
  auto b = ParsePolicy("# a comment\nsections:   [summary,   victim_contact]\nagencies:\n  perpetrator_programme: "
                       "{kind: perpetrator_programme}\n  victim_services: {kind: victim_services}\n  police: {kind: "
                       "police}\nversion: 1\n",
                       "b");
  auto c = ParsePolicy(std::string(kBase) + "name: changed\n", "c");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->policy->version(), b->policy->version());
  EXPECT_NE(a->policy->version(), c->policy->version());
  EXPECT_EQ(a->policy->version().size(), 64u);
}

// The finding: the forbid rules under a second `rules:` key were silently
// dropped (yaml-cpp keeps both keys and `root["rules"]` finds the first).
TEST(LoaderTest, ASecondRulesKeyIsRefusedNotIgnored) {
  const std::string text = std::string(kBase) +
                           "rules:\n  - id: p\n    effect: permit\n    to: {agencies: [perpetrator_programme]}\n"
                           "    sections: [victim_contact]\n    basis: public_task\n"
                           "rules:\n  - id: f\n    effect: forbid\n    to: {kinds: [perpetrator_programme]}\n"
                           "    sections: [victim_contact]\n";
  ExpectError(text, "p.yaml:13:1", "duplicate key 'rules' (first at line 7)");
}

TEST(LoaderTest, DuplicateKeysInsideARuleAreRefused) {
  ExpectError(std::string(kBase) + "rules:\n  - id: a\n    effect: permit\n"
                                   "    when:\n      senders: [police]\n      senders: [victim_services]\n"
                                   "    to: {agencies: [victim_services]}\n    sections: [summary]\n    basis: public_task\n",
              "p.yaml:12:7", "duplicate key 'senders'");
  ExpectError(std::string(kBase) + "rules:\n  - id: a\n    effect: permit\n    effect: forbid\n"
                                   "    to: {agencies: [victim_services]}\n",
              "p.yaml:10:5", "duplicate key 'effect'");
  ExpectError("version: 1\nagencies:\n  police: {kind: police}\n  police: {kind: probation}\nsections: [s]\n",
              "p.yaml:4:3", "duplicate key 'police'");
}

// 10^8 nodes hidden in an agency's description, which the compiler never
// reads but the hash visits: refused before either runs.
std::string AliasBombPolicy() {
  std::string desc = "{x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]";
  for (int i = 1; i <= 8; ++i) {
    desc += ", x" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) desc += (j ? ", *a" : "*a") + std::to_string(i - 1);
    desc += "]";
  }
  return "version: 1\nsections: [summary]\nagencies:\n  police: {kind: police, description: " + desc + "}}\n";
}

TEST(LoaderTest, AnAliasBombIsRefused) {
  ExpectError(AliasBombPolicy(), "p.yaml:4:", "expands to more than 200000 nodes");
  EXPECT_FALSE(CanonicalForm(AliasBombPolicy()).ok());
}

TEST(LoaderTest, SeveralDocumentsAndHugeFilesAreRefused) {
  ExpectError(std::string(kBase) + "---\nversion: 1\n", "p.yaml:7:", "more than one YAML document");
  accord::testing::TempDir dir;
  const std::string path = dir.Path("big.yaml");
  { std::ofstream(path) << kBase << "# " << std::string(2u << 20, 'x') << "\n"; }
  absl::StatusOr<LoadResult> big = LoadPolicyFile(path);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("allowed for this file"), std::string::npos) << big.status();
}

TEST(LoaderTest, VersionMustBeTheWholeNumberOne) {
  for (const char* v : {"4294967297", "1.0", "-1", "one", "[1]"}) {
    ExpectError(std::string("version: ") + v + "\nagencies: {}\nsections: []\n", "p.yaml:1:10",
                "only policy format version 1 is known");
  }
}

TEST(PolicyHolderTest, AReloadOfAnAliasBombOrDuplicateKeysKeepsThePreviousPolicy) {
  accord::testing::TempDir dir;
  const std::string path = dir.Path("policy.yaml");
  { std::ofstream(path) << kBase; }
  auto holder = PolicyHolder::Create(path);
  ASSERT_TRUE(holder.ok()) << holder.status();
  const std::string before = (*holder)->Version();
  { std::ofstream(path) << AliasBombPolicy(); }
  absl::StatusOr<std::string> bomb = (*holder)->Reload();
  ASSERT_FALSE(bomb.ok());
  EXPECT_NE(bomb.status().message().find("expands to more than"), std::string::npos) << bomb.status();
  { std::ofstream(path) << kBase << "rules: []\nrules: []\n"; }
  EXPECT_FALSE((*holder)->Reload().ok());
  EXPECT_EQ((*holder)->Version(), before);
  EXPECT_FALSE(PolicyHolder::Create(path).ok()) << "and the broker cannot start with it";
}

// Found by the policy fuzz target: an alias used inside the node it names is
// a cycle, and the canonical form recursed until the stack overflowed.
TEST(LoaderTest, AnAliasInsideItsOwnNodeIsRefusedNotFollowedForever) {
  for (const char* text : {"a: &x [*x]\n", "a: &m {b: *m}\n", "version: 1\nrules:\n  - &r {id: a, c: *r}\n"}) {
    absl::StatusOr<std::string> canonical = CanonicalForm(text);
    ASSERT_FALSE(canonical.ok()) << text;
    EXPECT_EQ(canonical.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(canonical.status().message().find("alias"), std::string::npos) << canonical.status();
    EXPECT_FALSE(Parse(text).ok()) << text;
  }
  // Deep but finite nesting is still canonical.
  std::string deep = "a: " + std::string(40, '[') + "x" + std::string(40, ']') + "\n";
  EXPECT_TRUE(CanonicalForm(deep).ok());
}

TEST(PolicyHolderTest, RejectedReloadKeepsThePreviousPolicy) {
  accord::testing::TempDir dir;
  const std::string path = dir.Path("policy.yaml");
  { std::ofstream(path) << kBase; }
  auto holder = PolicyHolder::Create(path);
  ASSERT_TRUE(holder.ok()) << holder.status();
  const std::string before = (*holder)->Version();
  auto evaluator = (*holder)->Current();
  { std::ofstream(path) << "version: 1\nagencies: [broken\n"; }
  EXPECT_FALSE((*holder)->Reload().ok());
  EXPECT_EQ((*holder)->Version(), before);
  { std::ofstream(path) << std::string(kBase) << "name: next\n"; }
  auto after = (*holder)->Reload();
  ASSERT_TRUE(after.ok());
  EXPECT_NE(*after, before);
  EXPECT_EQ(evaluator->policy().version(), before) << "a held snapshot is not changed under its reader";
  EXPECT_EQ(PolicyHolder::Create(dir.Path("missing.yaml")).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace accord::policy
