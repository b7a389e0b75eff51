// Wakes open Subscribe streams when their agency's queue grows. Listeners are
// called without the notifier's lock held only for registration; Notify holds
// it, so a listener must not call back into the notifier.
#ifndef ACCORD_BROKER_QUEUE_NOTIFIER_H_
#define ACCORD_BROKER_QUEUE_NOTIFIER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"

namespace accord::broker {

class QueueNotifier {
 public:
  // Returns a handle for Remove().
  uint64_t Add(const std::string& agency, std::function<void()> listener) {
    absl::MutexLock lock(&mu_);
    const uint64_t id = ++next_id_;
    listeners_[agency][id] = std::move(listener);
    return id;
  }
  // After Remove returns, the listener is not running and will not run again.
  void Remove(const std::string& agency, uint64_t id) {
    absl::MutexLock lock(&mu_);
    auto it = listeners_.find(agency);
    if (it != listeners_.end()) it->second.erase(id);
  }
  void Notify(const std::string& agency) {
    absl::MutexLock lock(&mu_);
    auto it = listeners_.find(agency);
    if (it == listeners_.end()) return;
    for (auto& [id, fn] : it->second) fn();
  }

 private:
  absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::map<uint64_t, std::function<void()>>> listeners_ ABSL_GUARDED_BY(mu_);
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_QUEUE_NOTIFIER_H_
