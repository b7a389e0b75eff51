// Subject pseudonyms (DESIGN.md §4): keyed BLAKE2b-256 over the normalised
// "family|given|YYYY-MM-DD", with the partnership linkage key that agencies
// hold and the broker does not. Same person, same pseudonym, in every agency.
#ifndef ACCORD_CRYPTO_PSEUDONYM_H_
#define ACCORD_CRYPTO_PSEUDONYM_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"

namespace accord::crypto {

inline constexpr std::size_t kLinkageKeyBytes = 32;

// docs/protocol.md §4, exactly: each name is trimmed of White_Space at both
// ends, its inner space separators become U+0020, and it is put through
// NFC(full case fold(NFD(name))), Unicode's canonical caseless form. Refuses
// invalid UTF-8, '|', control and invisible format characters, and code
// points unassigned in ICU's Unicode version. `dob`: a real date YYYY-MM-DD.
absl::StatusOr<std::string> NormaliseIdentity(std::string_view family, std::string_view given,
                                              std::string_view dob);

// Lowercase hex of BLAKE2b-256(key = linkage key, NormaliseIdentity(...)).
absl::StatusOr<std::string> SubjectPseudonym(const SecretBytes& linkage_key,
                                             std::string_view family, std::string_view given,
                                             std::string_view dob);

// The Unicode version normalisation uses ("15.0" with Debian 12's ICU 72).
std::string PseudonymUnicodeVersion();

SecretBytes GenerateLinkageKey();

}  // namespace accord::crypto

#endif  // ACCORD_CRYPTO_PSEUDONYM_H_
