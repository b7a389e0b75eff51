// victim_services (IDVA): consent recorded, safety-plan updates (with the
// victim's contact details in their own section) and IDVA DASH risk
// assessments. Columns: docs/adapters.md §victim_services.
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

constexpr StaffColumn kIdva = {"idva_id", "idva"};

struct VictimRow {
  std::optional<absl::Time> at;
  std::optional<Subject> victim;
  std::vector<Subject> children;
};

// Common columns, the victim (required: the IDVA's client), the perpetrator
// and children when known, and the case reference.
VictimRow ReadVictimRow(FieldReader& r, const MapContext& ctx, EventBuilder* b) {
  VictimRow v;
  v.at = ReadCommon(r, kIdva, b);
  v.victim = ReadSubject(r, *ctx.linkage_key, "victim", Need::kRequired);
  std::optional<Subject> perpetrator = ReadSubject(r, *ctx.linkage_key, "perpetrator", Need::kOptional);
  v.children = ReadSubjectList(r, *ctx.linkage_key, "children");
  CheckBornBefore(r, v.victim, "victim", v.at);
  CheckBornBefore(r, perpetrator, "perpetrator", v.at);
  if (v.victim) b->AddSubject(v1::SUBJECT_ROLE_VICTIM, v.victim->ref);
  if (perpetrator) b->AddSubject(v1::SUBJECT_ROLE_PERPETRATOR, perpetrator->ref);
  SetCaseRef(r, v.victim, b);
  return v;
}

std::optional<v1::ConsentState> ReadConsentState(FieldReader& r, Need need) {
  const std::string s =
      r.Enum("consent_state", {"given", "refused", "withdrawn", "not_sought", "lacks_capacity"}, need);
  if (s.empty()) return std::nullopt;
  v1::ConsentState state = v1::CONSENT_STATE_UNSPECIFIED;
  v1::ConsentState_Parse(absl::StrCat("CONSENT_STATE_", absl::AsciiStrToUpper(s)), &state);
  return state;
}

absl::StatusOr<MappedEvent> MapConsent(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_CONSENT_RECORDED);
  VictimRow v = ReadVictimRow(r, ctx, &b);
  AddChildren(r, v.children, v.at, false, &b);
  const std::string purpose = r.Identifier("consent_purpose", Need::kRequired);
  const std::optional<v1::ConsentState> state = ReadConsentState(r, Need::kRequired);
  const std::string how = r.Enum("consent_how", {"verbal", "written"});
  if (!r.ok() || !v.victim || !state) return Finish(r, std::move(b), row);
  v1::ConsentStatement* statement = b.header().mutable_consent_statement();
  statement->set_subject_ref(v.victim->ref);
  statement->set_purpose(purpose);
  statement->set_state(*state);
  v1::ConsentRecorded detail;
  detail.set_purpose(purpose);
  detail.set_state(*state);
  detail.set_how_recorded(how);
  detail.set_notes(r.Text("notes"));
  AddSummary(r,
             absl::StrCat("Victim's consent for ", purpose, ": ", r.Text("consent_state"),
                          how.empty() ? "" : absl::StrCat(" (", how, ")")),
             &b);
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

// consent_record_id + consent_purpose: the consent this update relies on.
void ReadConsentReference(FieldReader& r, const VictimRow& v, EventBuilder* b) {
  const std::string record = r.Text("consent_record_id");
  const std::string purpose = r.Identifier("consent_purpose");
  if (record.empty() && purpose.empty()) return;
  if (record.empty() || purpose.empty()) {
    r.Fail("consent_record_id and consent_purpose go together: give both or neither");
    return;
  }
  if (!v.victim) return;
  v1::ConsentReference* c = b->header().mutable_consent();
  c->set_purpose(purpose);
  c->set_subject_ref(v.victim->ref);
  c->set_consent_event_id(EventIdFor(*b->context().linkage_key, b->context().agency, record));
}

