// `accord partnership init`: creates every key, certificate and the signed
// directory of a new partnership, all at once or not at all.
#ifndef ACCORD_CLI_PARTNERSHIP_H_
#define ACCORD_CLI_PARTNERSHIP_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "accord/v1/directory.pb.h"

namespace accord::cli {

struct AgencySpec {
  std::string id;                 // lower-case identifier, the TLS CN
  v1::AgencyKind kind = v1::AGENCY_KIND_UNSPECIFIED;
};

struct PartnershipOptions {
  std::string dir;                // must not exist, or be an empty directory
  std::string partnership_id;     // default: the directory's base name
  std::vector<AgencySpec> agencies;
  absl::Duration validity = absl::Hours(24 * 365);
  std::vector<std::string> broker_hosts = {"localhost", "127.0.0.1"};
  absl::Time now = absl::Now();
};

// Parses "police,probation,..." or "id:kind,..." (kind one of police,
// probation, childrens_services, victim_services, perpetrator_programme,
// marac_coordinator, auditor, health, education, housing, other). An id that
// names a kind has that kind. Rejects malformed ids and duplicates.
absl::StatusOr<std::vector<AgencySpec>> ParseAgencies(const std::string& list);

absl::StatusOr<v1::AgencyKind> ParseAgencyKind(const std::string& name);
std::string AgencyKindName(v1::AgencyKind kind);

// Creates the partnership in a temporary sibling directory and renames it into
// place, so a failure leaves nothing behind and an existing one is never touched.
absl::Status InitPartnership(const PartnershipOptions& options);

}  // namespace accord::cli

#endif  // ACCORD_CLI_PARTNERSHIP_H_
