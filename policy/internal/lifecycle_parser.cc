#include "policy/internal/lifecycle_parser.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace accord::policy::internal {
namespace {

// Ten years: beyond any partnership's look-back, and small enough that day
// arithmetic never overflows.
constexpr int kMaxDays = 3650;
constexpr int kMaxCount = 1000;
constexpr int kMaxSteps = 16;

// A notify target list: agencies, kinds, relations (no destination: a notice
// has none).
absl::StatusOr<Targets> ParseNotify(Context& ctx, const YAML::Node& n, const std::string& what) {
  if (n.IsMap() && n["destination"]) {
    return ctx.c->Error(n["destination"], absl::StrCat(what, " notify: a broker notice has no destination"));
  }
  absl::StatusOr<Targets> t = ParseTargets(ctx, n, what + " notify", false);
  if (!t.ok()) return t.status();
  if (!n["agencies"] && !n["kinds"] && !n["relations"]) {
    return ctx.c->Error(n, absl::StrCat(what, " notify names no agencies, kinds or relations"));
  }
  return t;
}

absl::StatusOr<std::string> Description(Context& ctx, const YAML::Node& n) {
  if (!n["description"]) return std::string();
  return ctx.c->Scalar(n["description"], "description");
}

absl::Status ParsePattern(Context& ctx, const YAML::Node& n, std::set<std::string>* ids) {
  if (auto s = ctx.c->Keys(n, "pattern", {"id", "description", "perpetrator", "notify"}); !s.ok()) return s;
  for (const char* key : {"id", "perpetrator", "notify"}) {
    if (!n[key]) return ctx.c->Error(n, absl::StrCat("pattern is missing '", key, "'"));
  }
  PatternSpec p;
  p.at = At(n);
  absl::StatusOr<std::string> id = RuleId(ctx, n["id"], "pattern", ids);
  if (!id.ok()) return id.status();
  p.id = *id;
  const std::string what = absl::StrCat("pattern '", p.id, "'");
  absl::StatusOr<std::string> d = Description(ctx, n);
  if (!d.ok()) return d.status();
  p.description = *d;
  absl::StatusOr<PerpetratorCondition> c = ParsePerpetratorCondition(ctx, n["perpetrator"], what + " perpetrator");
  if (!c.ok()) return c.status();
  p.perpetrator = *c;
  absl::StatusOr<Targets> t = ParseNotify(ctx, n["notify"], what);
  if (!t.ok()) return t.status();
  p.notify = *t;
  PolicyBuilder(ctx.policy).AddPattern(std::move(p));
  return absl::OkStatus();
}

absl::Status ParseSchedule(Context& ctx, const YAML::Node& n, std::set<std::string>* ids) {
  if (auto s = ctx.c->Keys(n, "schedule", {"id", "description", "started_by", "steps", "notify"}); !s.ok()) return s;
  for (const char* key : {"id", "started_by", "steps", "notify"}) {
    if (!n[key]) return ctx.c->Error(n, absl::StrCat("schedule is missing '", key, "'"));
  }
  ScheduleSpec sc;
  sc.at = At(n);
  absl::StatusOr<std::string> id = RuleId(ctx, n["id"], "schedule", ids);
  if (!id.ok()) return id.status();
  sc.id = *id;
  const std::string what = absl::StrCat("schedule '", sc.id, "'");
  absl::StatusOr<std::string> d = Description(ctx, n);
  if (!d.ok()) return d.status();
  sc.description = *d;

  const YAML::Node by = n["started_by"];
  if (auto s = ctx.c->Keys(by, what + " started_by", {"events", "senders", "sender_kinds"}); !s.ok()) return s;
  if (!by["events"]) return ctx.c->Error(by, absl::StrCat(what, " started_by needs 'events'"));
  absl::StatusOr<Mask> events = KnownEventMask(ctx, by["events"], what + " started_by events");
  if (!events.ok()) return events.status();
  sc.started_by_events = *events;
  if (by["senders"] || by["sender_kinds"]) {
    absl::StatusOr<Mask> senders =
        AgenciesByIdAndKind(ctx, by, "senders", "sender_kinds", what + " started_by", false);
    if (!senders.ok()) return senders.status();
    sc.started_by_senders = *senders;
  }

  const YAML::Node steps = n["steps"];
  if (!steps.IsSequence() || steps.size() == 0) {
    return ctx.c->Error(steps, absl::StrCat(what, " steps must be a list of {label, after_days}"));
  }
  if (steps.size() > static_cast<std::size_t>(kMaxSteps)) {
    return ctx.c->Error(steps, absl::StrCat(what, " has more than ", kMaxSteps, " steps"));
  }
  std::set<std::string> labels;
  for (const YAML::Node& step : steps) {
    if (auto s = ctx.c->Keys(step, what + " step", {"label", "after_days"}); !s.ok()) return s;
    if (!step["label"] || !step["after_days"]) {
      return ctx.c->Error(step, absl::StrCat("each step of ", what, " needs 'label' and 'after_days'"));
    }
    ScheduleStepSpec st;
    absl::StatusOr<std::string> label = ctx.c->Scalar(step["label"], "label");
    if (!label.ok()) return label.status();
    if (label->empty()) return ctx.c->Error(step["label"], absl::StrCat("a step label of ", what, " is empty"));
    if (!labels.insert(*label).second) {
      return ctx.c->Error(step["label"], absl::StrCat(what, " names step '", *label, "' twice"));
    }
    st.label = *label;
    absl::StatusOr<int> days = Int(ctx, step["after_days"], absl::StrCat(what, " step '", st.label, "' after_days"), 1,
                                   kMaxDays);
    if (!days.ok()) return days.status();
    if (!sc.steps.empty() && *days <= sc.steps.back().after_days) {
      return ctx.c->Error(step["after_days"],
                          absl::StrCat(what, " step '", st.label, "' (", *days, " days) must come after step '",
                                       sc.steps.back().label, "' (", sc.steps.back().after_days, " days)"));
    }
    st.after_days = *days;
    sc.steps.push_back(std::move(st));
  }
  absl::StatusOr<Targets> t = ParseNotify(ctx, n["notify"], what);
  if (!t.ok()) return t.status();
  sc.notify = *t;
  PolicyBuilder(ctx.policy).AddSchedule(std::move(sc));
  return absl::OkStatus();
}

}  // namespace

