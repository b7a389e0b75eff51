// Perpetrator conditions, Evaluator::PatternsMatched, SchedulesStartedBy and
// NoticeRecipients (docs/policy.md §Perpetrators across cases, §Patterns,
// §Schedules). From headers alone: pseudonyms, case refs, kinds and times.
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "policy/evaluator.h"
#include "policy/internal/matching.h"

namespace accord::policy {
namespace {

using internal::ForEachBit;

// An event without occurred_at happened when the broker accepts it (it
// records the incident at that time), not in 1970: otherwise it would fall
// outside every within_days window and a serial pattern would go unseen.
absl::Time OccurredAt(const v1::EventHeader& h, const CaseContext& ctx) {
  if (!h.has_occurred_at()) return ctx.now;
  return absl::FromUnixSeconds(h.occurred_at().seconds()) + absl::Nanoseconds(h.occurred_at().nanos());
}

absl::Time Now(const v1::EventHeader& h, const CaseContext& ctx) {
  return ctx.now == absl::UnixEpoch() ? OccurredAt(h, ctx) : ctx.now;
}

std::vector<std::string> RefsOf(const v1::EventHeader& h, v1::SubjectRole role) {
  std::vector<std::string> out;
  for (const v1::SubjectRef& s : h.subjects()) {
    if (s.role() == role && std::find(out.begin(), out.end(), s.ref()) == out.end()) out.push_back(s.ref());
  }
  return out;
}

// `held` is an incident of the history, `event` this event's. The broker
// records an occurred_at later than the time it accepted the event as that
// time (ctx.now), so a held incident at `now` matches an event from later.
bool SameIncident(const Incident& held, const Incident& event, absl::Time now) {
  const Incident& a = held;
  const Incident& b = event;
  return (a.at == b.at || (b.at > now && a.at == now)) && a.case_ref == b.case_ref && a.kind == b.kind &&
         std::set<std::string>(a.victim_refs.begin(), a.victim_refs.end()) ==
             std::set<std::string>(b.victim_refs.begin(), b.victim_refs.end());
}

// Each perpetrator of the context, and each the event names but the context
// lacks (with no history), with this event as his incident if it is one and
// the history does not hold it yet.
struct Candidate {
  const PerpetratorHistory* history = nullptr;  // null: named by the event, no history
  std::string ref;
  std::optional<Incident> current;

