// Group commit's queue (LevelDB's DBImpl::Write with its writers_ deque, with
// a thread of its own so that no gRPC callback thread waits on a sync): items
// pushed while a batch is being written wait, and the writer thread then takes
// all of them, in push order and within the bounds, as the next batch.
#ifndef ACCORD_BROKER_WRITER_QUEUE_H_
#define ACCORD_BROKER_WRITER_QUEUE_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace accord::broker {

struct BatchBounds {
  size_t max_items = 64;         // publishes in one batch
  size_t max_bytes = 8u << 20;   // their envelopes' bytes (one larger item goes alone)
};

template <typename Item>
class WriterQueue {
 public:
  using Batch = std::vector<std::unique_ptr<Item>>;
  // `commit(batch)` runs on the writer thread, one batch at a time; it returns
  // the items to take again before anything pushed since (at the front, in
  // order). `bytes(item)` is what the bound counts.
  WriterQueue(BatchBounds bounds, std::function<size_t(const Item&)> bytes, std::function<Batch(Batch)> commit)
      : bounds_(bounds), bytes_(std::move(bytes)), commit_(std::move(commit)), thread_([this] { Run(); }) {}
  // Commits everything pushed before, then stops the thread.
  ~WriterQueue() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
  }
  WriterQueue(const WriterQueue&) = delete;
  WriterQueue& operator=(const WriterQueue&) = delete;

  // The writer thread's id (commit runs there).
  std::thread::id thread_id() const { return thread_.get_id(); }

  void Push(std::unique_ptr<Item> item) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(item));
  }

 private:
  void Run() {
    for (;;) {
      Batch batch;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &WriterQueue::Ready));
        if (queue_.empty()) return;  // stopping, and nothing is left
        size_t bytes = 0;
        while (!queue_.empty() && batch.size() < bounds_.max_items) {
          const size_t b = bytes_(*queue_.front());
          if (!batch.empty() && bytes + b > bounds_.max_bytes) break;
          bytes += b;
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      Batch again = commit_(std::move(batch));
      if (again.empty()) continue;
      absl::MutexLock lock(&mu_);
      for (auto it = again.rbegin(); it != again.rend(); ++it) queue_.push_front(std::move(*it));
    }
  }
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); }

  const BatchBounds bounds_;
  const std::function<size_t(const Item&)> bytes_;
  const std::function<Batch(Batch)> commit_;
  absl::Mutex mu_;
  std::deque<std::unique_ptr<Item>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the rest is initialised
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_WRITER_QUEUE_H_
