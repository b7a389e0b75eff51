#include "policy/explain.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "policy/names.h"

namespace accord::policy {

std::string ExplainDecision(const Policy& policy, const v1::Decision& d) {
  std::string out = absl::StrCat("Policy ", policy.name().empty() ? "" : policy.name() + " ", "version ",
                                 d.policy_version().substr(0, 16), "\n");
  if (d.override_used()) absl::StrAppend(&out, "Safeguarding override accepted under '", d.override_rule_id(), "'.\n");
  absl::StrAppend(&out, "\nRECEIVES\n");
  absl::StrAppendFormat(&out, "  %-24s %-24s %-40s %s\n", "recipient", "section", "rule", "lawful basis");
  if (d.recipients().empty()) absl::StrAppend(&out, "  (nobody)\n");
  for (const v1::RecipientDecision& r : d.recipients()) {
    if (r.notification_only()) {
      absl::StrAppendFormat(&out, "  %-24s %-24s %-40s %s\n", r.recipient(), "(notified only)",
                            absl::StrJoin(r.notify_rule_ids(), ", "), "-");
      continue;
    }
    for (const v1::SectionGrant& g : r.grants()) {
      absl::StrAppendFormat(&out, "  %-24s %-24s %-40s %s%s\n", r.recipient(), g.section(), g.rule_id(),
                            NameOf(g.basis()),
                            d.override_used() && g.rule_id() == d.override_rule_id() ? " (override)" : "");
    }
  }
  absl::StrAppend(&out, "\nWITHHELD\n");
  absl::StrAppendFormat(&out, "  %-24s %-24s %-40s %s\n", "from", "section", "rule", "why");
  if (d.withheld().empty()) absl::StrAppend(&out, "  (nothing)\n");
  for (const v1::Withholding& w : d.withheld()) {
    absl::StrAppendFormat(&out, "  %-24s %-24s %-40s %s\n", w.recipient(), w.section().empty() ? "(everything)" : w.section(),
                          w.rule_id(),
                          !w.reason().empty() ? w.reason()
                          : w.section().empty() ? "no rule releases any section of this event to this agency"
                                                : "no rule releases this section to this agency");
  }
  return out;
}

std::string ExplainEvent(const v1::EventHeader& h) {
  std::string out = absl::StrCat("Event: ", NameOf(h.kind()), " from ", h.sender());
  if (h.about() != v1::SUBJECT_ROLE_UNSPECIFIED) absl::StrAppend(&out, ", about the ", NameOf(h.about()));
  if (h.has_destination() && !h.destination().agency().empty()) {
    absl::StrAppend(&out, ", addressed to ", h.destination().agency());
    if (!h.destination().service().empty()) absl::StrAppend(&out, " (service ", h.destination().service(), ")");
  }
  if (h.risk().level() != v1::RISK_LEVEL_UNSPECIFIED) absl::StrAppend(&out, ", risk ", NameOf(h.risk().level()));
  if (!h.in_reply_to().empty()) absl::StrAppend(&out, ", in reply to ", h.in_reply_to());
  absl::StrAppend(&out, "\n");
  std::vector<std::string> flags;
  for (int f : h.flags()) flags.push_back(NameOf(static_cast<v1::Flag>(f)));
  if (!flags.empty()) absl::StrAppend(&out, "  flags: ", absl::StrJoin(flags, ", "), "\n");
  std::vector<std::string> sections;
  for (const v1::SectionRef& s : h.sections()) sections.push_back(s.name());
  absl::StrAppend(&out, "  sections: ", sections.empty() ? "(none)" : absl::StrJoin(sections, ", "), "\n");
  std::vector<std::string> declared, ended;
  for (const v1::CaseRelation& r : h.relations()) {
    (r.ended() ? ended : declared).push_back(absl::StrCat(r.relation(), "=", r.agency()));
  }
  if (!declared.empty()) absl::StrAppend(&out, "  declares relations: ", absl::StrJoin(declared, ", "), "\n");
  if (!ended.empty()) absl::StrAppend(&out, "  ends relations: ", absl::StrJoin(ended, ", "), "\n");
  return out;
}

std::string ExplainLifecycle(const Evaluator& evaluator, const v1::EventHeader& h, const CaseContext& ctx) {
  std::vector<std::string> lines;
  for (const v1::CaseRelation& r : h.relations()) {
    const RelationDecision d = evaluator.MayDeclareRelation(h, r);
    lines.push_back(absl::StrCat(r.ended() ? "ends " : "declares ", r.relation(), "=", r.agency(), ": ",
                                 d.allowed ? "allowed" : "REFUSED (the broker refuses the whole event)", " by '",
                                 d.rule_id, "'", d.allowed ? "" : absl::StrCat(": ", d.reason)));
  }
  for (const v1::CaseRelation& r : evaluator.RelationsEndedBy(h)) {
    lines.push_back(absl::StrCat("its kind ends ", r.relation(), "=", r.agency()));
  }
  for (const v1::CaseRelation& r : evaluator.RelationsImpliedBy(h)) {
    lines.push_back(absl::StrCat("its kind declares ", r.relation(), "=", r.agency()));
  }
  for (const PatternMatch& m : evaluator.PatternsMatched(h, ctx)) {
    lines.push_back(absl::StrCat("matches pattern '", m.pattern_id, "' for ", m.perpetrator_ref, " (", m.reason,
                                 "): notice to ", m.recipients.empty() ? "nobody" : absl::StrJoin(m.recipients, ", ")));
  }
  for (const ScheduleStart& s : evaluator.SchedulesStartedBy(h)) {
    std::vector<std::string> steps;
    for (const ScheduleStep& step : s.steps) steps.push_back(step.label);
    lines.push_back(absl::StrCat("starts schedule '", s.schedule_id, "' (", absl::StrJoin(steps, ", "), ")"));
  }
  if (lines.empty()) return "";
  std::string out = "\nCASE BOOK\n";
  for (const std::string& l : lines) absl::StrAppend(&out, "  ", l, "\n");
  return out;
}

std::string ExplainConsentAuthority(const Evaluator& evaluator) {
  const Policy& policy = evaluator.policy();
  const ConsentAuthority& authority = policy.consent_authority();
  std::string out = absl::StrCat("Policy ", policy.name().empty() ? "" : policy.name() + " ", "version ",
                                 policy.version().substr(0, 16), "\n\nCONSENT AUTHORITY\n");
  if (!authority.present) {
    absl::StrAppend(&out, "  The policy has no consent_authority section: no agency may record or read consent.\n");
    return out;
  }
  std::set<std::string> purposes = authority.purposes_without_rules;
  for (const Rule& r : policy.rules()) {
    if (r.basis == v1::LAWFUL_BASIS_CONSENT) purposes.insert(r.consent_purpose);
  }
  for (const ConsentAuthorityRule& e : authority.rules) purposes.insert(e.purposes.begin(), e.purposes.end());
  constexpr v1::SubjectRole kRoles[] = {v1::SUBJECT_ROLE_VICTIM, v1::SUBJECT_ROLE_PERPETRATOR,
                                        v1::SUBJECT_ROLE_CHILD, v1::SUBJECT_ROLE_OTHER};
  absl::StrAppendFormat(&out, "  %-24s %-7s %-28s %-12s %s\n", "agency", "may", "purpose", "subject", "rule");
  int rows = 0;
  for (const Agency& a : policy.agencies()) {
    for (const std::string& p : purposes) {
      for (v1::SubjectRole role : kRoles) {
        const ConsentAuthorityDecision d = evaluator.MayRecordConsent(a.id, p, role);
        if (!d.allowed) continue;
        absl::StrAppendFormat(&out, "  %-24s %-7s %-28s %-12s %s\n", a.id, "record", p, NameOf(role), d.rule_id);
        ++rows;
      }
      const ConsentAuthorityDecision d = evaluator.MayReadConsent(a.id, p);
      if (!d.allowed) continue;
      absl::StrAppendFormat(&out, "  %-24s %-7s %-28s %-12s %s\n", a.id, "read", p, "-", d.rule_id);
      ++rows;
    }
  }
  if (rows == 0) absl::StrAppend(&out, "  (nobody)\n");
  absl::StrAppend(&out, "\nREFUSED BY A FORBID ENTRY\n");
  int forbids = 0;
  for (const ConsentAuthorityRule& e : authority.rules) {
    if (e.effect != Effect::kForbid) continue;
    std::vector<std::string> agencies;
    for (std::size_t i = 0; i < policy.agencies().size(); ++i) {
      if (e.agencies & Bit(static_cast<int>(i))) agencies.push_back(policy.agencies()[i].id);
    }
    std::vector<std::string> roles;
    for (v1::SubjectRole role : kRoles) {
      if (e.subject_roles & Bit(static_cast<int>(role))) roles.push_back(NameOf(role));
    }
    const bool record = e.action == ConsentAction::kRecord;
    absl::StrAppendFormat(&out, "  %-24s %-7s %-28s %-12s %s\n", absl::StrJoin(agencies, ","),
                          record ? "record" : "read",
                          e.purposes.empty() ? "(every purpose)" : absl::StrJoin(e.purposes, ","),
                          !record ? "-" : roles.empty() ? "(every)" : absl::StrJoin(roles, ","), e.id);
    ++forbids;
  }
  if (forbids == 0) absl::StrAppend(&out, "  (none)\n");
  absl::StrAppend(&out, "\nEverything else is refused (", kDefaultDeny, ").\n");
  return out;
}

std::string ExplainConsentAuthorityDecision(const ConsentAuthorityDecision& d) {
  return absl::StrCat(d.allowed ? "allowed" : "refused", " by '", d.rule_id, "'", d.reason.empty() ? "" : ": ",
                      d.reason);
}

}  // namespace accord::policy
