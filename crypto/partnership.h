// Where a partnership's files live (written by `accord partnership init`, see
// the README it puts in the partnership directory) and loading its public part.
#ifndef ACCORD_CRYPTO_PARTNERSHIP_H_
#define ACCORD_CRYPTO_PARTNERSHIP_H_

#include <string>

#include "absl/status/statusor.h"
#include "crypto/directory.h"

namespace accord::crypto {

// Paths inside a partnership directory.
struct PartnershipPaths {
  explicit PartnershipPaths(std::string dir) : root(std::move(dir)) {}
  std::string root;

  std::string PartnershipId() const { return root + "/public/partnership.txt"; }
  std::string CaCert() const { return root + "/public/ca.crt"; }
  std::string AdminPublicKey() const { return root + "/public/admin.pub"; }
  std::string LogPublicKey() const { return root + "/public/log.pub"; }
  std::string Directory() const { return root + "/public/directory.pb"; }
  std::string AdminKey() const { return root + "/admin/admin.key"; }
  std::string CaKey() const { return root + "/admin/ca.key"; }
  std::string BrokerCert() const { return root + "/broker/tls.crt"; }
  std::string BrokerTlsKey() const { return root + "/broker/tls.key"; }
  std::string LogKey() const { return root + "/broker/log.key"; }
  std::string AgencyDir(const std::string& agency) const { return root + "/agencies/" + agency; }
  std::string AgencyCert(const std::string& a) const { return AgencyDir(a) + "/tls.crt"; }
  std::string AgencyTlsKey(const std::string& a) const { return AgencyDir(a) + "/tls.key"; }
  std::string AgencySigningKey(const std::string& a) const { return AgencyDir(a) + "/signing.key"; }
  std::string AgencyEncryptionKey(const std::string& a) const {
    return AgencyDir(a) + "/encryption.key";
  }
  std::string AgencyLinkageKey(const std::string& a) const { return AgencyDir(a) + "/linkage.key"; }
};

absl::StatusOr<std::string> ReadPartnershipId(const PartnershipPaths& paths);

// Reads public/directory.pb and verifies every entry against public/admin.pub.
// Agents should pin the admin key they were given out of band instead: see
// LoadVerifiedDirectory(directory, admin_public_key, id).
absl::StatusOr<VerifiedDirectory> LoadVerifiedDirectory(const PartnershipPaths& paths);

// Reads a whole file (for certificates, directory, configs).
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace accord::crypto

#endif  // ACCORD_CRYPTO_PARTNERSHIP_H_
