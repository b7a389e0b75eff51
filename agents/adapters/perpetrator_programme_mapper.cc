// perpetrator_programme (Up2U, Drive: one profile, run by each programme's
// own agency): referrals received and answered (accepted, declined), the
// partner's contact details for the partner-support service, the
// safety-planning exchange, assessments, attendance, engagement,
// disengagement, safeguarding concerns and increasing-risk alerts (the last
// three optionally under a safeguarding override), completion, step-down,
// transfer, de-selection, a new relationship and the participant's own
// consent. The programme declares itself `programme` only when it accepts a
// referral; which events end that is the policy's. Columns: docs/adapters.md
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
                              const std::string& partner_prefix = "partner") {
  ProgrammeRow row;
  row.at = ReadCommon(r, kFacilitator, b);
  row.programme = r.Identifier("programme");
  row.participant = ReadSubject(r, *ctx.linkage_key, "participant", Need::kRequired);
  row.partner = ReadSubject(r, *ctx.linkage_key, partner_prefix, Need::kOptional);
  const std::vector<Subject> children = ReadSubjectList(r, *ctx.linkage_key, "children");
  CheckBornBefore(r, row.participant, "participant", row.at);
  CheckBornBefore(r, row.partner, partner_prefix, row.at);
  if (row.partner) b->AddSubject(v1::SUBJECT_ROLE_VICTIM, row.partner->ref);
  if (row.participant) b->AddSubject(v1::SUBJECT_ROLE_PERPETRATOR, row.participant->ref);
  SetCaseRef(r, row.partner, b);
  AddChildren(r, children, row.at, false, b);
  row.referrer = r.Identifier("referrer");
  row.partner_support = r.Identifier("partner_support");
  if (std::optional<bool> f = r.Bool("false_compliance"); f == true) b->AddFlag(v1::FLAG_FALSE_COMPLIANCE);
  if (std::optional<bool> h = r.Bool("high_harm"); h == true) b->AddFlag(v1::FLAG_HIGH_HARM);
  return row;
}

// The relations the record types of exports made before issue 12 declare on
// every event, as they always did (the example policy routes their news by
// them): `programme` = this agency, and the referrer and partner_support
// columns. The lifecycle records declare only what the design gives them
// (docs/adapters.md §perpetrator_programme).
void DeclareCaseRelations(const ProgrammeRow& p, EventBuilder* b) {
  b->AddRelation("programme", b->context().agency);
  if (!p.referrer.empty()) b->AddRelation("referrer", p.referrer);
  if (!p.partner_support.empty()) b->AddRelation("partner_support", p.partner_support);
}

// Addresses the event to `agency`, the value ReadProgrammeRow read from
// `column` (required or not); never to this agency itself.
void AddressTo(FieldReader& r, const std::string& column, const std::string& agency, Need need,
               EventBuilder* b) {
  if (agency.empty()) {
    if (need == Need::kRequired && !r.Has(column)) r.Fail(absl::StrCat(column, " is required"));
    return;
  }
  if (agency == b->context().agency) {
    r.Fail(absl::StrCat(column, " '", agency, "' is this agency: an event cannot be addressed to its sender"));
    return;
  }
  b->SetDestination(agency, "");
}

