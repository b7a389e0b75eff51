// What a rule's `when` is compared with, computed once per event (or per
// broker notice), and the comparison. Shared by the evaluator's parts; not
// part of the policy library's interface.
#ifndef ACCORD_POLICY_INTERNAL_MATCHING_H_
#define ACCORD_POLICY_INTERNAL_MATCHING_H_

#include <string>

#include "accord/v1/envelope.pb.h"
#include "policy/evaluator.h"
#include "policy/policy.h"

namespace accord::policy::internal {

struct EventFacts {
  Mask sender = 0;       // Bit(sender's agency index); 0 for a broker notice
  Mask kind = 0;         // Bit(event kind)
  v1::RiskLevel risk = v1::RISK_LEVEL_UNSPECIFIED;
  Mask flags = 0;        // the header's flags and the case's facts
  Mask about = 0;        // Bit(header.about)
  Mask destination = 0;  // Bit(destination agency's index); 0 when none or not in the policy
  v1::RiskLevel case_risk = v1::RISK_LEVEL_UNSPECIFIED;  // standing risk, or the event's if higher
  const v1::EventHeader* header = nullptr;
  const CaseContext* context = nullptr;
};

EventFacts FactsOf(const Policy& p, const v1::EventHeader& h, const CaseContext& ctx, int sender);

// Does one of the perpetrators in `ctx` meet `c`, counting this event once?
// On a match, `who` (if given) receives his ref and `why` a phrase such as
// "3 incidents with 2 different victims within 365 days".
bool PerpetratorMatches(const PerpetratorCondition& c, const v1::EventHeader& h, const CaseContext& ctx,
                        std::string* who = nullptr, std::string* why = nullptr);

// Every part of `c` holds for `f`. kAll in senders, about or destinations
// means "any", including none (a broker notice has no sender).
inline bool Matches(const Condition& c, const EventFacts& f) {
  return (c.senders == kAll || (c.senders & f.sender) != 0) && (c.event_kinds & f.kind) != 0 &&
         f.risk >= c.min_risk && (f.flags & c.flags_all) == c.flags_all &&
         (c.flags_any == 0 || (f.flags & c.flags_any) != 0) && (c.about == kAll || (c.about & f.about) != 0) &&
         (c.destinations == kAll || (c.destinations & f.destination) != 0) && f.case_risk >= c.min_case_risk &&
         (!c.perpetrator.active || PerpetratorMatches(c.perpetrator, *f.header, *f.context));
}

template <typename F>
void ForEachBit(Mask m, F&& f) {
  while (m != 0) {
    const int i = __builtin_ctzll(m);
    f(i);
    m &= m - 1;
  }
}

}  // namespace accord::policy::internal

#endif  // ACCORD_POLICY_INTERNAL_MATCHING_H_
