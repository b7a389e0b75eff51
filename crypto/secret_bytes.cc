#include "crypto/secret_bytes.h"

#include <sodium.h>

#include <utility>

namespace accord::crypto {

SecretBytes::SecretBytes(std::size_t size) : bytes_(size, '\0') {}
SecretBytes::SecretBytes(std::string_view bytes) : bytes_(bytes) {}
SecretBytes::~SecretBytes() { Wipe(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.Wipe();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = std::move(other.bytes_);
    other.Wipe();
  }
  return *this;
}

void SecretBytes::Wipe() {
  if (!bytes_.empty()) sodium_memzero(bytes_.data(), bytes_.size());
  bytes_.clear();
}

}  // namespace accord::crypto