// A risk assessment whose level may not fall below previous_risk_level:
// completion, step-down, de-selection and drop-out never lower a case's
// standing risk (seed 003 l.456: "abuse can increase if cases are
// de-escalated before ensuring interventions have been successful").
std::optional<v1::RiskDetail> ReadNonFallingRisk(FieldReader& r, Need need, const std::string& record) {
  std::optional<v1::RiskDetail> risk = ReadRisk(r, need, v1::RISK_TOOL_PROFESSIONAL_JUDGEMENT);
  if (risk && risk->previous_level() != v1::RISK_LEVEL_UNSPECIFIED && risk->level() < risk->previous_level()) {
    r.Fail(absl::StrCat("risk_level is below previous_risk_level: a ", record,
                        " never lowers the case's risk (record the reassessment as an assessment)"));
  }
  return risk;
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
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  DeclareCaseRelations(p, &b);
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

// What an answer to a referral shares: which referral (in_reply_to or
// in_reply_to_record, required: the broker accepts an answer only in reply to
// a referral addressed to this agency), addressed back to the referrer (the
// agency whose referral it answers; the referrer column, when given, must
// name it), about the perpetrator. A self-referral or one from outside the
// partnership has no Accord event to answer: record its outcome as
// referral_outcome.
void ReadAnswerToReferral(FieldReader& r, const ProgrammeRow& p, const std::string& record, EventBuilder* b) {
  if (r.Has("referral_source")) {
    r.Text("referral_source");
    r.Fail(absl::StrCat("referral_source is not used on a ", record, " record: it answers a referral received "
                        "through Accord (in_reply_to); record the outcome of a self-referral or one from outside "
                        "the partnership as referral_outcome"));
  }
  const std::string asked_by = ReadInReplyTo(r, Need::kRequired, b);
  if (asked_by.empty()) return;
  if (!p.referrer.empty() && p.referrer != asked_by) {
    r.Fail(absl::StrCat("referrer '", p.referrer, "' is not the agency whose referral this answers ('", asked_by,
                        "', from in_reply_to): leave referrer empty or name that agency"));
    return;
  }
  b->SetDestination(asked_by, "");
  b->SetAbout(v1::SUBJECT_ROLE_PERPETRATOR);
}

constexpr std::initializer_list<absl::string_view> kDeclineReasons = {
    "false_compliance", "increasing_risk", "not_suitable", "partner_details_refused",
    "mutual_violence",  "not_via_marac",   "capacity"};

absl::StatusOr<MappedEvent> MapAccepted(FieldReader& r, const Row& row, const ProgrammeRow& p,
                                        EventBuilder&& b) {
  const std::optional<absl::CivilDay> start = r.Date("start_date");
  if (std::optional<v1::RiskDetail> risk = ReadRisk(r, Need::kOptional, v1::RISK_TOOL_PROFESSIONAL_JUDGEMENT)) {
    ApplyRisk(*risk, &b);
  }
  // The programme works with him from now on; the policy says whether that
  // follows him into his other cases and which events end it.
  b.AddRelation("programme", b.context().agency);
  v1::ReferralOutcome detail;
  detail.set_outcome(v1::ReferralOutcome::OUTCOME_ACCEPTED);
  detail.set_programme(p.programme);
  AddSummary(r,
             p.Headline(absl::StrCat("Referral accepted",
                                     start ? absl::StrCat(", starts ", absl::FormatCivilTime(*start)) : "")),
             &b, r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapDeclined(FieldReader& r, const Row& row, const ProgrammeRow& p,
                                        const std::string& reason, EventBuilder&& b) {
  std::optional<v1::RiskDetail> risk = ReadRisk(
      r, reason == "increasing_risk" ? Need::kRequired : Need::kOptional, v1::RISK_TOOL_PROFESSIONAL_JUDGEMENT);
  if (risk) ApplyRisk(*risk, &b);
  if (reason == "false_compliance") b.AddFlag(v1::FLAG_FALSE_COMPLIANCE);
  v1::ReferralOutcome detail;
  detail.set_outcome(v1::ReferralOutcome::OUTCOME_DECLINED);
  detail.set_decline_reason(reason);
  detail.set_programme(p.programme);
  AddSummary(r, p.Headline(absl::StrCat("Referral declined", reason.empty() ? "" : absl::StrCat(" (", reason, ")"))),
             &b, r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

// REFERRAL_ACCEPTED, from the referral's destination; declares `programme`.
absl::StatusOr<MappedEvent> MapReferralAccepted(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_REFERRAL_ACCEPTED);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  ReadAnswerToReferral(r, p, "referral_accepted", &b);
  return MapAccepted(r, row, p, std::move(b));
}

// REFERRAL_DECLINED with a reason from a fixed list (a risk level with
// increasing_risk); the policy ends what the referral started.
absl::StatusOr<MappedEvent> MapReferralDeclined(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_REFERRAL_DECLINED);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  ReadAnswerToReferral(r, p, "referral_declined", &b);
  const std::string reason = r.Enum("decline_reason", kDeclineReasons, Need::kRequired);
  return MapDeclined(r, row, p, reason, std::move(b));
}

// REFERRAL_CLOSED: a referral closed before the work started (withdrawn, no
// contact, moved away), with close_reason; the policy ends what it started.
absl::StatusOr<MappedEvent> MapReferralClosed(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_REFERRAL_CLOSED);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  ReadAnswerToReferral(r, p, "referral_closed", &b);
  const std::string reason = r.Text("close_reason", Need::kRequired);
  v1::CaseClosure detail;
  detail.set_reason(reason);
  AddSummary(r, p.Headline(absl::StrCat("Referral closed: ", reason)), &b, r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

// The record type of exports made before issue 12, kept as it was:
// REFERRAL_OUTCOME (accepted, declined, waitlisted) with the relations of
// DeclareCaseRelations. New exports use referral_accepted / referral_declined.
absl::StatusOr<MappedEvent> MapReferralOutcome(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_REFERRAL_OUTCOME);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  DeclareCaseRelations(p, &b);
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

// The (ex-)partner's contact details as he gave them, for the partner-support
// service (seed 002 l.215: CLEAR's condition of service): the only programme
// record with a victim_contact section, and addressed to that service.
absl::StatusOr<MappedEvent> MapPartnerContact(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_PARTNER_CONTACT_PROVIDED);
  const bool partner_given = r.Has("partner_family_name") || r.Has("partner_given_name") || r.Has("partner_dob");
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  if (!partner_given) {
    r.Fail("partner_family_name, partner_given_name and partner_dob are required: whose contact details these are");
  }
  AddressTo(r, "partner_support", p.partner_support, Need::kRequired, &b);
  b.SetAbout(v1::SUBJECT_ROLE_VICTIM);
  if (!AddVictimContact(r, &b)) {
    r.Fail("a partner_contact record needs the partner's contact details (victim_address, victim_phone, ...)");
  }
  AddSummary(r, p.Headline("Partner contact details for partner support"), &b, r.Text("notes"));
  return Finish(r, std::move(b), row);
}

const std::string& VictimContactOnlyOnPartnerContact() {
  static const std::string* why = new std::string(
      "the victim's contact details go only on a partner_contact record, to the partner-support service");
  return *why;
}

// The programme's side of the weekly or ongoing safety-planning exchange with
// the partner-support worker (seed 000 l.201, seed 002 l.1456).
absl::StatusOr<MappedEvent> MapSafetyPlanning(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_SAFETY_PLANNING_EXCHANGE);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  RefuseColumns(r, VictimContactColumns(), VictimContactOnlyOnPartnerContact());
  AddressTo(r, "partner_support", p.partner_support, Need::kRequired, &b);
  const std::string meeting = r.Text("meeting_ref", Need::kRequired);
  const std::optional<absl::Time> meeting_at = r.Time("meeting_at", Need::kRequired);
  const std::vector<std::string> themes = r.List("themes");
  const std::string attendance = r.Text("attendance_summary");
  if (std::optional<v1::RiskDetail> risk = ReadRisk(r, Need::kOptional, v1::RISK_TOOL_PROFESSIONAL_JUDGEMENT)) {
    ApplyRisk(*risk, &b);
  }
  if (themes.empty() && attendance.empty() && !r.Has("notes") && !r.Has("risk_level")) {
    r.Fail("a safety_planning record needs themes, attendance_summary, notes or a risk_level");
  }
  v1::SafetyPlanUpdate detail;
  for (const std::string& t : themes) detail.add_measures(t);
  detail.set_notes(attendance.empty() || !r.Has("notes") ? attendance + r.Text("notes")
                                                         : absl::StrCat(attendance, "\n", r.Text("notes")));
  AddSummary(r,
             p.Headline(absl::StrCat(
                 "Safety-planning exchange ", meeting,
                 meeting_at ? absl::StrCat(" on ", absl::FormatTime("%Y-%m-%d", *meeting_at, absl::UTCTimeZone()))
                            : "")),
             &b);
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapAssessment(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_ASSESSMENT_REPORT);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  DeclareCaseRelations(p, &b);
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
  DeclareCaseRelations(p, &b);
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
  DeclareCaseRelations(p, &b);
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
  DeclareCaseRelations(p, &b);
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
  DeclareCaseRelations(p, &b);
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
  DeclareCaseRelations(p, &b);
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

// Completion with an exit strategy (seed 000 l.221); the risk level is
// required and cannot fall (seed 003 l.456).
absl::StatusOr<MappedEvent> MapCompletion(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_PROGRAMME_COMPLETED);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  const std::string exit = r.Text("exit_strategy", Need::kRequired);
  const std::vector<std::string> onward = r.List("onward_referrals");
  if (std::optional<v1::RiskDetail> risk = ReadNonFallingRisk(r, Need::kRequired, "completion")) {
    ApplyRisk(*risk, &b);
  }
  v1::CaseClosure detail;
  detail.set_reason("completed");
  std::string text = absl::StrCat("Exit strategy: ", exit);
  if (!onward.empty()) absl::StrAppend(&text, "\nOnward referrals: ", absl::StrJoin(onward, "; "));
  if (r.Has("notes")) absl::StrAppend(&text, "\n", r.Text("notes"));
  AddSummary(r, p.Headline(absl::StrCat("Programme completed; risk ", RiskWord(b.header().risk().level()))), &b,
             text);
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

// Step-down to a named lower-intensity service (seed 000 l.223).
absl::StatusOr<MappedEvent> MapStepDown(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_STEP_DOWN);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  const std::string to = r.Text("step_down_to", Need::kRequired);
  if (std::optional<v1::RiskDetail> risk = ReadNonFallingRisk(r, Need::kOptional, "step_down")) {
    ApplyRisk(*risk, &b);
  }
  v1::CaseClosure detail;
  detail.set_reason("step_down");
  detail.set_step_down_to(to);
  AddSummary(r, p.Headline(absl::StrCat("Stepped down to ", to)), &b, r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

// A transfer (step up) to another programme agency, e.g. Up2U -> Drive
// (seed 002 l.1436): addressed to it, like a referral.
absl::StatusOr<MappedEvent> MapTransfer(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_PROGRAMME_TRANSFER);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  const std::string to = ReadDestination(r, "transfer_to", Need::kRequired, &b);
  b.SetAbout(v1::SUBJECT_ROLE_PERPETRATOR);
  const std::optional<absl::CivilDay> held = r.Date("held_until");
  if (std::optional<v1::RiskDetail> risk = ReadNonFallingRisk(r, Need::kOptional, "transfer")) {
    ApplyRisk(*risk, &b);
  }
  v1::Referral detail;
  detail.set_to_service(to);
  detail.set_reason(r.Text("transfer_reason"));
  detail.set_perpetrator_consents(r.Bool("participant_consents").value_or(false));
  AddSummary(r,
             p.Headline(absl::StrCat("Transfer to ", to,
                                     held ? absl::StrCat("; held here until ", absl::FormatCivilTime(*held)) : "")),
             &b, r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

// De-selection (seed 002 l.1472-1481): why, who decided, who holds case
// management now (required when the reassessed risk is high or very high),
// and the reassessed risk, which cannot fall.
absl::StatusOr<MappedEvent> MapDeselection(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_DESELECTION);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  v1::Disengagement detail;
  detail.set_reason(r.Text("deselection_reason", Need::kRequired));
  if (std::optional<absl::Time> last = r.Time("last_contact")) SetTimestamp(*last, detail.mutable_last_contact());
  const std::string decided_by = r.Identifier("decided_by_role");
  std::optional<v1::RiskDetail> risk = ReadNonFallingRisk(r, Need::kRequired, "deselection");
  const bool high = risk && risk->level() >= v1::RISK_LEVEL_HIGH;
  const std::string holder = r.Identifier("case_management_by");
  if (high && !r.Has("case_management_by")) {
    r.Fail(absl::StrCat("case_management_by is required when the reassessed risk is ", RiskWord(risk->level()),
                        ": say which agency now holds case management"));
  }
  if (!holder.empty() && holder == ctx.agency) {
    r.Fail("case_management_by is this programme, which has just de-selected him: name the agency that holds "
           "case management now");
  }
  if (risk) ApplyRisk(*risk, &b);
  std::string text;
  if (!decided_by.empty()) text = absl::StrCat("Decided by: ", decided_by);
  if (r.Has("notes")) absl::StrAppend(&text, text.empty() ? "" : "\n", r.Text("notes"));
  AddSummary(r,
             p.Headline(absl::StrCat("De-selected: ", detail.reason(),
                                     holder.empty() ? "" : absl::StrCat("; case management: ", holder),
                                     risk ? absl::StrCat("; risk ", RiskWord(risk->level())) : "")),
             &b, text);
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

// The perpetrator has a new partner. Named (new_partner_*), she is the
// event's victim and the event goes to her case; unnamed, it stays in the
// case of partner_*.
absl::StatusOr<MappedEvent> MapNewRelationship(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_NEW_RELATIONSHIP);
  const bool named = r.Has("new_partner_family_name") || r.Has("new_partner_given_name") || r.Has("new_partner_dob");
  if (named && (r.Has("partner_family_name") || r.Has("partner_given_name") || r.Has("partner_dob"))) {
    r.Fail("new_partner_* and partner_* are both given: name the new partner in new_partner_* only (the event "
           "goes to her case)");
  }
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b, named ? "new_partner" : "partner");
  if (named) {  // reported above; not again as unused
    for (const char* c : {"partner_family_name", "partner_given_name", "partner_dob"}) r.Text(c);
  }
  b.SetAbout(v1::SUBJECT_ROLE_PERPETRATOR);
  if (std::optional<v1::RiskDetail> risk = ReadRisk(r, Need::kOptional, v1::RISK_TOOL_PROFESSIONAL_JUDGEMENT)) {
    ApplyRisk(*risk, &b);
  }
  AddSummary(r, p.Headline(named ? "New relationship: a new partner, named" : "New relationship disclosed"), &b,
             r.Text("notes"));
  return Finish(r, std::move(b), row);
}

// The participant's own consent (e.g. to the programme sharing his
// information, his behavioural contract): a statement about him.
absl::StatusOr<MappedEvent> MapParticipantConsent(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_CONSENT_RECORDED);
  const ProgrammeRow p = ReadProgrammeRow(r, ctx, &b);
  b.SetAbout(v1::SUBJECT_ROLE_PERPETRATOR);
  const std::string purpose = r.Identifier("consent_purpose", Need::kRequired);
  const std::string state_name =
      r.Enum("consent_state", {"given", "refused", "withdrawn", "not_sought", "lacks_capacity"}, Need::kRequired);
  const std::string how = r.Enum("consent_how", {"verbal", "written"});
  if (!r.ok() || !p.participant) return Finish(r, std::move(b), row);
  v1::ConsentState state = v1::CONSENT_STATE_UNSPECIFIED;
  v1::ConsentState_Parse(absl::StrCat("CONSENT_STATE_", absl::AsciiStrToUpper(state_name)), &state);
  v1::ConsentStatement* statement = b.header().mutable_consent_statement();
  statement->set_subject_ref(p.participant->ref);
  statement->set_purpose(purpose);
  statement->set_state(state);
  v1::ConsentRecorded detail;
  detail.set_purpose(purpose);
  detail.set_state(state);
  detail.set_how_recorded(how);
  detail.set_notes(r.Text("notes"));
  AddSummary(r,
             p.Headline(absl::StrCat("Participant's consent for ", purpose, ": ", state_name,
                                     how.empty() ? "" : absl::StrCat(" (", how, ")"))),
             &b);
  b.AddSection("detail", detail);
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
                    {"referral_accepted", &MapReferralAccepted},
                    {"referral_declined", &MapReferralDeclined},
                    {"referral_closed", &MapReferralClosed},
                    {"referral_outcome", &MapReferralOutcome},
                    {"partner_contact", &MapPartnerContact},
                    {"safety_planning", &MapSafetyPlanning},
                    {"assessment", &MapAssessment},
                    {"session", &MapSession},
                    {"engagement", &MapEngagement},
                    {"disengagement", &MapDisengagement},
                    {"safeguarding_concern", &MapConcern},
                    {"risk_alert", &MapRiskAlert},
                    {"completion", &MapCompletion},
                    {"step_down", &MapStepDown},
                    {"transfer", &MapTransfer},
                    {"deselection", &MapDeselection},
                    {"new_relationship", &MapNewRelationship},
                    {"participant_consent", &MapParticipantConsent}};
  return p;
}

}  // namespace accord::agents
