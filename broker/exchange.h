// The broker's routing core (DESIGN.md §5, §6): plans, publishes, consent,
// queues and acknowledgements, independent of gRPC so that it can be tested
// and reasoned about on its own. The caller's agency is always the one the
// transport authenticated; every method takes it as `caller`. Every refusal
// of a plan, publish, consent record or read and ack is audited (refusals()).
#ifndef ACCORD_BROKER_EXCHANGE_H_
#define ACCORD_BROKER_EXCHANGE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "accord/v1/broker.pb.h"
#include "broker/config.h"
#include "broker/health.h"
#include "broker/logger.h"
#include "broker/ordered_writes.h"
#include "broker/partnership_directory.h"
#include "broker/queue_notifier.h"
#include "broker/recent_events.h"
#include "broker/refusal_log.h"
#include "broker/store.h"
#include "broker/writer_queue.h"
#include "crypto/signing.h"
#include "policy/policy_holder.h"

namespace accord::broker {

// Everything the services share. Not owned; all outlive the services.
struct BrokerContext {
  Store* store = nullptr;
  policy::PolicyHolder* policy = nullptr;
  const PartnershipDirectory* directory = nullptr;
  const crypto::SigningKey* log_key = nullptr;
  Limits limits;
  Logger* log = nullptr;
  QueueNotifier* notifier = nullptr;
  Health* health = nullptr;
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

class Exchange : public OrderedWrites {
 public:
  using ReceiptCallback = std::function<void(absl::StatusOr<v1::Receipt>)>;

  // Starts the writer thread of the publish path; `batches` bounds a group
  // commit.
  explicit Exchange(BrokerContext ctx, BatchBounds batches = BatchBounds());
  // Commits what was published before, then stops the writer thread.
  ~Exchange() override;

  absl::StatusOr<v1::SharePlan> PlanShare(const std::string& caller, const std::string& header_bytes);
  // Verifies, re-evaluates policy, stores, enqueues and audits in one durable
  // write, and returns the signed receipt. Idempotent per event id.
  //
  // Verification (sizes, header, signature, digests, keys) runs on the calling
  // thread, in parallel with other callers. The rest is ordered: the writer
  // thread takes the publishes queued while the previous batch was written,
  // evaluates each in queue order against the state the ones before it leave
  // (case book, consent, duplicates), and commits them with one synced write
  // and one signed tree head (Store::ApplyBatch). `done` runs on the writer
  // thread once the batch is durable, or with its error; a failed batch fails
  // every publish in it and stores none of them.
  void PublishAsync(const std::string& caller, const v1::Envelope& envelope, ReceiptCallback done);
  absl::StatusOr<v1::Receipt> Publish(const std::string& caller, const v1::Envelope& envelope);
  // Publish for EVENT_KIND_CONSENT_RECORDED events only.
  void RecordConsentAsync(const std::string& caller, const v1::Envelope& envelope, ReceiptCallback done);
  absl::StatusOr<v1::Receipt> RecordConsent(const std::string& caller, const v1::Envelope& envelope);
  absl::StatusOr<v1::ConsentStatus> GetConsent(const std::string& caller,
                                               const v1::GetConsentRequest& request);

  using DeliveriesCallback = std::function<void(absl::StatusOr<std::vector<v1::Delivery>>)>;
  using AckCallback = std::function<void(absl::StatusOr<v1::AckResponse>)>;

  // The caller's deliveries after `after` (each with only the caller's wraps),
  // at most `limit`; each position's first delivery is audited as DELIVERED
  // before it is returned. The queue is read and the deliveries built on the
  // calling thread; their DELIVERED records are written by the writer thread
  // with the batch being committed (group commit), and `done` runs there once
  // they are durable. When every position was audited before, `done` runs at
  // once on the calling thread.
  void TakeDeliveriesAsync(const std::string& caller, uint64_t after, size_t limit, DeliveriesCallback done);
  absl::StatusOr<std::vector<v1::Delivery>> TakeDeliveries(const std::string& caller,
                                                           uint64_t after, size_t limit);
  // Acknowledges the caller's queue through `through`, ordered and committed
  // with the publishes of a batch; `done` runs on the writer thread once the
  // ACKNOWLEDGED records are durable.
  void AckAsync(const std::string& caller, uint64_t through, AckCallback done);
  absl::StatusOr<v1::AckResponse> Ack(const std::string& caller, uint64_t through);
  uint64_t AckedThrough(const std::string& caller) const;

