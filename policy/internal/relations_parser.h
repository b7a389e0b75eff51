// The policy's `relations` section (docs/policy.md §Relations): who may
// declare which relation, whom it belongs to, which events end or imply it.
#ifndef ACCORD_POLICY_INTERNAL_RELATIONS_PARSER_H_
#define ACCORD_POLICY_INTERNAL_RELATIONS_PARSER_H_

#include <set>
#include <string>

#include "absl/status/status.h"
#include "policy/internal/compiler.h"

namespace accord::policy::internal {

// `section` may be undefined (no relations section: nobody may declare any).
absl::Status ParseRelations(Context& ctx, const YAML::Node& section, std::set<std::string>* ids);

}  // namespace accord::policy::internal

#endif  // ACCORD_POLICY_INTERNAL_RELATIONS_PARSER_H_
