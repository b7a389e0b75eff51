#include "broker/header_checks.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "accord/v1/policy.pb.h"
#include "broker/quoted.h"

namespace accord::broker {
namespace {

// google.protobuf.Timestamp's valid range: 0001-01-01 to 9999-12-31.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;

bool IdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == ':';
}

absl::Status CheckTimestamp(const google::protobuf::Timestamp& t, const char* field) {
  if (t.seconds() < kMinSeconds || t.seconds() > kMaxSeconds || t.nanos() < 0 || t.nanos() > 999999999) {
    return absl::InvalidArgumentError(absl::StrCat("header ", field, " is not a valid timestamp (seconds ",
                                                   t.seconds(), ", nanos ", t.nanos(), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckText(std::string_view value, size_t max, const std::string& field) {
  if (value.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("header ", field, " ", Quoted(value), " is longer than ", max, " bytes"));
  }
  return absl::OkStatus();
}

bool ValidSectionName(std::string_view name) {
  const size_t at = name.find('@');
  const std::string_view base = name.substr(0, at);
  if (base.empty() || !(base[0] >= 'a' && base[0] <= 'z')) return false;
  for (char c : base) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  if (at == std::string_view::npos) return true;
  const std::string_view role = name.substr(at + 1);
  return role == "victim" || role == "perpetrator" || role == "child" || role == "other";
}

}  // namespace

bool InSenderNamespace(std::string_view id, std::string_view sender) {
  return !sender.empty() && id.size() > sender.size() + 1 && id.substr(0, sender.size()) == sender &&
         (id[sender.size()] == '-' || id[sender.size()] == ':');
}

bool ValidPseudonym(std::string_view ref) {
  return ref.size() == 64 && std::all_of(ref.begin(), ref.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

absl::Status CheckHeader(const v1::EventHeader& h, const std::string& caller, const Limits& limits) {
  if (h.sender() != caller) {
    return absl::PermissionDeniedError(absl::StrCat("header names sender ", Quoted(h.sender()),
                                                    " but the caller's certificate is for '", caller, "'"));
  }
  if (h.version() != 1) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported header version ", h.version(), " (this broker reads 1)"));
  }
  const std::string& id = h.event_id();
  const int max_id = limits.max_event_id_length;
  if (id.empty() || static_cast<int>(id.size()) > max_id || !std::all_of(id.begin(), id.end(), IdChar)) {
    return absl::InvalidArgumentError(absl::StrCat("event id ", Quoted(id), " is invalid: 1-", max_id,
                                                   " characters from A-Z a-z 0-9 - _ . :"));
  }
  if (!InSenderNamespace(id, caller)) {
    return absl::InvalidArgumentError(absl::StrCat("event id ", Quoted(id), " is not in the sender's namespace: ",
                                                   "it must begin with '", caller, "-' or '", caller, ":'"));
  }
  if (!v1::EventKind_IsValid(h.kind())) {
    return absl::InvalidArgumentError(absl::StrCat("header kind ", static_cast<int>(h.kind()),
                                                   " is not a defined EventKind"));
  }
  if (h.kind() == v1::EVENT_KIND_UNSPECIFIED) return absl::InvalidArgumentError("header has no event kind");
  if (h.kind() == v1::EVENT_KIND_FEEDBACK_DUE || h.kind() == v1::EVENT_KIND_SERIAL_PATTERN) {
    return absl::InvalidArgumentError(absl::StrCat("event kind ", v1::EventKind_Name(h.kind()),
                                                   " is raised by the broker only"));
  }
  if (!v1::SubjectRole_IsValid(h.about())) {
    return absl::InvalidArgumentError(absl::StrCat("header about ", static_cast<int>(h.about()),
                                                   " is not a defined SubjectRole"));
  }
  if (h.has_destination()) {
    const v1::Destination& d = h.destination();
    if (d.agency().empty()) return absl::InvalidArgumentError("a destination needs an agency");
    if (auto st = CheckText(d.agency(), kMaxNameBytes, "destination agency"); !st.ok()) return st;
    if (auto st = CheckText(d.service(), kMaxNameBytes, "destination service"); !st.ok()) return st;
    if (d.agency() == caller) {
      return absl::InvalidArgumentError("an event cannot be addressed to its own sender");
    }
  }
  if (!h.in_reply_to().empty()) {
    const std::string& r = h.in_reply_to();
    if (static_cast<int>(r.size()) > limits.max_event_id_length || !std::all_of(r.begin(), r.end(), IdChar)) {
      return absl::InvalidArgumentError(absl::StrCat("in_reply_to ", Quoted(r), " is not an event id"));
    }
  }
  if (h.subjects_size() > limits.max_subjects) {
    return absl::ResourceExhaustedError(absl::StrCat("header has ", h.subjects_size(),
                                                     " subjects; the limit is ", limits.max_subjects));
  }
  for (const v1::SubjectRef& s : h.subjects()) {
    if (!ValidPseudonym(s.ref())) {
      return absl::InvalidArgumentError(
          absl::StrCat("subject reference ", Quoted(s.ref()), " is not a 64-hex-digit pseudonym"));
    }
    if (!v1::SubjectRole_IsValid(s.role())) {
      return absl::InvalidArgumentError(absl::StrCat("subject role ", static_cast<int>(s.role()),
                                                     " is not a defined SubjectRole"));
    }
  }
  if (!v1::RiskLevel_IsValid(h.risk().level())) {
    return absl::InvalidArgumentError(absl::StrCat("risk level ", static_cast<int>(h.risk().level()),
                                                   " is not a defined RiskLevel"));
  }
  if (!v1::RiskTool_IsValid(h.risk().tool())) {
    return absl::InvalidArgumentError(absl::StrCat("risk tool ", static_cast<int>(h.risk().tool()),
                                                   " is not a defined RiskTool"));
  }
  if (h.flags_size() > kMaxFlags) {
    return absl::ResourceExhaustedError(absl::StrCat("header has ", h.flags_size(), " flags; the limit is ", kMaxFlags));
  }
  for (int f : h.flags()) {
    if (!v1::Flag_IsValid(f) || f == v1::FLAG_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat("flag ", f, " is not a defined Flag"));
    }
  }
  if (h.sections_size() > limits.max_sections) {
    return absl::ResourceExhaustedError(absl::StrCat("header lists ", h.sections_size(),
                                                     " sections; the limit is ", limits.max_sections));
  }
  std::set<std::string> names;
  for (const v1::SectionRef& s : h.sections()) {
    if (s.name().empty()) return absl::InvalidArgumentError("a header section has no name");
    if (auto st = CheckText(s.name(), kMaxNameBytes, "section name"); !st.ok()) return st;
    if (!ValidSectionName(s.name())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "section name ", Quoted(s.name()),
          " is not base[@role]: a-z, 0-9 and _ starting with a letter, then optionally @victim, @perpetrator, "
          "@child or @other"));
    }
    if (auto st = CheckText(s.content_type(), kMaxTextBytes, "section content type"); !st.ok()) return st;
    if (!names.insert(s.name()).second) {
      return absl::InvalidArgumentError(absl::StrCat("header lists section ", Quoted(s.name()), " twice"));
    }
  }
  if (h.relations_size() > kMaxRelations) {
    return absl::ResourceExhaustedError(absl::StrCat("header declares ", h.relations_size(),
                                                     " case relations; the limit is ", kMaxRelations));
  }
  for (const v1::CaseRelation& r : h.relations()) {
    if (r.relation().empty() || r.agency().empty()) {
      return absl::InvalidArgumentError("a case relation needs both a relation and an agency");
    }
    if (auto st = CheckText(r.relation(), kMaxNameBytes, "relation"); !st.ok()) return st;
    if (auto st = CheckText(r.agency(), kMaxNameBytes, "relation agency"); !st.ok()) return st;
  }
  if (auto st = CheckText(h.case_ref(), kMaxTextBytes, "case_ref"); !st.ok()) return st;
  if (auto st = CheckText(h.signing_key_id(), kMaxNameBytes, "signing_key_id"); !st.ok()) return st;
  if (auto st = CheckText(h.policy_version(), kMaxNameBytes, "policy_version"); !st.ok()) return st;
  if (auto st = CheckText(h.actor().role(), kMaxTextBytes, "actor role"); !st.ok()) return st;
  if (auto st = CheckText(h.actor().staff_ref(), kMaxTextBytes, "actor staff_ref"); !st.ok()) return st;
  if (h.has_consent()) {
    if (auto st = CheckText(h.consent().purpose(), kMaxNameBytes, "consent purpose"); !st.ok()) return st;
    if (auto st = CheckText(h.consent().subject_ref(), 64, "consent subject_ref"); !st.ok()) return st;
    if (auto st = CheckText(h.consent().consent_event_id(), static_cast<size_t>(max_id), "consent_event_id");
        !st.ok()) {
      return st;
    }
  }
  if (h.has_override()) {
    const v1::SafeguardingOverride& o = h.override();
    if (auto st = CheckText(o.reason(), kMaxNameBytes, "override reason"); !st.ok()) return st;
    if (auto st = CheckText(o.justification_section(), kMaxNameBytes, "override justification_section");
        !st.ok()) {
      return st;
    }
    if (auto st = CheckText(o.authorised_by().role(), kMaxTextBytes, "override authorising role"); !st.ok()) {
      return st;
    }
    if (auto st = CheckText(o.authorised_by().staff_ref(), kMaxTextBytes, "override authorising staff_ref");
        !st.ok()) {
      return st;
    }
  }
  if (h.has_consent_statement()) {
    const v1::ConsentStatement& cs = h.consent_statement();
    if (!v1::ConsentState_IsValid(cs.state())) {
      return absl::InvalidArgumentError(absl::StrCat("consent state ", static_cast<int>(cs.state()),
                                                     " is not a defined ConsentState"));
    }
    if (auto st = CheckText(cs.purpose(), kMaxNameBytes, "consent statement purpose"); !st.ok()) return st;
  }
  if (h.kind() == v1::EVENT_KIND_CONSENT_RECORDED) {
    const v1::ConsentStatement& cs = h.consent_statement();
    if (!h.has_consent_statement() || !ValidPseudonym(cs.subject_ref()) || cs.purpose().empty() ||
        cs.state() == v1::CONSENT_STATE_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          "a CONSENT_RECORDED event needs a consent_statement with subject_ref, purpose and state");
    }
    const bool about_subject = std::any_of(h.subjects().begin(), h.subjects().end(),
                                           [&](const v1::SubjectRef& s) { return s.ref() == cs.subject_ref(); });
    if (!about_subject) {
      return absl::InvalidArgumentError("the consent statement's subject is not one of the event's subjects");
    }
  } else if (h.has_consent_statement()) {
    return absl::InvalidArgumentError("only a CONSENT_RECORDED event may carry a consent_statement");
  }
  if (h.has_occurred_at()) {
    if (auto st = CheckTimestamp(h.occurred_at(), "occurred_at"); !st.ok()) return st;
  }
  if (h.has_signed_at()) {
    if (auto st = CheckTimestamp(h.signed_at(), "signed_at"); !st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace accord::broker
