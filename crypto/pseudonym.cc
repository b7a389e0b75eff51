#include "crypto/pseudonym.h"

#include <sodium.h>

#include <cstdint>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "crypto/hash.h"

namespace accord::crypto {
namespace {

// Decodes one UTF-8 code point at s[*i], advancing *i; nullopt if invalid.
std::optional<char32_t> DecodeUtf8(std::string_view s, std::size_t* i) {
  const auto b0 = static_cast<unsigned char>(s[*i]);
  int len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xe ? 3 : (b0 >> 3) == 0x1e ? 4 : 0;
  if (len == 0 || *i + static_cast<std::size_t>(len) > s.size()) return std::nullopt;
  char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1f) : len == 3 ? (b0 & 0x0f) : (b0 & 0x07);
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[*i + static_cast<std::size_t>(k)]);
    if ((b & 0xc0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3f);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  *i += static_cast<std::size_t>(len);
  return cp;
}

void EncodeUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

char32_t ToLower(char32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7) return cp + 32;  // Latin-1 Supplement
  if (cp >= 0x100 && cp <= 0x137 && cp % 2 == 0) return cp + 1;  // Latin Extended-A
  if (cp >= 0x139 && cp <= 0x148 && cp % 2 == 1) return cp + 1;
  if (cp >= 0x14a && cp <= 0x177 && cp % 2 == 0) return cp + 1;
  if (cp == 0x178) return 0xff;
  if (cp >= 0x179 && cp <= 0x17e && cp % 2 == 1) return cp + 1;
  return cp;
}

bool IsSpace(char32_t cp) {
  return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || cp == 0x85 || cp == 0xa0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

absl::StatusOr<std::string> NormaliseName(std::string_view what, std::string_view name) {
  std::u32string cps;
  for (std::size_t i = 0; i < name.size();) {
    std::optional<char32_t> cp = DecodeUtf8(name, &i);
    if (!cp) return absl::InvalidArgumentError(absl::StrCat(std::string(what), " is not valid UTF-8"));
    cps.push_back(*cp);
  }
  std::size_t begin = 0, end = cps.size();
  while (begin < end && IsSpace(cps[begin])) ++begin;
  while (end > begin && IsSpace(cps[end - 1])) --end;
  if (begin == end) return absl::InvalidArgumentError(absl::StrCat(std::string(what), " is empty"));
  std::string out;
  for (std::size_t k = begin; k < end; ++k) {
    const char32_t cp = cps[k];
    if (cp == '|') {
      return absl::InvalidArgumentError(absl::StrCat(std::string(what), " contains '|'"));
    }
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(what), " contains a control character"));
    }
    if (cp >= 0x300 && cp <= 0x36f) {
      return absl::InvalidArgumentError(absl::StrCat(
          std::string(what), " contains a combining accent: give it in composed (NFC) form"));
    }
    EncodeUtf8(ToLower(cp), &out);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> NormaliseIdentity(std::string_view family, std::string_view given,
                                              std::string_view dob) {
  absl::StatusOr<std::string> f = NormaliseName("family name", family);
  if (!f.ok()) return f.status();
  absl::StatusOr<std::string> g = NormaliseName("given name", given);
  if (!g.ok()) return g.status();
  absl::CivilDay day;
  const std::string dob_text(dob);
  if (dob.size() != 10 || !absl::ParseCivilTime(dob_text, &day) ||
      absl::FormatCivilTime(day) != dob_text) {
    return absl::InvalidArgumentError(
        absl::StrCat("date of birth '", dob_text, "' is not a real date in YYYY-MM-DD form"));
  }
  return absl::StrCat(*f, "|", *g, "|", dob_text);
}

absl::StatusOr<std::string> SubjectPseudonym(const SecretBytes& linkage_key,
                                             std::string_view family, std::string_view given,
                                             std::string_view dob) {
  if (auto s = InitSodium(); !s.ok()) return s;
  if (linkage_key.size() != kLinkageKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("linkage key must be 32 bytes, got ", linkage_key.size()));
  }
  absl::StatusOr<std::string> normalised = NormaliseIdentity(family, given, dob);
  if (!normalised.ok()) return normalised.status();
  unsigned char out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(normalised->data()),
                     normalised->size(), linkage_key.data(), linkage_key.size());
  return Hex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

SecretBytes GenerateLinkageKey() {
  (void)InitSodium();
  SecretBytes key(kLinkageKeyBytes);
  randombytes_buf(key.data(), key.size());
  return key;
}

}  // namespace accord::crypto
