// Columns every profile shares, and the step that turns a read row into a
// MappedEvent or a rejection reason. See docs/adapters.md §Common columns.
#ifndef ACCORD_AGENTS_ADAPTERS_COMMON_FIELDS_H_
#define ACCORD_AGENTS_ADAPTERS_COMMON_FIELDS_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "accord/v1/envelope.pb.h"
#include "accord/v1/events.pb.h"
#include "agents/adapters/event_builder.h"
#include "agents/adapters/row.h"
#include "agents/adapters/subjects.h"

namespace accord::agents {

// Columns read by ReadCommon; every profile's schema includes them.
inline const std::vector<std::string>& CommonColumns() {
  static const std::vector<std::string> kColumns = {"record_id", "record_type", "occurred_at",
                                                    "case_ref",  "staff_role",  "summary"};
  return kColumns;
}

// Columns read by ReadRisk.
inline const std::vector<std::string>& RiskColumns() {
  static const std::vector<std::string> kColumns = {"risk_level", "risk_tool", "risk_score",
                                                    "previous_risk_level", "risk_rationale"};
  return kColumns;
}

// Why a case is (or should be) heard at MARAC: a DASH score of 14 or more,
// escalation, the referrer's professional judgement, a serial perpetrator.
inline constexpr std::initializer_list<absl::string_view> kMaracThresholds = {
    "visible_high_risk", "potential_escalation", "professional_judgement", "serial"};

// Who acted: the profile's staff-number column and the role used when the
// row's staff_role is empty.
struct StaffColumn {
  const char* column;        // e.g. "officer_collar_number"
  const char* default_role;  // e.g. "police_officer"
};

// Reads record_id, occurred_at (RFC 3339, 1970..2099) and the actor, and sets
// them on `b`. Returns occurred_at when it was valid.
std::optional<absl::Time> ReadCommon(FieldReader& r, const StaffColumn& staff, EventBuilder* b);

// case_ref from the column, else "case-" + the first 16 hex digits of the
// victim's pseudonym, so that agencies without a shared reference still file
// the household's events under one case. Error when neither is available.
void SetCaseRef(FieldReader& r, const std::optional<Subject>& victim, EventBuilder* b);

// risk_level: standard|medium|high|very_high.
std::optional<v1::RiskLevel> ReadRiskLevel(FieldReader& r, const std::string& column, Need need);
// risk_tool: dash|sara|b_safer|rfg|oasys|professional_judgement.
std::optional<v1::RiskTool> ReadRiskTool(FieldReader& r, const std::string& column, Need need);

// An assessment from risk_level, risk_tool (default `default_tool`),
// risk_score (0..27 for DASH, else 0..100), previous_risk_level and
// risk_rationale. nullopt when risk_level is absent (an error if required)
// or anything is malformed.
std::optional<v1::RiskDetail> ReadRisk(FieldReader& r, Need need, v1::RiskTool default_tool);

// Puts `risk` in the header (level, tool, score) and adds the "risk" section.
void ApplyRisk(const v1::RiskDetail& risk, EventBuilder* b);

// Date columns become timestamps at 00:00 UTC of that day.
absl::Time StartOfDay(absl::CivilDay day);

// "standard", "high", ... for headlines.
std::string RiskWord(v1::RiskLevel level);

// Adds the summary section: `headline`, and as text the row's summary
// column followed by `more_text` (e.g. notes the kind's detail has no field for).
void AddSummary(FieldReader& r, const std::string& headline, EventBuilder* b,
                const std::string& more_text = "");

// The row's event, or INVALID_ARGUMENT with every problem the reader found
// (including filled columns the row's record type does not use).
absl::StatusOr<MappedEvent> Finish(FieldReader& r, EventBuilder&& b, const Row& row);

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_ADAPTERS_COMMON_FIELDS_H_
