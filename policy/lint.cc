#include "policy/lint.h"

#include "absl/strings/str_cat.h"

namespace accord::policy {
namespace {

// Does forbid `f` match every event permit `p` matches?
bool ConditionCovers(const Condition& f, const Condition& p) {
  return (p.senders & ~f.senders) == 0 && (p.event_kinds & ~f.event_kinds) == 0 &&
         f.min_risk <= p.min_risk && (f.flags_all & ~p.flags_all) == 0 &&
         (f.flags_any == 0 || (p.flags_all & f.flags_any) != 0);
}

bool TargetsCover(const Targets& f, const Targets& p) {
  if ((p.agencies & ~f.agencies) != 0) return false;
  for (const std::string& rel : p.relations) {
    bool covered = false;
    for (const std::string& fr : f.relations) covered |= fr == rel;
    if (!covered) return false;
  }
  return true;
}

}  // namespace

std::vector<Diagnostic> Lint(const Policy& policy) {
  std::vector<Diagnostic> out;
  for (const Rule& r : policy.rules()) {
    auto warn = [&](const std::string& m) { out.push_back({r.at, absl::StrCat("rule '", r.id, "' ", m)}); };
    if (r.when.senders == 0) warn("can never match: it names no known sender");
    if (r.when.event_kinds == 0) warn("can never match: it names no known event kind");
    if (r.to.agencies == 0 && r.to.relations.empty()) warn("can never match: it names no known recipient");
    if (r.effect == Effect::kPermit && r.sections == 0) warn("releases nothing: it names no known section");
    if (r.to.relations.empty() && r.to.agencies != 0 && (r.to.agencies & ~r.when.senders) == 0 &&
        __builtin_popcountll(r.to.agencies) == 1 && r.when.senders == r.to.agencies) {
      warn("can never match: its only recipient is its only sender");
    }
    if (r.effect != Effect::kPermit) continue;
    for (const Rule& f : policy.rules()) {
      if (f.effect != Effect::kForbid) continue;
      if (ConditionCovers(f.when, r.when) && TargetsCover(f.to, r.to) && (r.sections & ~f.sections) == 0) {
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
    if (o.sections == 0) warn("releases nothing: it names no known section");
  }
  return out;
}

}  // namespace accord::policy
