// Decides who receives which sections of an event (DESIGN.md §6). Pure and
// deterministic: the same policy, header, case context and consent states
// always give the same Decision. Default deny; a forbid beats any permit and
// any override; consent rules apply only while every subject of the rule's
// role has given consent for its purpose; every grant and every withholding
// names the rule (or "default-deny") behind it.
#ifndef ACCORD_POLICY_EVALUATOR_H_
#define ACCORD_POLICY_EVALUATOR_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "accord/v1/envelope.pb.h"
#include "accord/v1/policy.pb.h"
#include "policy/policy.h"

namespace accord::policy {

// What the broker knows about the case beyond this event's header.
struct CaseContext {
  // relation ("referrer", "partner_support", ...) -> agency ids: the case's
  // own relations and, merged in by the broker, the perpetrator-scoped
  // relations (ScopeOf) of every perpetrator subject of the event. Relations
  // the header declares count as well, and those it ends do not.
  std::map<std::string, std::vector<std::string>> relations;
  // Case facts the broker tracks, e.g. FLAG_CASE_LISTED_AT_MARAC.
  std::vector<v1::Flag> facts;
};

// Latest consent state of a subject for a purpose; CONSENT_STATE_UNSPECIFIED
// when nothing was recorded (which is not consent).
using ConsentLookup =
    std::function<v1::ConsentState(const std::string& subject_ref, const std::string& purpose)>;

// Rule id of a withholding that no rule caused; its reason is left empty (the
// explanation is always the same: no rule releases the section).
inline constexpr char kDefaultDeny[] = "default-deny";
inline constexpr char kOverrideRefused[] = "override-refused";

// Whether an agency may record a subject's consent (give, refuse, withdraw,
// ...) or read the consent state the broker holds (docs/policy.md §Consent
// authority). Default deny; a forbid entry beats any permit.
struct ConsentAuthorityDecision {
  bool allowed = false;
  std::string rule_id;  // the consent_authority entry that decided, or kDefaultDeny
  std::string reason;   // a sentence for the caller and the audit log
};

// Whether a header may declare (or, with CaseRelation.ended, end) a relation
// (docs/policy.md §Relations). Default deny: a relation the policy's
// relations section does not name, or a policy without the section, refuses.
struct RelationDecision {
  bool allowed = false;
  std::string rule_id;  // the relations entry's id, or kDefaultDeny
  std::string reason;   // a sentence for the caller and the audit log
};

class Evaluator {
 public:
  explicit Evaluator(std::shared_ptr<const Policy> policy) : policy_(std::move(policy)) {}

  const Policy& policy() const { return *policy_; }

  // Sections are those named in header.sections; the sender never receives.
  v1::Decision Evaluate(const v1::EventHeader& header, const CaseContext& context,
                        const ConsentLookup& consent) const;

  // RecordConsent, and a published CONSENT_RECORDED event: may `agency`
  // record consent for `purpose` of a subject in `role`? A role outside the
  // enum (or unspecified) matches no permit.
  ConsentAuthorityDecision MayRecordConsent(const std::string& agency, const std::string& purpose,
                                            v1::SubjectRole role) const;
  // The same for a CONSENT_RECORDED header: its sender, its statement's
  // purpose, and the role of every header subject whose ref is the
  // statement's subject_ref. Refused when no subject has that ref; when the
  // ref appears under several roles, each must be allowed.
  ConsentAuthorityDecision MayRecordConsent(const v1::EventHeader& header) const;
  // GetConsent: may `agency` read consent state for `purpose`?
  ConsentAuthorityDecision MayReadConsent(const std::string& agency, const std::string& purpose) const;

  // May header.sender() declare `r` on this event (or end it, r.ended)? The
  // sender must be one the relation's declared_by names (by id, by kind, or
  // as the sender of an event of a senders_of kind, e.g. a referral), the
  // related agency must be in the policy (and the sender itself when the
  // relation is `self`), and declaring a perpetrator-scoped relation needs a
  // perpetrator subject in the event to belong to.
  RelationDecision MayDeclareRelation(const v1::EventHeader& header, const v1::CaseRelation& r) const;
  // kCase for a relation the policy does not name.
  RelationScope ScopeOf(const std::string& relation) const;
  // The relations this event ends by itself (ended = true): for each relation
  // whose ends_on names the event's kind, the sender's relation of that name,
  // e.g. Drive's DESELECTION ends {programme, drive}. The broker ends them
  // where it holds them; nothing is refused.
  std::vector<v1::CaseRelation> RelationsEndedBy(const v1::EventHeader& header) const;
  // The relations this event declares for its sender without saying so:
  // for each relation whose implied_by names the event's kind, {relation,
  // sender}, if MayDeclareRelation would allow the sender to declare it,
  // e.g. a REFERRAL from probation implies {referrer, probation}.
  std::vector<v1::CaseRelation> RelationsImpliedBy(const v1::EventHeader& header) const;

 private:
  std::shared_ptr<const Policy> policy_;
};

}  // namespace accord::policy

#endif  // ACCORD_POLICY_EVALUATOR_H_
