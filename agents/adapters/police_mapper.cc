// police: PPN / domestic incident exports with the DASH checklist, criminal
// justice outcomes (arrest, charge, re-offence ...), protective orders (bail,
// DVPN, DVPO ...), order breaches and a perpetrator's new relationship.
// Health is split by whose it is where the export says (health@victim,
// health@perpetrator). Columns: docs/adapters.md §police.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "accord/v1/events.pb.h"
#include "agents/adapters/common_fields.h"
#include "agents/adapters/dash.h"
#include "agents/adapters/profile.h"
#include "agents/adapters/sections.h"

namespace accord::agents {
namespace {

constexpr StaffColumn kOfficer = {"officer_collar_number", "police_officer"};

struct PoliceRow {
  std::optional<absl::Time> at;
  std::optional<Subject> victim, perpetrator;
  std::vector<Subject> children;
};

// Reads what every police record has: common columns, the perpetrator
// (required), the victim (as `victim_need` says), children and the case
// reference.
PoliceRow ReadPoliceRow(FieldReader& r, const MapContext& ctx, Need victim_need, EventBuilder* b) {
  PoliceRow p;
  p.at = ReadCommon(r, kOfficer, b);
  p.victim = ReadSubject(r, *ctx.linkage_key, "victim", victim_need);
  p.perpetrator = ReadSubject(r, *ctx.linkage_key, "perpetrator", Need::kRequired);
  p.children = ReadSubjectList(r, *ctx.linkage_key, "children");
  CheckBornBefore(r, p.victim, "victim", p.at);
  CheckBornBefore(r, p.perpetrator, "perpetrator", p.at);
  if (p.victim) b->AddSubject(v1::SUBJECT_ROLE_VICTIM, p.victim->ref);
  if (p.perpetrator) b->AddSubject(v1::SUBJECT_ROLE_PERPETRATOR, p.perpetrator->ref);
  SetCaseRef(r, p.victim, b);
  return p;
}

// Optional officer's risk grading on records other than incidents.
void ReadOptionalRisk(FieldReader& r, EventBuilder* b) {
  if (std::optional<v1::RiskDetail> risk =
          ReadRisk(r, Need::kOptional, v1::RISK_TOOL_PROFESSIONAL_JUDGEMENT)) {
    ApplyRisk(*risk, b);
  }
}

// The health columns of an incident: whose it is not recorded (health), the
// victim's (victim_ prefix: health@victim), the suspect's (perpetrator_
// prefix: health@perpetrator).
void AddIncidentHealth(FieldReader& r, EventBuilder* b) {
  AddHealth(r, b);
  AddHealth(r, b, "victim_", "health@victim");
  AddHealth(r, b, "perpetrator_", "health@perpetrator");
}

absl::StatusOr<MappedEvent> MapIncident(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_DOMESTIC_INCIDENT);
  PoliceRow p = ReadPoliceRow(r, ctx, Need::kRequired, &b);
  const std::string incident_ref = r.Text("incident_ref", Need::kRequired);
  const std::optional<Dash> dash = ReadDash(r, Need::kRequired);
  const std::optional<v1::RiskLevel> level = ReadRiskLevel(r, "risk_level", Need::kRequired);
  const std::optional<bool> present = r.Bool("children_present", Need::kRequired);
  const std::optional<bool> arrest = r.Bool("arrest_made", Need::kRequired);
  const std::string location =
      r.Enum("location_type", {"home", "public", "workplace", "vehicle", "online", "other"});
  const std::vector<std::string> offences = r.List("offences");
  if (dash && level) CheckDashLevel(r, *dash, *level);
  if (present == true && p.children.empty() && r.Bool("children_in_household") != true) {
    r.Fail("children_present is 'yes' but no children are listed and children_in_household is not 'yes'");
  }
  if (!r.ok() || !dash || !level) return Finish(r, std::move(b), row);

