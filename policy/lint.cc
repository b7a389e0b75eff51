#include "policy/lint.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "policy/names.h"

namespace accord::policy {
namespace {

// Does forbid `f` match every event permit `p` matches?
bool ConditionCovers(const Condition& f, const Condition& p) {
  return (p.senders & ~f.senders) == 0 && (p.event_kinds & ~f.event_kinds) == 0 &&
         f.min_risk <= p.min_risk && (f.flags_all & ~p.flags_all) == 0 &&
         (f.flags_any == 0 || (p.flags_all & f.flags_any) != 0) && (p.about & ~f.about) == 0 &&
         (p.destinations & ~f.destinations) == 0 && f.min_case_risk <= p.min_case_risk &&
         (!f.perpetrator.active || f.perpetrator == p.perpetrator);
}

// Does forbid `f` withhold every section name permit `p` releases?
bool SectionsCover(const SectionSet& f, const SectionSet& p) {
  const Mask every_role = f.any_role | (f.role[1] & f.role[2] & f.role[3] & f.role[4]);
  if ((p.any_role & ~every_role) != 0) return false;
  for (std::size_t r = 1; r < kRoleSlots; ++r) {
    if ((p.role[r] & ~(f.any_role | f.role[r])) != 0) return false;
  }
  return true;
}

bool TargetsCover(const Targets& f, const Targets& p) {
  if ((p.agencies & ~f.agencies) != 0) return false;
  if (p.destination && !f.destination) return false;
  for (const std::string& rel : p.relations) {
    bool covered = false;
    for (const std::string& fr : f.relations) covered |= fr == rel;
    if (!covered) return false;
  }
  return true;
}

void LintConsentAuthority(const Policy& policy, std::vector<Diagnostic>* out) {
  const ConsentAuthority& authority = policy.consent_authority();
  if (!authority.present) {
    out->push_back({{1, 1},
                    "the policy has no consent_authority section: no agency may record or read consent "
                    "(every RecordConsent and GetConsent is refused, and consent rules can never apply)"});
    return;
  }
  // purpose -> the first consent rule resting on it
  std::map<std::string, const Rule*> used;
  for (const Rule& r : policy.rules()) {
    if (r.effect == Effect::kPermit && r.basis == v1::LAWFUL_BASIS_CONSENT) used.emplace(r.consent_purpose, &r);
  }
  for (const ConsentAuthorityRule& e : authority.rules) {
    const char* list = e.action == ConsentAction::kRecord ? "record" : "read";
    auto warn = [&](const std::string& m) {
      out->push_back({e.at, absl::StrCat("consent_authority.", list, " '", e.id, "' ", m)});
    };
    if (e.agencies == 0) {
      warn(e.effect == Effect::kPermit ? "can never allow anything: it names no known agency"
                                       : "forbids nothing: it names no known agency");
    }
    if (e.effect != Effect::kPermit) continue;
    for (const std::string& p : e.purposes) {
      if (used.count(p) == 0 && authority.purposes_without_rules.count(p) == 0) {
        warn(absl::StrCat("names purpose '", p, "', on which no consent rule rests (misspelt? if consent for it ",
                          "is recorded only to keep the record, list it under purposes_without_rules)"));
      }
    }
  }
  for (const auto& [purpose, rule] : used) {
    if (authority.purposes_without_rules.count(purpose)) {
      out->push_back({authority.at, absl::StrCat("purpose '", purpose, "' is listed under purposes_without_rules, but rule '",
                                                 rule->id, "' rests on it")});
    }
  }
  for (const Rule& r : policy.rules()) {
    if (r.effect != Effect::kPermit || r.basis != v1::LAWFUL_BASIS_CONSENT) continue;
    bool recordable = false;
    for (const ConsentAuthorityRule& e : authority.rules) {
      recordable |= e.effect == Effect::kPermit && e.action == ConsentAction::kRecord && e.agencies != 0 &&
                    e.purposes.count(r.consent_purpose) &&
                    (e.subject_roles & Bit(static_cast<int>(r.consent_subject))) != 0;
    }
    if (!recordable) {
      out->push_back({r.at, absl::StrCat("rule '", r.id, "' rests on consent for ", r.consent_purpose, " of the ",
                                         NameOf(r.consent_subject),
                                         ", but no consent_authority.record entry lets any agency record it: "
                                         "the rule can never apply")});
    }
  }
}

// Relations rules send to but which nobody may declare, relations nobody may
// declare, and a missing section.
void LintRelations(const Policy& policy, std::vector<Diagnostic>* out) {
  const Relations& relations = policy.relations();
  if (!relations.present) {
    out->push_back({{1, 1},
                    "the policy has no relations section: no agency may declare or end any relation (every "
                    "event declaring or ending one is refused)"});
    return;
  }
  for (const RelationSpec& r : relations.specs) {
    if (r.declarers == 0 && r.declaring_events == 0) {
      out->push_back({r.at, absl::StrCat("relation '", r.name, "' can never be declared: its declared_by names ",
                                         "no known agency and no senders_of event kinds")});
    }
  }
  auto check = [&](const std::vector<std::string>& names, const SourceLocation& at, const std::string& who) {
    for (const std::string& name : names) {
      if (relations.Find(name) == nullptr) {
        out->push_back({at, absl::StrCat(who, " sends to relation '", name,
                                         "', which the relations section does not name: nobody may declare it ",
                                         "(misspelt?)")});
      }
    }
  };
  for (const Rule& r : policy.rules()) check(r.to.relations, r.at, absl::StrCat("rule '", r.id, "'"));
  for (const OverrideRule& o : policy.overrides()) check(o.to.relations, o.at, absl::StrCat("override '", o.id, "'"));
  for (const PatternSpec& p : policy.patterns()) check(p.notify.relations, p.at, absl::StrCat("pattern '", p.id, "'"));
  for (const ScheduleSpec& s : policy.schedules()) {
    check(s.notify.relations, s.at, absl::StrCat("schedule '", s.id, "'"));
  }
}

void LintPatternsAndSchedules(const Policy& policy, std::vector<Diagnostic>* out) {
  for (const PatternSpec& p : policy.patterns()) {
    if (p.notify.agencies == 0 && p.notify.relations.empty()) {
      out->push_back({p.at, absl::StrCat("pattern '", p.id, "' notifies nobody: it names no known agency")});
    }
  }
  for (const ScheduleSpec& s : policy.schedules()) {
    if (s.notify.agencies == 0 && s.notify.relations.empty()) {
      out->push_back({s.at, absl::StrCat("schedule '", s.id, "' notifies nobody: it names no known agency")});
    }
    if (s.started_by_senders == 0) {
      out->push_back({s.at, absl::StrCat("schedule '", s.id, "' can never start: it names no known sender")});
    }
  }
}

}  // namespace

std::vector<Diagnostic> Lint(const Policy& policy) {
  std::vector<Diagnostic> out;
  for (const Rule& r : policy.rules()) {
    auto warn = [&](const std::string& m) { out.push_back({r.at, absl::StrCat("rule '", r.id, "' ", m)}); };
    if (r.when.senders == 0) warn("can never match: it names no known sender");
    if (r.when.event_kinds == 0) warn("can never match: it names no known event kind");
    if (r.to.agencies == 0 && r.to.relations.empty() && !r.to.destination) warn("can never match: it names no known recipient");
    if (r.effect == Effect::kPermit && r.sections.empty()) warn("releases nothing: it names no known section");
    if (r.to.relations.empty() && !r.to.destination && r.to.agencies != 0 && (r.to.agencies & ~r.when.senders) == 0 &&
        __builtin_popcountll(r.to.agencies) == 1 && r.when.senders == r.to.agencies) {
      warn("can never match: its only recipient is its only sender");
    }
    if (r.effect != Effect::kPermit) continue;
    for (const Rule& f : policy.rules()) {
      if (f.effect != Effect::kForbid) continue;
      if (ConditionCovers(f.when, r.when) && TargetsCover(f.to, r.to) && SectionsCover(f.sections, r.sections)) {
        warn(absl::StrCat("is fully shadowed by forbid rule '", f.id, "' (line ", f.at.line,
                          "): it can never release anything"));
        break;
      }
    }
  }
  for (const OverrideRule& o : policy.overrides()) {
    auto warn = [&](const std::string& m) { out.push_back({o.at, absl::StrCat("override '", o.id, "' ", m)}); };
    if (o.justification_section < 0) {
      warn("has no justification section: the auditor would not learn why it was used");
    } else if (o.auditors == 0) {
      warn("has no auditor to receive its justification (add an agency of kind auditor or 'auditors')");
    }
    if (o.invokers == 0) warn("can never be invoked: it names no known invoker");
    if (o.sections.empty()) warn("releases nothing: it names no known section");
  }
  LintConsentAuthority(policy, &out);
  LintRelations(policy, &out);
  LintPatternsAndSchedules(policy, &out);
  return out;
}

}  // namespace accord::policy
