// The broker's durable state behind one interface (DESIGN.md §10): events,
// per-recipient queues, acknowledgements, consent, case state, meeting cursors
// and the audit log. Every change is one Mutation applied atomically and
// durably together with its audit records, so that a record exists exactly
// when the action it records happened. RocksDB (rocksdb_store.h) is the
// embedded default; a replicated engine can implement the same interface.
#ifndef ACCORD_BROKER_STORE_H_
#define ACCORD_BROKER_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "accord/v1/audit.pb.h"
#include "accord/v1/broker.pb.h"
#include "broker/audit/audit_log.h"
#include "broker/storage.pb.h"

namespace accord::broker {

struct Enqueue {
  std::string agency;
  QueueEntry entry;
};

struct CursorUpdate {
  std::string meeting_id;
  std::string agency;
  MeetingCursor cursor;
};

// Positions the store assigned while applying a mutation.
struct Assigned {
  uint64_t event_sequence = 0;          // 0 when the mutation stores no event
  std::vector<uint64_t> queue_sequences;  // one per Mutation::enqueue, same order
  uint64_t first_audit_index = 0;
  uint64_t audit_count = 0;
  // Covers every record of this mutation (and of the others committed with it
  // by ApplyBatch); unset when the mutation has no audit records.
  v1::SignedTreeHead head;
};

struct Mutation {
  std::optional<StoredEvent> event;     // keyed by its envelope's event id
  std::vector<Enqueue> enqueue;
  std::vector<std::pair<std::string, uint64_t>> acks;  // agency -> acked through
  std::vector<std::pair<std::string, uint64_t>> delivered;  // agency -> first deliveries audited through
  std::vector<v1::ConsentStatus> consents;
  std::vector<std::pair<std::string, CaseState>> cases;  // case_ref -> new state
  std::vector<CursorUpdate> cursors;
  std::vector<std::pair<std::string, PerpetratorState>> perpetrators;  // pseudonym -> new state
  std::vector<ScheduledNotice> schedule;     // reminders to raise when due
  std::vector<std::string> unschedule;       // keys (DueNotice::key) of reminders raised
  std::vector<v1::AuditRecord> audit;
  // Runs after positions are assigned and before the batch is written, to fill
  // what depends on them (the signed receipt). An error aborts the mutation.
  std::function<absl::Status(const Assigned&, StoredEvent*)> finalize;
};

struct DueNotice {
  std::string key;  // its place in the schedule, for Mutation::unschedule
  ScheduledNotice notice;
};

struct QueueItem {
  uint64_t sequence = 0;
  QueueEntry entry;
};

class Store {
 public:
  virtual ~Store() = default;

  // Atomic and durable (synced) or nothing. Thread-safe; mutations are applied
  // one at a time in call order.
  absl::StatusOr<Assigned> Apply(Mutation mutation, absl::Time now);
  // Group commit: `mutations` in order, as if applied one after another, but
  // in one atomic write with one sync and one signed tree head over all their
  // audit records (each Assigned carries it). All of them or none: any error,
  // including one mutation's finalize, stores nothing and changes no counter.
  virtual absl::StatusOr<std::vector<Assigned>> ApplyBatch(std::vector<Mutation> mutations,
                                                           absl::Time now) = 0;

  virtual absl::StatusOr<std::optional<StoredEvent>> FindEvent(const std::string& event_id) const = 0;
  // Entries of `agency`'s queue with sequence > after, at most `limit`.
  virtual absl::StatusOr<std::vector<QueueItem>> ReadQueue(const std::string& agency,
                                                           uint64_t after, size_t limit) const = 0;
  virtual uint64_t QueueHead(const std::string& agency) const = 0;    // last assigned, 0 if none
  virtual uint64_t AckedThrough(const std::string& agency) const = 0;
  // The highest queue position whose first delivery has been audited.
  virtual uint64_t DeliveredThrough(const std::string& agency) const = 0;
  virtual absl::StatusOr<std::optional<v1::ConsentStatus>> GetConsent(
      const std::string& subject_ref, const std::string& purpose) const = 0;
  virtual absl::StatusOr<CaseState> GetCase(const std::string& case_ref) const = 0;
  // An empty state for a perpetrator the broker has not seen.
  virtual absl::StatusOr<PerpetratorState> GetPerpetrator(const std::string& subject_ref) const = 0;
  // Scheduled reminders due at or before `now`, earliest first, at most `limit`.
  virtual absl::StatusOr<std::vector<DueNotice>> DueNotices(absl::Time now, size_t limit) const = 0;
  virtual absl::StatusOr<std::optional<MeetingCursor>> GetCursor(const std::string& meeting_id,
                                                                 const std::string& agency) const = 0;
  virtual uint64_t EventCount() const = 0;
  // What this store has written since it was opened: synced write batches,
  // the keys put in them and their bytes (RocksDB's WriteBatch data size).
  struct WriteTotals {
    uint64_t batches = 0;
    uint64_t keys = 0;
    uint64_t bytes = 0;
  };
  virtual WriteTotals Written() const = 0;
  // OK while writes succeed; after a failed write (disk full, out of file
  // descriptors, ...) its error, until a write succeeds again.
  virtual absl::Status WriteError() const = 0;
  // Tries to make the store writable again after a write error (the cause may
  // be gone): OK when a synced probe write succeeds.
  virtual absl::Status Recover() = 0;
  // Read side of the audit log: heads, proofs, who-saw queries.
  virtual const audit::AuditLog& audit() const = 0;
};

inline absl::StatusOr<Assigned> Store::Apply(Mutation mutation, absl::Time now) {
  std::vector<Mutation> one;
  one.push_back(std::move(mutation));
  absl::StatusOr<std::vector<Assigned>> a = ApplyBatch(std::move(one), now);
  if (!a.ok()) return a.status();
  return std::move(a->front());
}

}  // namespace accord::broker

#endif  // ACCORD_BROKER_STORE_H_
