// `accord audit verify`: checks a broker's audit log from its database alone.
// Streams every record once (no per-record lookups), recomputing each leaf
// hash and every complete subtree, and checks that
//   - record keys run 0, 1, 2, ... with no gap and each record's `sequence`
//     equals its key (nothing deleted, inserted or reordered);
//   - every recomputed hash equals the stored one (nothing edited);
//   - every stored signed head names the log key and matches the recomputed
//     root at its size; heads never go back in time; the latest head's
//     signature verifies with the partnership's log public key and it covers
//     every record (nothing appended without the key, nothing cut off);
//   - every head the auditor kept earlier matches the recomputed root at its
//     size (no rewritten or rolled-back history, even by the key holder);
//   - optionally, the who-saw index holds exactly the entries the records
//     imply (nothing hidden from queries).
// It reports the first problem in log order, naming the record.
#ifndef ACCORD_BROKER_AUDIT_OFFLINE_VERIFY_H_
#define ACCORD_BROKER_AUDIT_OFFLINE_VERIFY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "accord/v1/audit.pb.h"
#include "broker/audit/audit_log.h"

namespace accord::audit {

struct VerifyProgress {
  enum class Phase { kRecords, kIndex };
  Phase phase = Phase::kRecords;
  uint64_t done = 0;      // records, then index entries, checked so far
  uint64_t expected = 0;  // the latest head's size; the index entries the records imply
  absl::Duration elapsed;
};

struct VerifyOptions {
  std::string log_public_key;                  // 32-byte Ed25519 key from public/log.pub
  std::vector<v1::SignedTreeHead> kept_heads;  // heads the auditor kept from earlier
  bool all_signatures = false;  // verify every stored head's signature, not only the latest (~75 us each)
  bool check_index = true;      // prove the who-saw index matches the records
  std::function<void(const VerifyProgress&)> progress;
  uint64_t progress_every = uint64_t{1} << 20;  // records (or index entries) between calls
  // Start at the signed head of this size instead of record 0 (0: the whole
  // log): the records before it are not read; the right edge of its tree
  // comes from the stored tiles and must match its root, its signature and,
  // if given, `from_root` (what the broker's integrity check verified last).
  // Not with check_index or kept_heads.
  uint64_t from_size = 0;
  std::string from_root;
  // Polled every few thousand records; once it returns true the check ends
  // with CANCELLED.
  std::function<bool()> stop;
};

// The first thing found wrong.
struct VerifyFinding {
  uint64_t index = 0;   // the first record concerned
  std::string problem;  // what is wrong, for a person
};

struct VerifyReport {
  uint64_t first_record = 0;        // options.from_size
  uint64_t records = 0;             // records the log holds; those from first_record were checked
  uint64_t heads = 0;               // stored signed heads checked
  uint64_t signatures = 0;          // head signatures verified
  uint64_t index_entries = 0;       // index entries checked (check_index)
  std::optional<v1::TreeHead> latest_head;
  std::string root;                 // recomputed root of the stored records
  std::optional<VerifyFinding> finding;
  absl::Duration elapsed;
  bool ok() const { return !finding.has_value(); }
};

// Reads one snapshot of the database, so a live broker's log may be checked
// while it grows. A non-OK status means the check could not run (unreadable
// database, bad key, a kept head that is not signed by the log key); a log
// that fails the check, or whose stored blocks RocksDB finds corrupt, gives
// an OK status and a report with a finding.
absl::StatusOr<VerifyReport> VerifyAuditLog(rocksdb::DB* db, const AuditColumnFamilies& cfs,
                                            const VerifyOptions& options);

// Opens `data_dir` read-only (AuditDatabase::OpenReadOnly) and verifies it.
absl::StatusOr<VerifyReport> VerifyDataDirectory(const std::string& data_dir, const VerifyOptions& options);

}  // namespace accord::audit

#endif  // ACCORD_BROKER_AUDIT_OFFLINE_VERIFY_H_
