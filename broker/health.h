// The broker's serving state, made of named conditions that subsystems set
// and clear (a storage write error, a failed audit integrity check). Health
// checks say SERVING only while no condition fails; a halting condition also
// makes every call fail with UNAVAILABLE and its reason. Thread-safe.
#ifndef ACCORD_BROKER_HEALTH_H_
#define ACCORD_BROKER_HEALTH_H_

#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace accord::broker {

class Health {
 public:
  enum class Severity {
    kDegraded,  // NOT_SERVING; calls still run (and fail where they need the cause)
    kHalted,    // NOT_SERVING and every call refused
  };

  // `watcher(serving)` runs now with the current state, then after every
  // change of Serving(), in order, with no lock of mu_ held.
  void Watch(std::function<void(bool serving)> watcher);

  void SetFailing(const std::string& condition, Severity severity, std::string reason);
  void Clear(const std::string& condition);

  bool Serving() const;
  // OK, or UNAVAILABLE naming every halting condition and its reason.
  absl::Status CheckCalls() const;
  // "condition: reason; ..." of every failing condition, empty when serving.
  std::string Describe() const;

 private:
  struct Failure {
    Severity severity;
    std::string reason;
  };
  void Changed();

  absl::Mutex notify_mu_;  // orders watcher_ calls; taken before mu_
  std::function<void(bool)> watcher_ ABSL_GUARDED_BY(notify_mu_);
  mutable absl::Mutex mu_;
  std::map<std::string, Failure> failing_ ABSL_GUARDED_BY(mu_);
  bool reported_ ABSL_GUARDED_BY(notify_mu_) = true;
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_HEALTH_H_
