// Special-category data (docs/policy.md §Special category): sections declared
// special_category need a UK GDPR Art. 9 / DPA 2018 Sch. 1 condition on every
// permit and override releasing them; and `policy ask` (§Asking the policy).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/ask.h"
#include "policy/evaluator.h"
#include "policy/loader.h"
#include "policy/special_category.h"

namespace accord::policy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPolicy[] = R"(version: 1
agencies:
  police: {kind: police}
  probation: {kind: probation}
  victim_services: {kind: victim_services}
  up2u: {kind: perpetrator_programme}
  childrens_services: {kind: childrens_services}
  marac_coordinator: {kind: marac_coordinator}
  auditor: {kind: auditor}
sections: [summary, risk, health, victim_contact, override_justification]
special_category: [health]
rules:
  - id: his-health-to-his-programme
    description: the perpetrator's own mental-health needs reach the programme working with him
    effect: permit
    when: {senders: [probation]}
    to: {relations: [programme]}
    sections: [summary, health@perpetrator]
    basis: public_task
    condition: statutory_purposes
  - id: high-risk-to-idva
    effect: permit
    when: {senders: [police], min_risk: high}
    to: {agencies: [victim_services]}
    sections: [summary, risk, health]
    basis: safeguarding_adults
    condition: safeguarding_of_children_and_individuals_at_risk
  - id: health-to-idva-with-consent
    effect: permit
    when: {senders: [police]}
    to: {agencies: [victim_services]}
    sections: [health]
    basis: consent
    consent: {purpose: victim_support}
    condition: explicit_consent
  - id: referral-to-marac
    effect: permit
    when: {events: [marac_referral], min_risk: high}
    to: {kinds: [marac_coordinator]}
    sections: [summary, risk]
    basis: safeguarding_adults
  - id: never-victim-contact-to-programme
    description: A victim's whereabouts never reach the programme.
    effect: forbid
    to: {kinds: [perpetrator_programme]}
    sections: [victim_contact]
overrides:
  - id: child-at-risk
    description: serious harm to a child
    invokers: [up2u]
    reasons: [risk_to_child]
    to: {agencies: [childrens_services]}
    sections: [summary, risk, health]
    basis: safeguarding_children
    condition: safeguarding_of_children_and_individuals_at_risk
    justification_section: override_justification
consent_authority:
  record:
    - {id: idva-records, effect: permit, agencies: [victim_services], purposes: [victim_support], subjects: [victim]}
relations:
  programme: {id: programme-by-itself, declared_by: {kinds: [perpetrator_programme]}, self: true, scope: perpetrator}
)";

std::shared_ptr<const Policy> Load(const std::string& text) {
  auto loaded = ParsePolicy(text, "special.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  return loaded.ok() ? loaded->policy : nullptr;
}

TEST(SpecialCategoryTest, TheListIsFixedAndCitesArticle9AndSchedule1) {
  const SpecialCategoryCondition* c = FindSpecialCategoryCondition("safeguarding_of_children_and_individuals_at_risk");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->citation, "UK GDPR Art. 9(2)(g); DPA 2018 Sch. 1 para 18");
  EXPECT_EQ(FindSpecialCategoryCondition("explicit_consent")->citation, "UK GDPR Art. 9(2)(a)");
  EXPECT_EQ(FindSpecialCategoryCondition("public_task"), nullptr) << "an Art. 6 basis is no Art. 9 condition";
  EXPECT_EQ(SpecialCategoryConditions().size(), 10u);
}

TEST(SpecialCategoryTest, APolicyNamingConditionsLoads) {
  std::shared_ptr<const Policy> p = Load(kPolicy);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->special_category(), Bit(p->SectionIndex("health")));
  EXPECT_EQ(p->rules()[0].condition, "statutory_purposes");
  EXPECT_EQ(p->overrides()[0].condition, "safeguarding_of_children_and_individuals_at_risk");
}

struct Bad {
  std::string from, to, at, message;
};

