// Section builders more than one profile uses: children, health, the
// victim's contact details, referrals and safeguarding concerns, each read
// from the same columns in every profile that has them (docs/adapters.md
// §Common columns).
#ifndef ACCORD_AGENTS_ADAPTERS_SECTIONS_H_
#define ACCORD_AGENTS_ADAPTERS_SECTIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "accord/v1/events.pb.h"
#include "agents/adapters/event_builder.h"
#include "agents/adapters/row.h"
#include "agents/adapters/subjects.h"

namespace accord::agents {

inline const std::vector<std::string>& VictimContactColumns() {
  static const std::vector<std::string> kColumns = {"victim_address",    "victim_phone",
                                                    "victim_email",      "victim_safe_contact_method",
                                                    "victim_safe_times", "victim_contact_notes"};
  return kColumns;
}

inline const std::vector<std::string>& HealthColumns() {
  static const std::vector<std::string> kColumns = {"substance_misuse", "mental_health_concern",
                                                    "health_notes"};
  return kColumns;
}

inline const std::vector<std::string>& ChildrenColumns() {
  static const std::vector<std::string> kColumns = {"children", "children_in_household", "children_notes"};
  return kColumns;
}

inline const std::vector<std::string>& ReferralColumns() {
  static const std::vector<std::string> kColumns = {"referral_to", "referral_reason", "perpetrator_consents"};
  return kColumns;
}

inline const std::vector<std::string>& ConcernColumns() {
  static const std::vector<std::string> kColumns = {"concern", "concern_about", "action_taken"};
  return kColumns;
}

// Adds the "victim_contact" section when any victim-contact column is filled.
// Returns whether it did.
bool AddVictimContact(FieldReader& r, EventBuilder* b);

// Adds the "health" section when any health column is filled.
bool AddHealth(FieldReader& r, EventBuilder* b);

// Children of the household: adds them as CHILD subjects and
// FLAG_CHILDREN_IN_HOUSEHOLD when there are any (or when the
// children_in_household column says yes), and returns the "children" section
// with their ages on `at` (empty when there are none). `present` marks them
// present at the incident.
v1::ChildrenDetail ChildrenSection(FieldReader& r, const std::vector<Subject>& children,
                                   std::optional<absl::Time> at, bool present, EventBuilder* b);

// ChildrenSection, added as section "children" when it lists anyone.
void AddChildren(FieldReader& r, const std::vector<Subject>& children, std::optional<absl::Time> at,
                 bool present, EventBuilder* b);

// A referral to a programme (referral_to, referral_reason,
// perpetrator_consents) as the "detail" section; the sender declares itself
// the case's referrer. Returns the headline.
std::string AddReferral(FieldReader& r, v1::ReferralSource source, EventBuilder* b);

// A safeguarding concern (concern, concern_about: child|adult_at_risk,
// action_taken) as the "detail" section. Returns the headline.
std::string AddConcern(FieldReader& r, EventBuilder* b);

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_ADAPTERS_SECTIONS_H_
