// marac_coordinator: a MARAC list export. Listings (the case, the meeting,
// the threshold that brings it, whether it is a repeat, whether the
// perpetrator is a candidate for the high-harm programme), research requests
// to agencies before the meeting, the meeting's decisions and its actions,
// each addressed (header destination) to the agency that must act.
// Columns: docs/adapters.md §marac_coordinator.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "accord/v1/events.pb.h"
#include "agents/adapters/common_fields.h"
#include "agents/adapters/dash.h"
#include "agents/adapters/profile.h"
#include "agents/adapters/sections.h"

namespace accord::agents {
namespace {

constexpr StaffColumn kCoordinator = {"coordinator_id", "marac_coordinator"};

struct MaracRow {
  std::optional<absl::Time> at;
  std::optional<Subject> victim, perpetrator;
};

// Common columns, the victim (`victim_need`) and perpetrator, children, the
// case reference and any risk level.
MaracRow ReadMaracRow(FieldReader& r, const MapContext& ctx, Need victim_need, EventBuilder* b) {
  MaracRow m;
  m.at = ReadCommon(r, kCoordinator, b);
  m.victim = ReadSubject(r, *ctx.linkage_key, "victim", victim_need);
  m.perpetrator = ReadSubject(r, *ctx.linkage_key, "perpetrator", Need::kOptional);
  const std::vector<Subject> children = ReadSubjectList(r, *ctx.linkage_key, "children");
  CheckBornBefore(r, m.victim, "victim", m.at);
  CheckBornBefore(r, m.perpetrator, "perpetrator", m.at);
  if (m.victim) b->AddSubject(v1::SUBJECT_ROLE_VICTIM, m.victim->ref);
  if (m.perpetrator) b->AddSubject(v1::SUBJECT_ROLE_PERPETRATOR, m.perpetrator->ref);
  SetCaseRef(r, m.victim, b);
  AddChildren(r, children, m.at, false, b);
  if (std::optional<v1::RiskDetail> risk = ReadRisk(r, Need::kOptional, v1::RISK_TOOL_DASH)) {
    ApplyRisk(*risk, b);
  }
  return m;
}

std::string Words(const std::string& id) { return absl::StrReplaceAll(id, {{"_", " "}}); }

std::string Day(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone()); }

// A case listed for a meeting, with why (threshold, DASH score, reasons) and
// whether it is a repeat. With drive_candidate = yes the listing is also
// addressed (destination) to the high-harm programme that screens the
// perpetrator; the meeting's decision to put him forward is the referral it
// answers.
absl::StatusOr<MappedEvent> MapListing(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_MARAC_LISTING);
  const MaracRow m = ReadMaracRow(r, ctx, Need::kRequired, &b);
  const std::string meeting = r.Text("meeting_ref", Need::kRequired);
  const std::optional<absl::Time> meeting_at = r.Time("meeting_at", Need::kRequired);
  const MaracThreshold t = ReadMaracThreshold(r, &b);
  const std::optional<bool> repeat = r.Bool("repeat", Need::kRequired);
  const std::vector<std::string> reasons = r.List("reasons");
  const bool candidate = r.Bool("drive_candidate").value_or(false);
  if (t.dash_score && *t.dash_score >= kDashHighRiskThreshold && b.header().has_risk() &&
      b.header().risk().level() < v1::RISK_LEVEL_HIGH) {
    r.Fail(absl::StrCat("dash_score ", *t.dash_score, " is visible high risk (14 or more) but risk_level is ",
                        RiskWord(b.header().risk().level()), ": a listing must not under-state the risk"));
  }
  if (candidate) {
    if (!r.Has("destination")) {
      r.Fail("drive_candidate is yes but destination is empty: name the programme agency that screens "
             "candidates (e.g. drive)");
    }
    if (!m.perpetrator && !r.Has("perpetrator_family_name")) {
      r.Fail("drive_candidate is yes but the perpetrator is not named (perpetrator_family_name, "
             "perpetrator_given_name, perpetrator_dob)");
    }
    ReadDestination(r, "destination", Need::kOptional, &b, r.Text("destination_service"));
    b.SetAbout(v1::SUBJECT_ROLE_PERPETRATOR);
  } else if (r.Has("destination")) {
    r.Text("destination");
    r.Fail("destination is given but drive_candidate is not yes: a listing is addressed only to the programme "
           "asked to screen a candidate");
  }
  b.AddFlag(v1::FLAG_CASE_LISTED_AT_MARAC);
  // In the header too, so that a rule (and a meeting's agenda) can see a
  // repeat without opening the detail.
  if (repeat == true) b.AddFlag(v1::FLAG_REPEAT_MARAC);
  v1::MaracListing detail;
  detail.set_meeting_ref(meeting);
  if (meeting_at) SetTimestamp(*meeting_at, detail.mutable_meeting_at());
  detail.set_threshold(t.threshold);
  detail.set_dash_score(t.dash_score.value_or(0));
  detail.set_repeat(repeat.value_or(false));
  detail.set_drive_candidate(candidate);
  for (const std::string& reason : reasons) detail.add_reasons(reason);
  AddSummary(r,
             absl::StrCat("MARAC listing ", meeting, meeting_at ? absl::StrCat(" on ", Day(*meeting_at)) : "", ": ",
                          Words(t.threshold),
                          t.dash_score ? absl::StrCat(" (DASH ", *t.dash_score, "/", kDashQuestions, ")") : "",
                          repeat == true ? "; repeat" : "",
                          candidate ? "; perpetrator a candidate for the high-harm programme" : ""),
             &b, r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

// A research request before the meeting: what an agency is asked to bring,
// addressed to it (destination), with a due date. The agency answers with
// INFORMATION_RESPONSE in reply to it.
absl::StatusOr<MappedEvent> MapResearchRequest(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_INFORMATION_REQUEST);
  ReadMaracRow(r, ctx, Need::kOptional, &b);
  const std::string to = ReadDestination(r, "destination", Need::kRequired, &b, r.Text("destination_service"));
  const std::string meeting = r.Text("meeting_ref", Need::kRequired);
  const std::string request = r.Text("request", Need::kRequired);
  const std::optional<absl::CivilDay> due = r.Date("due", Need::kRequired);
  v1::MeetingAction detail;
  detail.set_meeting_ref(meeting);
  detail.set_action(request);
  detail.set_owner_agency(to);
  if (due) SetTimestamp(StartOfDay(*due), detail.mutable_due());
  AddSummary(r,
             absl::StrCat("MARAC research request (", meeting, ") to ", to,
                          due ? absl::StrCat(", due ", absl::FormatCivilTime(*due)) : ""),
             &b, r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

constexpr std::initializer_list<absl::string_view> kDecisions = {
    "put_forward_to_drive", "not_put_forward_to_drive", "review_at_next_marac", "closed_at_marac", "other"};

// The meeting putting the perpetrator forward to the high-harm programme: a
// REFERRAL from the MARAC (source marac), addressed to the programme, which
// accepts or declines it in reply (seed 002 l.866, l.1435).
absl::StatusOr<MappedEvent> MapPutForward(FieldReader& r, const Row& row, const MaracRow& m,
                                          const std::string& meeting, EventBuilder&& b) {
  b.header().set_kind(v1::EVENT_KIND_REFERRAL);
  const std::string to = ReadDestination(r, "destination", Need::kRequired, &b, r.Text("destination_service"));
  if (!m.perpetrator && !r.Has("perpetrator_family_name")) {
    r.Fail("decision put_forward_to_drive needs the perpetrator (perpetrator_family_name, perpetrator_given_name, "
           "perpetrator_dob)");
  }
  b.SetAbout(v1::SUBJECT_ROLE_PERPETRATOR);
  b.AddRelation("referrer", b.context().agency);
  v1::Referral detail;
  detail.set_source(v1::REFERRAL_SOURCE_MARAC);
  detail.set_to_service(r.Has("destination_service") ? r.Text("destination_service") : to);
  detail.set_reason(absl::StrCat("MARAC ", meeting, r.Has("decision_reason") ? ": " : "", r.Text("decision_reason")));
  AddSummary(r, absl::StrCat("MARAC decision at ", meeting, ": perpetrator put forward to ", to), &b,
             r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

// What the meeting decided about a case (decision, decision_reason).
// Putting the perpetrator forward to the high-harm programme is a referral
// (MapPutForward); the other decisions are MARAC_DECISION, addressed to an
// agency only when one is named.
absl::StatusOr<MappedEvent> MapDecision(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_MARAC_DECISION);
  const MaracRow m = ReadMaracRow(r, ctx, Need::kOptional, &b);
  const std::string meeting = r.Text("meeting_ref", Need::kRequired);
  const std::string decision = r.Enum("decision", kDecisions, Need::kRequired);
  if (decision == "put_forward_to_drive") return MapPutForward(r, row, m, meeting, std::move(b));
  if (decision == "other" && !r.Has("decision_reason")) {
    r.Fail("decision other needs decision_reason: what the meeting decided");
  }
  const std::string to = ReadDestination(r, "destination", Need::kOptional, &b, r.Text("destination_service"));
  if (decision == "not_put_forward_to_drive") b.SetAbout(v1::SUBJECT_ROLE_PERPETRATOR);
  v1::MeetingAction detail;
  detail.set_meeting_ref(meeting);
  detail.set_action(r.Has("decision_reason") ? absl::StrCat(decision, ": ", r.Text("decision_reason")) : decision);
  detail.set_owner_agency(to);
  AddSummary(r,
             absl::StrCat("MARAC decision at ", meeting, ": ", Words(decision),
                          to.empty() ? "" : absl::StrCat(" (", to, ")")),
             &b, r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

// An action agreed at the meeting, addressed (destination) to the agency
// that owns it (owner_agency), with a due date.
absl::StatusOr<MappedEvent> MapAction(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_MEETING_ACTION);
  ReadMaracRow(r, ctx, Need::kOptional, &b);
  const std::string meeting = r.Text("meeting_ref", Need::kRequired);
  const std::string owner = ReadDestination(r, "owner_agency", Need::kRequired, &b, r.Text("destination_service"));
  const std::string action = r.Text("action", Need::kRequired);
  const std::optional<absl::CivilDay> due = r.Date("due", Need::kRequired);
  v1::MeetingAction detail;
  detail.set_meeting_ref(meeting);
  detail.set_action(action);
  detail.set_owner_agency(owner);
  if (due) SetTimestamp(StartOfDay(*due), detail.mutable_due());
  AddSummary(r,
             absl::StrCat("MARAC action (", meeting, ") for ", owner,
                          due ? absl::StrCat(", due ", absl::FormatCivilTime(*due)) : ""),
             &b, r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

}  // namespace

Profile MaracCoordinatorProfile() {
  Profile p;
  p.name = "marac_coordinator";
  p.schema.columns = CommonColumns();
  for (const char* c : {"coordinator_id", "victim_family_name", "victim_given_name", "victim_dob",
                        "perpetrator_family_name", "perpetrator_given_name", "perpetrator_dob", "meeting_ref",
                        "meeting_at", "threshold", "dash_score", "repeat", "reasons", "drive_candidate",
                        "destination", "destination_service", "owner_agency", "request", "decision",
                        "decision_reason", "action", "due", "notes"}) {
    p.schema.columns.push_back(c);
  }
  for (const auto* group : {&RiskColumns(), &ChildrenColumns()}) {
    p.schema.columns.insert(p.schema.columns.end(), group->begin(), group->end());
  }
  p.schema.required = {"record_id", "record_type", "occurred_at", "coordinator_id"};
  p.record_types = {{"listing", &MapListing},
                    {"research_request", &MapResearchRequest},
                    {"decision", &MapDecision},
                    {"action", &MapAction}};
  return p;
}

}  // namespace accord::agents