TEST(SpecialCategoryTest, CheckRefusesSpecialCategoryWithoutAValidCondition) {
  const std::vector<Bad> cases = {
      {"    condition: statutory_purposes\n", "", "special.yaml:13:5",
       "permit rule 'his-health-to-his-programme' releases special-category data (health): it must name the UK GDPR "
       "Art. 9 / DPA 2018 Sch. 1 'condition' it rests on (explicit_consent, "},
      {"condition: statutory_purposes", "condition: public_task", "special.yaml:20:16",
       "condition 'public_task' of permit rule 'his-health-to-his-programme' is not a UK GDPR Art. 9 / DPA 2018 "
       "Sch. 1 condition"},
      {"    sections: [summary, risk, health]\n    basis: safeguarding_adults\n",
       "    sections: [summary, risk]\n    basis: safeguarding_adults\n", "special.yaml:27:16",
       "permit rule 'high-risk-to-idva' names a special-category condition but releases no section listed under "
       "special_category"},
      {"    condition: explicit_consent\n", "    condition: safeguarding_of_children_and_individuals_at_risk\n",
       "special.yaml:35:16", "permit rule 'health-to-idva-with-consent' rests on consent: its special-category "
                             "condition is explicit_consent"},
      {"condition: statutory_purposes", "condition: explicit_consent", "special.yaml:20:16",
       "condition explicit_consent of permit rule 'his-health-to-his-programme' needs basis consent"},
      {"    condition: safeguarding_of_children_and_individuals_at_risk\n    justification_section",
       "    justification_section", "special.yaml:48:5",
       "override 'child-at-risk' releases special-category data (health): it must name"},
      {"special_category: [health]", "special_category: [health, ethnicity]", "special.yaml:11:28",
       "special_category names section 'ethnicity', which 'sections' does not list"},
      {"    sections: [victim_contact]\n", "    sections: [victim_contact]\n    condition: explicit_consent\n",
       "special.yaml:42:5", "forbid rule 'never-victim-contact-to-programme' takes no basis, consent or condition"},
  };
  for (const Bad& c : cases) {
    std::string text = kPolicy;
    const std::size_t at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    text.replace(at, c.from.size(), c.to);
    auto loaded = ParsePolicy(text, "special.yaml");
    ASSERT_FALSE(loaded.ok()) << c.message;
    EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(c.at + ": ")) << loaded.status();
    EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(c.message)) << loaded.status();
  }
}

TEST(SpecialCategoryTest, WithoutTheDeclarationNoConditionIsNeededOrAllowed) {
  std::string text = kPolicy;
  text.replace(text.find("special_category: [health]\n"), std::string("special_category: [health]\n").size(), "");
  auto loaded = ParsePolicy(text, "special.yaml");
  ASSERT_FALSE(loaded.ok()) << "the conditions now name no special-category section";
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("names a special-category condition but releases no"));
}

Answer AskOf(const std::shared_ptr<const Policy>& p, Question q) {
  absl::StatusOr<Answer> a = Ask(Evaluator(p), q);
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *a : Answer{};
}

TEST(AskTest, YesNamesRuleBasisAndCondition) {
  const std::shared_ptr<const Policy> p = Load(kPolicy);
  const Answer a = AskOf(p, {"police", "victim_services", "health", "domestic_incident", "", "high"});
  EXPECT_TRUE(a.yes);
  EXPECT_THAT(a.text, HasSubstr("Answer: YES, under rule 'high-risk-to-idva'."));
  EXPECT_THAT(a.text, HasSubstr("Lawful basis: safeguarding_adults."));
  EXPECT_THAT(a.text, HasSubstr("Special category: 'health' is special-category data; condition "
                                "safeguarding_of_children_and_individuals_at_risk: UK GDPR Art. 9(2)(g); DPA 2018 "
                                "Sch. 1 para 18"));
}

