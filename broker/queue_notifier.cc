#include "broker/queue_notifier.h"

#include <utility>
#include <vector>

namespace accord::broker {

QueueNotifier::QueueNotifier() : thread_([this] { Run(); }) {}

QueueNotifier::~QueueNotifier() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

uint64_t QueueNotifier::Add(const std::string& agency, std::function<void()> listener) {
  absl::MutexLock lock(&mu_);
  const uint64_t id = ++next_id_;
  listeners_[agency][id] = std::move(listener);
  return id;
}

void QueueNotifier::Remove(const std::string& agency, uint64_t id) {
  absl::MutexLock running(&run_mu_);
  absl::MutexLock lock(&mu_);
  auto it = listeners_.find(agency);
  if (it == listeners_.end()) return;
  it->second.erase(id);
  if (it->second.empty()) listeners_.erase(it);
}

void QueueNotifier::Notify(const std::string& agency) {
  absl::MutexLock lock(&mu_);
  if (listeners_.count(agency) > 0) pending_.insert(agency);
}

void QueueNotifier::Run() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](QueueNotifier* n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(n->mu_) { return n->stopping_ || !n->pending_.empty(); },
          this));
      if (stopping_) return;
    }
    // run_mu_ (taken only now: Remove waits on it) keeps every listener in
    // `due` registered while it runs.
    absl::MutexLock running(&run_mu_);
    std::vector<std::function<void()>*> due;
    {
      absl::MutexLock lock(&mu_);
      for (const std::string& agency : pending_) {
        auto it = listeners_.find(agency);
        if (it == listeners_.end()) continue;
        for (auto& [id, fn] : it->second) due.push_back(&fn);
      }
      pending_.clear();
    }
    for (std::function<void()>* fn : due) (*fn)();
  }
}

}  // namespace accord::broker
