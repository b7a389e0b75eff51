// The administrator-signed partnership directory (DESIGN.md §3). Agents only
// encrypt to, or trust signatures from, keys in entries that verify against the
// pinned administrator key; the broker serves entries but cannot forge them.
#ifndef ACCORD_CRYPTO_DIRECTORY_H_
#define ACCORD_CRYPTO_DIRECTORY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "accord/v1/directory.pb.h"
#include "crypto/signing.h"

namespace accord::crypto {

absl::StatusOr<v1::SignedDirectoryEntry> SignDirectoryEntry(const v1::DirectoryEntry& entry,
                                                            const SigningKey& admin);

// Signature and well-formedness only (key sizes, key ids match the keys).
absl::StatusOr<v1::DirectoryEntry> VerifyDirectoryEntry(
    const v1::SignedDirectoryEntry& signed_entry, std::string_view admin_public_key);

// A directory whose every entry verified. Creation fails closed: one bad entry
// (wrong signer, other partnership, malformed) rejects the whole directory.
class VerifiedDirectory {
 public:
  static absl::StatusOr<VerifiedDirectory> Create(const v1::Directory& directory,
                                                  std::string_view admin_public_key,
                                                  std::string_view partnership_id);

  // The agency's newest entry (highest serial) that is valid at `now`.
  // NOT_FOUND for an unknown agency, FAILED_PRECONDITION if no key is valid now.
  absl::StatusOr<v1::DirectoryEntry> Current(std::string_view agency, absl::Time now) const;

  // The entry holding signing key `key_id` of `agency`, valid at `at` (the
  // event's time): rotated-out keys stay verifiable for what they signed.
  absl::StatusOr<v1::DirectoryEntry> ForSigningKey(std::string_view agency,
                                                   std::string_view key_id,
                                                   absl::Time at) const;

  // The signed form of an entry, for handing on (e.g. in a share plan).
  absl::StatusOr<v1::SignedDirectoryEntry> SignedCurrent(std::string_view agency,
                                                         absl::Time now) const;

  std::vector<std::string> Agencies() const;

 private:
  struct Item {
    v1::DirectoryEntry entry;
    v1::SignedDirectoryEntry signed_entry;
  };
  std::map<std::string, std::vector<Item>, std::less<>> by_agency_;
};

// Validity window check used above; exposed for tests and the broker.
absl::Status CheckValidAt(const v1::DirectoryEntry& entry, absl::Time at);

}  // namespace accord::crypto

#endif  // ACCORD_CRYPTO_DIRECTORY_H_
