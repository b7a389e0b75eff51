// Wakes open Subscribe streams when their agency's queue grows. Notify only
// marks the agency and returns: the listeners run on the notifier's own
// thread, never on the publisher's, and wake-ups for one agency that arrive
// while its listeners are pending are coalesced into one.
#ifndef ACCORD_BROKER_QUEUE_NOTIFIER_H_
#define ACCORD_BROKER_QUEUE_NOTIFIER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"

namespace accord::broker {

class QueueNotifier {
 public:
  QueueNotifier();
  // Stops the thread; pending wake-ups are dropped.
  ~QueueNotifier();
  QueueNotifier(const QueueNotifier&) = delete;
  QueueNotifier& operator=(const QueueNotifier&) = delete;

  // Returns a handle for Remove(). A listener must not call Add or Remove.
  uint64_t Add(const std::string& agency, std::function<void()> listener);
  // After Remove returns, the listener is not running and will not run again.
  void Remove(const std::string& agency, uint64_t id);
  // Cheap and non-blocking: schedules `agency`'s listeners.
  void Notify(const std::string& agency);

 private:
  void Run();

  absl::Mutex run_mu_;  // held while listeners run; taken before mu_
  absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::map<uint64_t, std::function<void()>>> listeners_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_QUEUE_NOTIFIER_H_
