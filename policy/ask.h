// `accord policy ask`: one practitioner's question ("may victim_services share
// this risk assessment with perpetrator_programme?") answered in plain words:
// yes or no, under which rule, lawful basis and special-category condition,
// and when no, the other routes the policy has (consent, a different risk or
// flag, a case relation, a safeguarding override and who may authorise it,
// MARAC). docs/policy.md §Asking the policy.
#ifndef ACCORD_POLICY_ASK_H_
#define ACCORD_POLICY_ASK_H_

#include <string>

#include "absl/status/statusor.h"
#include "policy/evaluator.h"

namespace accord::policy {

struct Question {
  std::string from;      // agency id
  std::string to;        // agency id
  std::string section;   // "risk", "health@perpetrator"
  std::string kind;      // event kind name, e.g. "risk_assessment"
  std::string about;     // optional subject role name
  std::string risk;      // optional risk level name
};

struct Answer {
  bool yes = false;
  std::string text;      // the whole answer, several lines
};

// InvalidArgument naming what is unknown (agency, section, kind, role, level).
absl::StatusOr<Answer> Ask(const Evaluator& evaluator, const Question& q);

}  // namespace accord::policy

#endif  // ACCORD_POLICY_ASK_H_
