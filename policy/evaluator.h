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

#include "absl/time/time.h"
#include "accord/v1/envelope.pb.h"
#include "accord/v1/policy.pb.h"
#include "policy/policy.h"

namespace accord::policy {

// One event of a perpetrator's that named victims, as the broker recorded it.
struct Incident {
  absl::Time at;                      // the event's occurred_at
  std::string case_ref;
  std::vector<std::string> victim_refs;
  v1::EventKind kind = v1::EVENT_KIND_UNSPECIFIED;
};

// What the broker knows of one perpetrator (by pseudonym) across cases.
struct PerpetratorHistory {
  std::string subject_ref;
  int other_open_cases = 0;           // open cases he is a subject of, other than this one
  std::vector<Incident> incidents;    // oldest first; may or may not hold this event already
};

// What the broker knows about the case beyond this event's header.
struct CaseContext {
  // relation ("referrer", "partner_support", ...) -> agency ids: the case's
  // own relations and, merged in by the broker, the perpetrator-scoped
  // relations (ScopeOf) of every perpetrator subject of the event. Relations
  // the header declares count as well, and those it ends do not.
  std::map<std::string, std::vector<std::string>> relations;
  // Case facts the broker tracks, e.g. FLAG_CASE_LISTED_AT_MARAC.
  std::vector<v1::Flag> facts;
  // The case's standing risk: lifecycle events never lower it.
  v1::RiskLevel standing_risk = v1::RISK_LEVEL_UNSPECIFIED;
  // The time incident windows count back from; the header's occurred_at
  // when left at the Unix epoch.
  absl::Time now;
  // The event's perpetrators (and the case's own) with their history.
  std::vector<PerpetratorHistory> perpetrators;
};

// A policy pattern newly or still holding for one perpetrator: the broker
// raises one SERIAL_PATTERN notice per perpetrator and pattern.
struct PatternMatch {
  std::string pattern_id;
  std::string perpetrator_ref;
  std::string reason;                   // e.g. "3 incidents with 2 different victims within 365 days"
  std::vector<std::string> recipients;  // agency ids (NoticeRecipients)
};

struct ScheduleStep {
  std::string label;                    // "6 months"
  absl::Duration after;                 // from the starting event's occurred_at
};

struct ScheduleStart {
  std::string schedule_id;
  std::vector<ScheduleStep> steps;      // in order
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

  // The policy's patterns that hold for a perpetrator in `context` (with this
  // event counted once, whether or not context already holds it), one match
  // per pattern and perpetrator, in policy order. The broker raises each once.
  std::vector<PatternMatch> PatternsMatched(const v1::EventHeader& header, const CaseContext& context) const;
  // The schedules this event starts (its kind, and its sender if the schedule
  // names senders), with their steps.
  std::vector<ScheduleStart> SchedulesStartedBy(const v1::EventHeader& header) const;
  // The agencies a schedule's or pattern's notify names: agencies, kinds and
  // relations resolved through context.relations, in policy order. Empty for
  // an id that is neither.
  std::vector<std::string> NoticeRecipients(const std::string& schedule_or_pattern_id,
                                            const CaseContext& context) const;

 private:
  std::shared_ptr<const Policy> policy_;
};

}  // namespace accord::policy

#endif  // ACCORD_POLICY_EVALUATOR_H_
