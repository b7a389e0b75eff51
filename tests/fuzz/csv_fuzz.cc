// The CSV reader (agents/adapters/csv_reader.h), then the same bytes as an
// export file of each agency profile (export_file.h), mapped to events as
// accord-agent maps what lands in its inbox.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "agents/adapters/csv_reader.h"
#include "tests/fuzz/export_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace accord;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  int last_line = 0;
  for (const agents::CsvRecord& r : agents::ParseCsv(text)) {
    if (r.line <= last_line) fuzz::Fail("CSV records out of line order");
    last_line = r.line;
    if (r.raw.size() > size) fuzz::Fail("a CSV record longer than the text");
  }
  fuzz::ReadAndMapExport("export.csv", data, size);
  return 0;
}
