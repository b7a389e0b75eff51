// The partnership directory as the broker holds it: the administrator-signed
// entries exactly as published (served to agents, who verify them again), and
// a verified view the broker uses to check signatures and agency kinds. The
// broker refuses to start on a directory that does not verify.
#ifndef ACCORD_BROKER_PARTNERSHIP_DIRECTORY_H_
#define ACCORD_BROKER_PARTNERSHIP_DIRECTORY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/v1/directory.pb.h"
#include "crypto/directory.h"

namespace accord::broker {

class PartnershipDirectory {
 public:
  static absl::StatusOr<PartnershipDirectory> Load(const std::string& partnership_dir);

  const v1::Directory& signed_directory() const { return raw_; }
  const crypto::VerifiedDirectory& verified() const { return verified_; }
  bool Knows(const std::string& agency) const { return kinds_.count(agency) > 0; }
  v1::AgencyKind Kind(const std::string& agency) const;
  // Agencies of kind AUDITOR: they receive every override.
  std::vector<std::string> Auditors() const;

 private:
  v1::Directory raw_;
  crypto::VerifiedDirectory verified_;
  std::map<std::string, v1::AgencyKind> kinds_;
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_PARTNERSHIP_DIRECTORY_H_
