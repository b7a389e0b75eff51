// Key files (docs/protocol.md §Key files). Secret files are created 0600 with
// O_EXCL (never overwritten) and refused on read if group or others can read
// them. Public key files hold no secret and may be world-readable.
#ifndef ACCORD_CRYPTO_KEY_FILE_H_
#define ACCORD_CRYPTO_KEY_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "crypto/encryption.h"
#include "crypto/secret_bytes.h"
#include "crypto/signing.h"

namespace accord::crypto {

absl::Status WriteSigningKey(const std::string& path, const SigningKey& key);
absl::Status WriteEncryptionKey(const std::string& path, const EncryptionKey& key);
absl::Status WriteLinkageKey(const std::string& path, const SecretBytes& key);
// An Ed25519 public key (e.g. the pinned administrator key, the log key).
absl::Status WriteSigningPublicKey(const std::string& path, std::string_view public_key);

absl::StatusOr<SigningKey> ReadSigningKey(const std::string& path);
absl::StatusOr<EncryptionKey> ReadEncryptionKey(const std::string& path);
absl::StatusOr<SecretBytes> ReadLinkageKey(const std::string& path);
absl::StatusOr<std::string> ReadSigningPublicKey(const std::string& path);

}  // namespace accord::crypto

#endif  // ACCORD_CRYPTO_KEY_FILE_H_
