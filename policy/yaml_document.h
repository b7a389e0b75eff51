// The one way Accord reads a YAML file (policy, policy test cases, broker and
// agent configs, event files, the agent's outbox JSON). Before yaml-cpp builds
// a node tree, a pass over its parser events refuses, with file:line:column,
// what yaml-cpp would accept silently or pay for dearly: duplicate mapping
// keys (which yaml-cpp keeps, hiding one), keys that are not plain scalars,
// aliases beyond a small number or expanding beyond a node budget (an "alias
// bomb"), nesting beyond a depth, more than one document and files beyond a
// size. Parse errors are Status values; no yaml-cpp exception escapes.
#ifndef ACCORD_POLICY_YAML_DOCUMENT_H_
#define ACCORD_POLICY_YAML_DOCUMENT_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "yaml-cpp/yaml.h"

namespace accord::yaml {

struct Limits {
  std::size_t max_bytes = std::size_t{1} << 20;  // the file (or text) itself
  int max_aliases = 64;                           // '*name' references
  // Nodes of the document with every alias counted as the nodes it stands
  // for: what a traversal (e.g. the policy hash) will visit.
  std::uint64_t max_nodes = 200'000;
  int max_depth = 64;                             // nested mappings and lists
};

// Parses `text` as a single YAML document; `source` (usually the path)
// prefixes every message. Empty text gives a null node.
absl::StatusOr<YAML::Node> Parse(std::string_view text, std::string_view source, const Limits& limits = {});

// Reads at most limits.max_bytes of `path` (a larger file is refused before it
// is parsed) and parses it. A missing or unreadable file is NotFound.
absl::StatusOr<YAML::Node> LoadFile(const std::string& path, const Limits& limits = {});

// The text of `path`, refused if it has more than `max_bytes`.
absl::StatusOr<std::string> ReadFile(const std::string& path, std::size_t max_bytes);

// "source:line:column" of a node (1-based).
std::string Where(std::string_view source, const YAML::Node& node);
// InvalidArgument "source:line:column: message".
absl::Status ErrorAt(std::string_view source, const YAML::Node& node, std::string_view message);

// A whole number written as a plain decimal scalar (optional sign), within
// [min, max]; `what` names the field in the message, e.g. "limits.max_sections".
absl::StatusOr<std::int64_t> ReadInt64(const YAML::Node& node, std::string_view source, std::string_view what,
                                       std::int64_t min, std::int64_t max);

// The same, into a field of type T: [min, max] is the field's meaning and must
// lie within T, so a value that T cannot hold (4294967296 in a uint32_t, -1 in
// an unsigned field) is an error, never a wrap-around.
template <typename T>
absl::Status ReadInteger(const YAML::Node& node, std::string_view source, std::string_view what, T min, T max,
                         T* out) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  if constexpr (std::is_unsigned_v<T> && sizeof(T) == sizeof(std::int64_t)) {
    // Bounds beyond int64 are not meaningful for any Accord setting.
    if (max > static_cast<T>(std::numeric_limits<std::int64_t>::max())) {
      max = static_cast<T>(std::numeric_limits<std::int64_t>::max());
    }
  }
  absl::StatusOr<std::int64_t> v =
      ReadInt64(node, source, what, static_cast<std::int64_t>(min), static_cast<std::int64_t>(max));
  if (!v.ok()) return v.status();
  *out = static_cast<T>(*v);
  return absl::OkStatus();
}

}  // namespace accord::yaml

#endif  // ACCORD_POLICY_YAML_DOCUMENT_H_
