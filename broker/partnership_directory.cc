#include "broker/partnership_directory.h"

#include "absl/strings/str_cat.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"

namespace accord::broker {

absl::StatusOr<PartnershipDirectory> PartnershipDirectory::Load(const std::string& partnership_dir) {
  const crypto::PartnershipPaths paths(partnership_dir);
  // Read once: the bytes served to agents are exactly the bytes verified here.
  absl::StatusOr<std::string> id = crypto::ReadPartnershipId(paths);
  if (!id.ok()) return id.status();
  absl::StatusOr<std::string> admin = crypto::ReadSigningPublicKey(paths.AdminPublicKey());
  if (!admin.ok()) return admin.status();
  absl::StatusOr<std::string> bytes = crypto::ReadFileToString(paths.Directory());
  if (!bytes.ok()) return bytes.status();
  PartnershipDirectory d;
  if (!d.raw_.ParseFromString(*bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(paths.Directory(), " is not a Directory"));
  }
  absl::StatusOr<crypto::VerifiedDirectory> verified = crypto::VerifiedDirectory::Create(d.raw_, *admin, *id);
  if (!verified.ok()) {
    return absl::Status(verified.status().code(),
                        absl::StrCat("partnership directory rejected: ", verified.status().message()));
  }
  d.verified_ = *std::move(verified);
  // Every entry verified above (one bad entry fails the whole directory), so
  // each names an agency of the partnership; kinds do not change on rotation.
  for (const v1::SignedDirectoryEntry& se : d.raw_.entries()) {
    v1::DirectoryEntry e;
    if (e.ParseFromString(se.entry())) d.kinds_[e.agency_id()] = e.kind();
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
