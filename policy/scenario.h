// Events and test cases written by hand, for `accord policy explain` and
// `accord policy test` (format in docs/policy.md §Explaining and testing).
#ifndef ACCORD_POLICY_SCENARIO_H_
#define ACCORD_POLICY_SCENARIO_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/v1/envelope.pb.h"
#include "policy/evaluator.h"

namespace accord::policy {

// A described event with its case context and the consent states to assume.
struct Scenario {
  v1::EventHeader header;
  CaseContext context;
  // (subject ref, purpose) -> state
  std::map<std::pair<std::string, std::string>, v1::ConsentState> consent;

  ConsentLookup Lookup() const;
};

// What a case expects for one agency.
struct Expectation {
  enum class Kind { kSections, kNothing, kNotified } kind = Kind::kSections;
  std::vector<std::string> sections;  // exact set, for kSections
};

// A consent-authority case: may `agency` record (or read) consent?
struct ConsentAuthorityCase {
  std::string agency;
  ConsentAction action = ConsentAction::kRecord;
  std::string purpose;
  v1::SubjectRole subject = v1::SUBJECT_ROLE_UNSPECIFIED;  // record only
  bool expect_allowed = false;
  std::string expect_rule;  // the deciding entry (or "default-deny"); empty: not checked
};

// Either an event (scenario, expect, never, override) or a consent-authority
// question.
struct TestCase {
  std::string name;
  int line = 0;
  std::optional<ConsentAuthorityCase> consent_authority;
  Scenario scenario;
  std::map<std::string, Expectation> expect;
  std::map<std::string, std::vector<std::string>> never;  // agency -> sections never granted
  std::string override_expectation;                        // "", "used" or "refused"
  // "": every relation the event declares or ends must be one its sender may
  // (the broker refuses the whole event otherwise); "refused": at least one
  // is not, and the decision is not checked (the broker stores nothing).
  std::string relations_expectation;
  // The exact ids of the patterns the event matches / schedules it starts,
  // when the case says (`patterns: [...]`, `schedules: [...]`).
  std::optional<std::vector<std::string>> patterns;
  std::optional<std::vector<std::string>> schedules;
};

// Parses an event description (a YAML mapping). Subject refs may be any
// string; roles name them in consent entries ("victim" means the victim's ref).
absl::StatusOr<Scenario> ParseScenarioFile(const std::string& path);
// "victim:victim_support=withdrawn" or "REF:purpose=state".
absl::Status AddConsentFlag(const std::string& spec, Scenario* scenario);
absl::StatusOr<std::vector<TestCase>> ParseTestFile(const std::string& path);

struct CaseResult {
  std::string name;
  int line = 0;
  std::vector<std::string> failures;
  v1::Decision decision;                                         // event cases
  std::optional<ConsentAuthorityDecision> consent_authority;     // consent-authority cases
};

CaseResult RunCase(const Evaluator& evaluator, const TestCase& test);

}  // namespace accord::policy

#endif  // ACCORD_POLICY_SCENARIO_H_
