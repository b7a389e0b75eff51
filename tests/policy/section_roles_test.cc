// Sections about a person (docs/policy.md §Sections about a person): a rule's
// "health" is health of anyone or no one, "health@perpetrator" only his; a
// forbid naming a role also withholds the section whose subject is unknown.
#include <set>

#include <gtest/gtest.h>

#include "policy/evaluator.h"
#include "policy/lint.h"
#include "policy/loader.h"

namespace accord::policy {
namespace {

constexpr char kPolicy[] = R"(version: 1
agencies:
  probation: {kind: probation}
  up2u: {kind: perpetrator_programme}
  victim_services: {kind: victim_services}
sections: [summary, health, risk]
rules:
  - id: his-health-to-programme
    effect: permit
    when: {senders: [probation]}
    to: {agencies: [up2u]}
    sections: [summary, health@perpetrator, risk]
    basis: consent
    consent: {purpose: programme_information_sharing, subject: perpetrator}
  - id: all-health-to-idva
    effect: permit
    when: {senders: [probation]}
    to: {agencies: [victim_services]}
    sections: [summary, health, risk]
    basis: safeguarding_adults
  - id: never-her-health-or-risk-answers-to-programme
    description: The victim's health and DASH answers never reach a programme.
    effect: forbid
    to: {kinds: [perpetrator_programme]}
    sections: [health@victim, risk@victim]
consent_authority: {}
relations: {}
)";

class SectionRolesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = ParsePolicy(kPolicy, "roles.yaml");
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_TRUE(loaded->warnings.empty()) << loaded->warnings[0].message;
    policy_ = loaded->policy;
  }

  static v1::EventHeader Event(std::initializer_list<const char*> sections) {
    v1::EventHeader h;
    h.set_sender("probation");
    h.set_kind(v1::EVENT_KIND_ASSESSMENT_REPORT);
    v1::SubjectRef* p = h.add_subjects();
    p->set_ref("his-ref");
    p->set_role(v1::SUBJECT_ROLE_PERPETRATOR);
    for (const char* s : sections) h.add_sections()->set_name(s);
    return h;
  }

  v1::Decision Eval(const v1::EventHeader& h) const {
    return Evaluator(policy_).Evaluate(h, {}, [](const std::string&, const std::string&) {
      return v1::CONSENT_STATE_GIVEN;
    });
  }

  static std::set<std::string> Granted(const v1::Decision& d, const std::string& agency) {
    std::set<std::string> out;
    for (const auto& r : d.recipients()) {
      if (r.recipient() != agency) continue;
      for (const auto& g : r.grants()) out.insert(g.section());
    }
    return out;
  }

  static std::string WithheldBy(const v1::Decision& d, const std::string& agency, const std::string& section) {
    for (const auto& w : d.withheld()) {
      if (w.recipient() == agency && w.section() == section) return w.rule_id();
    }
    return "";
  }

  std::shared_ptr<const Policy> policy_;
};

TEST_F(SectionRolesTest, ABaseInARuleMatchesTheSectionWithAnyRoleOrNone) {
  const v1::Decision d = Eval(Event({"summary", "health", "health@victim", "health@perpetrator", "health@child"}));
  EXPECT_EQ(Granted(d, "victim_services"),
            (std::set<std::string>{"summary", "health", "health@victim", "health@perpetrator", "health@child"}));
}

TEST_F(SectionRolesTest, ARoleInAPermitMatchesOnlyThatRoleAndNeverTheUnqualifiedName) {
  const v1::Decision d = Eval(Event({"summary", "health", "health@victim", "health@perpetrator", "health@child"}));
  EXPECT_EQ(Granted(d, "up2u"), (std::set<std::string>{"summary", "health@perpetrator"}));
  EXPECT_EQ(WithheldBy(d, "up2u", "health@child"), kDefaultDeny);
}

TEST_F(SectionRolesTest, AForbidOfTheVictimsSectionAlsoWithholdsTheUnqualifiedOne) {
  const v1::Decision d = Eval(Event({"health", "health@victim", "risk", "risk@victim", "health@perpetrator"}));
  EXPECT_EQ(WithheldBy(d, "up2u", "health@victim"), "never-her-health-or-risk-answers-to-programme");
  EXPECT_EQ(WithheldBy(d, "up2u", "health"), "never-her-health-or-risk-answers-to-programme")
      << "health without a role may be hers";
  EXPECT_EQ(WithheldBy(d, "up2u", "risk"), "never-her-health-or-risk-answers-to-programme");
  EXPECT_EQ(Granted(d, "up2u"), (std::set<std::string>{"health@perpetrator"}));
}

