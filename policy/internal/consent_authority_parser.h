// The policy's consent_authority section (docs/policy.md §Consent authority):
// who may record consent and who may read consent state.
#ifndef ACCORD_POLICY_INTERNAL_CONSENT_AUTHORITY_PARSER_H_
#define ACCORD_POLICY_INTERNAL_CONSENT_AUTHORITY_PARSER_H_

#include <set>
#include <string>

#include "absl/status/status.h"
#include "policy/internal/compiler.h"
#include "yaml-cpp/yaml.h"

namespace accord::policy::internal {

// `section` may be undefined (no section: nobody may record or read consent).
// Entry ids join `ids`, shared with rules and overrides.
absl::Status ParseConsentAuthority(Context& ctx, const YAML::Node& section, std::set<std::string>* ids);

}  // namespace accord::policy::internal

#endif  // ACCORD_POLICY_INTERNAL_CONSENT_AUTHORITY_PARSER_H_
