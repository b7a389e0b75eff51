// RFC 4180 CSV: comma-separated fields, optionally in double quotes; inside
// quotes, commas, line breaks and doubled quotes ("") are data. Records end
// with CRLF or LF. A malformed record is reported on its own, with its line
// and text, and reading resumes at the next record.
#ifndef ACCORD_AGENTS_ADAPTERS_CSV_READER_H_
#define ACCORD_AGENTS_ADAPTERS_CSV_READER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace accord::agents {

struct CsvRecord {
  int line = 0;                     // line on which the record starts, 1-based
  std::string raw;                  // the record's text, without its line ending
  std::vector<std::string> fields;  // unquoted field values
  absl::Status error;               // why the record is malformed; fields are then partial
};

// Splits `text` into records. A UTF-8 byte-order mark at the start is
// ignored, as are empty lines between records (they hold no fields). Errors:
// a quote inside an unquoted field, text after a closing quote, a quoted
// field still open at the end of the text (which swallows the rest of it).
std::vector<CsvRecord> ParseCsv(absl::string_view text);

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_ADAPTERS_CSV_READER_H_
