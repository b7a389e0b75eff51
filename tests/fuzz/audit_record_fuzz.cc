// The audit record reader (broker/audit/record_format.h): a leaf as stored and
// as auditors fetch it (a serialized AuditRecord, whatever an agency put in
// its strings), described in one line and as who-saw rows in every format;
// and the same bytes as an action name and as an RFC 3339 time.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "broker/audit/record_format.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

// What record_format promises for a terminal: no control characters but the
// table's own line breaks.
void CheckNoControl(const std::string& text, const char* what) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n') || u == 0x7f) accord::fuzz::Fail(std::string(what) + " has a control character");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace accord;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)audit::ParseAction(bytes);
  if (absl::StatusOr<absl::Time> t = audit::ParseRfc3339(bytes); t.ok()) {
    absl::StatusOr<absl::Time> back = audit::ParseRfc3339(audit::FormatRfc3339(*t));
    if (!back.ok() || *back != *t) fuzz::Fail("RFC 3339 time does not survive format and parse");
  }

  v1::AuditRecord record;
  if (!record.ParseFromString(bytes)) return 0;
  CheckNoControl(audit::DescribeRecord(record), "DescribeRecord");
  (void)audit::ActionName(record.action());

  std::vector<v1::WhoSawRow> rows(1);
  rows[0].set_leaf_index(record.sequence());
  *rows[0].mutable_record() = record;
  CheckNoControl(audit::WhoSawTable(rows), "WhoSawTable");
  (void)audit::WhoSawCsv(rows);
  (void)audit::WhoSawJson(rows, v1::SignedTreeHead(), v1::TreeHead());
  return 0;
}
