// Human-readable tables of a decision, for `accord policy explain` and for
// failed `accord policy test` cases.
#ifndef ACCORD_POLICY_EXPLAIN_H_
#define ACCORD_POLICY_EXPLAIN_H_

#include <string>

#include "accord/v1/policy.pb.h"
#include "policy/policy.h"

namespace accord::policy {

std::string ExplainDecision(const Policy& policy, const v1::Decision& decision);

}  // namespace accord::policy

#endif  // ACCORD_POLICY_EXPLAIN_H_
