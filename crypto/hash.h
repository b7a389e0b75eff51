// Hashing and encoding helpers shared by every module (SHA-256 via libsodium).
#ifndef ACCORD_CRYPTO_HASH_H_
#define ACCORD_CRYPTO_HASH_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace accord::crypto {

// Ensures libsodium is initialised; safe to call from any thread, any number of times.
absl::Status InitSodium();

// 32-byte SHA-256 digest.
std::string Sha256(std::string_view data);

// Lowercase hex, and its inverse (rejects odd length and non-hex characters).
std::string Hex(std::string_view bytes);
absl::StatusOr<std::string> Unhex(std::string_view hex);

// Key id: lowercase hex of the first 8 bytes of SHA-256(public_key).
std::string KeyIdOf(std::string_view public_key);

}  // namespace accord::crypto

#endif  // ACCORD_CRYPTO_HASH_H_