  int other_open_cases() const { return history == nullptr ? 0 : history->other_open_cases; }
  const std::vector<Incident>& incidents() const {
    static const std::vector<Incident> kNone;
    return history == nullptr ? kNone : history->incidents;
  }
};

std::vector<Candidate> Candidates(const v1::EventHeader& h, const CaseContext& ctx) {
  std::vector<Candidate> out;
  const std::vector<std::string> named = RefsOf(h, v1::SUBJECT_ROLE_PERPETRATOR);
  const std::vector<std::string> victims = RefsOf(h, v1::SUBJECT_ROLE_VICTIM);
  for (const PerpetratorHistory& p : ctx.perpetrators) out.push_back({&p, p.subject_ref, std::nullopt});
  for (const std::string& ref : named) {
    const bool known = std::any_of(ctx.perpetrators.begin(), ctx.perpetrators.end(),
                                   [&](const PerpetratorHistory& p) { return p.subject_ref == ref; });
    if (!known) out.push_back({nullptr, ref, std::nullopt});
  }
  if (victims.empty()) return out;
  const Incident event{OccurredAt(h, ctx), h.case_ref(), victims, h.kind()};
  const absl::Time now = Now(h, ctx);
  for (Candidate& c : out) {
    if (std::find(named.begin(), named.end(), c.ref) == named.end()) continue;
    const bool held = std::any_of(c.incidents().begin(), c.incidents().end(),
                                  [&](const Incident& i) { return SameIncident(i, event, now); });
    if (!held) c.current = event;
  }
  return out;
}

bool MatchesOne(const PerpetratorCondition& c, const Candidate& cand, absl::Time now, std::string* why) {
  std::vector<std::string> parts;
  if (c.other_open_cases > 0) {
    if (cand.other_open_cases() < c.other_open_cases) return false;
    parts.push_back(absl::StrCat("subject of ", cand.other_open_cases(), " other open case",
                                 cand.other_open_cases() == 1 ? "" : "s"));
  }
  if (c.incidents > 0) {
    const absl::Time since = now - absl::Hours(24) * c.within_days;
    int count = 0;
    std::set<std::string> victims;
    auto count_one = [&](const Incident& i) {
      if ((c.incident_kinds & Bit(static_cast<int>(i.kind))) == 0 || i.at < since) return;
      ++count;
      victims.insert(i.victim_refs.begin(), i.victim_refs.end());
    };
    for (const Incident& i : cand.incidents()) count_one(i);
    if (cand.current) count_one(*cand.current);
    if (count < c.incidents || static_cast<int>(victims.size()) < c.different_victims) return false;
    parts.push_back(absl::StrCat(count, " incident", count == 1 ? "" : "s", " with ", victims.size(), " different victim",
                                 victims.size() == 1 ? "" : "s", " within ", c.within_days, " days"));
  }
  if (why != nullptr) *why = absl::StrJoin(parts, " and ");
  return true;
}

}  // namespace

namespace internal {

bool PerpetratorMatches(const PerpetratorCondition& c, const v1::EventHeader& h, const CaseContext& ctx,
                        std::string* who, std::string* why) {
  const absl::Time now = Now(h, ctx);
  for (const Candidate& cand : Candidates(h, ctx)) {
    if (MatchesOne(c, cand, now, why)) {
      if (who != nullptr) *who = cand.ref;
      return true;
    }
  }
  return false;
}

}  // namespace internal

std::vector<PatternMatch> Evaluator::PatternsMatched(const v1::EventHeader& h, const CaseContext& ctx) const {
  std::vector<PatternMatch> out;
  if (policy_->patterns().empty()) return out;
  const absl::Time now = Now(h, ctx);
  const std::vector<Candidate> candidates = Candidates(h, ctx);
  for (const PatternSpec& p : policy_->patterns()) {
    for (const Candidate& cand : candidates) {
      std::string why;
      if (!MatchesOne(p.perpetrator, cand, now, &why)) continue;
      out.push_back({p.id, cand.ref, why, NoticeRecipients(p.id, ctx)});
    }
  }
  return out;
}

std::vector<ScheduleStart> Evaluator::SchedulesStartedBy(const v1::EventHeader& h) const {
  std::vector<ScheduleStart> out;
  const Mask kind = Bit(static_cast<int>(h.kind()));
  const int sender = policy_->AgencyIndex(h.sender());
  for (const ScheduleSpec& s : policy_->schedules()) {
    if ((s.started_by_events & kind) == 0) continue;
    if (s.started_by_senders != kAll && (s.started_by_senders & Bit(sender)) == 0) continue;
    ScheduleStart& start = out.emplace_back();
    start.schedule_id = s.id;
    for (const ScheduleStepSpec& step : s.steps) start.steps.push_back({step.label, absl::Hours(24) * step.after_days});
  }
  return out;
}

std::vector<std::string> Evaluator::NoticeRecipients(const std::string& id, const CaseContext& ctx) const {
  const Targets* t = nullptr;
  for (const PatternSpec& p : policy_->patterns()) {
    if (p.id == id) t = &p.notify;
  }
  for (const ScheduleSpec& s : policy_->schedules()) {
    if (s.id == id) t = &s.notify;
  }
  std::vector<std::string> out;
  if (t == nullptr) return out;
  Mask m = t->agencies;
  for (const std::string& rel : t->relations) {
    auto it = ctx.relations.find(rel);
    if (it == ctx.relations.end()) continue;
    for (const std::string& a : it->second) m |= Bit(policy_->AgencyIndex(a));
  }
  ForEachBit(m, [&](int i) { out.push_back(policy_->agencies()[static_cast<std::size_t>(i)].id); });
  return out;
}

}  // namespace accord::policy
