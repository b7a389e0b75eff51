// The lower-case names practitioners write in policy and event files, e.g.
// "domestic_incident", "children_in_household", "high", "safeguarding_children".
#ifndef ACCORD_POLICY_NAMES_H_
#define ACCORD_POLICY_NAMES_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accord/v1/directory.pb.h"
#include "accord/v1/envelope.pb.h"
#include "accord/v1/policy.pb.h"

namespace accord::policy {

std::optional<v1::EventKind> EventKindFromName(const std::string& name);
std::optional<v1::Flag> FlagFromName(const std::string& name);
std::optional<v1::RiskLevel> RiskLevelFromName(const std::string& name);
std::optional<v1::LawfulBasis> LawfulBasisFromName(const std::string& name);
std::optional<v1::ConsentState> ConsentStateFromName(const std::string& name);
std::optional<v1::AgencyKind> AgencyKindFromName(const std::string& name);
std::optional<v1::SubjectRole> SubjectRoleFromName(const std::string& name);

std::string NameOf(v1::EventKind kind);
std::string NameOf(v1::Flag flag);
std::string NameOf(v1::RiskLevel level);
std::string NameOf(v1::LawfulBasis basis);
std::string NameOf(v1::ConsentState state);
std::string NameOf(v1::AgencyKind kind);
std::string NameOf(v1::SubjectRole role);

// A section name split into base and role (docs/protocol.md §3, section
// names): "health@perpetrator" is {"health", SUBJECT_ROLE_PERPETRATOR},
// "health" is {"health", SUBJECT_ROLE_UNSPECIFIED}. nullopt for a name that
// is not base[@role] with base a lower-case letter, then lower-case letters,
// digits or '_', and role victim, perpetrator, child or other.
struct SectionName {
  std::string_view base;
  v1::SubjectRole role = v1::SUBJECT_ROLE_UNSPECIFIED;
};
std::optional<SectionName> ParseSectionName(std::string_view name);
// A section base as the protocol allows it: [a-z][a-z0-9_]*.
bool IsSectionBase(std::string_view base);

// All valid names of an enum, for error messages.
std::vector<std::string> EventKindNames();
std::vector<std::string> FlagNames();

}  // namespace accord::policy

#endif  // ACCORD_POLICY_NAMES_H_
