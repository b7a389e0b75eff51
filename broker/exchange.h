// The broker's routing core (DESIGN.md §5, §6): plans, publishes, consent,
// queues and acknowledgements, independent of gRPC so that it can be tested
// and reasoned about on its own. The caller's agency is always the one the
// transport authenticated; every method takes it as `caller`. Every refusal
// of a plan, publish, consent record or read and ack is audited (refusals()).
#ifndef ACCORD_BROKER_EXCHANGE_H_
#define ACCORD_BROKER_EXCHANGE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "accord/v1/broker.pb.h"
#include "broker/config.h"
#include "broker/health.h"
#include "broker/logger.h"
#include "broker/partnership_directory.h"
#include "broker/queue_notifier.h"
#include "broker/refusal_log.h"
#include "broker/store.h"
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

class Exchange {
 public:
  explicit Exchange(BrokerContext ctx);

  absl::StatusOr<v1::SharePlan> PlanShare(const std::string& caller, const std::string& header_bytes);
  // Verifies, re-evaluates policy, stores, enqueues and audits in one durable
  // write, and returns the signed receipt. Idempotent per event id.
  absl::StatusOr<v1::Receipt> Publish(const std::string& caller, const v1::Envelope& envelope);
  // Publish for EVENT_KIND_CONSENT_RECORDED events only.
  absl::StatusOr<v1::Receipt> RecordConsent(const std::string& caller, const v1::Envelope& envelope);
  absl::StatusOr<v1::ConsentStatus> GetConsent(const std::string& caller,
                                               const v1::GetConsentRequest& request);

  // The caller's deliveries after `after` (each with only the caller's wraps),
  // at most `limit`; each position's first delivery is audited as DELIVERED
  // before it is returned.
  absl::StatusOr<std::vector<v1::Delivery>> TakeDeliveries(const std::string& caller,
                                                           uint64_t after, size_t limit);
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

 private:
  struct Checked;  // a verified envelope, see exchange.cc
  absl::StatusOr<v1::SharePlan> Plan(const std::string& caller, const std::string& header_bytes);
  absl::StatusOr<v1::Receipt> VerifyAndPublish(const std::string& caller, const v1::Envelope& envelope,
                                               bool consent_call);
  absl::StatusOr<v1::ConsentStatus> ReadConsent(const std::string& caller, const v1::GetConsentRequest& request);
  absl::StatusOr<v1::AckResponse> Acknowledge(const std::string& caller, uint64_t through);
  // What the refusal record of a call about `header_bytes` carries.
  absl::Status Refused(const std::string& caller, const char* call, const std::string& header_bytes,
                       absl::Status status);
  absl::StatusOr<Checked> Verify(const std::string& caller, const v1::Envelope& envelope) const;
  absl::StatusOr<v1::Receipt> PublishChecked(const std::string& caller, Checked checked);
  v1::Receipt SignReceipt(const v1::ReceiptBody& body) const;
  // The destination is a partnership agency; an answer (in_reply_to) answers
  // an event the broker holds and that was addressed to its sender.
  absl::Status CheckAddressing(const v1::EventHeader& h) const;

  BrokerContext ctx_;
  RefusalLog refusals_;
  // Serialises publishes: duplicate check, case state and consent are read and
  // written under it, so two publishes never interleave their read-modify-write.
  absl::Mutex publish_mu_;
  // Serialises the audit of first deliveries (Store::DeliveredThrough).
  absl::Mutex delivery_mu_;
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_EXCHANGE_H_
