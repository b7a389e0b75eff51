// childrens_services: child-protection status changes (child in need, child
// protection plan, looked after, closed), safeguarding concerns and referrals
// (to a programme, early help, ...) addressed to their destination. While a
// child's case is open, children's services declare themselves the
// `lead_professional` and, when the perpetrator is named, `child_protection`
// (working with his children); closing it ends both. Columns: docs/adapters.md
// §childrens_services.
#include "absl/strings/str_cat.h"
#include "accord/v1/events.pb.h"
#include "agents/adapters/common_fields.h"
#include "agents/adapters/profile.h"
#include "agents/adapters/sections.h"

namespace accord::agents {
namespace {

constexpr StaffColumn kSocialWorker = {"social_worker_id", "social_worker"};

struct FamilyRow {
  std::optional<absl::Time> at;
  std::vector<Subject> children;  // the child_* child first, when given
  bool named_child = false;       // children[0] is the child the record is about
  bool perpetrator = false;       // the perpetrator (a parent) is named
};

// Common columns, the parents (victim and perpetrator, when recorded), the
// children (the `child_*` columns first, then the `children` list), the case
// reference and any risk assessment.
FamilyRow ReadFamilyRow(FieldReader& r, const MapContext& ctx, Need child_need, EventBuilder* b) {
  FamilyRow f;
  f.at = ReadCommon(r, kSocialWorker, b);
  std::optional<Subject> victim = ReadSubject(r, *ctx.linkage_key, "victim", Need::kOptional);
  std::optional<Subject> perpetrator = ReadSubject(r, *ctx.linkage_key, "perpetrator", Need::kOptional);
  std::optional<Subject> child = ReadSubject(r, *ctx.linkage_key, "child", child_need);
  if (child) f.children.push_back(*child);
  f.named_child = child.has_value();
  for (Subject& s : ReadSubjectList(r, *ctx.linkage_key, "children")) {
    if (!child || s.ref != child->ref) f.children.push_back(std::move(s));
  }
  CheckBornBefore(r, victim, "victim", f.at);
  CheckBornBefore(r, perpetrator, "perpetrator", f.at);
  f.perpetrator = perpetrator.has_value();
  if (victim) b->AddSubject(v1::SUBJECT_ROLE_VICTIM, victim->ref);
  if (perpetrator) b->AddSubject(v1::SUBJECT_ROLE_PERPETRATOR, perpetrator->ref);
  SetCaseRef(r, victim, b);
  if (std::optional<v1::RiskDetail> risk =
          ReadRisk(r, Need::kOptional, v1::RISK_TOOL_PROFESSIONAL_JUDGEMENT)) {
    ApplyRisk(*risk, b);
  }
  return f;
}

// The children section, with the named child's school and (for status
// changes) new status.
void AddFamilyChildren(FieldReader& r, const FamilyRow& f, const std::string& cp_status, EventBuilder* b) {
  v1::ChildrenDetail children = ChildrenSection(r, f.children, f.at, false, b);
  const std::string school = r.Text("school_ref");
  if (!f.named_child) {
    if (!school.empty()) {
      r.Fail("school_ref is given but child_family_name, child_given_name and child_dob are not");
    }
  } else if (children.children_size() > 0) {
    children.mutable_children(0)->set_school_ref(school);
    children.mutable_children(0)->set_cp_status(cp_status);
  }
  if (children.children_size() > 0) b->AddSection("children", children);
}

constexpr std::initializer_list<absl::string_view> kCpStatuses = {"none", "child_in_need", "cp_plan",
                                                                  "looked_after", "closed"};

absl::StatusOr<MappedEvent> MapCpStatus(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_CHILD_PROTECTION_STATUS);
  FamilyRow f = ReadFamilyRow(r, ctx, Need::kRequired, &b);
  const std::string from = r.Enum("cp_from_status", kCpStatuses, Need::kRequired);
  const std::string to = r.Enum("cp_to_status", kCpStatuses, Need::kRequired);
  const std::string category =
      r.Enum("cp_category", {"neglect", "physical_abuse", "emotional_abuse", "sexual_abuse", "multiple"},
             to == "cp_plan" ? Need::kRequired : Need::kOptional);
  if (!from.empty() && from == to) {
    r.Fail(absl::StrCat("cp_from_status and cp_to_status are both '", to, "'"));
  }
  if (to == "none") r.Fail("cp_to_status 'none' is not a status change (use closed)");
  AddFamilyChildren(r, f, to, &b);
  if (!r.ok() || !f.at || f.children.empty()) return Finish(r, std::move(b), row);
  // The family's lead professional, and (when the perpetrator is named)
  // children's services working with his children: a relation the policy
  // may let follow him into his other cases, so that a new incident of his
  // with another partner reaches the children's social worker (seed 002
  // l.1456-1479). Closing the child's case ends both.
  if (to == "closed") {
    b.EndRelation("lead_professional", ctx.agency);
    if (f.perpetrator) b.EndRelation("child_protection", ctx.agency);
  } else {
    b.AddRelation("lead_professional", ctx.agency);
    if (f.perpetrator) b.AddRelation("child_protection", ctx.agency);
  }
  v1::ChildProtectionStatus detail;
  detail.set_from_status(from);
  detail.set_to_status(to);
  detail.set_category(category);
  AddSummary(r,
             absl::StrCat("Child protection status of a child aged ", AgeOn(f.children[0].dob, *f.at), ": ",
                          from, " -> ", to, category.empty() ? "" : absl::StrCat(" (", category, ")")),
             &b);
  b.AddSection("detail", detail);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapConcern(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_SAFEGUARDING_CONCERN);
  FamilyRow f = ReadFamilyRow(r, ctx, Need::kOptional, &b);
  AddFamilyChildren(r, f, "", &b);
  AddSummary(r, AddConcern(r, &b), &b);
  return Finish(r, std::move(b), row);
}

absl::StatusOr<MappedEvent> MapReferral(const Row& row, const MapContext& ctx) {
  FieldReader r(row);
  EventBuilder b(ctx, v1::EVENT_KIND_REFERRAL);
  FamilyRow f = ReadFamilyRow(r, ctx, Need::kOptional, &b);
  AddFamilyChildren(r, f, "", &b);
  AddSummary(r, AddReferral(r, v1::REFERRAL_SOURCE_CHILDRENS_SERVICES, &b), &b);
  return Finish(r, std::move(b), row);
}

}  // namespace

Profile ChildrensServicesProfile() {
  Profile p;
  p.name = "childrens_services";
  p.schema.columns = CommonColumns();
  for (const char* c :
       {"social_worker_id", "child_family_name", "child_given_name", "child_dob", "school_ref",
        "victim_family_name", "victim_given_name", "victim_dob", "perpetrator_family_name",
        "perpetrator_given_name", "perpetrator_dob", "cp_from_status", "cp_to_status", "cp_category"}) {
    p.schema.columns.push_back(c);
  }
  for (const auto* group : {&RiskColumns(), &ChildrenColumns(), &ReferralColumns(), &ConcernColumns()}) {
    p.schema.columns.insert(p.schema.columns.end(), group->begin(), group->end());
  }
  p.schema.required = {"record_id", "record_type", "occurred_at", "social_worker_id"};
  p.record_types = {{"cp_status", &MapCpStatus}, {"concern", &MapConcern}, {"referral", &MapReferral}};
  return p;
}

}  // namespace accord::agents
