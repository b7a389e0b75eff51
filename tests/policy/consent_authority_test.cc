// Consent authority (docs/policy.md §Consent authority): who may record
// consent and who may read it. Default deny naming 'default-deny', a forbid
// beats any permit, a policy without the section lets nobody, and the section
// is part of the policy's hash.
#include <fstream>

#include <gtest/gtest.h>

#include "policy/evaluator.h"
#include "policy/explain.h"
#include "policy/lint.h"
#include "policy/loader.h"
#include "policy/scenario.h"
#include "tests/testing/temp_dir.h"

namespace accord::policy {
namespace {

constexpr char kBase[] = R"(version: 1
agencies:
  police: {kind: police}
  idva: {kind: victim_services}
  refuge: {kind: victim_services}
  perpetrator_programme: {kind: perpetrator_programme}
  probation: {kind: probation}
sections: [summary]
rules:
  - id: standard-to-idva
    effect: permit
    to: {agencies: [idva]}
    sections: [summary]
    basis: consent
    consent: {purpose: victim_support, subject: victim}
)";

constexpr char kAuthority[] = R"(relations: {}
consent_authority:
  record:
    - id: programme-never
      effect: forbid
      kinds: [perpetrator_programme]
    - id: idva-records
      description: The IDVA holds the relationship with the victim.
      effect: permit
      kinds: [victim_services, perpetrator_programme]
      purposes: [victim_support]
      subjects: [victim]
    - id: police-record-child
      effect: permit
      agencies: [police]
      purposes: [victim_support]
      subjects: [child]
  read:
    - id: police-read
      effect: permit
      agencies: [police, perpetrator_programme]
      purposes: [victim_support]
    - id: programme-never-reads
      effect: forbid
      agencies: [perpetrator_programme]
)";

absl::StatusOr<LoadResult> Load(const std::string& text) { return ParsePolicy(text, "p.yaml"); }

Evaluator EvaluatorFor(const std::string& text) {
  absl::StatusOr<LoadResult> loaded = Load(text);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  return Evaluator(loaded->policy);
}

void ExpectError(const std::string& text, const std::string& where, const std::string& what) {
  absl::Status s = Load(text).status();
  ASSERT_FALSE(s.ok()) << text;
  EXPECT_NE(s.message().find(where), std::string::npos) << s.message() << " (want " << where << ")";
  EXPECT_NE(s.message().find(what), std::string::npos) << s.message() << " (want " << what << ")";
}

