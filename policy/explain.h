// Human-readable tables of a decision, for `accord policy explain` and for
// failed `accord policy test` cases.
#ifndef ACCORD_POLICY_EXPLAIN_H_
#define ACCORD_POLICY_EXPLAIN_H_

#include <string>

#include "accord/v1/policy.pb.h"
#include "policy/evaluator.h"
#include "policy/policy.h"

namespace accord::policy {

std::string ExplainDecision(const Policy& policy, const v1::Decision& decision);

// The facts of an event the policy decides on, in a few lines: kind, sender,
// whom it is about, where it is addressed, risk, flags, sections (with their
// roles), and the relations it declares or ends.
std::string ExplainEvent(const v1::EventHeader& header);

// What the broker's case book would do with the event beyond routing it: each
// relation it declares or ends (allowed, or refused with the reason: the
// broker refuses the whole event), the relations it ends or implies by its
// kind, the patterns it matches and the schedules it starts.
std::string ExplainLifecycle(const Evaluator& evaluator, const v1::EventHeader& header, const CaseContext& context);

// Who may record and read consent, for every purpose the policy names; and
// what its forbid entries refuse. Everything else is refused (default-deny).
std::string ExplainConsentAuthority(const Evaluator& evaluator);

// One line for a consent-authority decision: "allowed by 'rule': reason".
std::string ExplainConsentAuthorityDecision(const ConsentAuthorityDecision& d);

}  // namespace accord::policy

#endif  // ACCORD_POLICY_EXPLAIN_H_
