#include "crypto/encryption.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "crypto/hash.h"

namespace accord::crypto {

absl::StatusOr<EncryptionKey> EncryptionKey::Generate() {
  if (auto s = InitSodium(); !s.ok()) return s;
  SecretBytes secret(crypto_box_SECRETKEYBYTES);
  randombytes_buf(secret.data(), secret.size());
  return FromSecret(secret.view());
}

absl::StatusOr<EncryptionKey> EncryptionKey::FromSecret(std::string_view secret) {
  if (auto s = InitSodium(); !s.ok()) return s;
  if (secret.size() != crypto_box_SECRETKEYBYTES) {
    return absl::InvalidArgumentError(absl::StrCat(
        "X25519 secret key must be ", crypto_box_SECRETKEYBYTES, " bytes, got ",
        secret.size()));
  }
  EncryptionKey key;
  key.secret_ = SecretBytes(secret);
  key.public_key_.assign(crypto_box_PUBLICKEYBYTES, '\0');
  crypto_scalarmult_base(reinterpret_cast<unsigned char*>(key.public_key_.data()),
                         key.secret_.data());
  key.key_id_ = KeyIdOf(key.public_key_);
  return key;
}

SecretBytes EncryptionKey::Secret() const { return SecretBytes(secret_.view()); }

absl::StatusOr<SecretBytes> EncryptionKey::Unseal(std::string_view sealed) const {
  if (sealed.size() < crypto_box_SEALBYTES) {
    return absl::UnauthenticatedError(
        absl::StrCat("sealed box too short: ", sealed.size(), " bytes"));
  }
  SecretBytes out(sealed.size() - crypto_box_SEALBYTES);
  if (crypto_box_seal_open(out.data(), reinterpret_cast<const unsigned char*>(sealed.data()),
                           sealed.size(),
                           reinterpret_cast<const unsigned char*>(public_key_.data()),
                           secret_.data()) != 0) {
    return absl::UnauthenticatedError(
        absl::StrCat("sealed box does not open with key ", key_id_));
  }
  return out;
}

absl::StatusOr<std::string> SealTo(std::string_view public_key, std::string_view plaintext) {
  if (auto s = InitSodium(); !s.ok()) return s;
  if (public_key.size() != crypto_box_PUBLICKEYBYTES) {
    return absl::InvalidArgumentError(absl::StrCat(
        "X25519 public key must be 32 bytes, got ", public_key.size()));
  }
  std::string out(plaintext.size() + crypto_box_SEALBYTES, '\0');
  crypto_box_seal(reinterpret_cast<unsigned char*>(out.data()),
                  reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                  reinterpret_cast<const unsigned char*>(public_key.data()));
  return out;
}

}  // namespace accord::crypto
