// Meeting packs (DESIGN.md §8): for the calling member only, the cases with
// new events in its queue since its previous pack for that meeting, most
// urgent first. The order is documented in docs/operations.md#meeting-packs:
// risk level, then a recency-frequency-gravity score, then latest event time.
#ifndef ACCORD_BROKER_MEETINGS_H_
#define ACCORD_BROKER_MEETINGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/v1/broker.pb.h"
#include "broker/config.h"
#include "broker/exchange.h"

namespace accord::broker {

// Gravity of one event kind for the pack score (1..5).
int Gravity(v1::EventKind kind);

struct ScoredEvent {
  v1::EventKind kind;
  absl::Time at;
};
// sum(gravity * 0.5^(age_hours/24)) + (events - 1); `why` explains it.
double PriorityScore(const std::vector<ScoredEvent>& events, absl::Time now, std::string* why);

class Meetings {
 public:
  Meetings(Exchange* exchange, std::vector<MeetingConfig> meetings)
      : exchange_(exchange), meetings_(std::move(meetings)) {}

  v1::ListMeetingsResponse List(const std::string& caller) const;
  absl::StatusOr<v1::MeetingPack> PullPack(const std::string& caller, const std::string& meeting_id);

 private:
  Exchange* exchange_;
  const std::vector<MeetingConfig> meetings_;
  absl::Mutex mu_;  // one pack pull at a time, so cursors never race
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_MEETINGS_H_
