// Shared by the policy loader's parts (rules and overrides in loader.cc, the
// consent authority in consent_authority_parser.cc): error and warning
// collection with source positions, and name lists compiled to masks. Not
// part of the policy library's interface.
#ifndef ACCORD_POLICY_INTERNAL_COMPILER_H_
#define ACCORD_POLICY_INTERNAL_COMPILER_H_

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "policy/policy.h"
#include "yaml-cpp/yaml.h"

namespace accord::policy::internal {

SourceLocation At(const YAML::Node& n);

// Lower-case letters, digits, '_' and '-', starting with a letter.
bool IsIdentifier(const std::string& s);

// Collects warnings while compiling; the first error aborts.
class Compiler {
 public:
  explicit Compiler(std::string source) : source_(std::move(source)) {}

  const std::string& source() const { return source_; }
  absl::Status Error(const YAML::Node& n, const std::string& message) const;
  void Warn(const YAML::Node& n, const std::string& message) { warnings_.push_back({At(n), message}); }
  // `map` is a mapping whose every key is in `allowed`.
  absl::Status Keys(const YAML::Node& map, const std::string& what, const std::set<std::string>& allowed) const;
  absl::StatusOr<std::string> Scalar(const YAML::Node& n, const std::string& what) const;
  // A single value or a list of single values, each with its node.
  absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> List(const YAML::Node& n,
                                                                        const std::string& what) const;
  // An unknown reference: a warning, or an error in a forbid rule (a forbid
  // that names nothing protects nothing).
  absl::Status Unknown(const YAML::Node& n, const std::string& message, bool in_forbid);
  std::vector<Diagnostic> TakeWarnings() { return std::move(warnings_); }

 private:
  std::string source_;
  std::vector<Diagnostic> warnings_;
};

struct Context {
  Compiler* c;
  Policy* policy;
};

// Name lists to masks. Unknown agencies and sections warn (error in forbids);
// unknown kinds and flags are errors.
absl::StatusOr<Mask> AgencyMask(Context& ctx, const YAML::Node& n, const std::string& what, bool in_forbid);
absl::StatusOr<Mask> KindMask(Context& ctx, const YAML::Node& n, const std::string& what, bool in_forbid);
// The agencies a mapping names by id under `ids_key` and by kind under
// `kinds_key` (either may be absent; 0 when both are).
absl::StatusOr<Mask> AgenciesByIdAndKind(Context& ctx, const YAML::Node& map, const char* ids_key,
                                         const char* kinds_key, const std::string& what, bool in_forbid);
// Section names as rules write them: "base" or "base@role". An unknown base
// warns (errors in forbids); an unknown role is an error. "all" (forbids
// only) is every section.
absl::StatusOr<SectionSet> Sections(Context& ctx, const YAML::Node& n, const std::string& what, bool in_forbid);
// Subject roles (victim, perpetrator, child, other) as a mask by SubjectRole.
absl::StatusOr<Mask> RoleMask(Context& ctx, const YAML::Node& n, const std::string& what);
absl::StatusOr<Mask> EventMask(Context& ctx, const YAML::Node& n, const std::string& what, bool in_forbid);
// Event kinds where an unknown name is always an error (relations, patterns,
// schedules: a misspelt kind there would silently end nothing or count
// nothing). `names`, when given, receives the names as written.
absl::StatusOr<Mask> KnownEventMask(Context& ctx, const YAML::Node& n, const std::string& what,
                                    std::vector<std::string>* names = nullptr);
// "a, b or c".
std::string JoinOr(const std::vector<std::string>& parts);
absl::StatusOr<Mask> FlagMask(Context& ctx, const YAML::Node& n, const std::string& what);

// Recipients as rules write them under `to`: agencies, kinds, relations,
// destination.
absl::StatusOr<Targets> ParseTargets(Context& ctx, const YAML::Node& n, const std::string& what, bool in_forbid);

// A whole number in [min, max], or an error naming `what`.
absl::StatusOr<int> Int(Context& ctx, const YAML::Node& n, const std::string& what, int min, int max);
// true or false, or an error naming `what`.
absl::StatusOr<bool> Bool(Context& ctx, const YAML::Node& n, const std::string& what);

// A rule or override id: an identifier, unique among all ids in `ids`, and
// not one of the names decisions use for themselves ('default-deny').
absl::StatusOr<std::string> RuleId(Context& ctx, const YAML::Node& n, const std::string& what,
                                   std::set<std::string>* ids);

}  // namespace accord::policy::internal

#endif  // ACCORD_POLICY_INTERNAL_COMPILER_H_