bool HasWarning(const std::vector<Diagnostic>& ds, const std::string& text) {
  for (const Diagnostic& d : ds) {
    if (d.message.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(ConsentAuthorityTest, APermitAllowsNamingItsRule) {
  const Evaluator e = EvaluatorFor(std::string(kBase) + kAuthority);
  for (const char* agency : {"idva", "refuge"}) {
    ConsentAuthorityDecision d = e.MayRecordConsent(agency, "victim_support", v1::SUBJECT_ROLE_VICTIM);
    EXPECT_TRUE(d.allowed) << agency << ": " << d.reason;
    EXPECT_EQ(d.rule_id, "idva-records");
    EXPECT_EQ(d.reason, "The IDVA holds the relationship with the victim.");
  }
  EXPECT_TRUE(e.MayRecordConsent("police", "victim_support", v1::SUBJECT_ROLE_CHILD).allowed);
  ConsentAuthorityDecision read = e.MayReadConsent("police", "victim_support");
  EXPECT_TRUE(read.allowed);
  EXPECT_EQ(read.rule_id, "police-read");
}

TEST(ConsentAuthorityTest, AForbidBeatsAPermitWhereverItIsWritten) {
  // idva-records names the programme's kind too, and comes after the forbid.
  const Evaluator e = EvaluatorFor(std::string(kBase) + kAuthority);
  ConsentAuthorityDecision d = e.MayRecordConsent("perpetrator_programme", "victim_support", v1::SUBJECT_ROLE_VICTIM);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule_id, "programme-never");
  EXPECT_NE(d.reason.find("perpetrator_programme may not record consent for victim_support of the victim"),
            std::string::npos)
      << d.reason;
  // A forbid without purposes or subjects covers every purpose and role.
  EXPECT_EQ(e.MayRecordConsent("perpetrator_programme", "anything", v1::SUBJECT_ROLE_OTHER).rule_id,
            "programme-never");
  ConsentAuthorityDecision read = e.MayReadConsent("perpetrator_programme", "victim_support");
  EXPECT_FALSE(read.allowed);
  EXPECT_EQ(read.rule_id, "programme-never-reads") << "the permit listing it came first";
}

TEST(ConsentAuthorityTest, EverythingElseIsDefaultDeny) {
  const Evaluator e = EvaluatorFor(std::string(kBase) + kAuthority);
  auto expect_default_deny = [](const ConsentAuthorityDecision& d, const std::string& reason) {
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.rule_id, kDefaultDeny);
    EXPECT_NE(d.reason.find(reason), std::string::npos) << d.reason;
  };
  expect_default_deny(e.MayRecordConsent("probation", "victim_support", v1::SUBJECT_ROLE_VICTIM),
                      "no consent_authority entry lets probation record consent for victim_support of the victim");
  expect_default_deny(e.MayRecordConsent("idva", "victim_support", v1::SUBJECT_ROLE_PERPETRATOR),
                      "of the perpetrator");
  expect_default_deny(e.MayRecordConsent("idva", "police_safety_marker", v1::SUBJECT_ROLE_VICTIM),
                      "police_safety_marker");
  expect_default_deny(e.MayRecordConsent("police", "victim_support", v1::SUBJECT_ROLE_VICTIM), "of the victim");
  expect_default_deny(e.MayRecordConsent("housing", "victim_support", v1::SUBJECT_ROLE_VICTIM),
                      "agency 'housing' is not in the policy");
  expect_default_deny(e.MayReadConsent("idva", "victim_support"), "read consent state for victim_support");
  expect_default_deny(e.MayReadConsent("police", "other_purpose"), "other_purpose");
  // A role outside the enum matches no permit (and shifts nothing out of range).
  expect_default_deny(e.MayRecordConsent("idva", "victim_support", static_cast<v1::SubjectRole>(200)),
                      "a subject of no known role");
  expect_default_deny(e.MayRecordConsent("idva", "victim_support", v1::SUBJECT_ROLE_UNSPECIFIED),
                      "a subject of no known role");
  EXPECT_EQ(e.MayRecordConsent("perpetrator_programme", "victim_support", static_cast<v1::SubjectRole>(-1)).rule_id,
            "programme-never");
}

TEST(ConsentAuthorityTest, WithoutTheSectionNobodyMayRecordOrRead) {
  absl::StatusOr<LoadResult> loaded = Load(kBase);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const Evaluator e(loaded->policy);
  for (const char* agency : {"idva", "police", "perpetrator_programme"}) {
    ConsentAuthorityDecision d = e.MayRecordConsent(agency, "victim_support", v1::SUBJECT_ROLE_VICTIM);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.rule_id, kDefaultDeny);
    EXPECT_NE(d.reason.find("no consent_authority section"), std::string::npos) << d.reason;
    EXPECT_FALSE(e.MayReadConsent(agency, "victim_support").allowed);
  }
  std::vector<Diagnostic> lint = Lint(*loaded->policy);
  ASSERT_TRUE(HasWarning(lint, "the policy has no consent_authority section: no agency may record or read consent"));
  // An empty section is a decision, not an omission.
  absl::StatusOr<LoadResult> empty = Load(std::string(kBase) + "consent_authority: {}\n");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_FALSE(HasWarning(Lint(*empty->policy), "no consent_authority section"));
  EXPECT_FALSE(Evaluator(empty->policy).MayReadConsent("police", "victim_support").allowed);
}

