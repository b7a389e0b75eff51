// `accord policy check|test|explain` as a practitioner runs them: the built
// binary, exit codes 0 (clean), 1 (warnings or failed cases), 2 (invalid).
#include <algorithm>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/testing/accord_cli.h"
#include "tests/testing/temp_dir.h"

namespace accord::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using Result = testing::CliResult;

Result Accord(const std::vector<std::string>& args) { return testing::RunAccord(args); }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const std::string kPolicy = ACCORD_SOURCE_DIR "/tests/policies/one-programme.yaml";
const std::string kCases = ACCORD_SOURCE_DIR "/tests/policies/one-programme.cases.yaml";

class PolicyCliTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_.Path(name);
    std::ofstream(path) << text;
    return path;
  }
  accord::testing::TempDir dir_;
};

TEST_F(PolicyCliTest, TheExamplePolicyIsCleanAndPassesItsCases) {
  Result check = Accord({"policy", "check", kPolicy});
  EXPECT_EQ(check.code, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr("5 consent authority entries"));
  EXPECT_THAT(check.output, HasSubstr("0 warning(s)"));
  Result test = Accord({"policy", "test", kPolicy, kCases});
  EXPECT_EQ(test.code, 0) << test.output;
  EXPECT_THAT(test.output, HasSubstr("PASS  the perpetrator programme may not withdraw the victim's consent"));
  EXPECT_THAT(test.output, HasSubstr("PASS  the perpetrator programme may not read the victim's consent"));
  EXPECT_THAT(test.output, HasSubstr(" passed, 0 failed"));
}

TEST_F(PolicyCliTest, CheckRefusesASecondRulesKey) {
  std::string text = ReadAll(kPolicy);
  const size_t first = text.find("\nrules:\n");
  ASSERT_NE(first, std::string::npos);
  const int first_line = static_cast<int>(std::count(text.begin(), text.begin() + first + 1, '\n')) + 1;
  text.insert(text.find("  # --- What must never happen"), "rules:\n");
  Result r = Accord({"policy", "check", Write("dup.yaml", text)});
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr(dir_.Path("dup.yaml") + ":"));
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat("duplicate key 'rules' (first at line ", first_line, ")")));
}

TEST_F(PolicyCliTest, CheckRefusesAnAliasBomb) {
  std::string desc = "{x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]";
  for (int i = 1; i <= 8; ++i) {
    desc += ", x" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) desc += (j ? ", *a" : "*a") + std::to_string(i - 1);
    desc += "]";
  }
  const std::string bomb =
      "version: 1\nsections: [summary]\nagencies:\n  police: {kind: police, description: " + desc + "}}\n";
  Result r = Accord({"policy", "check", Write("bomb.yaml", bomb)});
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("expands to more than 200000 nodes"));
  Result cases = Accord({"policy", "test", kPolicy, Write("bomb-cases.yaml", "cases: " + desc + "}\n")});
  EXPECT_EQ(cases.code, 2) << cases.output;
  EXPECT_THAT(cases.output, HasSubstr("expands to more than"));
}

TEST_F(PolicyCliTest, CheckWarnsWhenNobodyMayRecordConsent) {
  std::string text = ReadAll(kPolicy);
  text.erase(text.find("# --- Consent: who may record it"));
  Result r = Accord({"policy", "check", Write("no-authority.yaml", text)});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("warning: the policy has no consent_authority section"));
  EXPECT_THAT(r.output, HasSubstr("0 consent authority entries"));
}

TEST_F(PolicyCliTest, CheckWarnsAboutAMisspeltPurpose) {
  std::string text = ReadAll(kPolicy);
  const std::string from = "purposes: [victim_support, police_safety_marker, programme_partner_support]\n      subjects";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(),
               "purposes: [victim_suport, police_safety_marker, programme_partner_support]\n      subjects");
  Result r = Accord({"policy", "check", Write("typo.yaml", text)});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("names purpose 'victim_suport', on which no consent rule rests"));
  EXPECT_THAT(r.output, HasSubstr("rule 'standard-incident-to-idva-with-consent' rests on consent for victim_support "
                                  "of the victim, but no consent_authority.record entry lets any agency record it"));
}

TEST_F(PolicyCliTest, TestReportsAWrongConsentAuthorityExpectation) {
  const std::string cases = Write("cases.yaml",
                                  "cases:\n"
                                  "  - name: the programme withdraws consent\n"
                                  "    consent_authority: {agency: perpetrator_programme, action: record, "
                                  "purpose: victim_support, subject: victim}\n"
                                  "    expect: allow\n");
  Result r = Accord({"policy", "test", kPolicy, cases});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("FAIL  the programme withdraws consent  (" + cases + ":2)"));
  EXPECT_THAT(r.output, HasSubstr("expected allow, got refused by 'programme-never-records-consent'"));
  EXPECT_THAT(r.output, HasSubstr("0 passed, 1 failed"));
}

