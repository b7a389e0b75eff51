// X25519 key pairs for receiving section keys, sealed with crypto_box_seal.
#ifndef ACCORD_CRYPTO_ENCRYPTION_H_
#define ACCORD_CRYPTO_ENCRYPTION_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"

namespace accord::crypto {

class EncryptionKey {
 public:
  static absl::StatusOr<EncryptionKey> Generate();
  // From a 32-byte X25519 secret key (key files, test vectors).
  static absl::StatusOr<EncryptionKey> FromSecret(std::string_view secret);

  const std::string& public_key() const { return public_key_; }
  const std::string& key_id() const { return key_id_; }
  SecretBytes Secret() const;

  // Opens a crypto_box_seal box addressed to this key. UNAUTHENTICATED if the
  // box was not made for this key or was altered.
  absl::StatusOr<SecretBytes> Unseal(std::string_view sealed) const;

 private:
  EncryptionKey() = default;
  SecretBytes secret_;
  std::string public_key_;
  std::string key_id_;
};

// crypto_box_seal(plaintext) to a 32-byte X25519 public key.
absl::StatusOr<std::string> SealTo(std::string_view public_key, std::string_view plaintext);

}  // namespace accord::crypto

#endif  // ACCORD_CRYPTO_ENCRYPTION_H_
