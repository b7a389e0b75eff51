#include "broker/case_book.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "broker/quoted.h"
#include "broker/refusal_log.h"
#include "broker/timestamps.h"

namespace accord::broker {
namespace {

constexpr int kCaseHistoryCap = 200;

bool SameRelation(const v1::CaseRelation& a, const v1::CaseRelation& b) {
  return a.relation() == b.relation() && a.agency() == b.agency();
}

// Adds (or, for an ended one, removes) a relation in a list of relations in force.
void Apply(const v1::CaseRelation& r, google::protobuf::RepeatedPtrField<v1::CaseRelation>* in_force) {
  auto it = std::find_if(in_force->begin(), in_force->end(),
                         [&](const v1::CaseRelation& x) { return SameRelation(x, r); });
  if (r.ended()) {
    if (it != in_force->end()) in_force->erase(it);
    return;
  }
  if (it != in_force->end()) return;
  v1::CaseRelation* added = in_force->Add();
  added->set_relation(r.relation());
  added->set_agency(r.agency());
}

// Kinds whose risk level is an assessment of the case now: they may lower
// the standing risk. Every other kind can only raise it, so a completion,
// step-down, de-selection, disengagement or closure never makes a case look
// safer than the last assessment said.
bool AssessesRisk(v1::EventKind kind) {
  switch (kind) {
    case v1::EVENT_KIND_RISK_ASSESSMENT:
    case v1::EVENT_KIND_DOMESTIC_INCIDENT:
    case v1::EVENT_KIND_RISK_ALERT:
    case v1::EVENT_KIND_MARAC_LISTING:
    case v1::EVENT_KIND_MARAC_DECISION:
      return true;
    default:
      return false;
  }
}

std::vector<std::string> VictimRefs(const v1::EventHeader& h) {
  std::vector<std::string> out;
  for (const v1::SubjectRef& s : h.subjects()) {
    if (s.role() == v1::SUBJECT_ROLE_VICTIM && std::find(out.begin(), out.end(), s.ref()) == out.end()) {
      out.push_back(s.ref());
    }
  }
  return out;
}

bool IsOpen(const PerpetratorState::CaseSeen& c, absl::Time now) {
  return !c.closed() && FromProto(c.last_at()) > now - kCaseOpenFor;
}

}  // namespace

std::vector<std::string> PerpetratorRefs(const v1::EventHeader& h) {
  std::vector<std::string> out;
  for (const v1::SubjectRef& s : h.subjects()) {
    if (s.role() == v1::SUBJECT_ROLE_PERPETRATOR && std::find(out.begin(), out.end(), s.ref()) == out.end()) {
      out.push_back(s.ref());
    }
  }
  return out;
}

absl::StatusOr<CaseView> LoadCaseView(const Store& store, const std::string& case_ref,
                                      const std::vector<std::string>& perpetrator_refs) {
  CaseView view;
  view.case_ref = case_ref;
  if (!case_ref.empty()) {
    absl::StatusOr<CaseState> state = store.GetCase(case_ref);
    if (!state.ok()) return state.status();
    view.case_state = *std::move(state);
  }
  // The case's own perpetrators count too: a later event about the case may
  // not name him, but his programme still works with the case.
  std::vector<std::string> refs = perpetrator_refs;
  for (const std::string& r : view.case_state.perpetrator_refs()) {
    if (std::find(refs.begin(), refs.end(), r) == refs.end()) refs.push_back(r);
  }
  for (const std::string& ref : refs) {
    absl::StatusOr<PerpetratorState> p = store.GetPerpetrator(ref);
    if (!p.ok()) return p.status();
    view.perpetrators.emplace_back(ref, *std::move(p));
  }
  return view;
}

policy::CaseContext ContextOf(const CaseView& view, absl::Time now) {
  policy::CaseContext ctx;
  for (const v1::CaseRelation& r : view.case_state.relations()) ctx.relations[r.relation()].push_back(r.agency());
  for (int f : view.case_state.facts()) ctx.facts.push_back(static_cast<v1::Flag>(f));
  ctx.standing_risk = view.case_state.standing_risk();
  ctx.now = now;
  for (const auto& [ref, p] : view.perpetrators) {
    for (const v1::CaseRelation& r : p.relations()) {
      std::vector<std::string>& agencies = ctx.relations[r.relation()];
      if (std::find(agencies.begin(), agencies.end(), r.agency()) == agencies.end()) agencies.push_back(r.agency());
    }
    policy::PerpetratorHistory history;
    history.subject_ref = ref;
    for (const PerpetratorState::CaseSeen& c : p.cases()) {
      if (c.case_ref() != view.case_ref && IsOpen(c, now)) ++history.other_open_cases;
    }
    for (const PerpetratorState::Incident& i : p.incidents()) {
      policy::Incident incident;
      incident.at = FromProto(i.at());
      incident.case_ref = i.case_ref();
      incident.victim_refs.assign(i.victim_refs().begin(), i.victim_refs().end());
      incident.kind = i.kind();
      history.incidents.push_back(std::move(incident));
    }
    ctx.perpetrators.push_back(std::move(history));
  }
  return ctx;
}

absl::Status CheckRelations(const policy::Evaluator& evaluator, const v1::EventHeader& h) {
  for (const v1::CaseRelation& r : h.relations()) {
    const policy::RelationDecision d = evaluator.MayDeclareRelation(h, r);
    if (d.allowed) continue;
    return NamingRule(absl::PermissionDeniedError(absl::StrCat(
                          "'", h.sender(), "' may not ", r.ended() ? "end" : "declare", " relation ",
                          Quoted(r.relation()), " for ", Quoted(r.agency()), ": rule '", d.rule_id, "': ", d.reason)),
                      d.rule_id);
  }
  return absl::OkStatus();
}

CaseChanges Advance(CaseView view, const v1::EventHeader& h, const policy::Evaluator& evaluator, absl::Time accepted,
                    absl::Time occurred) {
  CaseChanges out;
  CaseState& state = view.case_state;
  std::map<std::string, PerpetratorState*> perpetrator;
  for (auto& [ref, p] : view.perpetrators) perpetrator[ref] = &p;
  const std::vector<std::string> named = PerpetratorRefs(h);

  // Relations: declared in the header, implied by the event, ended by it.
  std::vector<v1::CaseRelation> changes(h.relations().begin(), h.relations().end());
  for (v1::CaseRelation& r : evaluator.RelationsImpliedBy(h)) changes.push_back(std::move(r));
  for (v1::CaseRelation& r : evaluator.RelationsEndedBy(h)) changes.push_back(std::move(r));
  for (const v1::CaseRelation& r : changes) {
    if (evaluator.ScopeOf(r.relation()) == policy::RelationScope::kPerpetrator) {
      // His relation: every perpetrator the event names (or, if it names none,
      // the case's own) carries it.
      const std::vector<std::string>& whose =
          named.empty() ? std::vector<std::string>(state.perpetrator_refs().begin(), state.perpetrator_refs().end())
                        : named;
      for (const std::string& ref : whose) {
        if (auto it = perpetrator.find(ref); it != perpetrator.end()) Apply(r, it->second->mutable_relations());
      }
    } else {
      Apply(r, state.mutable_relations());
    }
  }

  // Lasting facts.
  std::set<int> facts(state.facts().begin(), state.facts().end());
  for (int f : h.flags()) {
    if (f == v1::FLAG_CASE_LISTED_AT_MARAC || f == v1::FLAG_SUBJECT_UNDER_SUPERVISION) facts.insert(f);
  }
  if (h.kind() == v1::EVENT_KIND_MARAC_LISTING) facts.insert(v1::FLAG_CASE_LISTED_AT_MARAC);
  if (h.kind() == v1::EVENT_KIND_SUPERVISION_UPDATE || h.kind() == v1::EVENT_KIND_CUSTODY_RELEASE) {
    facts.insert(v1::FLAG_SUBJECT_UNDER_SUPERVISION);
  }
  state.clear_facts();
  for (int f : facts) state.add_facts(static_cast<v1::Flag>(f));

  // Standing risk.
  const v1::RiskLevel level = h.risk().level();
  if (level != v1::RISK_LEVEL_UNSPECIFIED) {
    if (AssessesRisk(h.kind()) || level > state.standing_risk()) state.set_standing_risk(level);
  }

  // Recent history of the case.
  CaseEvent* e = state.add_events();
  e->set_event_id(h.event_id());
  e->set_kind(h.kind());
  e->set_risk(level);
  e->set_sender(h.sender());
  *e->mutable_accepted_at() = ToProto(accepted);
  if (state.events_size() > kCaseHistoryCap) {
    state.mutable_events()->DeleteSubrange(0, state.events_size() - kCaseHistoryCap);
  }
  for (const std::string& ref : named) {
    if (std::find(state.perpetrator_refs().begin(), state.perpetrator_refs().end(), ref) ==
        state.perpetrator_refs().end()) {
      state.add_perpetrator_refs(ref);
    }
  }

  // Each named perpetrator: this case, and the incident if it has a victim.
  const std::vector<std::string> victims = VictimRefs(h);
  for (const std::string& ref : named) {
    PerpetratorState* p = perpetrator.at(ref);
    if (!view.case_ref.empty()) {
      auto seen = std::find_if(p->mutable_cases()->begin(), p->mutable_cases()->end(),
                               [&](const PerpetratorState::CaseSeen& c) { return c.case_ref() == view.case_ref; });
      if (seen == p->mutable_cases()->end()) {
        PerpetratorState::CaseSeen* c = p->add_cases();
        c->set_case_ref(view.case_ref);
        *c->mutable_first_at() = ToProto(accepted);
        seen = p->mutable_cases()->end() - 1;
      }
      *seen->mutable_last_at() = ToProto(accepted);
      seen->set_closed(h.kind() == v1::EVENT_KIND_CASE_CLOSURE);
    }
    if (!victims.empty()) {
      PerpetratorState::Incident* i = p->add_incidents();
      *i->mutable_at() = ToProto(occurred);
      i->set_case_ref(view.case_ref);
      for (const std::string& v : victims) i->add_victim_refs(v);
      i->set_kind(h.kind());
      i->set_event_id(h.event_id());
      if (p->incidents_size() > kIncidentHistoryCap) {
        p->mutable_incidents()->DeleteSubrange(0, p->incidents_size() - kIncidentHistoryCap);
      }
    }
  }

  // Patterns are judged on the history including this event, and raised once
  // per perpetrator and pattern.
  for (policy::PatternMatch& match : evaluator.PatternsMatched(h, ContextOf(view, accepted))) {
    auto it = perpetrator.find(match.perpetrator_ref);
    if (it == perpetrator.end()) continue;
    PerpetratorState* p = it->second;
    if (std::find(p->patterns_raised().begin(), p->patterns_raised().end(), match.pattern_id) !=
        p->patterns_raised().end()) {
      continue;
    }
    p->add_patterns_raised(match.pattern_id);
    out.new_patterns.push_back(std::move(match));
  }

  for (const policy::ScheduleStart& start : evaluator.SchedulesStartedBy(h)) {
    for (const policy::ScheduleStep& step : start.steps) {
      ScheduledNotice n;
      n.set_schedule_id(start.schedule_id);
      n.set_step(step.label);
      n.set_case_ref(view.case_ref);
      n.set_anchor_event_id(h.event_id());
      *n.mutable_subjects() = h.subjects();
      *n.mutable_due() = ToProto(occurred + step.after);
      out.schedule.push_back(std::move(n));
    }
  }

  out.case_state = std::move(state);
  out.perpetrators = std::move(view.perpetrators);
  return out;
}

}  // namespace accord::broker
