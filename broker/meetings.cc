#include "broker/meetings.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "broker/notices.h"
#include "broker/timestamps.h"

namespace accord::broker {

namespace {

std::string ShortKind(v1::EventKind k) {
  std::string n = v1::EventKind_Name(k);
  if (n.rfind("EVENT_KIND_", 0) == 0) n = n.substr(11);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return n;
}

}  // namespace

int Gravity(v1::EventKind kind) {
  switch (kind) {
    case v1::EVENT_KIND_CRIMINAL_JUSTICE_OUTCOME:
    case v1::EVENT_KIND_ORDER_BREACH:
    case v1::EVENT_KIND_RISK_ALERT:
    case v1::EVENT_KIND_SERIAL_PATTERN:
      return 5;
    case v1::EVENT_KIND_DOMESTIC_INCIDENT:
    case v1::EVENT_KIND_SAFEGUARDING_CONCERN:
    case v1::EVENT_KIND_DESELECTION:
    case v1::EVENT_KIND_NEW_RELATIONSHIP:
    case v1::EVENT_KIND_CHILD_PROTECTION_STATUS:
    case v1::EVENT_KIND_DISENGAGEMENT:
    case v1::EVENT_KIND_CUSTODY_RELEASE:
      return 4;
    case v1::EVENT_KIND_RISK_ASSESSMENT:
    case v1::EVENT_KIND_MARAC_REFERRAL:
    case v1::EVENT_KIND_MARAC_LISTING:
    case v1::EVENT_KIND_MARAC_DECISION:
    case v1::EVENT_KIND_REFERRAL_DECLINED:
    case v1::EVENT_KIND_PROGRAMME_TRANSFER:
    case v1::EVENT_KIND_PROTECTIVE_ORDER:
    case v1::EVENT_KIND_DISCLOSURE:
    case v1::EVENT_KIND_SCHOOL_NOTIFICATION:
      return 3;
    case v1::EVENT_KIND_REFERRAL:
    case v1::EVENT_KIND_REFERRAL_OUTCOME:
    case v1::EVENT_KIND_ASSESSMENT_REPORT:
    case v1::EVENT_KIND_SESSION_ATTENDANCE:
    case v1::EVENT_KIND_ENGAGEMENT_UPDATE:
    case v1::EVENT_KIND_SUPERVISION_UPDATE:
    case v1::EVENT_KIND_SAFETY_PLAN_UPDATE:
    case v1::EVENT_KIND_MEETING_ACTION:
    case v1::EVENT_KIND_REFERRAL_ACCEPTED:
    case v1::EVENT_KIND_PROGRAMME_COMPLETED:
    case v1::EVENT_KIND_STEP_DOWN:
    case v1::EVENT_KIND_PARTNER_SUPPORT_STATUS:
      return 2;
    default:
      return 1;
  }
}

double PriorityScore(const std::vector<ScoredEvent>& events, absl::Time now, std::string* why) {
  double weighted = 0;
  int gravity = 0;
  std::map<std::string, int> kinds;
  for (const ScoredEvent& e : events) {
    const double age_hours = std::max(0.0, absl::ToDoubleHours(now - e.at));
    const int g = Gravity(e.kind);
    gravity += g;
    weighted += g * std::pow(0.5, age_hours / 24.0);
    ++kinds[ShortKind(e.kind)];
  }
  const double frequency = events.empty() ? 0.0 : static_cast<double>(events.size() - 1);
  const double score = weighted + frequency;
  if (why != nullptr) {
    std::vector<std::string> parts;
    for (const auto& [k, n] : kinds) parts.push_back(absl::StrCat(k, " x", n));
    *why = absl::StrFormat("%d event(s) (%s): gravity %d, recency-weighted %.2f, frequency +%.0f = %.2f",
                           events.size(), absl::StrJoin(parts, ", "), gravity, weighted, frequency, score);
  }
  return score;
}

v1::ListMeetingsResponse Meetings::List(const std::string& caller) const {
  v1::ListMeetingsResponse resp;
  for (const MeetingConfig& m : meetings_) {
    if (std::find(m.members.begin(), m.members.end(), caller) == m.members.end()) continue;
    v1::Meeting* out = resp.add_meetings();
    out->set_id(m.id);
    out->set_name(m.name);
    for (const std::string& a : m.members) out->add_members(a);
    out->set_cadence(m.cadence);
    out->set_window_hours(m.window_hours);
  }
  return resp;
}

absl::StatusOr<v1::MeetingPack> Meetings::PullPack(const std::string& caller, const std::string& meeting_id) {
  const MeetingConfig* meeting = nullptr;
  for (const MeetingConfig& m : meetings_) {
    if (m.id == meeting_id) meeting = &m;
  }
  if (meeting == nullptr) return absl::NotFoundError(absl::StrCat("no meeting '", meeting_id, "' is configured"));
  if (std::find(meeting->members.begin(), meeting->members.end(), caller) == meeting->members.end()) {
    return absl::PermissionDeniedError(absl::StrCat("'", caller, "' is not a member of meeting '", meeting_id, "'"));
  }
  absl::MutexLock lock(&mu_);
  const BrokerContext& ctx = exchange_->context();
  const absl::Time now = ctx.now();
  absl::StatusOr<std::optional<MeetingCursor>> cursor = ctx.store->GetCursor(meeting_id, caller);
  if (!cursor.ok()) return cursor.status();
  const uint64_t after = cursor->has_value() ? (*cursor)->through_queue_sequence() : 0;
  const absl::Time since = cursor->has_value() ? FromProto((*cursor)->pulled_at())
                                               : now - absl::Hours(meeting->window_hours);
  absl::StatusOr<std::vector<QueueItem>> items =
      ctx.store->ReadQueue(caller, after, static_cast<size_t>(ctx.limits.max_pack_events));
  if (!items.ok()) return items.status();

  struct CaseBuild {
    v1::PackCase pack;
    std::vector<ScoredEvent> scored;
    absl::Time latest = absl::InfinitePast();
    std::vector<v1::EventHeader> headers;
  };
  std::map<std::string, CaseBuild> cases;
  uint64_t through = after;
  for (const QueueItem& item : *items) {
    through = item.sequence;
    const absl::Time accepted = FromProto(item.entry.accepted_at());
    if (!cursor->has_value() && accepted < since) continue;  // first pack: the window only
    absl::StatusOr<v1::Delivery> d = exchange_->BuildDelivery(caller, item);
    if (!d.ok()) return d.status();
    const v1::EventHeader h = HeaderOf(*d);
    CaseBuild& cb = cases[h.case_ref()];
    cb.pack.set_case_ref(h.case_ref());
    cb.pack.set_risk_level(std::max(cb.pack.risk_level(), h.risk().level()));
    // Recency is when the partnership learned of it: a re-offence reported
    // late is still news, and a sender cannot raise its priority by dating it.
    const absl::Time at = accepted;
    cb.scored.push_back({h.kind(), at});
    cb.latest = std::max(cb.latest, at);
    *cb.pack.add_deliveries() = *std::move(d);
    cb.headers.push_back(std::move(h));
  }
  std::vector<CaseBuild*> order;
  for (auto& [ref, cb] : cases) {
    std::string why;
    cb.pack.set_priority_score(PriorityScore(cb.scored, now, &why));
    cb.pack.set_score_explanation(why);
    *cb.pack.mutable_latest_event_at() = ToProto(cb.latest);
    order.push_back(&cb);
  }
  std::sort(order.begin(), order.end(), [](const CaseBuild* a, const CaseBuild* b) {
    if (a->pack.risk_level() != b->pack.risk_level()) return a->pack.risk_level() > b->pack.risk_level();
    if (a->pack.priority_score() != b->pack.priority_score()) return a->pack.priority_score() > b->pack.priority_score();
    if (a->latest != b->latest) return a->latest > b->latest;
    return a->pack.case_ref() < b->pack.case_ref();
  });

  Mutation m;
  MeetingCursor next;
  next.set_through_queue_sequence(through);
  *next.mutable_pulled_at() = ToProto(now);
  m.cursors.push_back(CursorUpdate{meeting_id, caller, next});
  const std::string policy_hash = ctx.policy->Version();
  for (const CaseBuild* cb : order) {
    for (int i = 0; i < cb->pack.deliveries_size(); ++i) {
      const v1::EventHeader& h = cb->headers[static_cast<size_t>(i)];
      v1::AuditRecord r;
      r.set_action(v1::AUDIT_ACTION_MEETING_PACK_PULLED);
      r.set_actor_agency(caller);
      r.set_recipient(caller);
      r.set_meeting_id(meeting_id);
      r.set_event_id(h.event_id());
      r.set_event_kind(h.kind());
      r.set_case_ref(h.case_ref());
      *r.mutable_subjects() = h.subjects();
      r.set_policy_hash(policy_hash);
      r.set_queue_sequence(cb->pack.deliveries(i).queue_sequence());
      for (const v1::SectionGrant& g : cb->pack.deliveries(i).grants()) {
        r.add_sections(g.section());
        r.add_rule_ids(g.rule_id());
        r.add_bases(g.basis());
      }
      *r.mutable_time() = ToProto(now);
      m.audit.push_back(std::move(r));
    }
  }
  if (m.audit.empty()) {
    v1::AuditRecord r;
    r.set_action(v1::AUDIT_ACTION_MEETING_PACK_PULLED);
    r.set_actor_agency(caller);
    r.set_recipient(caller);
    r.set_meeting_id(meeting_id);
    r.set_policy_hash(policy_hash);
    r.set_reason("empty pack: nothing new since the previous one");
    *r.mutable_time() = ToProto(now);
    m.audit.push_back(std::move(r));
  }
  // Ordered and committed with the publishes of a batch; mu_ is held until
  // it is durable, so the next pull reads this cursor.
  absl::StatusOr<Assigned> a = exchange_->WriteOrdered(std::move(m), now);
  if (!a.ok()) return a.status();
  v1::MeetingPack pack;
  pack.set_meeting_id(meeting_id);
  pack.set_agency(caller);
  *pack.mutable_since() = ToProto(since);
  *pack.mutable_until() = ToProto(now);
  pack.set_audit_leaf_index(a->first_audit_index);
  for (CaseBuild* cb : order) *pack.add_cases() = std::move(cb->pack);
  ctx.log->Info("meeting pack pulled", {{"agency", caller}, {"meeting", meeting_id},
                                          {"cases", absl::StrCat(pack.cases_size())},
                                          {"audit_leaf", absl::StrCat(a->first_audit_index)}});
  return pack;
}

}  // namespace accord::broker
