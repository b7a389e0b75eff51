// The broker's own check that its stored audit log still matches the heads it
// signed (docs/audit.md §Integrity checks), so that it never serves, proves or
// extends an edited log. The offline verifier (offline_verify.h) does the
// reading; this class decides where to start and remembers what it verified:
// the size and root of the last head checked, in audit_meta, so that a start
// re-reads only what no check has read yet.
//
// On a finding the log refuses further appends (AuditLog::RefuseAppends) and
// the marker is dropped, so that the next start checks the whole log.
#ifndef ACCORD_BROKER_AUDIT_INTEGRITY_CHECK_H_
#define ACCORD_BROKER_AUDIT_INTEGRITY_CHECK_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "broker/audit/audit_log.h"

namespace accord::audit {

// What a check verified last: the head of this size matched the records.
struct VerifiedMark {
  uint64_t tree_size = 0;  // 0: nothing yet
  std::string root_hash;   // 32 bytes; empty for size 0
};

struct CheckedRange {
  uint64_t from = 0;       // first record read
  uint64_t tree_size = 0;  // the latest head checked: records from..tree_size-1 were read
  absl::Duration elapsed;
};

class IntegrityChecker {
 public:
  // `log` must outlive the checker and have the audit_meta column family.
  // `log_public_key` is the 32-byte key of PARTNERSHIP/public/log.pub.
  IntegrityChecker(const AuditLog& log, std::string log_public_key);

  // The marker in audit_meta (size 0 if none; DATA_LOSS if malformed).
  absl::StatusOr<VerifiedMark> Marker() const;

  // Checks the records after `mark` (the whole log for size 0) against every
  // signed head stored since, the latest head's signature, and that nothing
  // was cut off; then saves the latest head checked as the marker. Reads one
  // RocksDB snapshot without any lock, so appends go on meanwhile.
  // DATA_LOSS naming the first record that does not match; CANCELLED once
  // `stop` returns true; other errors if the log could not be read.
  absl::StatusOr<CheckedRange> CheckSince(const VerifiedMark& mark,
                                          const std::function<bool()>& stop = nullptr);
  // CheckSince(Marker()): what the broker runs at start.
  absl::StatusOr<CheckedRange> CheckSinceMarker(const std::function<bool()>& stop = nullptr);
  absl::StatusOr<CheckedRange> CheckAll(const std::function<bool()>& stop = nullptr) {
    return CheckSince(VerifiedMark{}, stop);
  }

 private:
  absl::Status SaveMarker(const VerifiedMark& mark);

  const AuditLog& log_;
  const std::string log_public_key_;
};

}  // namespace accord::audit

#endif  // ACCORD_BROKER_AUDIT_INTEGRITY_CHECK_H_
