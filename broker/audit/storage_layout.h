// How the audit log lays out its four column families (docs/audit.md
// §Storage), and the few fields of a serialized AuditRecord that the log
// indexes and checks, read straight from the wire format. The writer (Stage),
// the queries and the offline verifier all derive index keys from here, so
// the verifier can prove the index matches the records.
#ifndef ACCORD_BROKER_AUDIT_STORAGE_LAYOUT_H_
#define ACCORD_BROKER_AUDIT_STORAGE_LAYOUT_H_

#include <algorithm>
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

// The index values a record implies, as key prefixes:
//   s|<subject_ref>|   c|<case_ref>|   e|<event_id>|
//   a|<agency>| (actor_agency, recipient and withheld[].recipient)
//   k|u8(action)|   t|be64(unix micros)|
// Empty strings are not indexed; a prefix is listed once even if it matches twice.
std::vector<std::string> IndexPrefixes(const RecordFields& fields);

// audit_index entries (docs/audit.md §Storage). A key is a prefix followed by
// be64(first leaf). In the run layout the value is be64(count): the `count`
// leaves from `first` on all imply the prefix, and the run is maximal within
// one append (a run never crosses a stored signed head). In the layout before
// runs every entry names one leaf and its value is empty; the log records in
// audit_meta (kIndexRunsFromKey) from which leaf on it writes runs.
inline constexpr char kIndexRunsFromKey[] = "index_runs_from";
std::string RunValue(uint64_t count);
// 1 for an empty value (the layout before runs); nullopt if malformed or 0.
std::optional<uint64_t> RunCount(std::string_view value);

// The per-leaf keys of the layout before runs: every prefix + be64(leaf).
std::vector<std::string> IndexKeys(const RecordFields& fields, uint64_t leaf);

// Builds the run entries of consecutive records: Add each record in leaf
// order, End at every append boundary. `emit(key, value)` receives each run
// as it ends.
class IndexRuns {
 public:
  template <typename Emit>
  void Add(uint64_t leaf, const RecordFields& fields, Emit emit) {
    std::vector<std::string> prefixes = IndexPrefixes(fields);
    for (std::size_t i = 0; i < open_.size();) {
      if (std::find(prefixes.begin(), prefixes.end(), open_[i].prefix) == prefixes.end()) {
        emit(open_[i].prefix + Be64(open_[i].first), RunValue(leaf - open_[i].first));
        open_[i] = std::move(open_.back());
        open_.pop_back();
      } else {
        ++i;
      }
    }
    for (std::string& p : prefixes) {
      const bool running = std::any_of(open_.begin(), open_.end(), [&](const Run& r) { return r.prefix == p; });
      if (!running) open_.push_back(Run{std::move(p), leaf});
    }
  }
  // Ends every run at `end` (one past the last leaf added).
  template <typename Emit>
  void End(uint64_t end, Emit emit) {
    for (const Run& r : open_) emit(r.prefix + Be64(r.first), RunValue(end - r.first));
    open_.clear();
  }

 private:
  struct Run {
    std::string prefix;
    uint64_t first;
  };
  std::vector<Run> open_;
};

// Prefixes for the queries: every key for that value starts with it.
std::string SubjectPrefix(std::string_view ref);
std::string CasePrefix(std::string_view case_ref);
std::string EventPrefix(std::string_view event_id);
std::string AgencyPrefix(std::string_view agency);
std::string ActionPrefix(int action);
std::string TimeKeyPrefix(int64_t micros);  // "t|" be64(max(micros, 0)) "|"
inline constexpr std::string_view kTimePrefix = "t|";

// The (first) leaf index at the end of any audit_index key.
std::optional<uint64_t> LeafOfIndexKey(std::string_view key);

}  // namespace accord::audit

#endif  // ACCORD_BROKER_AUDIT_STORAGE_LAYOUT_H_
