#include "broker/batch_view.h"

namespace accord::broker {

void BatchView::Add(const Mutation& m) {
  if (m.event.has_value()) {
    v1::EventHeader h;
    h.ParseFromString(m.event->envelope().header());
    events_[h.event_id()] = *m.event;
  }
  for (const v1::ConsentStatus& c : m.consents) consents_[{c.subject_ref(), c.purpose()}] = c;
  for (const auto& [ref, state] : m.cases) cases_[ref] = state;
  for (const auto& [ref, state] : m.perpetrators) perpetrators_[ref] = state;
  for (const auto& [agency, through] : m.acks) acked_[agency] = through;
  for (const auto& [agency, through] : m.delivered) delivered_[agency] = through;
}

uint64_t BatchView::AckedThrough(const std::string& agency) const {
  auto it = acked_.find(agency);
  return it != acked_.end() ? it->second : store_->AckedThrough(agency);
}

uint64_t BatchView::DeliveredThrough(const std::string& agency) const {
  auto it = delivered_.find(agency);
  return it != delivered_.end() ? it->second : store_->DeliveredThrough(agency);
}

absl::StatusOr<std::vector<Assigned>> BatchView::ApplyBatch(std::vector<Mutation>, absl::Time) {
  return absl::InternalError("a batch view is read-only");
}

absl::Status BatchView::Recover() { return absl::InternalError("a batch view is read-only"); }

absl::StatusOr<std::optional<StoredEvent>> BatchView::FindEvent(const std::string& event_id) const {
  auto it = events_.find(event_id);
  if (it != events_.end()) return std::optional<StoredEvent>(it->second);
  return store_->FindEvent(event_id);
}

absl::StatusOr<std::optional<v1::ConsentStatus>> BatchView::GetConsent(const std::string& subject_ref,
                                                                       const std::string& purpose) const {
  auto it = consents_.find({subject_ref, purpose});
  if (it != consents_.end()) return std::optional<v1::ConsentStatus>(it->second);
  return store_->GetConsent(subject_ref, purpose);
}

absl::StatusOr<CaseState> BatchView::GetCase(const std::string& case_ref) const {
  auto it = cases_.find(case_ref);
  if (it != cases_.end()) return it->second;
  return store_->GetCase(case_ref);
}

absl::StatusOr<PerpetratorState> BatchView::GetPerpetrator(const std::string& subject_ref) const {
  auto it = perpetrators_.find(subject_ref);
  if (it != perpetrators_.end()) return it->second;
  return store_->GetPerpetrator(subject_ref);
}

}  // namespace accord::broker
