// Reads a policy file (YAML, schema in docs/policy.md) into a compiled Policy.
// Structural problems (malformed YAML, unknown keys, wrong types, duplicate
// ids, missing fields) are errors naming line and column; references to
// unknown agencies, sections, event kinds or flags are warnings, except in
// forbid rules, where they are errors: a forbid that names nothing protects
// nothing. An unknown name never widens a rule: a list whose every entry is
// unknown matches nothing.
#ifndef ACCORD_POLICY_LOADER_H_
#define ACCORD_POLICY_LOADER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "policy/policy.h"

namespace accord::policy {

struct LoadResult {
  std::shared_ptr<const Policy> policy;
  std::vector<Diagnostic> warnings;
};

// `source_name` prefixes messages (usually the file path).
absl::StatusOr<LoadResult> ParsePolicy(const std::string& yaml_text, const std::string& source_name);
absl::StatusOr<LoadResult> LoadPolicyFile(const std::string& path);

// The canonical form that is hashed: JSON with sorted keys, no insignificant
// white space, every scalar a string (docs/policy.md §Hash).
absl::StatusOr<std::string> CanonicalForm(const std::string& yaml_text);

}  // namespace accord::policy

#endif  // ACCORD_POLICY_LOADER_H_
