// The store as a group commit will leave it: reads see the committed store
// with the mutations added so far on top (events, consent, case and
// perpetrator state, acknowledgements and audited deliveries), so that each
// change of a batch is evaluated after the ones before it. Nothing is written; Apply and ApplyBatch are refused.
#ifndef ACCORD_BROKER_BATCH_VIEW_H_
#define ACCORD_BROKER_BATCH_VIEW_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "broker/store.h"

namespace accord::broker {

class BatchView : public Store {
 public:
  // `store` must outlive the view.
  explicit BatchView(const Store* store) : store_(store) {}

  // What `m` will change, as seen by the reads that follow.
  void Add(const Mutation& m);
  // True when a mutation added so far stores the event `event_id`.
  bool Holds(const std::string& event_id) const { return events_.count(event_id) > 0; }

  absl::StatusOr<std::vector<Assigned>> ApplyBatch(std::vector<Mutation> mutations, absl::Time now) override;
  absl::StatusOr<std::optional<StoredEvent>> FindEvent(const std::string& event_id) const override;
  absl::StatusOr<std::vector<QueueItem>> ReadQueue(const std::string& agency, uint64_t after,
                                                   size_t limit) const override {
    return store_->ReadQueue(agency, after, limit);
  }
  uint64_t QueueHead(const std::string& agency) const override { return store_->QueueHead(agency); }
  uint64_t AckedThrough(const std::string& agency) const override;
  uint64_t DeliveredThrough(const std::string& agency) const override;
  absl::StatusOr<std::optional<v1::ConsentStatus>> GetConsent(const std::string& subject_ref,
                                                              const std::string& purpose) const override;
  absl::StatusOr<CaseState> GetCase(const std::string& case_ref) const override;
  absl::StatusOr<PerpetratorState> GetPerpetrator(const std::string& subject_ref) const override;
  absl::StatusOr<std::vector<DueNotice>> DueNotices(absl::Time now, size_t limit) const override {
    return store_->DueNotices(now, limit);
  }
  absl::StatusOr<std::optional<MeetingCursor>> GetCursor(const std::string& meeting_id,
                                                         const std::string& agency) const override {
    return store_->GetCursor(meeting_id, agency);
  }
  uint64_t EventCount() const override { return store_->EventCount() + events_.size(); }
  WriteTotals Written() const override { return store_->Written(); }
  absl::Status WriteError() const override { return store_->WriteError(); }
  absl::Status Recover() override;
  const audit::AuditLog& audit() const override { return store_->audit(); }

 private:
  const Store* store_;
  std::map<std::string, StoredEvent> events_;  // by event id
  std::map<std::pair<std::string, std::string>, v1::ConsentStatus> consents_;  // (subject, purpose)
  std::map<std::string, CaseState> cases_;
  std::map<std::string, PerpetratorState> perpetrators_;
  std::map<std::string, uint64_t> acked_;      // agency -> acked through
  std::map<std::string, uint64_t> delivered_;  // agency -> first deliveries audited through
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_BATCH_VIEW_H_