TEST_F(PolicyCliTest, ExplainShowsTheConsentAuthority) {
  Result r = Accord({"policy", "explain", kPolicy, "--consent-authority"});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("victim_services          record  victim_support               victim       "
                                  "idva-records-victim-consent"));
  EXPECT_THAT(r.output, HasSubstr("perpetrator_programme    read    (every purpose)              -            "
                                  "programme-never-reads-consent"));
  EXPECT_THAT(r.output, Not(HasSubstr("perpetrator_programme    record  victim_support")));
  EXPECT_EQ(Accord({"policy", "explain", kPolicy}).code, 2) << "needs --event or --consent-authority";
}

TEST_F(PolicyCliTest, ExplainShowsAddressingAndSectionRoles) {
  const std::string event = Write("referral.yaml",
                                  "kind: referral\nsender: probation\nabout: perpetrator\n"
                                  "destination: {agency: perpetrator_programme, service: up2u}\n"
                                  "subjects: {perpetrator: p-1}\nsections: [summary, health@perpetrator, health]\n"
                                  "ended_relations: {referrer: police}\n");
  Result r = Accord({"policy", "explain", kPolicy, "--event", event});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Event: referral from probation, about the perpetrator, addressed to "
                                  "perpetrator_programme (service up2u)"));
  EXPECT_THAT(r.output, HasSubstr("sections: summary, health@perpetrator, health"));
  EXPECT_THAT(r.output, HasSubstr("ends relations: referrer=police"));
  EXPECT_THAT(r.output, HasSubstr("perpetrator_programme    health@perpetrator       never-children-or-health-to-programme"));
  const std::string bad = Write("bad.yaml", "kind: referral\nsender: probation\nabout: offender\nsections: [summary]\n");
  Result refused = Accord({"policy", "explain", kPolicy, "--event", bad});
  EXPECT_EQ(refused.code, 2) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr(bad + ":3:8: about must be victim, perpetrator, child or other"));
}

TEST_F(PolicyCliTest, ExplainShowsWhatTheCaseBookWouldDo) {
  const std::string deselection = Write("deselection.yaml",
                                        "kind: deselection\nsender: perpetrator_programme\nrisk: high\n"
                                        "subjects: {victim: v-1, perpetrator: p-1}\nsections: [summary]\n"
                                        "relations: {lead_professional: perpetrator_programme}\n");
  Result r = Accord({"policy", "explain", kPolicy, "--event", deselection});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("CASE BOOK\n  declares lead_professional=perpetrator_programme: REFUSED (the broker "
                                  "refuses the whole event) by 'lead-professional-declared-by-childrens-services': "
                                  "relation 'lead_professional' may be declared only by an agency of kind "
                                  "childrens_services"));
  EXPECT_THAT(r.output, HasSubstr("  its kind ends programme=perpetrator_programme\n"));
  const std::string accepted = Write("accepted.yaml",
                                     "kind: referral_accepted\nsender: perpetrator_programme\n"
                                     "subjects: {perpetrator: p-1}\nsections: [summary]\n");
  Result a = Accord({"policy", "explain", kPolicy, "--event", accepted});
  EXPECT_EQ(a.code, 0) << a.output;
  EXPECT_THAT(a.output, HasSubstr("  starts schedule 'partner-feedback' (2 months, 6 months, 1 year, 18 months, "
                                  "2 years)\n"));
}

TEST_F(PolicyCliTest, AskAnswersYesWithRuleAndBasis) {
  Result r = Accord({"policy", "ask", "--from", "police", "--to", "victim_services", "--section", "risk", "--kind",
                     "domestic_incident", "--risk", "high", "--policy", kPolicy});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Question: may police share 'risk' (domestic_incident event) with victim_services?"));
  EXPECT_THAT(r.output, HasSubstr("Answer: YES, under rule 'high-risk-incident-to-core-agencies'"));
  EXPECT_THAT(r.output, HasSubstr("Lawful basis: "));
}