TEST(ConsentAuthorityTest, TheHeaderFormUsesTheRoleOfTheStatementsSubject) {
  const Evaluator e = EvaluatorFor(std::string(kBase) + kAuthority);
  v1::EventHeader h;
  h.set_sender("idva");
  h.set_kind(v1::EVENT_KIND_CONSENT_RECORDED);
  v1::SubjectRef* victim = h.add_subjects();
  victim->set_role(v1::SUBJECT_ROLE_VICTIM);
  victim->set_ref("ref-v");
  v1::SubjectRef* perpetrator = h.add_subjects();
  perpetrator->set_role(v1::SUBJECT_ROLE_PERPETRATOR);
  perpetrator->set_ref("ref-p");
  h.mutable_consent_statement()->set_subject_ref("ref-v");
  h.mutable_consent_statement()->set_purpose("victim_support");
  EXPECT_TRUE(e.MayRecordConsent(h).allowed);
  h.mutable_consent_statement()->set_subject_ref("ref-p");
  EXPECT_FALSE(e.MayRecordConsent(h).allowed) << "the IDVA records the victim's consent, not the perpetrator's";
  h.mutable_consent_statement()->set_subject_ref("ref-nobody");
  ConsentAuthorityDecision absent = e.MayRecordConsent(h);
  EXPECT_FALSE(absent.allowed);
  EXPECT_EQ(absent.rule_id, kDefaultDeny);
  EXPECT_NE(absent.reason.find("not one of the event's subjects"), std::string::npos);
  // The same ref as victim and as perpetrator: every role must be allowed.
  h.mutable_consent_statement()->set_subject_ref("ref-v");
  perpetrator->set_ref("ref-v");
  EXPECT_FALSE(e.MayRecordConsent(h).allowed);
  h.set_sender("perpetrator_programme");
  perpetrator->set_ref("ref-p");
  EXPECT_EQ(e.MayRecordConsent(h).rule_id, "programme-never");
}

TEST(ConsentAuthorityTest, MalformedEntriesAreErrorsWithTheirPlace) {
  const std::string base = std::string(kBase) + "consent_authority:\n  record:\n";
  // Lines: consent_authority at 16, record at 17, the entry from 18.
  ExpectError(base + "    - {id: a, effect: permit, agencies: [idva], purposes: [victim_support]}\n", "p.yaml:18:7",
              "must list the 'subjects'");
  ExpectError(base + "    - {id: a, effect: permit, agencies: [idva], subjects: [victim]}\n", "p.yaml:18:7",
              "must list its 'purposes'");
  ExpectError(base + "    - {id: a, effect: allow, agencies: [idva]}\n", "p.yaml:18:23", "is not permit or forbid");
  ExpectError(base + "    - {id: a, effect: permit, purposes: [p], subjects: [victim]}\n", "p.yaml:18:7",
              "must name the agencies");
  ExpectError(base + "    - {id: a, effect: permit, agencies: [idva], purposes: [p], subjects: [victm]}\n",
              "p.yaml:18:75", "subject role 'victm'");
  ExpectError(base + "    - {id: a, effect: permit, kinds: [idva_service], purposes: [p], subjects: [victim]}\n",
              "p.yaml:18:39", "unknown agency kind 'idva_service'");
  ExpectError(base + "    - {id: a, effect: forbid, agencies: [perpetrator_programm]}\n", "p.yaml:18:42",
              "a forbid rule must only name known things");
  ExpectError(base + "    - {id: a, effect: permit, agencies: [idva], purposes: [Victim Support], subjects: [victim]}\n",
              "p.yaml:18:", "must be an identifier");
  ExpectError(base + "    - {id: standard-to-idva, effect: forbid, agencies: [idva]}\n", "p.yaml:18:", "duplicate rule id");
  ExpectError(base + "    - {id: default-deny, effect: forbid, agencies: [idva]}\n", "p.yaml:18:",
              "the name decisions give themselves");
  ExpectError(base + "    - {id: a, effect: permit, agencies: [idva], purposes: [p], subjects: [victim], colour: red}\n",
              "p.yaml:18:", "unknown key 'colour'");
  ExpectError(std::string(kBase) + "consent_authority:\n  read:\n    - {id: r, effect: permit, agencies: [idva], "
                                   "purposes: [p], subjects: [victim]}\n",
              "p.yaml:18:", "unknown key 'subjects'");
  ExpectError(std::string(kBase) + "consent_authority:\n  record: {id: a}\n", "p.yaml:17:", "must be a list");
  ExpectError(std::string(kBase) + "consent_authority:\n  writers: []\n", "p.yaml:17:", "unknown key 'writers'");
  ExpectError(std::string(kBase) + "consent_authority:\n  record: []\n  record: []\n", "p.yaml:18:3",
              "duplicate key 'record'");
}

