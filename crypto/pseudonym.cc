#include "crypto/pseudonym.h"

#include <sodium.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "crypto/hash.h"
#include "crypto/utf8.h"

namespace accord::crypto {
namespace {

// The White_Space property (PropList.txt): trimmed at both ends of a name.
bool IsWhiteSpace(char32_t cp) {
  return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
         cp == 0x205f || cp == 0x3000;
}

std::string CodePoint(char32_t cp) { return absl::StrFormat("U+%04X", static_cast<uint32_t>(cp)); }

// Why `cp` may not appear in a name (after trimming), or "" if it may.
std::string Refusal(char32_t cp) {
  if (cp == '|') return "contains '|', the separator of the hashed form";
  const auto c = static_cast<UChar32>(cp);
  switch (u_charType(c)) {
    case U_CONTROL_CHAR:
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
      return absl::StrCat("contains a control character or line break (", CodePoint(cp), ")");
    case U_FORMAT_CHAR:
      // Zero-width (non-)joiners shape some scripts' spelling; every other
      // format character is invisible and would silently split a person.
      if (cp == 0x200c || cp == 0x200d) return "";
      return absl::StrCat("contains ", CodePoint(cp), ", an invisible format character: remove it");
    case U_UNASSIGNED:
      return absl::StrCat("contains ", CodePoint(cp), ", which is not a character in Unicode ",
                          PseudonymUnicodeVersion());
    default:
      return "";
  }
}

absl::Status IcuError(UErrorCode code) {
  return absl::InternalError(absl::StrCat("Unicode normalisation failed: ICU error ", u_errorName(code)));
}

absl::StatusOr<std::string> NormaliseName(const std::string& what, std::string_view name) {
  absl::StatusOr<std::u32string> cps = DecodeUtf8(name, what);
  if (!cps.ok()) return cps.status();
  std::size_t begin = 0, end = cps->size();
  while (begin < end && IsWhiteSpace((*cps)[begin])) ++begin;
  while (end > begin && IsWhiteSpace((*cps)[end - 1])) --end;
  if (begin == end) return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  icu::UnicodeString text;
  for (std::size_t k = begin; k < end; ++k) {
    const char32_t cp = (*cps)[k];
    if (std::string why = Refusal(cp); !why.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(what, " ", why));
    }
    const bool space = u_charType(static_cast<UChar32>(cp)) == U_SPACE_SEPARATOR;
    text.append(static_cast<UChar32>(space ? U' ' : cp));
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return IcuError(status);
  icu::UnicodeString folded = nfd->normalize(text, status);
  if (U_FAILURE(status)) return IcuError(status);
  folded.foldCase(U_FOLD_CASE_DEFAULT);
  const icu::UnicodeString composed = nfc->normalize(folded, status);
  if (U_FAILURE(status)) return IcuError(status);
  std::string out;
  composed.toUTF8String(out);
  return out;
}

}  // namespace

std::string PseudonymUnicodeVersion() {
  UVersionInfo v;
  u_getUnicodeVersion(v);
  return absl::StrCat(v[0], ".", v[1]);
}

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
