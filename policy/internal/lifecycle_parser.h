// Perpetrator conditions (`when.perpetrator`, a pattern's `perpetrator`), and
// the policy's `patterns` and `schedules` sections (docs/policy.md
// §Perpetrators across cases, §Patterns, §Schedules).
#ifndef ACCORD_POLICY_INTERNAL_LIFECYCLE_PARSER_H_
#define ACCORD_POLICY_INTERNAL_LIFECYCLE_PARSER_H_

#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "policy/internal/compiler.h"

namespace accord::policy::internal {

// Event kinds counted as incidents when a condition names no `kinds`.
Mask DefaultIncidentKinds();

absl::StatusOr<PerpetratorCondition> ParsePerpetratorCondition(Context& ctx, const YAML::Node& n,
                                                               const std::string& what);
// Either section may be undefined (none).
absl::Status ParsePatterns(Context& ctx, const YAML::Node& section, std::set<std::string>* ids);
absl::Status ParseSchedules(Context& ctx, const YAML::Node& section, std::set<std::string>* ids);

}  // namespace accord::policy::internal

#endif  // ACCORD_POLICY_INTERNAL_LIFECYCLE_PARSER_H_
