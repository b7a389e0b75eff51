// Reading one export file (.csv with a header row, or .jsonl) into rows
// checked against the profile's columns. Problems with the file as a whole
// are errors; problems with one record are left on that row for the mapper
// to reject.
#ifndef ACCORD_AGENTS_ADAPTERS_EXPORT_FILE_H_
#define ACCORD_AGENTS_ADAPTERS_EXPORT_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agents/adapters/row.h"

namespace accord::agents {

// The columns (CSV) or fields (JSON lines) a profile knows.
struct Schema {
  std::vector<std::string> columns;   // every known column
  std::vector<std::string> required;  // columns every CSV header must name
};

// Exports larger than this are refused whole.
inline constexpr std::size_t kMaxExportBytes = 64u << 20;

// Errors: NOT_FOUND / PERMISSION_DENIED when unreadable, INVALID_ARGUMENT for
// an extension other than .csv/.jsonl or a CSV header that is missing,
// malformed, names an unknown or repeated column or lacks a required one,
// RESOURCE_EXHAUSTED above kMaxExportBytes. CSV header names are matched
// ignoring case and surrounding spaces; JSON field names exactly. Rows of a
// JSON-lines file with an unknown field, and CSV rows with the wrong number
// of fields or invalid UTF-8, carry an error.
absl::StatusOr<std::vector<Row>> ReadExport(const std::string& path, const Schema& schema);

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_ADAPTERS_EXPORT_FILE_H_
