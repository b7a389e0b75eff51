// perpetrator_programme (Up2U, Drive: one profile, run by each programme's
// own agency): referrals received, referral outcomes, assessments,
// attendance, engagement, disengagement, safeguarding concerns and
// increasing-risk alerts (the last three optionally under a safeguarding
// override), declaring the case's relations as before issue 12; the case
// lifecycle records are in programme_lifecycle.cc. Columns:
// docs/adapters.md §perpetrator_programme.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "accord/v1/events.pb.h"
#include "agents/adapters/common_fields.h"
#include "agents/adapters/profile.h"
#include "agents/adapters/programme_row.h"
#include "agents/adapters/sections.h"

namespace accord::agents {
namespace {

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

constexpr std::initializer_list<absl::string_view> kReferralSources = {
    "self", "police", "childrens_services", "gp", "marac", "probation", "cafcass", "court"};

v1::ReferralSource ParseSource(const std::string& source) {
  v1::ReferralSource s = v1::REFERRAL_SOURCE_UNSPECIFIED;
  if (!source.empty()) v1::ReferralSource_Parse(absl::StrCat("REFERRAL_SOURCE_", absl::AsciiStrToUpper(source)), &s);
  return s;
}

absl::StatusOr<MappedEvent> MapReferral(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_REFERRAL);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);  // received, not yet taken on: no relation
  b.SetAbout(v1::SUBJECT_ROLE_PERPETRATOR);
  const std::string source = r.Enum("referral_source", kReferralSources, Need::kRequired);
  v1::Referral detail;
  detail.set_source(ParseSource(source));
  detail.set_to_service(p.programme);
  detail.set_reason(r.Text("referral_reason"));
  detail.set_perpetrator_consents(r.Bool("participant_consents").value_or(false));
  AddSummary(
      r, p.Headline(absl::StrCat("Referral received", source.empty() ? "" : absl::StrCat(" (", source, ")"))),
      &b, r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

// The record type of exports made before issue 12, kept as it was:
// REFERRAL_OUTCOME (accepted, declined, waitlisted); only an acceptance
// declares `programme`. New exports use referral_accepted / referral_declined.
absl::StatusOr<MappedEvent> MapReferralOutcome(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_REFERRAL_OUTCOME);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  const std::string outcome = r.Enum("outcome", {"accepted", "declined", "waitlisted"}, Need::kRequired);
  if (outcome == "accepted") DeclareProgramme(&b);
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
  DeclareProgramme(&b);
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
  AddHealth(r, &b, "", "health@perpetrator");
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapSession(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_SESSION_ATTENDANCE);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  DeclareProgramme(&b);
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
  DeclareProgramme(&b);
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
  DeclareProgramme(&b);
  v1::Disengagement detail;
  detail.set_reason(r.Text("disengagement_reason", Need::kRequired));
  if (std::optional<absl::Time> last = r.Time("last_contact")) {
    SetTimestamp(*last, detail.mutable_last_contact());
  }
  ReadOverride(r, &b);
  if (std::optional<v1::RiskDetail> risk = ReadNonFallingRisk(r, Need::kOptional, "disengagement")) {
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
  DeclareProgramme(&b);
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
  DeclareProgramme(&b);
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
                        "new_partner_family_name",
                        "new_partner_given_name",
                        "new_partner_dob",
                        "programme",
                        "referrer",
                        "partner_support",
                        "false_compliance",
                        "high_harm",
                        "referral_source",
                        "referral_reason",
                        "participant_consents",
                        "in_reply_to",
                        "in_reply_to_record",
                        "start_date",
                        "close_reason",
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
                        "meeting_ref",
                        "meeting_at",
                        "themes",
                        "attendance_summary",
                        "exit_strategy",
                        "onward_referrals",
                        "step_down_to",
                        "transfer_to",
                        "transfer_reason",
                        "held_until",
                        "deselection_reason",
                        "decided_by_role",
                        "case_management_by",
                        "consent_purpose",
                        "consent_state",
                        "consent_how",
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
  for (const auto* group :
       {&RiskColumns(), &ChildrenColumns(), &HealthColumns(), &ConcernColumns(), &VictimContactColumns()}) {
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
  for (auto& type : ProgrammeLifecycleRecordTypes()) p.record_types.push_back(std::move(type));
  return p;
}

}  // namespace accord::agents