TEST(ConsentAuthorityTest, UnknownAgenciesInAPermitWarnAndAllowNothing) {
  absl::StatusOr<LoadResult> loaded =
      Load(std::string(kBase) + "consent_authority:\n  record:\n    - {id: a, effect: permit, agencies: [idva_servics], "
                                "purposes: [victim_support], subjects: [victim]}\n");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(HasWarning(loaded->warnings, "unknown agency 'idva_servics'"));
  EXPECT_TRUE(HasWarning(Lint(*loaded->policy), "can never allow anything: it names no known agency"));
}

TEST(ConsentAuthorityTest, LintComparesPurposesWithTheConsentRules) {
  absl::StatusOr<LoadResult> loaded =
      Load(std::string(kBase) +
           "consent_authority:\n  record:\n    - {id: a, effect: permit, agencies: [idva], "
           "purposes: [victim_suport, partner_support], subjects: [victim]}\n"
           "  purposes_without_rules: [partner_support]\n");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  std::vector<Diagnostic> lint = Lint(*loaded->policy);
  EXPECT_TRUE(HasWarning(lint, "names purpose 'victim_suport', on which no consent rule rests"));
  EXPECT_FALSE(HasWarning(lint, "'partner_support', on which")) << "declared as recorded without a rule";
  EXPECT_TRUE(HasWarning(lint, "rule 'standard-to-idva' rests on consent for victim_support of the victim, but no "
                               "consent_authority.record entry lets any agency record it"));
  absl::StatusOr<LoadResult> contradiction =
      Load(std::string(kBase) + "consent_authority:\n  purposes_without_rules: [victim_support]\n");
  ASSERT_TRUE(contradiction.ok());
  EXPECT_TRUE(HasWarning(Lint(*contradiction->policy),
                         "'victim_support' is listed under purposes_without_rules, but rule 'standard-to-idva'"));
  absl::StatusOr<LoadResult> clean = Load(std::string(kBase) + kAuthority);
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(clean->warnings.empty());
  EXPECT_TRUE(Lint(*clean->policy).empty()) << Lint(*clean->policy)[0].message;
}

TEST(ConsentAuthorityTest, TheSectionIsPartOfThePolicyHash) {
  auto version = [](const std::string& text) {
    absl::StatusOr<LoadResult> loaded = Load(text);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded.ok() ? loaded->policy->version() : "";
  };
  const std::string with = version(std::string(kBase) + kAuthority);
  EXPECT_NE(with, version(kBase));
  std::string widened = std::string(kBase) + kAuthority;
  widened.replace(widened.find("agencies: [police, perpetrator_programme]"), 41, "agencies: [police, probation]");
  EXPECT_NE(with, version(widened)) << "who may read consent changes the version";
  std::string reformatted = std::string(kBase) + kAuthority;
  reformatted.replace(reformatted.find("      purposes: [victim_support]\n      subjects: [child]"), 54,
                      "      subjects: [child]\n      purposes:   [ victim_support ]  # same meaning");
  EXPECT_EQ(with, version(reformatted));
}

