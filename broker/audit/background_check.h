// The broker's periodic integrity check of its whole audit log
// (docs/audit.md §Integrity checks): IntegrityChecker::CheckAll on a thread
// of its own at the lowest CPU and I/O priority (nice 19, idle I/O class),
// first at once and then `interval` after each pass ends. A pass reads one
// RocksDB snapshot and takes no lock of the log's, so appends and queries go
// on meanwhile; a log edited while the broker runs is found within one
// interval and one pass. The thread ends after a finding.
#ifndef ACCORD_BROKER_AUDIT_BACKGROUND_CHECK_H_
#define ACCORD_BROKER_AUDIT_BACKGROUND_CHECK_H_

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/audit/integrity_check.h"

namespace accord::audit {

class BackgroundIntegrityCheck {
 public:
  // Called on the check's thread.
  struct Listener {
    std::function<void(const CheckedRange&)> passed;
    std::function<void(const absl::Status&)> found;   // DATA_LOSS naming the first bad record
    std::function<void(const absl::Status&)> failed;  // could not read; tried again next interval
  };

  // `log` must outlive this object; `interval` must be positive.
  BackgroundIntegrityCheck(const AuditLog& log, std::string log_public_key, absl::Duration interval,
                           Listener listener);
  // Stops a pass under way (within a few thousand records) and joins.
  ~BackgroundIntegrityCheck();
  BackgroundIntegrityCheck(const BackgroundIntegrityCheck&) = delete;
  BackgroundIntegrityCheck& operator=(const BackgroundIntegrityCheck&) = delete;

 private:
  void Run();

  IntegrityChecker checker_;
  const absl::Duration interval_;
  const Listener listener_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> stop_{false};  // polled by a pass under way
  std::thread thread_;             // last: starts once the rest is set
};

}  // namespace accord::audit

#endif  // ACCORD_BROKER_AUDIT_BACKGROUND_CHECK_H_
