// victim_services (IDVA, and the partner-support worker of a programme):
// consent recorded, safety-plan updates (with the victim's contact details in
// their own section), IDVA DASH risk assessments, MARAC referrals, the
// state of partner support (declaring and ending `partner_support`), scheduled partner feedback and the
// partner-support side of the safety-planning exchange with a programme.
// Columns: docs/adapters.md §victim_services.
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

// A referral to MARAC: threshold, DASH score and reasons, addressed to the
// MARAC coordinator (referral_to).
absl::StatusOr<MappedEvent> MapMaracReferral(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_MARAC_REFERRAL);
  VictimRow v = ReadVictimRow(r, ctx, &b);
  AddChildren(r, v.children, v.at, false, &b);
  b.SetAbout(v1::SUBJECT_ROLE_VICTIM);
  ReadDestination(r, "referral_to", Need::kRequired, &b);
  const MaracThreshold t = ReadMaracThreshold(r, &b);
  const std::optional<int>& score = t.dash_score;
  const std::string& threshold = t.threshold;
  const std::vector<std::string> reasons = r.List("reasons");
  if (std::optional<v1::RiskDetail> risk = ReadRisk(r, Need::kOptional, v1::RISK_TOOL_DASH)) {
    if (score && risk->tool() == v1::RISK_TOOL_DASH) risk->set_score(*score);
    ApplyRisk(*risk, &b);
  }
  v1::MaracReferral detail;
  detail.set_threshold(threshold);
  detail.set_dash_score(score.value_or(0));
  for (const std::string& reason : reasons) detail.add_reasons(reason);
  AddSummary(r,
             absl::StrCat("Referral to MARAC: ", threshold,
                          score ? absl::StrCat(", DASH ", *score, "/", kDashQuestions) : ""),
             &b, r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

constexpr std::initializer_list<absl::string_view> kSupportStatuses = {
    "offered", "engaged", "declined", "not_engaging", "unable_to_contact", "closed"};

// Where partner support stands. The service declares itself the case's
// `partner_support` when support is offered or taken up, and ends that when
// support closes; declining or not engaging is a state, not an end (the
// worker keeps trying: seed 002 l.417-419).
absl::StatusOr<MappedEvent> MapPartnerSupportStatus(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_PARTNER_SUPPORT_STATUS);
  VictimRow v = ReadVictimRow(r, ctx, &b);
  AddChildren(r, v.children, v.at, false, &b);
  b.SetAbout(v1::SUBJECT_ROLE_VICTIM);
  const std::string status = r.Enum("support_status", kSupportStatuses, Need::kRequired);
  const std::string programme = r.Identifier("programme");
  if (status == "offered" || status == "engaged") b.AddRelation("partner_support", ctx.agency);
  if (status == "closed") b.EndRelation("partner_support", ctx.agency);
  v1::EngagementUpdate detail;
  detail.set_level(status);
  detail.set_notes(r.Text("notes"));
  AddSummary(r,
             absl::StrCat("Partner support", programme.empty() ? "" : absl::StrCat(" (", programme, ")"), ": ",
                          status),
             &b);
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

constexpr std::initializer_list<absl::string_view> kFeedbackIntervals = {"2m", "6m", "1y", "18m", "2y"};

// Columns a record that goes to a programme refuses: where she is and her health.
void RefuseVictimDetails(FieldReader& r, const std::string& record) {
  const std::string why = absl::StrCat("a ", record, " record goes to the programme, which never receives where "
                                       "the victim is or her health (record them in a safety_plan)");
  RefuseColumns(r, VictimContactColumns(), why);
  RefuseColumns(r, HealthColumns(), why);
}

// The partner's scheduled feedback to the programme (seed 003 l.1564), given
// on her consent (consent_record_id + consent_purpose).
absl::StatusOr<MappedEvent> MapPartnerFeedback(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_PARTNER_FEEDBACK);
  VictimRow v = ReadVictimRow(r, ctx, &b);
  RefuseVictimDetails(r, "partner_feedback");
  ReadDestination(r, "programme", Need::kRequired, &b);
  const std::string interval = r.Enum("interval", kFeedbackIntervals, Need::kRequired);
  const std::string perception = r.Enum("perception_of_safety", {"safer", "unchanged", "less_safe"});
  if (!r.Has("consent_record_id") && !r.Has("consent_purpose")) {
    r.Fail("partner_feedback needs the victim's consent: consent_record_id and consent_purpose");
  }
  ReadConsentReference(r, v, &b);
  if (std::optional<v1::RiskDetail> risk = ReadRisk(r, Need::kOptional, v1::RISK_TOOL_DASH)) {
    ApplyRisk(*risk, &b);
  }
  AddSummary(r,
             absl::StrCat("Partner feedback at ", interval,
                          perception.empty()
                              ? ""
                              : absl::StrCat(": feels ", perception == "less_safe" ? "less safe" : perception)),
             &b, r.Text("notes"));
  return Finish(r, std::move(b), row);
}

// The partner-support worker's side of the safety-planning exchange with a
// programme (seed 000 l.201): themes and her risk level, never her
// whereabouts, health or DASH answers.
absl::StatusOr<MappedEvent> MapSafetyPlanning(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_SAFETY_PLANNING_EXCHANGE);
  ReadVictimRow(r, ctx, &b);
  RefuseVictimDetails(r, "safety_planning");
  ReadDestination(r, "programme", Need::kRequired, &b);
  const std::string meeting = r.Text("meeting_ref", Need::kRequired);
  const std::optional<absl::Time> meeting_at = r.Time("meeting_at", Need::kRequired);
  const std::vector<std::string> themes = r.List("themes");
  if (std::optional<v1::RiskDetail> risk = ReadRisk(r, Need::kOptional, v1::RISK_TOOL_DASH)) {
    ApplyRisk(*risk, &b);
  }
  if (themes.empty() && !r.Has("notes") && !r.Has("risk_level")) {
    r.Fail("a safety_planning record needs themes, notes or a risk_level");
  }
  v1::SafetyPlanUpdate detail;
  for (const std::string& t : themes) detail.add_measures(t);
  detail.set_notes(r.Text("notes"));
  AddSummary(r,
             absl::StrCat("Safety-planning exchange ", meeting,
                          meeting_at
                              ? absl::StrCat(" on ", absl::FormatTime("%Y-%m-%d", *meeting_at, absl::UTCTimeZone()))
                              : ""),
             &b);
  b.AddSection("detail", detail);
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
        "consent_record_id", "safety_measures", "dash_answers", "dash_score", "notes", "referral_to",
        "threshold", "reasons", "support_status", "programme", "interval", "perception_of_safety",
        "meeting_ref", "meeting_at", "themes"}) {
    p.schema.columns.push_back(c);
  }
  for (const auto* group : {&RiskColumns(), &ChildrenColumns(), &VictimContactColumns(), &HealthColumns()}) {
    p.schema.columns.insert(p.schema.columns.end(), group->begin(), group->end());
  }
  p.schema.required = {"record_id",          "record_type",       "occurred_at", "idva_id",
                       "victim_family_name", "victim_given_name", "victim_dob"};
  p.record_types = {{"consent", &MapConsent},
                    {"safety_plan", &MapSafetyPlan},
                    {"risk_assessment", &MapRiskAssessment},
                    {"marac_referral", &MapMaracReferral},
                    {"partner_support_status", &MapPartnerSupportStatus},
                    {"partner_feedback", &MapPartnerFeedback},
                    {"safety_planning", &MapSafetyPlanning}};
  return p;
}

}  // namespace accord::agents