absl::StatusOr<MappedEvent> MapSafetyPlan(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_SAFETY_PLAN_UPDATE);
  VictimRow v = ReadVictimRow(r, ctx, &b);
  AddChildren(r, v.children, v.at, false, &b);
  ReadConsentReference(r, v, &b);
  if (std::optional<v1::RiskDetail> risk = ReadRisk(r, Need::kOptional, v1::RISK_TOOL_DASH)) {
    ApplyRisk(*risk, &b);
  }
  const std::vector<std::string> measures = r.List("safety_measures");
  const bool contact = AddVictimContact(r, &b);
  if (measures.empty() && !contact && !r.Has("notes")) {
    r.Fail("a safety_plan record needs safety_measures, notes or new victim contact details");
  }
  v1::SafetyPlanUpdate detail;
  for (const std::string& m : measures) detail.add_measures(m);
  detail.set_notes(r.Text("notes"));
  AddSummary(r,
             absl::StrCat("Safety plan updated",
                          measures.empty() ? "" : absl::StrCat(": ", absl::StrJoin(measures, "; ")),
                          contact ? " (victim contact details changed)" : ""),
             &b);
  b.AddSection("detail", detail);
  AddHealth(r, &b);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapRiskAssessment(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_RISK_ASSESSMENT);
  VictimRow v = ReadVictimRow(r, ctx, &b);
  AddChildren(r, v.children, v.at, false, &b);
  const std::optional<Dash> dash = ReadDash(r, Need::kRequired);
  const std::optional<v1::RiskLevel> level = ReadRiskLevel(r, "risk_level", Need::kRequired);
  const std::optional<v1::RiskLevel> previous = ReadRiskLevel(r, "previous_risk_level", Need::kOptional);
  if (dash && level) CheckDashLevel(r, *dash, *level);
  if (!r.ok() || !dash || !level) return Finish(r, std::move(b), row);
  for (v1::Flag f : dash->flags) b.AddFlag(f);
  v1::RiskDetail risk;
  risk.set_level(*level);
  risk.set_tool(v1::RISK_TOOL_DASH);
  risk.set_score(dash->score);
  for (const std::string& f : dash->factors) risk.add_factors(f);
  if (previous) risk.set_previous_level(*previous);
  risk.set_rationale(r.Text("risk_rationale"));
  risk.mutable_answers()->insert(dash->answers.begin(), dash->answers.end());
  ApplyRisk(risk, &b);
  v1::RiskAssessment detail;
  *detail.mutable_assessment() = risk;
  detail.mutable_assessment()->set_assessor_role(b.header().actor().role());
  detail.set_context(r.Text("notes"));
  AddSummary(
      r,
      absl::StrCat("IDVA risk assessment: DASH ", dash->score, "/", kDashQuestions, ", ", RiskWord(*level),
                   " risk", previous ? absl::StrCat(" (was ", RiskWord(*previous), ")") : ""),
      &b);
  b.AddSection("detail", detail);
  AddVictimContact(r, &b);
  AddHealth(r, &b);
  return Finish(r, std::move(b), row);
}

}  // namespace

Profile VictimServicesProfile() {
  Profile p;
  p.name = "victim_services";
  p.schema.columns = CommonColumns();
  for (const char* c :
       {"idva_id", "victim_family_name", "victim_given_name", "victim_dob", "perpetrator_family_name",
        "perpetrator_given_name", "perpetrator_dob", "consent_purpose", "consent_state", "consent_how",
        "consent_record_id", "safety_measures", "dash_answers", "dash_score", "notes"}) {
    p.schema.columns.push_back(c);
  }
  for (const auto* group : {&RiskColumns(), &ChildrenColumns(), &VictimContactColumns(), &HealthColumns()}) {
    p.schema.columns.insert(p.schema.columns.end(), group->begin(), group->end());
  }
  p.schema.required = {"record_id",          "record_type",       "occurred_at", "idva_id",
                       "victim_family_name", "victim_given_name", "victim_dob"};
  p.record_types = {
      {"consent", &MapConsent}, {"safety_plan", &MapSafetyPlan}, {"risk_assessment", &MapRiskAssessment}};
  return p;
}

}  // namespace accord::agents