TEST_F(PolicyCliTest, AskAnswersNoWithTheOtherRoutes) {
  Result r = Accord({"policy", "ask", "--from", "victim_services", "--to", "perpetrator_programme", "--section", "risk",
                     "--kind", "risk_assessment", "--about", "victim", "--policy", kPolicy});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Answer: NO.\nWhy: no rule releases it to perpetrator_programme (default deny)."));
  EXPECT_THAT(r.output, HasSubstr("- MARAC: a high-risk marac_referral from victim_services releases 'risk' to "
                                  "marac_coordinator (rule 'idva-risk-to-marac')"));

  Result health = Accord({"policy", "ask", "--from", "perpetrator_programme", "--to", "childrens_services", "--section",
                          "health", "--kind", "risk_alert", "--policy", kPolicy});
  EXPECT_EQ(health.code, 1) << health.output;
  EXPECT_THAT(health.output, HasSubstr("- Safeguarding override 'programme-child-safeguarding-override'"));
  EXPECT_THAT(health.output, HasSubstr("perpetrator_programme may invoke it, for reason risk_to_child, with a named "
                                       "authorising officer"));
  EXPECT_THAT(health.output, HasSubstr("condition safeguarding_of_children_and_individuals_at_risk"));

  Result standard = Accord({"policy", "ask", "--from", "police", "--to", "victim_services", "--section", "summary",
                            "--kind", "domestic_incident", "--risk", "standard", "--policy", kPolicy});
  EXPECT_EQ(standard.code, 1) << standard.output;
  EXPECT_THAT(standard.output, HasSubstr("- Consent: with the victim's consent for victim_support (recorded by "
                                         "victim_services), rule 'standard-incident-to-idva-with-consent'"));
  EXPECT_THAT(standard.output, HasSubstr("- Risk: if the risk is high or higher, rule "
                                         "'high-risk-incident-to-core-agencies' would release it"));
}

TEST_F(PolicyCliTest, AskSaysWhenAForbidLeavesNoRoute) {
  Result r = Accord({"policy", "ask", "--from", "police", "--to", "perpetrator_programme", "--section",
                     "victim_contact", "--kind", "domestic_incident", "--risk", "very_high", "--policy", kPolicy});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Why: forbid rule 'never-victim-contact-to-programme' withholds it"));
  EXPECT_THAT(r.output, HasSubstr("Other routes: none. A forbid beats every permit, consent and safeguarding override."));
}

TEST_F(PolicyCliTest, AskRefusesUnknownNamesAndMissingFlags) {
  Result agency = Accord({"policy", "ask", "--from", "idva", "--to", "police", "--section", "risk", "--kind",
                          "risk_assessment", "--policy", kPolicy});
  EXPECT_EQ(agency.code, 2) << agency.output;
  EXPECT_THAT(agency.output, HasSubstr("agency 'idva' is not in the policy (agencies: police, probation"));
  Result missing = Accord({"policy", "ask", "--from", "police", "--to", "victim_services", "--policy", kPolicy});
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.output, HasSubstr("usage: accord policy ask --from AGENCY --to AGENCY --section SECTION"));
  Result nofile = Accord({"policy", "ask", "--from", "police", "--to", "victim_services", "--section", "risk", "--kind",
                          "risk_assessment", "--policy", dir_.Path("none.yaml")});
  EXPECT_EQ(nofile.code, 2);
}

TEST_F(PolicyCliTest, CheckRefusesHealthSharedWithoutAnArticle9Condition) {
  std::string text = ReadAll(kPolicy);
  const std::string condition =
      "    condition: safeguarding_of_children_and_individuals_at_risk   # Art. 9(2)(g), DPA 2018 Sch. 1 para 18\n";
  ASSERT_NE(text.find(condition), std::string::npos);
  text.erase(text.find(condition), condition.size());
  Result r = Accord({"policy", "check", Write("no-condition.yaml", text)});
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("override 'programme-child-safeguarding-override' releases special-category data "
                                  "(health): it must name the UK GDPR Art. 9 / DPA 2018 Sch. 1 'condition'"));
  std::string basis = ReadAll(kPolicy);
  basis.replace(basis.find("condition: safeguarding_of_children_and_individuals_at_risk"),
                std::string("condition: safeguarding_of_children_and_individuals_at_risk").size(),
                "condition: safeguarding_children");
  Result wrong = Accord({"policy", "check", Write("wrong-condition.yaml", basis)});
  EXPECT_EQ(wrong.code, 2) << wrong.output;
  EXPECT_THAT(wrong.output, HasSubstr("condition 'safeguarding_children' of override "
                                      "'programme-child-safeguarding-override' is not a UK GDPR Art. 9 / DPA 2018 "
                                      "Sch. 1 condition"));
}

}  // namespace
}  // namespace accord::cli
