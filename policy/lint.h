// `accord policy check`: warnings about a policy that loads but is probably
// not what its authors meant.
#ifndef ACCORD_POLICY_LINT_H_
#define ACCORD_POLICY_LINT_H_

#include <vector>

#include "policy/policy.h"

namespace accord::policy {

// Rules that can never match (no sender, no recipient, no section, only the
// sender as recipient), permits fully shadowed by a forbid, overrides without
// a justification section or without auditors to receive it; and for consent
// authority: a missing section (nobody may record or read consent), entries
// naming no known agency, purposes no consent rule rests on, and consent
// rules whose consent no agency may record; for relations: a missing
// section, relations nobody may declare, and rules sending to a relation the
// section does not name.
std::vector<Diagnostic> Lint(const Policy& policy);

}  // namespace accord::policy

#endif  // ACCORD_POLICY_LINT_H_
