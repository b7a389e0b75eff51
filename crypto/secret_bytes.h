// Secret material that is wiped (sodium_memzero) when it goes out of scope.
// Move-only so that a secret has exactly one owner.
#ifndef ACCORD_CRYPTO_SECRET_BYTES_H_
#define ACCORD_CRYPTO_SECRET_BYTES_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace accord::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size);
  explicit SecretBytes(std::string_view bytes);
  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  unsigned char* data() { return reinterpret_cast<unsigned char*>(bytes_.data()); }
  const unsigned char* data() const {
    return reinterpret_cast<const unsigned char*>(bytes_.data());
  }
  std::size_t size() const { return bytes_.size(); }
  std::string_view view() const { return bytes_; }

 private:
  void Wipe();
  std::string bytes_;
};

}  // namespace accord::crypto

#endif  // ACCORD_CRYPTO_SECRET_BYTES_H_
