#include "agents/adapters/sections.h"

#include "absl/strings/str_cat.h"
#include "agents/adapters/common_fields.h"
#include "agents/adapters/dash.h"

namespace accord::agents {

std::string NameOfRole(v1::SubjectRole role) {
  switch (role) {
    case v1::SUBJECT_ROLE_VICTIM:
      return "victim";
    case v1::SUBJECT_ROLE_PERPETRATOR:
      return "perpetrator";
    case v1::SUBJECT_ROLE_CHILD:
      return "child";
    case v1::SUBJECT_ROLE_OTHER:
      return "other";
    default:
      return "case";
  }
}

std::vector<std::string> HealthColumns(const std::string& prefix) {
  std::vector<std::string> out;
  for (const std::string& c : HealthColumns()) out.push_back(prefix + c);
  return out;
}

bool AddVictimContact(FieldReader& r, EventBuilder* b, const std::string& section) {
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
  b->AddSection(section, contact);
  return true;
}

bool AddHealth(FieldReader& r, EventBuilder* b, const std::string& prefix, const std::string& section) {
  bool any = false;
  for (const std::string& c : HealthColumns(prefix)) any |= r.Has(c);
  if (!any) return false;
  v1::HealthDetail health;
  health.set_text(r.Text(prefix + "health_notes"));
  health.set_substance_misuse(r.Bool(prefix + "substance_misuse").value_or(false));
  health.set_mental_health_concern(r.Bool(prefix + "mental_health_concern").value_or(false));
  b->AddSection(section, health);
  return true;
}

void RefuseColumns(FieldReader& r, const std::vector<std::string>& columns, const std::string& why) {
  for (const std::string& c : columns) {
    if (!r.Has(c)) continue;
    r.Text(c);  // read: reported here, not again as unused
    r.Fail(absl::StrCat(c, " is not allowed on this record: ", why));
  }
}

std::string ReadDestination(FieldReader& r, const std::string& column, Need need, EventBuilder* b,
                            const std::string& service) {
  const std::string agency = r.Identifier(column, need);
  if (agency.empty()) return "";
  if (agency == b->context().agency) {
    r.Fail(absl::StrCat(column, " '", agency, "' is this agency: an event cannot be addressed to its sender"));
    return "";
  }
  b->SetDestination(agency, service);
  return agency;
}

namespace {

// docs/protocol.md §3: 1 to 128 of A-Z a-z 0-9 - _ . :
bool IsEventId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

bool InNamespace(const std::string& id, const std::string& agency) {
  return id.size() > agency.size() && id.compare(0, agency.size(), agency) == 0 &&
         (id[agency.size()] == '-' || id[agency.size()] == ':');
}

}  // namespace

std::string ReadInReplyTo(FieldReader& r, Need need, EventBuilder* b) {
  const std::string id = r.Text("in_reply_to");
  const std::string record = r.Text("in_reply_to_record");
  const std::string& self = b->context().agency;
  if (!id.empty() && !record.empty()) {
    r.Fail("in_reply_to and in_reply_to_record both name the answered event: give one");
    return "";
  }
  if (!id.empty()) {
    if (!IsEventId(id)) {
      r.Fail(absl::StrCat("in_reply_to '", id,
                          "' is not an Accord event id (1 to 128 of A-Z a-z 0-9 - _ . :, as in the received "
                          "event's outbox file)"));
      return "";
    }
    if (InNamespace(id, self)) {
      r.Fail(absl::StrCat("in_reply_to '", id, "' is one of this agency's own events: an answer replies to "
                          "another agency's referral or request"));
      return "";
    }
    b->SetInReplyTo(id);
    return id.substr(0, id.find_first_of("-:"));
  }
  if (!record.empty()) {
    const std::size_t colon = record.find(':');
    const std::string agency = record.substr(0, colon == std::string::npos ? 0 : colon);
    const std::string rest = colon == std::string::npos ? "" : record.substr(colon + 1);
    const bool agency_ok = !agency.empty() && agency.size() <= 64 &&
                           agency.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
    if (!agency_ok || rest.empty()) {
      r.Fail(absl::StrCat("in_reply_to_record '", record,
                          "' is not <agency>:<record id>, such as probation:NPS-REF-88120-01"));
      return "";
    }
    if (agency == self) {
      r.Fail(absl::StrCat("in_reply_to_record '", record, "' is one of this agency's own records: an answer "
                          "replies to another agency's referral or request"));
      return "";
    }
    b->SetInReplyTo(EventIdFor(*b->context().linkage_key, agency, rest));
    return agency;
  }
  if (need == Need::kRequired) {
    r.Fail("in_reply_to is required: the event id of the referral or request this answers (from the received "
           "event's outbox file), or in_reply_to_record");
  }
  return "";
}

MaracThreshold ReadMaracThreshold(FieldReader& r, EventBuilder* b) {
  MaracThreshold t;
  t.threshold = r.Enum("threshold", kMaracThresholds, Need::kRequired);
  t.dash_score = r.Int("dash_score", 0, kDashQuestions);
  if (t.threshold == "visible_high_risk" && !t.dash_score) {
    r.Fail("threshold visible_high_risk needs the dash_score that meets it (14 or more)");
  } else if (t.threshold == "visible_high_risk" && *t.dash_score < kDashHighRiskThreshold) {
    r.Fail(absl::StrCat("threshold visible_high_risk needs a DASH score of ", kDashHighRiskThreshold,
                        " or more; dash_score is ", *t.dash_score,
                        " (use potential_escalation, professional_judgement or serial)"));
  }
  if (t.threshold == "serial") b->AddFlag(v1::FLAG_SERIAL_PERPETRATOR);
  return t;
}

v1::SubjectRole ReadAbout(FieldReader& r, const std::string& column, v1::SubjectRole fallback,
                          const EventBuilder& b) {
  const std::string about = r.Enum(column, {"victim", "perpetrator", "child"});
  v1::SubjectRole role = fallback;
  if (about == "victim") role = v1::SUBJECT_ROLE_VICTIM;
  if (about == "perpetrator") role = v1::SUBJECT_ROLE_PERPETRATOR;
  if (about == "child") role = v1::SUBJECT_ROLE_CHILD;
  if (!r.Has(column) || !about.empty()) {
    bool present = false;
    for (const v1::SubjectRef& s : b.header().subjects()) present |= s.role() == role;
    if (!present && r.ok()) {
      r.Fail(absl::StrCat("the record is about the ", NameOfRole(role), " (", column,
                          about.empty() ? " is empty" : "", ") but names no ", NameOfRole(role)));
    }
  }
  return role;
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
  const std::string service = r.Text("referral_service");
  if (service.size() > 64) r.Fail("referral_service is longer than 64 characters");
  const std::string to = ReadDestination(r, "referral_to", Need::kRequired, b, service.substr(0, 64));
  referral.set_to_service(service.empty() ? to : service);
  referral.set_reason(r.Text("referral_reason"));
  referral.set_perpetrator_consents(r.Bool("perpetrator_consents").value_or(false));
  const v1::SubjectRole about = ReadAbout(r, "referral_about", v1::SUBJECT_ROLE_PERPETRATOR, *b);
  b->SetAbout(about);
  b->AddRelation("referrer", b->context().agency);
  b->AddSection("detail", referral);
  return absl::StrCat(about == v1::SUBJECT_ROLE_PERPETRATOR ? "Referral" : "Referral of the " + NameOfRole(about),
                      " to ", referral.to_service(),
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
