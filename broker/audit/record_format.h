// Audit records for people: action names, one-line descriptions, and who-saw
// rows as a table, CSV or JSON. Every string that came from an agency is
// made safe for the medium (no control characters on a terminal, no
// spreadsheet formulas in CSV).
#ifndef ACCORD_BROKER_AUDIT_RECORD_FORMAT_H_
#define ACCORD_BROKER_AUDIT_RECORD_FORMAT_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "accord/v1/audit.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace accord::audit {

google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);
// RFC 3339 in UTC ("2026-11-23T03:40:54.123456Z"), and its parser (any offset).
std::string FormatRfc3339(absl::Time t);
absl::StatusOr<absl::Time> ParseRfc3339(const std::string& rfc3339);

// "routed", "meeting_pack_pulled", ...; ParseAction also accepts
// "ROUTED" and "AUDIT_ACTION_ROUTED".
std::string ActionName(v1::AuditAction action);
absl::StatusOr<v1::AuditAction> ParseAction(std::string_view name);

// One line: time, action, who did what to whom, about which event and case.
std::string DescribeRecord(const v1::AuditRecord& record);

std::string WhoSawTable(const std::vector<v1::WhoSawRow>& rows);
std::string WhoSawCsv(const std::vector<v1::WhoSawRow>& rows);
// {"tree_size":..,"root_hash":hex,"head":{..},"rows":[{leaf_index, record, proof}]},
// protobuf's JSON mapping (bytes as base64).
std::string WhoSawJson(const std::vector<v1::WhoSawRow>& rows, const v1::SignedTreeHead& head,
                       const v1::TreeHead& tree_head);

}  // namespace accord::audit

#endif  // ACCORD_BROKER_AUDIT_RECORD_FORMAT_H_