  b.SetRisk(*level, v1::RISK_TOOL_DASH, dash->score);
  for (v1::Flag f : dash->flags) b.AddFlag(f);
  if (*present) b.AddFlag(v1::FLAG_CHILDREN_PRESENT);
  AddSummary(r,
             absl::StrCat("Domestic incident", location.empty() ? "" : absl::StrCat(" (", location, ")"),
                          ": DASH ", dash->score, "/", kDashQuestions, ", ", RiskWord(*level), " risk",
                          *present ? "; children present" : "", *arrest ? "; arrest made" : ""),
             &b);
  v1::RiskDetail risk;
  risk.set_level(*level);
  risk.set_tool(v1::RISK_TOOL_DASH);
  risk.set_score(dash->score);
  for (const std::string& f : dash->factors) risk.add_factors(f);
  risk.set_assessor_role(b.header().actor().role());
  risk.set_rationale(r.Text("risk_rationale"));
  risk.mutable_answers()->insert(dash->answers.begin(), dash->answers.end());
  b.AddSection("risk", risk);
  v1::DomesticIncident detail;
  detail.set_incident_ref(incident_ref);
  detail.set_location_type(location);
  for (const std::string& o : offences) detail.add_offences(o);
  detail.set_arrest_made(*arrest);
  detail.set_children_present(*present);
  detail.set_dash_score(dash->score);
  detail.set_officer_collar_ref(b.header().actor().staff_ref());
  detail.set_narrative(r.Text("narrative"));
  b.AddSection("detail", detail);
  AddChildren(r, p.children, p.at, *present, &b);
  AddVictimContact(r, &b);
  AddIncidentHealth(r, &b);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapJusticeOutcome(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_CRIMINAL_JUSTICE_OUTCOME);
  PoliceRow p = ReadPoliceRow(r, ctx, Need::kOptional, &b);
  const std::string stage = r.Enum(
      "cj_stage", {"arrest", "charge", "conviction", "reoffence", "no_further_action"}, Need::kRequired);
  const std::vector<std::string> offences = r.List("offences");
  ReadOptionalRisk(r, &b);
  AddChildren(r, p.children, p.at, false, &b);
  if (!r.ok()) return Finish(r, std::move(b), row);
  v1::CriminalJusticeOutcome detail;
  v1::CriminalJusticeOutcome::Stage s = v1::CriminalJusticeOutcome::STAGE_UNSPECIFIED;
  v1::CriminalJusticeOutcome::Stage_Parse(absl::StrCat("STAGE_", absl::AsciiStrToUpper(stage)), &s);
  detail.set_stage(s);
  for (const std::string& o : offences) detail.add_offences(o);
  detail.set_court(r.Text("court"));
  detail.set_disposal(r.Text("disposal"));
  std::string what = stage == "reoffence"           ? "Re-offence"
                     : stage == "no_further_action" ? "No further action"
                                                    : stage;
  what[0] = static_cast<char>(absl::ascii_toupper(static_cast<unsigned char>(what[0])));
  AddSummary(r, absl::StrCat(what, offences.empty() ? "" : absl::StrCat(": ", absl::StrJoin(offences, "; "))),
             &b);
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

// The order an order or breach record is about (docs/adapters.md).
std::string ReadOrderType(FieldReader& r) {
  return r.Enum("order_type", {"bail", "dvpn", "dvpo", "restraining_order", "non_molestation"}, Need::kRequired);
}

absl::StatusOr<MappedEvent> MapOrder(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_PROTECTIVE_ORDER);
  PoliceRow p = ReadPoliceRow(r, ctx, Need::kOptional, &b);
  const std::string type = ReadOrderType(r);
  std::optional<absl::Time> starts = r.Time("order_starts_at");
  const std::optional<absl::Time> ends = r.Time("order_ends_at");
  if (!starts) starts = p.at;
  if (starts && ends && *ends <= *starts) r.Fail("order_ends_at is not after the order starts");
  ReadOptionalRisk(r, &b);
  AddChildren(r, p.children, p.at, false, &b);
  if (!r.ok()) return Finish(r, std::move(b), row);
  v1::ProtectiveOrder detail;
  detail.set_order_type(type);
  if (starts) SetTimestamp(*starts, detail.mutable_starts_at());
  if (ends) SetTimestamp(*ends, detail.mutable_ends_at());
  for (const std::string& c : r.List("conditions")) detail.add_conditions(c);
  AddSummary(
      r,
      absl::StrCat(
          "Protective order: ", type,
          ends ? absl::StrCat(" until ", absl::FormatTime("%Y-%m-%d %H:%M %Ez", *ends, absl::UTCTimeZone()))
               : "",
          detail.conditions_size() > 0 ? absl::StrCat(", ", detail.conditions_size(), " conditions") : ""),
      &b);
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapBreach(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_ORDER_BREACH);
  PoliceRow p = ReadPoliceRow(r, ctx, Need::kOptional, &b);
  const std::string type = ReadOrderType(r);
  const std::string breach = r.Text("breach", Need::kRequired);
  const std::optional<bool> arrest = r.Bool("arrest_made");
  ReadOptionalRisk(r, &b);
  AddChildren(r, p.children, p.at, false, &b);
  if (!r.ok()) return Finish(r, std::move(b), row);
  v1::OrderBreach detail;
  detail.set_order_type(type);
  detail.set_breach(breach);
  detail.set_arrest_made(arrest.value_or(false));
  AddSummary(r, absl::StrCat("Breach of ", type, arrest == true ? "; arrest made" : ""), &b);
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

// A new partner of the perpetrator (intelligence, a disclosure, a check): the
// victim columns name her, so the event opens or joins her case, and the
// perpetrator links it to his others.
absl::StatusOr<MappedEvent> MapNewRelationship(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_NEW_RELATIONSHIP);
  PoliceRow p = ReadPoliceRow(r, ctx, Need::kRequired, &b);
  b.SetAbout(v1::SUBJECT_ROLE_PERPETRATOR);
  ReadOptionalRisk(r, &b);
  AddChildren(r, p.children, p.at, false, &b);
  AddSummary(r, "New relationship: the perpetrator has a new partner", &b,
             r.Text("narrative"));
  return Finish(r, std::move(b), row);
}

}  // namespace