TEST(ConsentAuthorityTest, TestCasesAskWhoMayRecordAndRead) {
  accord::testing::TempDir dir;
  const std::string path = dir.Path("cases.yaml");
  std::ofstream(path) << "cases:\n"
                         "  - name: the programme may not withdraw the victim's consent\n"
                         "    consent_authority: {agency: perpetrator_programme, action: record, purpose: "
                         "victim_support, subject: victim}\n"
                         "    expect: deny\n"
                         "    rule: programme-never\n"
                         "  - name: police read\n"
                         "    consent_authority: {agency: police, action: read, purpose: victim_support}\n"
                         "    expect: allow\n"
                         "  - name: wrong on purpose\n"
                         "    consent_authority: {agency: perpetrator_programme, action: read, purpose: victim_support}\n"
                         "    expect: allow\n"
                         "  - name: right answer, wrong rule\n"
                         "    consent_authority: {agency: probation, action: read, purpose: victim_support}\n"
                         "    expect: deny\n"
                         "    rule: programme-never-reads\n";
  absl::StatusOr<std::vector<TestCase>> cases = ParseTestFile(path);
  ASSERT_TRUE(cases.ok()) << cases.status();
  ASSERT_EQ(cases->size(), 4u);
  const Evaluator e = EvaluatorFor(std::string(kBase) + kAuthority);
  EXPECT_TRUE(RunCase(e, (*cases)[0]).failures.empty());
  EXPECT_TRUE(RunCase(e, (*cases)[1]).failures.empty());
  CaseResult wrong = RunCase(e, (*cases)[2]);
  ASSERT_EQ(wrong.failures.size(), 1u);
  EXPECT_NE(wrong.failures[0].find("expected allow, got refused by 'programme-never-reads'"), std::string::npos)
      << wrong.failures[0];
  CaseResult rule = RunCase(e, (*cases)[3]);
  ASSERT_EQ(rule.failures.size(), 1u);
  EXPECT_NE(rule.failures[0].find("expected the decision of rule 'programme-never-reads', got refused by "
                                  "'default-deny'"),
            std::string::npos)
      << rule.failures[0];
}

TEST(ConsentAuthorityTest, MalformedTestCasesAreErrors) {
  accord::testing::TempDir dir;
  auto error = [&](const std::string& c) {
    const std::string path = dir.Path("cases.yaml");
    std::ofstream(path, std::ios::trunc) << "cases:\n  - name: c\n" << c;
    return ParseTestFile(path).status();
  };
  EXPECT_NE(error("    consent_authority: {agency: police, action: read, purpose: p, subject: victim}\n"
                  "    expect: deny\n")
                .message()
                .find("a read question has no subject"),
            std::string::npos);
  EXPECT_NE(error("    consent_authority: {agency: police, action: record, purpose: p}\n    expect: deny\n")
                .message()
                .find("needs 'subject'"),
            std::string::npos);
  EXPECT_NE(error("    consent_authority: {agency: police, action: write, purpose: p}\n    expect: deny\n")
                .message()
                .find("action 'write' is not record or read"),
            std::string::npos);
  EXPECT_NE(error("    consent_authority: {agency: police, action: read, purpose: p}\n    expect: maybe\n")
                .message()
                .find("cases.yaml:4:13: expect must be 'allow' or 'deny'"),
            std::string::npos);
  EXPECT_NE(error("    consent_authority: {agency: police, action: read, purpose: p}\n    expect: deny\n"
                  "    never: {police: [summary]}\n")
                .message()
                .find("unknown key 'never'"),
            std::string::npos);
}

TEST(ConsentAuthorityTest, ExplainListsWhoMayAndTheForbids) {
  const std::string out = ExplainConsentAuthority(EvaluatorFor(std::string(kBase) + kAuthority));
  EXPECT_NE(out.find("idva                     record  victim_support               victim       idva-records"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("police                   read    victim_support               -            police-read"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("perpetrator_programme    record  victim_support"), std::string::npos) << out;
  EXPECT_NE(out.find("perpetrator_programme    record  (every purpose)              (every)      programme-never"),
            std::string::npos)
      << out;
  EXPECT_NE(ExplainConsentAuthority(EvaluatorFor(kBase)).find("no consent_authority section"), std::string::npos);
}

}  // namespace
}  // namespace accord::policy
