#include "agents/adapters/sections.h"

#include "absl/strings/str_cat.h"

namespace accord::agents {

bool AddVictimContact(FieldReader& r, EventBuilder* b) {
  bool any = false;
  for (const std::string& c : VictimContactColumns()) any |= r.Has(c);
  if (!any) return false;
  v1::VictimContact contact;
  contact.set_address(r.Text("victim_address"));
  contact.set_phone(r.Text("victim_phone"));
  contact.set_email(r.Text("victim_email"));
  contact.set_safe_contact_method(r.Text("victim_safe_contact_method"));
  contact.set_safe_times(r.Text("victim_safe_times"));
  contact.set_notes(r.Text("victim_contact_notes"));
  b->AddSection("victim_contact", contact);
  return true;
}

bool AddHealth(FieldReader& r, EventBuilder* b) {
  bool any = false;
  for (const std::string& c : HealthColumns()) any |= r.Has(c);
  if (!any) return false;
  v1::HealthDetail health;
  health.set_text(r.Text("health_notes"));
  health.set_substance_misuse(r.Bool("substance_misuse").value_or(false));
  health.set_mental_health_concern(r.Bool("mental_health_concern").value_or(false));
  b->AddSection("health", health);
  return true;
}

v1::ChildrenDetail ChildrenSection(FieldReader& r, const std::vector<Subject>& children,
                                   std::optional<absl::Time> at, bool present, EventBuilder* b) {
  v1::ChildrenDetail detail;
  const std::optional<bool> in_household = r.Bool("children_in_household");
  if (in_household == false && !children.empty()) {
    r.Fail("children_in_household is 'no' but children are listed");
  }
  if (!children.empty() || in_household == true) b->AddFlag(v1::FLAG_CHILDREN_IN_HOUSEHOLD);
  for (const Subject& child : children) {
    b->AddSubject(v1::SUBJECT_ROLE_CHILD, child.ref);
    CheckBornBefore(r, child, "child", at);
    v1::Child* c = detail.add_children();
    c->set_child_ref(child.ref);
    if (at) c->set_age_years(AgeOn(child.dob, *at));
    c->set_present_at_incident(present);
  }
  if (!children.empty()) detail.set_notes(r.Text("children_notes"));
  return detail;
}

void AddChildren(FieldReader& r, const std::vector<Subject>& children, std::optional<absl::Time> at,
                 bool present, EventBuilder* b) {
  v1::ChildrenDetail detail = ChildrenSection(r, children, at, present, b);
  if (detail.children_size() > 0) b->AddSection("children", detail);
}

std::string AddReferral(FieldReader& r, v1::ReferralSource source, EventBuilder* b) {
  v1::Referral referral;
  referral.set_source(source);
  referral.set_to_service(r.Identifier("referral_to", Need::kRequired));
  referral.set_reason(r.Text("referral_reason"));
  referral.set_perpetrator_consents(r.Bool("perpetrator_consents").value_or(false));
  b->AddRelation("referrer", b->context().agency);
  b->AddSection("detail", referral);
  return absl::StrCat("Referral to ", referral.to_service(),
                      r.Bool("perpetrator_consents") == true ? " (perpetrator consents)" : "");
}

std::string AddConcern(FieldReader& r, EventBuilder* b) {
  v1::SafeguardingConcern concern;
  concern.set_concern(r.Text("concern", Need::kRequired));
  concern.set_about(r.Enum("concern_about", {"child", "adult_at_risk"}, Need::kRequired));
  concern.set_action_taken(r.Text("action_taken"));
  b->AddSection("detail", concern);
  return absl::StrCat("Safeguarding concern about ",
                      concern.about() == "child" ? "a child" : "an adult at risk");
}

}  // namespace accord::agents