  // Re-reads the policy file; audited with the new hash. On error the old
  // policy stays active and the error is returned.
  absl::StatusOr<v1::ReloadPolicyResponse> ReloadPolicy(const std::string& who);
  // Audits the policy active at start-up (once per distinct hash).
  absl::Status RecordPolicyLoaded(const std::string& who);

  // A delivery for `caller` built from its queue entry.
  absl::StatusOr<v1::Delivery> BuildDelivery(const std::string& caller, const QueueItem& item) const;

  // Raises the broker notices of schedule steps due by `now` (at most `limit`
  // in one batch), to the recipients the policy names for the case as it is
  // now; each is raised once. Returns how many fell due.
  absl::StatusOr<int> RaiseDueNotices(absl::Time now, size_t limit = 256);
  const BrokerContext& context() const { return ctx_; }
  RefusalLog& refusals() { return refusals_; }

  // Writes a change built by its caller (a refusal record, a meeting pack's
  // cursor and records) through the writer queue: it is committed in the same
  // write, sync and signed tree head as the publishes of its batch, and this
  // returns once that is durable, or with the batch's error. Called on the
  // writer thread itself (a refusal answered while a batch is answered) it
  // cannot wait for a batch and is written at once, on its own.
  absl::StatusOr<Assigned> WriteOrdered(Mutation m, absl::Time now) override;

 private:
  struct Checked;  // a verified envelope, see exchange.cc
  struct Pending;  // a publish, or another ordered change, waiting for its batch
  struct Ordered;  // a publish evaluated in its batch's order
  absl::StatusOr<v1::SharePlan> Plan(const std::string& caller, const std::string& header_bytes);
  void VerifyAndQueue(const std::string& caller, const v1::Envelope& envelope, bool consent_call,
                      ReceiptCallback done);
  absl::StatusOr<v1::ConsentStatus> ReadConsent(const std::string& caller, const v1::GetConsentRequest& request);
  // The ack's mutation, read against `view`; nullopt when nothing changes.
  absl::StatusOr<std::optional<Mutation>> Acknowledge(const Store& view, const std::string& caller,
                                                      uint64_t through, v1::AckResponse* resp) const;
  // Queues a change to be built against the batch view by the writer thread
  // and committed with the batch; `built(positions or error)` runs there.
  void Submit(std::function<absl::StatusOr<std::optional<Mutation>>(const Store& view)> build,
              std::function<void(absl::StatusOr<Assigned>)> built);
  // What the refusal record of a call about `header_bytes` carries.
  absl::Status Refused(const std::string& caller, const char* call, const std::string& header_bytes,
                       absl::Status status);
  absl::StatusOr<Checked> Verify(const std::string& caller, const v1::Envelope& envelope) const;
  // Commits one batch on the writer thread and answers each of its publishes;
  // returns those that must wait for the next batch (their event id, or the
  // one they answer, is stored by an earlier publish of this batch).
  std::vector<std::unique_ptr<Pending>> CommitBatch(std::vector<std::unique_ptr<Pending>> batch);
  // The checks, policy decision and mutation of one publish, read against
  // `view` (the store as the earlier publishes of the batch leave it). The
  // mutation's finalize writes the signed receipt to `*receipt`.
  absl::StatusOr<Ordered> Order(const std::string& caller, const Checked& c, const Store& view,
                                v1::Receipt* receipt);
  v1::Receipt SignReceipt(const v1::ReceiptBody& body) const;
  // A committed event as deliveries and acks read it: the kept copy, else
  // read from `store` and kept; null if `store` does not hold it.
  absl::StatusOr<std::shared_ptr<const StoredEvent>> DeliveredEvent(const Store& store,
                                                                   const std::string& event_id) const;
  // The destination is a partnership agency; an answer (in_reply_to) answers
  // an event the broker holds (in `store`) and that was addressed to its sender.
  absl::Status CheckAddressing(const Store& store, const v1::EventHeader& h) const;

  BrokerContext ctx_;
  RefusalLog refusals_;
  mutable RecentEvents delivered_events_;  // BuildDelivery's reads, shared by the recipients' streams
  // Held by the writer thread while it orders and writes a batch: every
  // read-modify-write of duplicate checks, case state, consent, queue heads,
  // acks and audited deliveries is made there, in batch order (Submit).
  absl::Mutex publish_mu_;
  // Last: its thread stops (committing what is queued) before the rest goes.
  std::unique_ptr<WriterQueue<Pending>> writer_;
  std::thread::id writer_thread_;  // writer_'s, set once in the constructor
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_EXCHANGE_H_
