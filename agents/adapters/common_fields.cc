#include "agents/adapters/common_fields.h"

#include "absl/strings/str_cat.h"
#include "accord/v1/events.pb.h"

namespace accord::agents {

std::optional<absl::Time> ReadCommon(FieldReader& r, const StaffColumn& staff, EventBuilder* b) {
  const std::string record_id = r.Text("record_id", Need::kRequired);
  if (!record_id.empty()) b->SetRecordId(record_id);
  std::optional<absl::Time> at = r.Time("occurred_at", Need::kRequired);
  const absl::Time earliest = absl::FromCivil(absl::CivilDay(1970, 1, 1), absl::UTCTimeZone());
  const absl::Time latest = absl::FromCivil(absl::CivilDay(2100, 1, 1), absl::UTCTimeZone());
  if (at && (*at < earliest || *at >= latest)) {
    r.Fail(absl::StrCat("occurred_at '", r.Text("occurred_at"), "' is outside 1970-2099"));
    at.reset();
  }
  if (at) b->SetOccurredAt(*at);
  const std::string staff_id = r.Text(staff.column, Need::kRequired);
  std::string role = r.Identifier("staff_role");
  if (role.empty()) role = staff.default_role;
  if (!staff_id.empty()) b->SetActor(role, staff_id);
  return at;
}

void SetCaseRef(FieldReader& r, const std::optional<Subject>& victim, EventBuilder* b) {
  std::string ref = r.Text("case_ref");
  if (ref.size() > 128) {
    r.Fail("case_ref is longer than 128 characters");
    return;
  }
  if (ref.empty() && victim) ref = absl::StrCat("case-", victim->ref.substr(0, 16));
  if (ref.empty()) {
    // Only worth saying when the victim columns were not already reported.
    if (r.ok()) r.Fail("case_ref is empty and there is no victim to derive it from");
    return;
  }
  b->SetCaseRef(ref);
}

std::optional<v1::RiskLevel> ReadRiskLevel(FieldReader& r, const std::string& column, Need need) {
  const std::string v = r.Enum(column, {"standard", "medium", "high", "very_high"}, need);
  if (v == "standard") return v1::RISK_LEVEL_STANDARD;
  if (v == "medium") return v1::RISK_LEVEL_MEDIUM;
  if (v == "high") return v1::RISK_LEVEL_HIGH;
  if (v == "very_high") return v1::RISK_LEVEL_VERY_HIGH;
  return std::nullopt;
}

std::optional<v1::RiskTool> ReadRiskTool(FieldReader& r, const std::string& column, Need need) {
  const std::string v =
      r.Enum(column, {"dash", "sara", "b_safer", "rfg", "oasys", "professional_judgement"}, need);
  if (v == "dash") return v1::RISK_TOOL_DASH;
  if (v == "sara") return v1::RISK_TOOL_SARA;
  if (v == "b_safer") return v1::RISK_TOOL_B_SAFER;
  if (v == "rfg") return v1::RISK_TOOL_RFG;
  if (v == "oasys") return v1::RISK_TOOL_OASYS;
  if (v == "professional_judgement") return v1::RISK_TOOL_PROFESSIONAL_JUDGEMENT;
  return std::nullopt;
}

std::optional<v1::RiskDetail> ReadRisk(FieldReader& r, Need need, v1::RiskTool default_tool) {
  const std::optional<v1::RiskLevel> level = ReadRiskLevel(r, "risk_level", need);
  const std::optional<v1::RiskTool> tool = ReadRiskTool(r, "risk_tool", Need::kOptional);
  const v1::RiskTool t = tool.value_or(default_tool);
  const std::optional<int> score = r.Int("risk_score", 0, t == v1::RISK_TOOL_DASH ? 27 : 100);
  const std::optional<v1::RiskLevel> previous = ReadRiskLevel(r, "previous_risk_level", Need::kOptional);
  if (!level) {
    if (r.Has("risk_tool") || r.Has("risk_score") || r.Has("previous_risk_level")) {
      if (!r.Has("risk_level")) r.Fail("risk_level is required when other risk columns are given");
    }
    return std::nullopt;
  }
  v1::RiskDetail risk;
  risk.set_level(*level);
  risk.set_tool(t);
  risk.set_score(score.value_or(0));
  if (previous) risk.set_previous_level(*previous);
  risk.set_rationale(r.Text("risk_rationale"));
  return risk;
}

void ApplyRisk(const v1::RiskDetail& risk, EventBuilder* b) {
  b->SetRisk(risk.level(), risk.tool(), risk.score());
  v1::RiskDetail section = risk;
  if (section.assessor_role().empty()) section.set_assessor_role(b->header().actor().role());
  b->AddSection("risk", section);
}

absl::Time StartOfDay(absl::CivilDay day) { return absl::FromCivil(day, absl::UTCTimeZone()); }

std::string RiskWord(v1::RiskLevel level) {
  switch (level) {
    case v1::RISK_LEVEL_STANDARD:
      return "standard";
    case v1::RISK_LEVEL_MEDIUM:
      return "medium";
    case v1::RISK_LEVEL_HIGH:
      return "high";
    case v1::RISK_LEVEL_VERY_HIGH:
      return "very high";
    default:
      return "unassessed";
  }
}

void AddSummary(FieldReader& r, const std::string& headline, EventBuilder* b, const std::string& more_text) {
  v1::Summary summary;
  summary.set_headline(headline);
  const std::string text = r.Text("summary");
  summary.set_text(text.empty() || more_text.empty() ? text + more_text
                                                     : absl::StrCat(text, "\n", more_text));
  b->AddSection("summary", summary);
}

absl::StatusOr<MappedEvent> Finish(FieldReader& r, EventBuilder&& b, const Row& row) {
  if (r.ok()) r.FailUnread();
  if (b.header().subjects_size() > kMaxSubjects) {
    r.Fail(absl::StrCat("the row names ", b.header().subjects_size(), " people; an event may name at most ",
                        kMaxSubjects));
  }
  if (!r.ok()) return absl::InvalidArgumentError(r.reason());
  return std::move(b).Finish(row.source());
}

}  // namespace accord::agents
