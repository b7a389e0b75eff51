// How the audit log lays out its four column families (docs/audit.md
// §Storage), and the few fields of a serialized AuditRecord that the log
// indexes and checks, read straight from the wire format. The writer (Stage),
// the queries and the offline verifier all derive index keys from here, so
// the verifier can prove the index matches the records.
#ifndef ACCORD_BROKER_AUDIT_STORAGE_LAYOUT_H_
#define ACCORD_BROKER_AUDIT_STORAGE_LAYOUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"

namespace accord::audit {

// Big-endian fixed 64-bit, so that RocksDB's bytewise order is numeric order.
std::string Be64(uint64_t v);
// Inline: the offline verifier reads one per record.
inline std::optional<uint64_t> ReadBe64(std::string_view eight_bytes) {
  if (eight_bytes.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (char c : eight_bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::string LeafKey(uint64_t index);      // audit_leaves: be64(index)  (audit_tiles: tiles.h)
std::string HeadKey(uint64_t tree_size);  // audit_heads: be64(tree_size)

// The indexed and checked fields of one record. The string views point into
// the serialized record they were read from.
struct RecordFields {
  uint64_t sequence = 0;
  int action = 0;
  int64_t time_micros = 0;  // since the Unix epoch
  std::string_view actor_agency;
  std::string_view recipient;
  std::string_view event_id;
  std::string_view case_ref;
  // subjects[].ref, consent.subject_ref and consent_statement.subject_ref.
  absl::InlinedVector<std::string_view, 4> subject_refs;
  // withheld[].recipient, in order (an agency may appear more than once).
  absl::InlinedVector<std::string_view, 4> withheld_from;

  // Whether the record concerns `agency`: as actor, recipient or one it
  // withheld from.
  bool Names(std::string_view agency) const;
};

// Reads `leaf` as protobuf wire format (last value wins, as in a full parse).
// INVALID_ARGUMENT if it is not a well-formed AuditRecord encoding.
absl::StatusOr<RecordFields> ReadRecordFields(std::string_view leaf);
// Only the record's `sequence` (0 if absent), checking that the top-level
// wire format is well formed; what the offline verifier needs per record when
// it does not also check the index. INVALID_ARGUMENT as ReadRecordFields.
absl::StatusOr<uint64_t> ReadRecordSequence(std::string_view leaf);

// A serialized SignedTreeHead and the TreeHead inside it, read straight from
// the wire format (last value wins, as in a full parse); what the offline
// verifier reads for each of the log's heads, at a sixth of the cost of
// parsing the two messages.
struct HeadFields {
  std::string_view tree_head;  // the signed bytes
  std::string_view signature;
  uint64_t tree_size = 0;
  std::string_view root_hash;
  int64_t seconds = 0;  // timestamp
  int32_t nanos = 0;
  std::string_view log_key_id;
};
// INVALID_ARGUMENT if either message is not well-formed wire format.
absl::StatusOr<HeadFields> ReadHeadFields(std::string_view signed_head);

// audit_index keys, all ending in be64(leaf) and mapping to an empty value:
//   s|<subject_ref>|leaf   c|<case_ref>|leaf   e|<event_id>|leaf
//   a|<agency>|leaf (actor_agency, recipient and withheld[].recipient)
//   k|u8(action)|leaf
//   t|be64(unix micros)|leaf
// Empty strings are not indexed; a key is listed once even if it matches twice.
std::vector<std::string> IndexKeys(const RecordFields& fields, uint64_t leaf);

// Prefixes for the queries: every key for that value starts with it.
std::string SubjectPrefix(std::string_view ref);
std::string CasePrefix(std::string_view case_ref);
std::string EventPrefix(std::string_view event_id);
std::string AgencyPrefix(std::string_view agency);
std::string ActionPrefix(int action);
std::string TimeKeyPrefix(int64_t micros);  // "t|" be64(max(micros, 0)) "|"
inline constexpr std::string_view kTimePrefix = "t|";

// The leaf index at the end of any audit_index key.
std::optional<uint64_t> LeafOfIndexKey(std::string_view key);

}  // namespace accord::audit

#endif  // ACCORD_BROKER_AUDIT_STORAGE_LAYOUT_H_
