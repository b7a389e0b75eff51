// UTF-8 as Accord reads every text it hashes, seals or stores: RFC 3629
// (no overlong forms, no surrogates, nothing above U+10FFFF). Invalid input
// is refused, never repaired, so that no two readers can see different text.
#ifndef ACCORD_CRYPTO_UTF8_H_
#define ACCORD_CRYPTO_UTF8_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace accord::crypto {

// Byte offset of the first ill-formed sequence; nullopt when `text` is valid.
std::optional<std::size_t> FindInvalidUtf8(std::string_view text);

// OK, or InvalidArgument "<what> is not valid UTF-8 (byte 0xff at offset 3)".
absl::Status CheckUtf8(std::string_view text, std::string_view what);

// The code points of `text`; the CheckUtf8 error when it is not valid UTF-8.
absl::StatusOr<std::u32string> DecodeUtf8(std::string_view text, std::string_view what);

}  // namespace accord::crypto

#endif  // ACCORD_CRYPTO_UTF8_H_
