#include "policy/names.h"

#include <algorithm>

#include "google/protobuf/descriptor.h"

namespace accord::policy {
namespace {

// "EVENT_KIND_DOMESTIC_INCIDENT" -> "domestic_incident" for prefix "EVENT_KIND_".
std::string Lower(const std::string& full, const std::string& prefix) {
  std::string s = full.rfind(prefix, 0) == 0 ? full.substr(prefix.size()) : full;
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

template <typename E>
std::optional<E> FromName(const google::protobuf::EnumDescriptor* d, const std::string& prefix,
                          const std::string& name) {
  for (int i = 0; i < d->value_count(); ++i) {
    const auto* v = d->value(i);
    if (v->number() == 0) continue;
    if (Lower(v->name(), prefix) == name) return static_cast<E>(v->number());
  }
  return std::nullopt;
}

template <typename E>
std::string NameFor(const google::protobuf::EnumDescriptor* d, const std::string& prefix, E value) {
  const auto* v = d->FindValueByNumber(static_cast<int>(value));
  return v == nullptr ? "unknown" : Lower(v->name(), prefix);
}

std::vector<std::string> AllNames(const google::protobuf::EnumDescriptor* d, const std::string& prefix) {
  std::vector<std::string> out;
  for (int i = 0; i < d->value_count(); ++i) {
    if (d->value(i)->number() != 0) out.push_back(Lower(d->value(i)->name(), prefix));
  }
  return out;
}

}  // namespace

std::optional<v1::EventKind> EventKindFromName(const std::string& n) {
  return FromName<v1::EventKind>(v1::EventKind_descriptor(), "EVENT_KIND_", n);
}
std::optional<v1::Flag> FlagFromName(const std::string& n) {
  return FromName<v1::Flag>(v1::Flag_descriptor(), "FLAG_", n);
}
std::optional<v1::RiskLevel> RiskLevelFromName(const std::string& n) {
  return FromName<v1::RiskLevel>(v1::RiskLevel_descriptor(), "RISK_LEVEL_", n);
}
std::optional<v1::LawfulBasis> LawfulBasisFromName(const std::string& n) {
  return FromName<v1::LawfulBasis>(v1::LawfulBasis_descriptor(), "LAWFUL_BASIS_", n);
}
std::optional<v1::ConsentState> ConsentStateFromName(const std::string& n) {
  return FromName<v1::ConsentState>(v1::ConsentState_descriptor(), "CONSENT_STATE_", n);
}
std::optional<v1::AgencyKind> AgencyKindFromName(const std::string& n) {
  return FromName<v1::AgencyKind>(v1::AgencyKind_descriptor(), "AGENCY_KIND_", n);
}
std::optional<v1::SubjectRole> SubjectRoleFromName(const std::string& n) {
  return FromName<v1::SubjectRole>(v1::SubjectRole_descriptor(), "SUBJECT_ROLE_", n);
}

std::string NameOf(v1::EventKind v) { return NameFor(v1::EventKind_descriptor(), "EVENT_KIND_", v); }
std::string NameOf(v1::Flag v) { return NameFor(v1::Flag_descriptor(), "FLAG_", v); }
std::string NameOf(v1::RiskLevel v) { return NameFor(v1::RiskLevel_descriptor(), "RISK_LEVEL_", v); }
std::string NameOf(v1::LawfulBasis v) { return NameFor(v1::LawfulBasis_descriptor(), "LAWFUL_BASIS_", v); }
std::string NameOf(v1::ConsentState v) { return NameFor(v1::ConsentState_descriptor(), "CONSENT_STATE_", v); }
std::string NameOf(v1::AgencyKind v) { return NameFor(v1::AgencyKind_descriptor(), "AGENCY_KIND_", v); }
std::string NameOf(v1::SubjectRole v) { return NameFor(v1::SubjectRole_descriptor(), "SUBJECT_ROLE_", v); }

bool IsSectionBase(std::string_view base) {
  if (base.empty() || !(base[0] >= 'a' && base[0] <= 'z')) return false;
  return std::all_of(base.begin(), base.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

std::optional<SectionName> ParseSectionName(std::string_view name) {
  const std::size_t at = name.find('@');
  SectionName out{name.substr(0, at), v1::SUBJECT_ROLE_UNSPECIFIED};
  if (!IsSectionBase(out.base)) return std::nullopt;
  if (at == std::string_view::npos) return out;
  const std::string_view role = name.substr(at + 1);
  if (role == "victim") {
    out.role = v1::SUBJECT_ROLE_VICTIM;
  } else if (role == "perpetrator") {
    out.role = v1::SUBJECT_ROLE_PERPETRATOR;
  } else if (role == "child") {
    out.role = v1::SUBJECT_ROLE_CHILD;
  } else if (role == "other") {
    out.role = v1::SUBJECT_ROLE_OTHER;
  } else {
    return std::nullopt;
  }
  return out;
}

std::vector<std::string> EventKindNames() { return AllNames(v1::EventKind_descriptor(), "EVENT_KIND_"); }
std::vector<std::string> FlagNames() { return AllNames(v1::Flag_descriptor(), "FLAG_"); }

}  // namespace accord::policy
