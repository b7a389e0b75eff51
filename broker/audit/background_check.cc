#include "broker/audit/background_check.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace accord::audit {
namespace {

// Linux applies nice values and I/O priorities per thread (by thread id).
// Best effort: without them the check still runs, only less politely.
void LowerThisThreadsPriority() {
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  (void)::setpriority(PRIO_PROCESS, tid, 19);
  constexpr int kIoprioWhoProcess = 1;  // <linux/ioprio.h>
  constexpr int kIoprioClassIdle = 3;
  constexpr int kIoprioClassShift = 13;
  (void)::syscall(SYS_ioprio_set, kIoprioWhoProcess, tid, kIoprioClassIdle << kIoprioClassShift);
}

}  // namespace

BackgroundIntegrityCheck::BackgroundIntegrityCheck(const AuditLog& log, std::string log_public_key,
                                                   absl::Duration interval, Listener listener)
    : checker_(log, std::move(log_public_key)),
      interval_(interval),
      listener_(std::move(listener)),
      thread_([this] { Run(); }) {}

BackgroundIntegrityCheck::~BackgroundIntegrityCheck() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  stop_.store(true, std::memory_order_relaxed);
  thread_.join();
}

void BackgroundIntegrityCheck::Run() {
  LowerThisThreadsPriority();
  const auto stop = [this] { return stop_.load(std::memory_order_relaxed); };
  for (;;) {
    absl::StatusOr<CheckedRange> pass = checker_.CheckAll(stop);
    if (stop()) return;
    if (pass.ok()) {
      if (listener_.passed) listener_.passed(*pass);
    } else if (absl::IsDataLoss(pass.status())) {
      if (listener_.found) listener_.found(pass.status());
      return;  // the log stays refused until an operator restarts the broker
    } else if (listener_.failed) {
      listener_.failed(pass.status());
    }
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
    if (stopping_) return;
  }
}

}  // namespace accord::audit
