#include "broker/recent_events.h"

#include <utility>

namespace accord::broker {

std::shared_ptr<const StoredEvent> RecentEvents::Find(const std::string& event_id) const {
  absl::MutexLock lock(&mu_);
  auto it = events_.find(event_id);
  return it == events_.end() ? nullptr : it->second;
}

void RecentEvents::Keep(const std::string& event_id, std::shared_ptr<const StoredEvent> event) {
  if (capacity_ == 0 || event == nullptr) return;
  absl::MutexLock lock(&mu_);
  if (!events_.emplace(event_id, std::move(event)).second) return;
  order_.push_back(event_id);
  while (events_.size() > capacity_ && !order_.empty()) {
    events_.erase(order_.front());
    order_.pop_front();
  }
  // Ids of dropped events linger in order_ until their turn; bound them too.
  while (order_.size() > 2 * capacity_) {
    events_.erase(order_.front());
    order_.pop_front();
  }
}

void RecentEvents::Drop(const std::string& event_id) {
  absl::MutexLock lock(&mu_);
  events_.erase(event_id);
}

std::size_t RecentEvents::size() const {
  absl::MutexLock lock(&mu_);
  return events_.size();
}

}  // namespace accord::broker
