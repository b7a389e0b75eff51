// One record of an export, whatever the file format, and typed access to its
// fields. A FieldReader records every problem it meets (naming the column and
// what was expected) instead of stopping at the first, so that a rejected row
// says everything that is wrong with it.
#ifndef ACCORD_AGENTS_ADAPTERS_ROW_H_
#define ACCORD_AGENTS_ADAPTERS_ROW_H_

#include <cstddef>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace accord::agents {

struct Row {
  std::string file;  // file name, without folders
  int line = 0;      // line on which the record starts, 1-based
  std::string raw;   // the record's text as in the file
  // Column -> value, trimmed; empty values are left out (absent = empty).
  std::map<std::string, std::string> fields;
  std::string error;  // non-empty: the record itself is malformed

  std::string source() const;  // "file.csv:12"
};

enum class Need { kOptional, kRequired };

// Longer values are rejected: sections travel in one envelope, which the
// broker limits (4 MiB by default).
inline constexpr std::size_t kMaxFieldBytes = 32u << 10;

class FieldReader {
 public:
  // `row` must outlive the reader.
  explicit FieldReader(const Row& row) : row_(row) {}

  bool Has(const std::string& column) const { return row_.fields.count(column) > 0; }

  // Free text; "" when absent.
  std::string Text(const std::string& column, Need need = Need::kOptional);
  // A real calendar date written YYYY-MM-DD.
  std::optional<absl::CivilDay> Date(const std::string& column, Need need = Need::kOptional);
  // An RFC 3339 date and time with an explicit offset (2025-03-03T23:40:00Z).
  std::optional<absl::Time> Time(const std::string& column, Need need = Need::kOptional);
  // yes/no, true/false, y/n (any case).
  std::optional<bool> Bool(const std::string& column, Need need = Need::kOptional);
  // A whole number in [min, max].
  std::optional<int> Int(const std::string& column, int min, int max, Need need = Need::kOptional);
  // One of `allowed` (lower-case; matched ignoring case, '-' read as '_').
  // Returns the allowed spelling, or "" when absent or unknown.
  std::string Enum(const std::string& column, std::initializer_list<absl::string_view> allowed,
                   Need need = Need::kOptional);
  // A ';'-separated list; items trimmed, empty items dropped.
  std::vector<std::string> List(const std::string& column, Need need = Need::kOptional);
  // An identifier such as an agency id or a consent purpose: [a-z0-9_]+.
  std::string Identifier(const std::string& column, Need need = Need::kOptional);

  // Records a problem that is not about a single column's syntax.
  void Fail(std::string reason);

  // Records an error for every filled column that no accessor has read: a
  // value the mapping would otherwise drop without a word.
  void FailUnread();

  bool ok() const { return errors_.empty(); }
  // Every problem, "; "-separated.
  std::string reason() const;

 private:
  // The value, or nullptr when absent (recording an error if required).
  const std::string* Get(const std::string& column, Need need);
  void Bad(const std::string& column, const std::string& value, absl::string_view expected);

  const Row& row_;
  std::set<std::string> read_;  // columns an accessor has looked at
  std::vector<std::string> errors_;
};

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_ADAPTERS_ROW_H_
