// JSON lines: one JSON object per line, flat. Values may be strings, whole
// numbers, booleans, null (= absent) or arrays of those (read as a
// ';'-separated list, like a list column in CSV). A line that is not such an
// object comes back as a row with its error set; reading goes on.
#ifndef ACCORD_AGENTS_ADAPTERS_JSONL_READER_H_
#define ACCORD_AGENTS_ADAPTERS_JSONL_READER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "agents/adapters/row.h"

namespace accord::agents {

// Blank lines are not records. `file` names the rows' source.
std::vector<Row> ParseJsonLines(absl::string_view text, const std::string& file);

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_ADAPTERS_JSONL_READER_H_
