// What the broker remembers across events, from headers alone: a case's
// relations in force, lasting facts and standing risk, and for each
// perpetrator (by pseudonym) the relations that follow him into every case,
// the cases he appears in and his incidents with their victims. Load() before
// an event is evaluated; Advance() once it is accepted, into the same
// Mutation, so that what the broker knows changes exactly when an event is
// stored.
#ifndef ACCORD_BROKER_CASE_BOOK_H_
#define ACCORD_BROKER_CASE_BOOK_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "accord/v1/envelope.pb.h"
#include "broker/storage.pb.h"
#include "broker/store.h"
#include "policy/evaluator.h"

namespace accord::broker {

// A case counts as open while it has had an event within this long and no
// CASE_CLOSURE since (docs/operations.md §Cases and perpetrators).
inline constexpr absl::Duration kCaseOpenFor = absl::Hours(24 * 365);
// Incidents kept per perpetrator, oldest dropped first.
inline constexpr int kIncidentHistoryCap = 200;

struct CaseView {
  std::string case_ref;
  CaseState case_state;
  // The event's perpetrator subjects, each with what the broker knows of him.
  std::vector<std::pair<std::string, PerpetratorState>> perpetrators;
};

absl::StatusOr<CaseView> LoadCaseView(const Store& store, const std::string& case_ref,
                                      const std::vector<std::string>& perpetrator_refs);
// The perpetrator subjects of a header, in order, without repeats.
std::vector<std::string> PerpetratorRefs(const v1::EventHeader& h);

// What policy evaluation sees of the case: its relations in force merged with
// the perpetrator-scoped ones of its perpetrators, facts, standing risk and
// each perpetrator's history across cases as of `now`.
policy::CaseContext ContextOf(const CaseView& view, absl::Time now);

// Every relation the header declares or ends must be one the policy lets its
// sender declare: PERMISSION_DENIED naming the rule otherwise.
absl::Status CheckRelations(const policy::Evaluator& evaluator, const v1::EventHeader& h);

struct CaseChanges {
  CaseState case_state;
  std::vector<std::pair<std::string, PerpetratorState>> perpetrators;
  std::vector<policy::PatternMatch> new_patterns;  // matched for the first time for that perpetrator
  std::vector<ScheduledNotice> schedule;
};

// The state after an accepted event. `occurred` is the header's occurred_at
// (no later than `accepted`); schedules count from it.
CaseChanges Advance(CaseView view, const v1::EventHeader& h, const policy::Evaluator& evaluator,
                    absl::Time accepted, absl::Time occurred);

}  // namespace accord::broker

#endif  // ACCORD_BROKER_CASE_BOOK_H_
