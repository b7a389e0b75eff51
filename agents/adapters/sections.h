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

// "victim", "perpetrator", "child", "other"; "case" for UNSPECIFIED.
std::string NameOfRole(v1::SubjectRole role);

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

// The health columns with a person's prefix: "perpetrator_substance_misuse", ...
std::vector<std::string> HealthColumns(const std::string& prefix);

inline const std::vector<std::string>& ChildrenColumns() {
  static const std::vector<std::string> kColumns = {"children", "children_in_household", "children_notes"};
  return kColumns;
}

inline const std::vector<std::string>& ReferralColumns() {
  static const std::vector<std::string> kColumns = {"referral_to", "referral_service", "referral_about",
                                                    "referral_reason", "perpetrator_consents"};
  return kColumns;
}

// The columns naming the event an answer replies to (ReadInReplyTo).
inline const std::vector<std::string>& InReplyToColumns() {
  static const std::vector<std::string> kColumns = {"in_reply_to", "in_reply_to_record"};
  return kColumns;
}

inline const std::vector<std::string>& ConcernColumns() {
  static const std::vector<std::string> kColumns = {"concern", "concern_about", "action_taken"};
  return kColumns;
}

// Adds the victim-contact section (named `section`: "victim_contact", or
// "victim_contact@victim") when any victim-contact column is filled. Returns
// whether it did.
bool AddVictimContact(FieldReader& r, EventBuilder* b, const std::string& section = "victim_contact");

// Adds a health section when any health column is filled: the columns
// `prefix` + substance_misuse, mental_health_concern and health_notes, as the
// section `section` ("health" when whose it is is not known, "health@victim",
// "health@perpetrator"). Returns whether it did.
bool AddHealth(FieldReader& r, EventBuilder* b, const std::string& prefix = "",
               const std::string& section = "health");

// Records an error for each filled column of `columns`: `why` says why the
// record type does not take them.
void RefuseColumns(FieldReader& r, const std::vector<std::string>& columns, const std::string& why);

// Reads the agency id in `column` as the header's destination (with
// `service`), refusing this agency's own id. Returns the id, "" when absent
// or in error.
std::string ReadDestination(FieldReader& r, const std::string& column, Need need, EventBuilder* b,
                            const std::string& service = "");

// in_reply_to (an Accord event id, as in the received event's outbox file)
// or in_reply_to_record (`<agency>:<record id>`: that agency's export record,
// whose event id the mapper computes as the agency's own agent did): the
// header's in_reply_to. Not both; never one of this agency's own events.
// Returns the agency whose event it answers (the id's prefix), "" when none
// was given or in error.
std::string ReadInReplyTo(FieldReader& r, Need need, EventBuilder* b);

// Why a case is (or should be) heard at MARAC: `threshold` (one of
// kMaracThresholds, required) and `dash_score` (0-27; required, and 14 or
// more, for visible_high_risk). Sets FLAG_SERIAL_PERPETRATOR for serial.
struct MaracThreshold {
  std::string threshold;
  std::optional<int> dash_score;
};
MaracThreshold ReadMaracThreshold(FieldReader& r, EventBuilder* b);

// A subject role named in a column: victim, perpetrator or child; the event
// must have a subject with it.
v1::SubjectRole ReadAbout(FieldReader& r, const std::string& column, v1::SubjectRole fallback,
                          const EventBuilder& b);

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

// A referral (referral_to, referral_service, referral_about, referral_reason,
// perpetrator_consents) as the "detail" section, addressed in the header
// (destination = referral_to and referral_service, about = referral_about,
// default perpetrator); the sender declares itself the case's referrer.
// Subjects must already be in the header. Returns the headline.
std::string AddReferral(FieldReader& r, v1::ReferralSource source, EventBuilder* b);

// A safeguarding concern (concern, concern_about: child|adult_at_risk,
// action_taken) as the "detail" section. Returns the headline.
std::string AddConcern(FieldReader& r, EventBuilder* b);

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_ADAPTERS_SECTIONS_H_
