#include "crypto/signing.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "crypto/hash.h"

namespace accord::crypto {
namespace {

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string Pae(std::string_view type, std::string_view body) {
  std::string out = absl::StrCat("DSSEv1 ", type.size(), " ");
  out.append(type);
  absl::StrAppend(&out, " ", body.size(), " ");
  out.append(body);
  return out;
}

absl::StatusOr<SigningKey> SigningKey::Generate() {
  if (auto s = InitSodium(); !s.ok()) return s;
  SecretBytes seed(crypto_sign_SEEDBYTES);
  randombytes_buf(seed.data(), seed.size());
  return FromSeed(seed.view());
}

absl::StatusOr<SigningKey> SigningKey::FromSeed(std::string_view seed) {
  if (auto s = InitSodium(); !s.ok()) return s;
  if (seed.size() != crypto_sign_SEEDBYTES) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Ed25519 seed must be ", crypto_sign_SEEDBYTES, " bytes, got ", seed.size()));
  }
  SigningKey key;
  key.secret_ = SecretBytes(crypto_sign_SECRETKEYBYTES);
  key.public_key_.assign(crypto_sign_PUBLICKEYBYTES, '\0');
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(key.public_key_.data()),
                           key.secret_.data(), U(seed));
  key.key_id_ = KeyIdOf(key.public_key_);
  return key;
}

SecretBytes SigningKey::Seed() const {
  SecretBytes seed(crypto_sign_SEEDBYTES);
  crypto_sign_ed25519_sk_to_seed(seed.data(), secret_.data());
  return seed;
}

std::string SigningKey::Sign(std::string_view type, std::string_view body) const {
  const std::string message = Pae(type, body);
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr, U(message),
                       message.size(), secret_.data());
  return sig;
}

absl::Status VerifySignature(std::string_view public_key, std::string_view type,
                             std::string_view body, std::string_view signature) {
  if (auto s = InitSodium(); !s.ok()) return s;
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Ed25519 public key must be 32 bytes, got ", public_key.size()));
  }
  if (signature.size() != crypto_sign_BYTES) {
    return absl::UnauthenticatedError(
        absl::StrCat("signature must be 64 bytes, got ", signature.size()));
  }
  const std::string message = Pae(type, body);
  if (crypto_sign_verify_detached(U(signature), U(message), message.size(),
                                  U(public_key)) != 0) {
    return absl::UnauthenticatedError(
        absl::StrCat("signature does not verify for key ", KeyIdOf(public_key),
                     " over ", std::string(type)));
  }
  return absl::OkStatus();
}

}  // namespace accord::crypto
