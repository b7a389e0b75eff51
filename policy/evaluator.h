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
  // relation ("referrer", "partner_support", ...) -> agency ids
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

 private:
  std::shared_ptr<const Policy> policy_;
};

}  // namespace accord::policy

#endif  // ACCORD_POLICY_EVALUATOR_H_
