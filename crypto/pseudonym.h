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

// Trims Unicode white space at both ends, lower-cases (ASCII, Latin-1
// Supplement, Latin Extended-A), and rejects invalid UTF-8, '|' and control
// characters, and decomposed accents (input must already be NFC; see
// docs/protocol.md). `dob` must be a real calendar date YYYY-MM-DD.
absl::StatusOr<std::string> NormaliseIdentity(std::string_view family, std::string_view given,
                                              std::string_view dob);

// Lowercase hex of BLAKE2b-256(key = linkage key, NormaliseIdentity(...)).
absl::StatusOr<std::string> SubjectPseudonym(const SecretBytes& linkage_key,
                                             std::string_view family, std::string_view given,
                                             std::string_view dob);

SecretBytes GenerateLinkageKey();

}  // namespace accord::crypto

#endif  // ACCORD_CRYPTO_PSEUDONYM_H_