TEST_F(SectionRolesTest, GrantsAndWithholdingsNameTheWholeSection) {
  const v1::Decision d = Eval(Event({"health@perpetrator", "health@victim"}));
  for (const auto& r : d.recipients()) {
    for (const auto& g : r.grants()) EXPECT_NE(g.section(), "health") << r.recipient();
  }
  EXPECT_FALSE(WithheldBy(d, "up2u", "health@victim").empty());
}

TEST_F(SectionRolesTest, AnUnknownBaseOrRoleIsWithheldFromEveryone) {
  const v1::Decision d = Eval(Event({"summary", "health@mother", "diet@victim", "health@", "@victim"}));
  for (const char* name : {"health@mother", "diet@victim", "health@", "@victim"}) {
    EXPECT_EQ(WithheldBy(d, "*", name), kDefaultDeny) << name;
    EXPECT_FALSE(Granted(d, "victim_services").count(name)) << name;
  }
  EXPECT_EQ(Granted(d, "victim_services"), (std::set<std::string>{"summary"}));
}

TEST_F(SectionRolesTest, ASectionNamedTwiceIsWithheldTheSecondTime) {
  const v1::Decision d = Eval(Event({"summary", "health@perpetrator", "health@perpetrator"}));
  EXPECT_EQ(WithheldBy(d, "*", "health@perpetrator"), kDefaultDeny);
  int grants = 0;
  for (const auto& r : d.recipients()) {
    for (const auto& g : r.grants()) grants += g.section() == "health@perpetrator";
  }
  EXPECT_EQ(grants, 2) << "once each to up2u and victim_services, never twice to one";
}

TEST_F(SectionRolesTest, RulesNamingAnUnknownRoleAreErrors) {
  std::string text = kPolicy;
  text.replace(text.find("health@perpetrator"), std::string("health@perpetrator").size(), "health@mother");
  auto bad = ParsePolicy(text, "roles.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("roles.yaml:12:"), std::string::npos) << bad.status();
  EXPECT_NE(bad.status().message().find("'health@mother'"), std::string::npos) << bad.status();
  auto declared = ParsePolicy("version: 1\nagencies: {}\nsections: [summary, health@victim]\n", "s.yaml");
  ASSERT_FALSE(declared.ok());
  EXPECT_NE(declared.status().message().find("s.yaml:3:21"), std::string::npos) << declared.status();
  EXPECT_NE(declared.status().message().find("roles such as '@victim' belong in rules"), std::string::npos);
}

TEST_F(SectionRolesTest, LintComparesRolesWhenLookingForShadowedPermits) {
  const std::string head = R"(version: 1
agencies: {probation: {kind: probation}, up2u: {kind: perpetrator_programme}}
sections: [health]
consent_authority: {}
relations: {}
rules:
  - id: p
    effect: permit
    to: {agencies: [up2u]}
    sections: [health@perpetrator]
    basis: public_task
  - id: f
    effect: forbid
    to: {agencies: [up2u]}
)";
  auto shadowed = ParsePolicy(head + "    sections: [health]\n", "a");
  ASSERT_TRUE(shadowed.ok()) << shadowed.status();
  auto lint = Lint(*shadowed->policy);
  ASSERT_EQ(lint.size(), 1u);
  EXPECT_NE(lint[0].message.find("shadowed by forbid rule 'f'"), std::string::npos);
  auto not_shadowed = ParsePolicy(head + "    sections: [health@victim]\n", "b");
  ASSERT_TRUE(not_shadowed.ok());
  EXPECT_TRUE(Lint(*not_shadowed->policy).empty()) << Lint(*not_shadowed->policy)[0].message;
}

TEST(ExamplePolicySectionRolesTest, TheProgrammeGetsNoHealthOfAnyone) {
  auto loaded = LoadPolicyFile(std::string(ACCORD_SOURCE_DIR) + "/tests/policies/one-programme.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  v1::EventHeader h;
  h.set_sender("childrens_services");
  h.set_kind(v1::EVENT_KIND_SAFEGUARDING_CONCERN);
  for (const char* s : {"summary", "health", "health@perpetrator", "health@victim", "override_justification"}) {
    h.add_sections()->set_name(s);
  }
  const v1::Decision d = Evaluator(loaded->policy).Evaluate(h, {}, [](const std::string&, const std::string&) {
    return v1::CONSENT_STATE_GIVEN;
  });
  for (const char* s : {"health", "health@perpetrator", "health@victim"}) {
    bool withheld = false;
    for (const auto& w : d.withheld()) {
      withheld |= w.recipient() == "perpetrator_programme" && w.section() == s &&
                  w.rule_id() == "never-children-or-health-to-programme";
    }
    EXPECT_TRUE(withheld) << s;
  }
}

}  // namespace
}  // namespace accord::policy
