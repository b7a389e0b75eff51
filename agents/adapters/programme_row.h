// What every perpetrator_programme record shares (the participant, the
// partner, the programme, the referrer and partner-support columns), used by
// perpetrator_programme_mapper.cc (the records of exports made before issue
// 12) and programme_lifecycle.cc (the case lifecycle). Internal to the
// adapters library.
#ifndef ACCORD_AGENTS_ADAPTERS_PROGRAMME_ROW_H_
#define ACCORD_AGENTS_ADAPTERS_PROGRAMME_ROW_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "accord/v1/events.pb.h"
#include "agents/adapters/common_fields.h"
#include "agents/adapters/event_builder.h"
#include "agents/adapters/profile.h"
#include "agents/adapters/row.h"
#include "agents/adapters/subjects.h"

namespace accord::agents {

inline constexpr StaffColumn kFacilitator = {"facilitator_id", "facilitator"};

struct ProgrammeRow {
  std::optional<absl::Time> at;
  std::string programme;        // "up2u", "drive", ...: prefixes every headline
  std::string referrer;         // the referrer column: where answers to a referral go
  std::string partner_support;  // the partner_support column: where partner contact goes
  std::optional<Subject> participant, partner;
  std::string Headline(const std::string& text) const {
    return programme.empty() ? text : absl::StrCat(programme, ": ", text);
  }
};

// Common columns, the participant (required), the partner (the victim, when
// known; `partner_prefix` names the columns: "partner", or "new_partner" for
// a new relationship), children, the case reference and the programme.
// `referrer` and `partner_support` are read on every record (exports made
// before issue 12 carry them on every row) but only the records that address
// an event use them: the broker learns the referrer from the referral itself,
// and the partner-support service declares itself.
ProgrammeRow ReadProgrammeRow(FieldReader& r, const MapContext& ctx, EventBuilder* b,
                              const std::string& partner_prefix = "partner");

// The relation the record types of exports made before issue 12 declare
// while he is on the programme: `programme` = this agency, nothing else (the
// referrer and the partner-support service declare themselves).
void DeclareProgramme(EventBuilder* b);

// Addresses the event to `agency`, the value ReadProgrammeRow read from
// `column` (required or not); never to this agency itself.
void AddressTo(FieldReader& r, const std::string& column, const std::string& agency, Need need,
               EventBuilder* b);

// A risk assessment whose level may not fall below previous_risk_level:
// completion, step-down, de-selection and drop-out never lower a case's
// standing risk (seed 003 l.456: "abuse can increase if cases are
// de-escalated before ensuring interventions have been successful").
std::optional<v1::RiskDetail> ReadNonFallingRisk(FieldReader& r, Need need, const std::string& record);

// The record types of the case lifecycle (programme_lifecycle.cc):
// referral_accepted, referral_declined, referral_closed, partner_contact,
// safety_planning, completion, step_down, transfer, deselection,
// new_relationship, participant_consent.
std::vector<std::pair<std::string, RowMapper>> ProgrammeLifecycleRecordTypes();

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_ADAPTERS_PROGRAMME_ROW_H_
