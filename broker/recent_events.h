// The events delivered most recently, parsed once: every recipient's stream
// builds its delivery from the same stored event, and reading and parsing it
// again for each (four recipients in the bench's fan-out) took an eighth of
// the broker's CPU at 1,000 events/s (docs/performance.md). A stored event
// never changes once written (a publish of a stored id is a duplicate), so a
// kept copy is what a read would return. Whatever comes to delete stored
// sections (retention, erasure) must Drop the event here as well.
#ifndef ACCORD_BROKER_RECENT_EVENTS_H_
#define ACCORD_BROKER_RECENT_EVENTS_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "broker/storage.pb.h"

namespace accord::broker {

class RecentEvents {
 public:
  // Holds at most `capacity` events; the oldest kept goes first.
  explicit RecentEvents(std::size_t capacity = 512) : capacity_(capacity) {}
  RecentEvents(const RecentEvents&) = delete;
  RecentEvents& operator=(const RecentEvents&) = delete;

  // The kept event, or null.
  std::shared_ptr<const StoredEvent> Find(const std::string& event_id) const;
  void Keep(const std::string& event_id, std::shared_ptr<const StoredEvent> event);
  void Drop(const std::string& event_id);
  std::size_t size() const;

 private:
  const std::size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const StoredEvent>> events_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);  // ids in the order kept (may name dropped ones)
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_RECENT_EVENTS_H_
