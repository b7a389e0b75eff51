#include "broker/partnership_directory.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "crypto/partnership.h"

namespace accord::broker {

absl::StatusOr<PartnershipDirectory> PartnershipDirectory::Load(const std::string& partnership_dir) {
  const crypto::PartnershipPaths paths(partnership_dir);
  absl::StatusOr<crypto::VerifiedDirectory> verified = crypto::LoadVerifiedDirectory(paths);
  if (!verified.ok()) {
    return absl::Status(verified.status().code(),
                        absl::StrCat("partnership directory rejected: ", verified.status().message()));
  }
  absl::StatusOr<std::string> bytes = crypto::ReadFileToString(paths.Directory());
  if (!bytes.ok()) return bytes.status();
  PartnershipDirectory d;
  d.raw_.ParseFromString(*bytes);
  d.verified_ = *std::move(verified);
  for (const std::string& agency : d.verified_.Agencies()) {
    // Kind from the newest entry, valid or not: kinds do not change on rotation.
    for (const v1::SignedDirectoryEntry& se : d.raw_.entries()) {
      v1::DirectoryEntry e;
      if (e.ParseFromString(se.entry()) && e.agency_id() == agency) d.kinds_[agency] = e.kind();
    }
  }
  return d;
}

v1::AgencyKind PartnershipDirectory::Kind(const std::string& agency) const {
  auto it = kinds_.find(agency);
  return it == kinds_.end() ? v1::AGENCY_KIND_UNSPECIFIED : it->second;
}

std::vector<std::string> PartnershipDirectory::Auditors() const {
  std::vector<std::string> out;
  for (const auto& [agency, kind] : kinds_) {
    if (kind == v1::AGENCY_KIND_AUDITOR) out.push_back(agency);
  }
  return out;
}

}  // namespace accord::broker
