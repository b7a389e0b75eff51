// perpetrator_programme (Up2U / Drive): referrals received, referral
// outcomes, assessments, session attendance, engagement, disengagement,
// safeguarding concerns and increasing-risk alerts, the last three optionally
// under a safeguarding override. Columns: docs/adapters.md
// §perpetrator_programme.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "accord/v1/events.pb.h"
#include "agents/adapters/common_fields.h"
#include "agents/adapters/profile.h"
#include "agents/adapters/sections.h"

namespace accord::agents {
namespace {

constexpr StaffColumn kFacilitator = {"facilitator_id", "facilitator"};

struct ProgrammeRow {
  std::optional<absl::Time> at;
  std::string programme;  // "up2u", "drive", ...: prefixes every headline
  std::string Headline(const std::string& text) const {
    return programme.empty() ? text : absl::StrCat(programme, ": ", text);
  }
};

// Common columns, the participant (required), the partner (the victim, when
// known), children, the case reference, the programme, and the relations the
// programme declares for the case (referrer, partner_support).
ProgrammeRow ReadProgrammeRow(FieldReader& r, const MapContext& ctx, EventBuilder* b) {
  ProgrammeRow row;
  row.at = ReadCommon(r, kFacilitator, b);
  row.programme = r.Identifier("programme");
  std::optional<Subject> participant = ReadSubject(r, *ctx.linkage_key, "participant", Need::kRequired);
  std::optional<Subject> partner = ReadSubject(r, *ctx.linkage_key, "partner", Need::kOptional);
  const std::vector<Subject> children = ReadSubjectList(r, *ctx.linkage_key, "children");
  CheckBornBefore(r, participant, "participant", row.at);
  CheckBornBefore(r, partner, "partner", row.at);
  if (partner) b->AddSubject(v1::SUBJECT_ROLE_VICTIM, partner->ref);
  if (participant) b->AddSubject(v1::SUBJECT_ROLE_PERPETRATOR, participant->ref);
  SetCaseRef(r, partner, b);
  AddChildren(r, children, row.at, false, b);
  // The programme works with this case: the policy sends it criminal-justice,
  // supervision and child-protection news only for cases it declared.
  b->AddRelation("programme", ctx.agency);
  for (const char* relation : {"referrer", "partner_support"}) {
    const std::string agency = r.Identifier(relation);
    if (!agency.empty()) b->AddRelation(relation, agency);
  }
  if (std::optional<bool> f = r.Bool("false_compliance"); f == true) b->AddFlag(v1::FLAG_FALSE_COMPLIANCE);
  if (std::optional<bool> h = r.Bool("high_harm"); h == true) b->AddFlag(v1::FLAG_HIGH_HARM);
  return row;
}

// override_reason, authorising_officer_id/_role, at_risk,
// override_justification, consent_sought, why_not_consent: when a reason is
// given, the header carries the override and the event the
// "override_justification" section (for the auditor).
void ReadOverride(FieldReader& r, EventBuilder* b) {
  const std::string reason = r.Identifier("override_reason");
  if (reason.empty()) return;
  const std::string officer = r.Text("authorising_officer_id", Need::kRequired);
  const std::string role = r.Identifier("authorising_officer_role", Need::kRequired);
  const std::string at_risk = r.Text("at_risk", Need::kRequired);
  const std::string justification = r.Text("override_justification", Need::kRequired);
  const std::optional<bool> sought = r.Bool("consent_sought", Need::kRequired);
  const std::string why_not = r.Text("why_not_consent", sought == false ? Need::kRequired : Need::kOptional);
  if (officer.empty() || role.empty()) return;
  if (officer == r.Text("facilitator_id")) {
    r.Fail("authorising_officer_id is the facilitator's own: an override needs another officer's authority");
  }
  v1::SafeguardingOverride* o = b->header().mutable_override();
  o->set_reason(reason);
  o->mutable_authorised_by()->set_role(role);
  o->mutable_authorised_by()->set_staff_ref(
      StaffRefFor(*b->context().linkage_key, b->context().agency, officer));
  o->set_justification_section("override_justification");
  v1::OverrideJustification j;
  j.set_reason(reason);
  j.set_authorising_officer_role(role);
  j.set_authorising_officer_ref(officer);  // the agency's staff number: this section goes to auditors only
  j.set_at_risk(at_risk);
  j.set_justification(justification);
  j.set_consent_sought(sought.value_or(false));
  j.set_why_not_consent(why_not);
  b->AddSection("override_justification", j);
}

absl::StatusOr<MappedEvent> MapReferral(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_REFERRAL);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  const std::string source =
      r.Enum("referral_source",
             {"self", "police", "childrens_services", "gp", "marac", "probation", "cafcass", "court"},
             Need::kRequired);
  v1::Referral detail;
  v1::ReferralSource s = v1::REFERRAL_SOURCE_UNSPECIFIED;
  v1::ReferralSource_Parse(absl::StrCat("REFERRAL_SOURCE_", absl::AsciiStrToUpper(source)), &s);
  detail.set_source(s);
  detail.set_to_service(p.programme);
  detail.set_reason(r.Text("referral_reason"));
  detail.set_perpetrator_consents(r.Bool("participant_consents").value_or(false));
  AddSummary(
      r, p.Headline(absl::StrCat("Referral received", source.empty() ? "" : absl::StrCat(" (", source, ")"))),
      &b, r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapReferralOutcome(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_REFERRAL_OUTCOME);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  const std::string outcome = r.Enum("outcome", {"accepted", "declined", "waitlisted"}, Need::kRequired);
  const std::string decline =
      r.Identifier("decline_reason", outcome == "declined" ? Need::kRequired : Need::kOptional);
  if (outcome != "declined" && !decline.empty()) {
    r.Fail("decline_reason is given but outcome is not declined");
  }
  if (decline == "false_compliance") b.AddFlag(v1::FLAG_FALSE_COMPLIANCE);
  v1::ReferralOutcome detail;
  v1::ReferralOutcome::Outcome o = v1::ReferralOutcome::OUTCOME_UNSPECIFIED;
  v1::ReferralOutcome::Outcome_Parse(absl::StrCat("OUTCOME_", absl::AsciiStrToUpper(outcome)), &o);
  detail.set_outcome(o);
  detail.set_decline_reason(decline);
  detail.set_programme(p.programme);
  AddSummary(
      r,
      p.Headline(absl::StrCat("Referral ", outcome, decline.empty() ? "" : absl::StrCat(" (", decline, ")"))),
      &b, r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapAssessment(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_ASSESSMENT_REPORT);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  const std::optional<bool> suitable = r.Bool("suitable", Need::kRequired);
  if (std::optional<v1::RiskDetail> risk = ReadRisk(r, Need::kOptional, v1::RISK_TOOL_SARA)) {
    ApplyRisk(*risk, &b);
  }
  v1::AssessmentReport detail;
  detail.set_programme(p.programme);
  detail.set_suitable(suitable.value_or(false));
  detail.set_motivation(r.Text("motivation"));
  for (const std::string& n : r.List("needs")) detail.add_needs(n);
  detail.set_recommended_pathway(r.Text("recommended_pathway"));
  AddSummary(
      r,
      p.Headline(absl::StrCat(
          "Assessment completed: ", suitable == true ? "suitable" : "not suitable",
          detail.recommended_pathway().empty() ? "" : absl::StrCat(", ", detail.recommended_pathway()))),
      &b, r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapSession(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_SESSION_ATTENDANCE);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  const std::string ref = r.Text("session_ref", Need::kRequired);
  const std::optional<absl::Time> session_at = r.Time("session_at", Need::kRequired);
  const std::string status =
      r.Enum("attendance", {"attended", "missed", "cancelled", "rescheduled"}, Need::kRequired);
  const std::optional<int> attended = r.Int("sessions_attended", 0, 500);
  const std::optional<int> missed = r.Int("sessions_missed", 0, 500);
  v1::SessionAttendance detail;
  detail.set_session_ref(ref);
  if (session_at) SetTimestamp(*session_at, detail.mutable_session_at());
  v1::SessionAttendance::Status s = v1::SessionAttendance::STATUS_UNSPECIFIED;
  v1::SessionAttendance::Status_Parse(absl::StrCat("STATUS_", absl::AsciiStrToUpper(status)), &s);
  detail.set_status(s);
  detail.set_sessions_attended(attended.value_or(0));
  detail.set_sessions_missed(missed.value_or(0));
  detail.set_notes(r.Text("notes"));
  AddSummary(
      r,
      p.Headline(absl::StrCat(
          "Session ", ref, ": ", status,
          missed ? absl::StrCat(" (", attended.value_or(0), " attended, ", *missed, " missed so far)") : "")),
      &b);
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapEngagement(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_ENGAGEMENT_UPDATE);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  v1::EngagementUpdate detail;
  detail.set_level(r.Enum("engagement_level", {"good", "partial", "poor"}, Need::kRequired));
  detail.set_notes(r.Text("notes"));
  AddSummary(r, p.Headline(absl::StrCat("Engagement: ", detail.level())), &b);
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapDisengagement(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_DISENGAGEMENT);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  v1::Disengagement detail;
  detail.set_reason(r.Text("disengagement_reason", Need::kRequired));
  if (std::optional<absl::Time> last = r.Time("last_contact")) {
    SetTimestamp(*last, detail.mutable_last_contact());
  }
  ReadOverride(r, &b);
  if (std::optional<v1::RiskDetail> risk =
          ReadRisk(r, Need::kOptional, v1::RISK_TOOL_PROFESSIONAL_JUDGEMENT)) {
    ApplyRisk(*risk, &b);
  }
  AddSummary(r, p.Headline(absl::StrCat("Disengaged from the programme: ", detail.reason())), &b,
             r.Text("notes"));
  b.AddSection("detail", detail);
  AddHealth(r, &b);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapConcern(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_SAFEGUARDING_CONCERN);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  ReadOverride(r, &b);
  if (std::optional<v1::RiskDetail> risk =
          ReadRisk(r, Need::kOptional, v1::RISK_TOOL_PROFESSIONAL_JUDGEMENT)) {
    ApplyRisk(*risk, &b);
  }
  AddSummary(r, p.Headline(AddConcern(r, &b)), &b, r.Text("notes"));
  AddHealth(r, &b);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapRiskAlert(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_RISK_ALERT);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  std::optional<v1::RiskDetail> risk = ReadRisk(r, Need::kRequired, v1::RISK_TOOL_PROFESSIONAL_JUDGEMENT);
  const std::vector<std::string> indicators = r.List("indicators", Need::kRequired);
  ReadOverride(r, &b);
  if (!r.ok() || !risk) return Finish(r, std::move(b), row);
  if (risk->previous_level() != v1::RISK_LEVEL_UNSPECIFIED && risk->level() < risk->previous_level()) {
    r.Fail("risk_level is below previous_risk_level: a falling risk is not a risk_alert (use assessment)");
  }
  if (risk->level() > risk->previous_level() && risk->previous_level() != v1::RISK_LEVEL_UNSPECIFIED) {
    b.AddFlag(v1::FLAG_ESCALATION);
  }
  for (const std::string& i : indicators) risk->add_factors(i);
  ApplyRisk(*risk, &b);
  v1::RiskAlert detail;
  detail.set_from_level(risk->previous_level());
  detail.set_to_level(risk->level());
  for (const std::string& i : indicators) detail.add_indicators(i);
  detail.set_recommended_action(r.Text("recommended_action"));
  AddSummary(
      r,
      p.Headline(absl::StrCat("Increasing risk: ", RiskWord(risk->previous_level()), " -> ",
                              RiskWord(risk->level()), " (", absl::StrJoin(indicators, "; "), ")",
                              b.header().has_override() ? " - shared under safeguarding override" : "")),
      &b, r.Text("notes"));
  b.AddSection("detail", detail);
  AddHealth(r, &b);
  return Finish(r, std::move(b), row);
}

}  // namespace

Profile PerpetratorProgrammeProfile() {
  Profile p;
  p.name = "perpetrator_programme";
  p.schema.columns = CommonColumns();
  for (const char* c : {"facilitator_id",
                        "participant_family_name",
                        "participant_given_name",
                        "participant_dob",
                        "partner_family_name",
                        "partner_given_name",
                        "partner_dob",
                        "programme",
                        "referrer",
                        "partner_support",
                        "false_compliance",
                        "high_harm",
                        "referral_source",
                        "referral_reason",
                        "participant_consents",
                        "outcome",
                        "decline_reason",
                        "suitable",
                        "motivation",
                        "needs",
                        "recommended_pathway",
                        "session_ref",
                        "session_at",
                        "attendance",
                        "sessions_attended",
                        "sessions_missed",
                        "engagement_level",
                        "disengagement_reason",
                        "last_contact",
                        "indicators",
                        "recommended_action",
                        "override_reason",
                        "authorising_officer_id",
                        "authorising_officer_role",
                        "at_risk",
                        "override_justification",
                        "consent_sought",
                        "why_not_consent",
                        "notes"}) {
    p.schema.columns.push_back(c);
  }
  for (const auto* group : {&RiskColumns(), &ChildrenColumns(), &HealthColumns(), &ConcernColumns()}) {
    p.schema.columns.insert(p.schema.columns.end(), group->begin(), group->end());
  }
  p.schema.required = {"record_id",
                       "record_type",
                       "occurred_at",
                       "facilitator_id",
                       "participant_family_name",
                       "participant_given_name",
                       "participant_dob"};
  p.record_types = {{"referral", &MapReferral},
                    {"referral_outcome", &MapReferralOutcome},
                    {"assessment", &MapAssessment},
                    {"session", &MapSession},
                    {"engagement", &MapEngagement},
                    {"disengagement", &MapDisengagement},
                    {"safeguarding_concern", &MapConcern},
                    {"risk_alert", &MapRiskAlert}};
  return p;
}

}  // namespace accord::agents
