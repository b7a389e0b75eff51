#include "crypto/utf8.h"

#include "absl/strings/str_format.h"

namespace accord::crypto {
namespace {

// Decodes the sequence at text[*i] and advances *i; nullopt if ill-formed.
std::optional<char32_t> Next(std::string_view text, std::size_t* i) {
  const auto b0 = static_cast<unsigned char>(text[*i]);
  const int len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xe ? 3 : (b0 >> 3) == 0x1e ? 4 : 0;
  if (len == 0 || *i + static_cast<std::size_t>(len) > text.size()) return std::nullopt;
  char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1fu) : len == 3 ? (b0 & 0x0fu) : (b0 & 0x07u);
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[*i + static_cast<std::size_t>(k)]);
    if ((b & 0xc0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3fu);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  *i += static_cast<std::size_t>(len);
  return cp;
}

absl::Status Invalid(std::string_view text, std::size_t at, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrFormat("%s is not valid UTF-8 (byte 0x%02x at offset %d)", what,
                                                    static_cast<unsigned char>(text[at]), at));
}

}  // namespace

std::optional<std::size_t> FindInvalidUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t at = i;
    if (!Next(text, &i)) return at;
  }
  return std::nullopt;
}

absl::Status CheckUtf8(std::string_view text, std::string_view what) {
  const std::optional<std::size_t> bad = FindInvalidUtf8(text);
  return bad ? Invalid(text, *bad, what) : absl::OkStatus();
}

absl::StatusOr<std::u32string> DecodeUtf8(std::string_view text, std::string_view what) {
  std::u32string out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t at = i;
    const std::optional<char32_t> cp = Next(text, &i);
    if (!cp) return Invalid(text, at, what);
    out.push_back(*cp);
  }
  return out;
}

}  // namespace accord::crypto