Profile PoliceProfile() {
  Profile p;
  p.name = "police";
  p.schema.columns = CommonColumns();
  for (const char* c : {"officer_collar_number",
                        "incident_ref",
                        "victim_family_name",
                        "victim_given_name",
                        "victim_dob",
                        "perpetrator_family_name",
                        "perpetrator_given_name",
                        "perpetrator_dob",
                        "children_present",
                        "location_type",
                        "offences",
                        "arrest_made",
                        "dash_answers",
                        "dash_score",
                        "narrative",
                        "cj_stage",
                        "court",
                        "disposal",
                        "order_type",
                        "order_starts_at",
                        "order_ends_at",
                        "conditions",
                        "breach"}) {
    p.schema.columns.push_back(c);
  }
  for (const auto* group : {&RiskColumns(), &ChildrenColumns(), &VictimContactColumns(), &HealthColumns()}) {
    p.schema.columns.insert(p.schema.columns.end(), group->begin(), group->end());
  }
  for (const char* person : {"victim_", "perpetrator_"}) {
    for (const std::string& c : HealthColumns(person)) p.schema.columns.push_back(c);
  }
  p.schema.required = {"record_id",
                       "record_type",
                       "occurred_at",
                       "officer_collar_number",
                       "perpetrator_family_name",
                       "perpetrator_given_name",
                       "perpetrator_dob"};
  p.record_types = {{"incident", &MapIncident},
                    {"justice_outcome", &MapJusticeOutcome},
                    {"order", &MapOrder},
                    {"order_breach", &MapBreach},
                    {"new_relationship", &MapNewRelationship}};
  return p;
}

}  // namespace accord::agents
