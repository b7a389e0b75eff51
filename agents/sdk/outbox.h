// The agent's durable store-and-forward queue (DESIGN.md §9). An event is
// accepted from the agency's export only once it is synced here; it leaves
// only when the broker has given a receipt. Sealed bytes are kept so that a
// retry after a lost reply publishes the identical envelope (the broker then
// returns the original receipt instead of rejecting a "different" duplicate).
#ifndef ACCORD_AGENTS_SDK_OUTBOX_H_
#define ACCORD_AGENTS_SDK_OUTBOX_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agents/sdk/outbox_record.pb.h"
#include "crypto/envelope.h"
#include "rocksdb/db.h"

namespace accord::agents {

struct OutgoingEvent {
  v1::EventHeader header;
  std::vector<crypto::PlainSection> sections;
  std::string source;
};

class Outbox {
 public:
  // Opens (creating if needed) the outbox database in `dir`.
  static absl::StatusOr<std::unique_ptr<Outbox>> Open(const std::string& dir);
  ~Outbox();

  // Adds events in one synced write, in order. An event whose id is already in
  // the outbox (pending or sent) is skipped. Returns how many were new.
  absl::StatusOr<int> AddAll(const std::vector<OutgoingEvent>& events);

  // The oldest unsent record, or nullopt when everything has been sent.
  absl::StatusOr<std::optional<agent::OutboxRecord>> Next();

  absl::Status RecordSealed(uint64_t seq, const v1::Envelope& envelope);
  // Drops the sealed bytes (the broker refused them without storing, e.g. the
  // policy changed): the next attempt plans and seals again.
  absl::Status ClearSealed(uint64_t seq, const std::string& error);
  absl::Status RecordAttempt(uint64_t seq, const std::string& error);
  absl::Status MarkSent(uint64_t seq, const v1::Receipt& receipt);
  // The broker refused the event for good: it leaves the queue with the
  // refusal recorded (Sent() lists it, with refused_code set).
  absl::Status MarkRefused(uint64_t seq, const absl::Status& refusal);

  absl::StatusOr<uint64_t> PendingCount();
  absl::StatusOr<std::vector<agent::OutboxRecord>> Sent();

 private:
  explicit Outbox(std::unique_ptr<rocksdb::DB> db, uint64_t next_seq);
  absl::StatusOr<agent::OutboxRecord> Load(uint64_t seq);
  absl::Status Store(const agent::OutboxRecord& record, bool move_to_sent);

  std::unique_ptr<rocksdb::DB> db_;
  absl::Mutex mu_;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_);
};

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_SDK_OUTBOX_H_
