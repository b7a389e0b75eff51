// perpetrator_programme, the case lifecycle (issue 12): answers to referrals
// (accepted, declined, closed) in reply to the referral and addressed back to
// its sender, the partner's contact details for the partner-support service,
// the safety-planning exchange, completion, step-down, transfer,
// de-selection, a new relationship and the participant's own consent. The
// programme declares itself `programme` only when it accepts a referral;
// which events end that is the policy's. Columns: docs/adapters.md
// §perpetrator_programme.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "accord/v1/events.pb.h"
#include "agents/adapters/common_fields.h"
#include "agents/adapters/programme_row.h"
#include "agents/adapters/sections.h"

namespace accord::agents {
namespace {

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

std::vector<std::pair<std::string, RowMapper>> ProgrammeLifecycleRecordTypes() {
  return {{"referral_accepted", &MapReferralAccepted},
          {"referral_declined", &MapReferralDeclined},
          {"referral_closed", &MapReferralClosed},
          {"partner_contact", &MapPartnerContact},
          {"safety_planning", &MapSafetyPlanning},
          {"completion", &MapCompletion},
          {"step_down", &MapStepDown},
          {"transfer", &MapTransfer},
          {"deselection", &MapDeselection},
          {"new_relationship", &MapNewRelationship},
          {"participant_consent", &MapParticipantConsent}};
}

}  // namespace accord::agents
