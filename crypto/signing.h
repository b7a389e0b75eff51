// Ed25519 signatures over DSSE pre-authentication encoding (DESIGN.md §4):
// every signature in Accord binds a payload type, so a signed directory entry
// can never be replayed as an event header or a tree head.
#ifndef ACCORD_CRYPTO_SIGNING_H_
#define ACCORD_CRYPTO_SIGNING_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"

namespace accord::crypto {

// Payload types signed in Accord.
inline constexpr std::string_view kEventHeaderType =
    "application/vnd.accord.event-header+protobuf";
inline constexpr std::string_view kDirectoryEntryType =
    "application/vnd.accord.directory-entry+protobuf";
inline constexpr std::string_view kTreeHeadType =
    "application/vnd.accord.tree-head+protobuf";
inline constexpr std::string_view kReceiptType =
    "application/vnd.accord.receipt+protobuf";
inline constexpr std::string_view kBrokerNoticeType =
    "application/vnd.accord.broker-notice+protobuf";

// PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body.
std::string Pae(std::string_view type, std::string_view body);

// An Ed25519 key pair. The secret half never leaves this object except through
// Seed() for writing the owner's key file.
class SigningKey {
 public:
  static absl::StatusOr<SigningKey> Generate();
  // From a 32-byte seed (key files, test vectors).
  static absl::StatusOr<SigningKey> FromSeed(std::string_view seed);

  const std::string& public_key() const { return public_key_; }
  const std::string& key_id() const { return key_id_; }
  SecretBytes Seed() const;

  // 64-byte signature over PAE(type, body).
  std::string Sign(std::string_view type, std::string_view body) const;

 private:
  SigningKey() = default;
  SecretBytes secret_;  // 64-byte libsodium secret key (seed || public key)
  std::string public_key_;
  std::string key_id_;
};

// OK only if `signature` is a valid Ed25519 signature by `public_key` over
// PAE(type, body). UNAUTHENTICATED otherwise; INVALID_ARGUMENT for bad sizes.
absl::Status VerifySignature(std::string_view public_key, std::string_view type,
                             std::string_view body, std::string_view signature);

}  // namespace accord::crypto

#endif  // ACCORD_CRYPTO_SIGNING_H_
