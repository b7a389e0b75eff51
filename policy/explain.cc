#include "policy/explain.h"

#include <map>

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

}  // namespace accord::policy
