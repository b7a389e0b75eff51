// probation: supervision updates (community orders, licences), custody
// releases and referrals to a perpetrator programme, with OASys / SARA risk
// and the person's own health needs. The offender manager's agency declares
// itself `offender_manager` while supervision lasts and ends it when it ends.
// Columns: docs/adapters.md §probation.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "accord/v1/events.pb.h"
#include "agents/adapters/common_fields.h"
#include "agents/adapters/profile.h"
#include "agents/adapters/sections.h"

namespace accord::agents {
namespace {

constexpr StaffColumn kOffenderManager = {"offender_manager_id", "probation_officer"};

// Common columns, the person on probation (required), the victim and
// children when known, the case reference, any risk assessment and the
// person's own health (section health@perpetrator).
std::optional<absl::Time> ReadProbationRow(FieldReader& r, const MapContext& ctx, EventBuilder* b) {
  std::optional<absl::Time> at = ReadCommon(r, kOffenderManager, b);
  std::optional<Subject> perpetrator = ReadSubject(r, *ctx.linkage_key, "perpetrator", Need::kRequired);
  std::optional<Subject> victim = ReadSubject(r, *ctx.linkage_key, "victim", Need::kOptional);
  const std::vector<Subject> children = ReadSubjectList(r, *ctx.linkage_key, "children");
  CheckBornBefore(r, perpetrator, "perpetrator", at);
  CheckBornBefore(r, victim, "victim", at);
  if (victim) b->AddSubject(v1::SUBJECT_ROLE_VICTIM, victim->ref);
  if (perpetrator) b->AddSubject(v1::SUBJECT_ROLE_PERPETRATOR, perpetrator->ref);
  SetCaseRef(r, victim, b);
  AddChildren(r, children, at, false, b);
  if (std::optional<v1::RiskDetail> risk = ReadRisk(r, Need::kOptional, v1::RISK_TOOL_OASYS)) {
    ApplyRisk(*risk, b);
  }
  AddHealth(r, b, "", "health@perpetrator");
  return at;
}

absl::StatusOr<MappedEvent> MapSupervision(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_SUPERVISION_UPDATE);
  ReadProbationRow(r, ctx, &b);
  const std::string status =
      r.Enum("supervision_status", {"started", "compliant", "breach", "ended"}, Need::kRequired);
  const std::string type = r.Enum(
      "supervision_type", {"community_order", "suspended_sentence", "licence", "post_sentence_supervision"});
  const std::optional<absl::CivilDay> ends = r.Date("supervision_ends");
  if (!r.ok()) return Finish(r, std::move(b), row);
  if (status != "ended") {
    b.AddFlag(v1::FLAG_SUBJECT_UNDER_SUPERVISION);
    b.AddRelation("offender_manager", ctx.agency);
  } else {
    b.EndRelation("offender_manager", ctx.agency);
  }
  v1::SupervisionUpdate detail;
  detail.set_status(status);
  if (ends) SetTimestamp(StartOfDay(*ends), detail.mutable_supervision_ends());
  detail.set_notes(r.Text("notes"));
  AddSummary(r,
             absl::StrCat("Supervision ", status, type.empty() ? "" : absl::StrCat(" (", type, ")"),
                          ends ? absl::StrCat(", ends ", absl::FormatCivilTime(*ends)) : ""),
             &b);
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapRelease(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_CUSTODY_RELEASE);
  ReadProbationRow(r, ctx, &b);
  const std::optional<absl::CivilDay> released = r.Date("release_date", Need::kRequired);
  const std::string type = r.Enum("release_type", {"licence", "bail", "sentence_end"}, Need::kRequired);
  const std::vector<std::string> conditions = r.List("licence_conditions");
  if (type != "licence" && !conditions.empty()) {
    r.Fail("licence_conditions are given but release_type is not licence");
  }
  if (!r.ok()) return Finish(r, std::move(b), row);
  if (type == "licence") {
    b.AddFlag(v1::FLAG_SUBJECT_UNDER_SUPERVISION);
    b.AddRelation("offender_manager", ctx.agency);
  } else if (type == "sentence_end") {
    b.EndRelation("offender_manager", ctx.agency);
  }
  v1::CustodyRelease detail;
  SetTimestamp(StartOfDay(*released), detail.mutable_released_at());
  detail.set_release_type(type);
  for (const std::string& c : conditions) detail.add_licence_conditions(c);
  detail.set_exclusion_zone(r.Text("exclusion_zone"));
  AddSummary(
      r,
      absl::StrCat("Release from custody on ", absl::FormatCivilTime(*released), " (", type, ")",
                   conditions.empty() ? "" : absl::StrCat(", ", conditions.size(), " licence conditions")),
      &b, r.Text("notes"));
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapReferral(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_REFERRAL);
  ReadProbationRow(r, ctx, &b);
  const std::string headline = AddReferral(r, v1::REFERRAL_SOURCE_PROBATION, &b);
  AddSummary(r, headline, &b, r.Text("notes"));
  return Finish(r, std::move(b), row);
}

}  // namespace

Profile ProbationProfile() {
  Profile p;
  p.name = "probation";
  p.schema.columns = CommonColumns();
  for (const char* c : {"offender_manager_id", "perpetrator_family_name", "perpetrator_given_name",
                        "perpetrator_dob", "victim_family_name", "victim_given_name", "victim_dob",
                        "supervision_status", "supervision_type", "supervision_ends", "release_date",
                        "release_type", "licence_conditions", "exclusion_zone", "notes"}) {
    p.schema.columns.push_back(c);
  }
  for (const auto* group : {&RiskColumns(), &ChildrenColumns(), &ReferralColumns(), &HealthColumns()}) {
    p.schema.columns.insert(p.schema.columns.end(), group->begin(), group->end());
  }
  p.schema.required = {"record_id",
                       "record_type",
                       "occurred_at",
                       "offender_manager_id",
                       "perpetrator_family_name",
                       "perpetrator_given_name",
                       "perpetrator_dob"};
  p.record_types = {{"supervision", &MapSupervision}, {"release", &MapRelease}, {"referral", &MapReferral}};
  return p;
}

}  // namespace accord::agents