TEST(AskTest, NoListsConsentRiskAndRelationRoutes) {
  const std::shared_ptr<const Policy> p = Load(kPolicy);
  const Answer idva = AskOf(p, {"police", "victim_services", "risk", "domestic_incident", "", ""});
  EXPECT_FALSE(idva.yes);
  EXPECT_THAT(idva.text, HasSubstr("Answer: NO.\nWhy: no rule releases it to victim_services (default deny)."));
  EXPECT_THAT(idva.text, HasSubstr("- Risk: if the risk is high or higher, rule 'high-risk-to-idva' would release it "
                                   "(basis safeguarding_adults)."));
  EXPECT_THAT(idva.text, Not(HasSubstr("Consent:"))) << "the consent rule releases health, not risk";
  const Answer health = AskOf(p, {"police", "victim_services", "health", "domestic_incident", "", ""});
  EXPECT_THAT(health.text, HasSubstr("- Consent: with the victim's consent for victim_support (recorded by "
                                     "victim_services), rule 'health-to-idva-with-consent' would release it (basis "
                                     "consent, condition explicit_consent)."));
  const Answer programme = AskOf(p, {"probation", "up2u", "health@perpetrator", "supervision_update", "", ""});
  EXPECT_FALSE(programme.yes);
  EXPECT_THAT(programme.text, HasSubstr("- Relation: if up2u is the case's programme (declared by an agency of kind "
                                        "perpetrator_programme), rule 'his-health-to-his-programme' would release it"));
  const Answer hers = AskOf(p, {"probation", "up2u", "health@victim", "supervision_update", "", ""});
  EXPECT_THAT(hers.text, Not(HasSubstr("Relation:"))) << "his health may reach his programme, hers may not";
}

TEST(AskTest, OverridesSayWhoMayInvokeThemAndMaracIsARoute) {
  const std::shared_ptr<const Policy> p = Load(kPolicy);
  const Answer a = AskOf(p, {"up2u", "childrens_services", "health", "risk_alert", "", ""});
  EXPECT_FALSE(a.yes);
  EXPECT_THAT(a.text, HasSubstr("- Safeguarding override 'child-at-risk' (serious harm to a child): up2u may invoke "
                                "it, for reason risk_to_child, with a named authorising officer (role and staff "
                                "reference) and the justification in section 'override_justification', which goes to "
                                "auditor; rule 'child-at-risk' would release it (basis safeguarding_children, "
                                "condition safeguarding_of_children_and_individuals_at_risk)."));
  EXPECT_THAT(a.text, HasSubstr("- MARAC: raise the case with marac_coordinator; no rule lets up2u send 'health' "
                                "there"));
  const Answer risk = AskOf(p, {"police", "probation", "risk", "domestic_incident", "", ""});
  EXPECT_THAT(risk.text, HasSubstr("- MARAC: a high-risk marac_referral from police releases 'risk' to "
                                   "marac_coordinator (rule 'referral-to-marac')"));
}

TEST(AskTest, AForbidLeavesNoRoute) {
  const std::shared_ptr<const Policy> p = Load(kPolicy);
  const Answer a = AskOf(p, {"police", "up2u", "victim_contact", "domestic_incident", "", "very_high"});
  EXPECT_FALSE(a.yes);
  EXPECT_THAT(a.text, HasSubstr("Why: forbid rule 'never-victim-contact-to-programme' withholds it: A victim's "
                                "whereabouts never reach the programme."));
  EXPECT_THAT(a.text, HasSubstr("Other routes: none."));
  EXPECT_THAT(a.text, Not(HasSubstr("MARAC")));
}

TEST(AskTest, UnknownNamesAreErrors) {
  const std::shared_ptr<const Policy> p = Load(kPolicy);
  const Evaluator e(p);
  EXPECT_THAT(std::string(Ask(e, {"polise", "up2u", "risk", "domestic_incident", "", ""}).status().message()),
              HasSubstr("agency 'polise' is not in the policy (agencies: police, probation"));
  EXPECT_THAT(std::string(Ask(e, {"police", "up2u", "risks", "domestic_incident", "", ""}).status().message()),
              HasSubstr("section 'risks' is not in the policy"));
  EXPECT_THAT(std::string(Ask(e, {"police", "up2u", "health@mother", "domestic_incident", "", ""}).status().message()),
              HasSubstr("is not base or base@role"));
  EXPECT_THAT(std::string(Ask(e, {"police", "up2u", "risk", "incident", "", ""}).status().message()),
              HasSubstr("unknown event kind 'incident'"));
  EXPECT_THAT(std::string(Ask(e, {"police", "up2u", "risk", "domestic_incident", "mother", ""}).status().message()),
              HasSubstr("--about 'mother'"));
  EXPECT_THAT(std::string(Ask(e, {"police", "up2u", "risk", "domestic_incident", "", "severe"}).status().message()),
              HasSubstr("--risk 'severe'"));
  EXPECT_THAT(std::string(Ask(e, {"police", "police", "risk", "domestic_incident", "", ""}).status().message()),
              HasSubstr("same agency"));
}

}  // namespace
}  // namespace accord::policy
