// The people a row is about, read from name and date-of-birth columns and
// turned into partnership pseudonyms on the spot (crypto::SubjectPseudonym).
// Only the pseudonym and the date of birth (for ages) are kept; names are
// dropped as soon as they are hashed.
#ifndef ACCORD_AGENTS_ADAPTERS_SUBJECTS_H_
#define ACCORD_AGENTS_ADAPTERS_SUBJECTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "agents/adapters/row.h"
#include "crypto/secret_bytes.h"

namespace accord::agents {

struct Subject {
  std::string ref;  // 64 hex: the pseudonym
  absl::CivilDay dob;
};

// Reads <prefix>_family_name, <prefix>_given_name and <prefix>_dob. A person
// half given (some of the three columns empty) is an error even when
// optional; nullopt when absent or in error.
std::optional<Subject> ReadSubject(FieldReader& r, const crypto::SecretBytes& linkage_key,
                                   const std::string& prefix, Need need);

// Reads a list column of "family|given|YYYY-MM-DD" entries separated by ';'
// (e.g. "Price|Ffion|2015-09-03;Price|Osian|2019-01-28").
std::vector<Subject> ReadSubjectList(FieldReader& r, const crypto::SecretBytes& linkage_key,
                                     const std::string& column);

// Whole years of age on `at` (UTC date).
int AgeOn(absl::CivilDay dob, absl::Time at);

// Records an error if `who` was born after `at`.
void CheckBornBefore(FieldReader& r, const std::optional<Subject>& who, const std::string& what,
                     std::optional<absl::Time> at);

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_ADAPTERS_SUBJECTS_H_