Mask DefaultIncidentKinds() {
  return Bit(v1::EVENT_KIND_DOMESTIC_INCIDENT) | Bit(v1::EVENT_KIND_ORDER_BREACH);
}

absl::StatusOr<PerpetratorCondition> ParsePerpetratorCondition(Context& ctx, const YAML::Node& n,
                                                               const std::string& what) {
  if (auto s = ctx.c->Keys(n, what, {"other_open_cases", "incidents", "different_victims", "within_days", "kinds"});
      !s.ok())
    return s;
  PerpetratorCondition c;
  c.active = true;
  if (const YAML::Node o = n["other_open_cases"]) {
    if (o.IsScalar() && (o.Scalar() == "true" || o.Scalar() == "false")) {
      if (o.Scalar() == "false") {
        return ctx.c->Error(o, absl::StrCat(what, " other_open_cases: false asks nothing; remove it"));
      }
      c.other_open_cases = 1;
    } else {
      absl::StatusOr<int> v = Int(ctx, o, what + " other_open_cases (true or a number)", 1, kMaxCount);
      if (!v.ok()) return v.status();
      c.other_open_cases = *v;
    }
  }
  if (n["incidents"]) {
    absl::StatusOr<int> v = Int(ctx, n["incidents"], what + " incidents", 1, kMaxCount);
    if (!v.ok()) return v.status();
    c.incidents = *v;
    if (!n["within_days"]) {
      return ctx.c->Error(n, absl::StrCat(what, " counts incidents: it needs 'within_days' (how far back)"));
    }
  } else {
    for (const char* key : {"different_victims", "within_days", "kinds"}) {
      if (n[key]) return ctx.c->Error(n[key], absl::StrCat(what, " ", key, " needs 'incidents'"));
    }
  }
  if (n["different_victims"]) {
    absl::StatusOr<int> v = Int(ctx, n["different_victims"], what + " different_victims", 1, kMaxCount);
    if (!v.ok()) return v.status();
    c.different_victims = *v;
  }
  if (n["within_days"]) {
    absl::StatusOr<int> v = Int(ctx, n["within_days"], what + " within_days", 1, kMaxDays);
    if (!v.ok()) return v.status();
    c.within_days = *v;
  }
  c.incident_kinds = DefaultIncidentKinds();
  if (n["kinds"]) {
    absl::StatusOr<Mask> m = KnownEventMask(ctx, n["kinds"], what + " kinds");
    if (!m.ok()) return m.status();
    c.incident_kinds = *m;
  }
  if (c.other_open_cases == 0 && c.incidents == 0) {
    return ctx.c->Error(n, absl::StrCat(what, " needs other_open_cases or incidents"));
  }
  return c;
}

absl::Status ParsePatterns(Context& ctx, const YAML::Node& section, std::set<std::string>* ids) {
  if (!section) return absl::OkStatus();
  if (!section.IsSequence()) return ctx.c->Error(section, "'patterns' must be a list");
  for (const YAML::Node& p : section) {
    if (auto s = ParsePattern(ctx, p, ids); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ParseSchedules(Context& ctx, const YAML::Node& section, std::set<std::string>* ids) {
  if (!section) return absl::OkStatus();
  if (!section.IsSequence()) return ctx.c->Error(section, "'schedules' must be a list");
  for (const YAML::Node& s : section) {
    if (auto st = ParseSchedule(ctx, s, ids); !st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace accord::policy::internal
