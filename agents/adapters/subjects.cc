#include "agents/adapters/subjects.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "crypto/pseudonym.h"

namespace accord::agents {
namespace {

std::optional<Subject> Pseudonymise(FieldReader& r, const crypto::SecretBytes& key, const std::string& what,
                                    const std::string& family, const std::string& given,
                                    const std::string& dob) {
  absl::StatusOr<std::string> ref = crypto::SubjectPseudonym(key, family, given, dob);
  if (!ref.ok()) {
    r.Fail(absl::StrCat(what, ": ", ref.status().message()));
    return std::nullopt;
  }
  absl::CivilDay day;
  absl::ParseCivilTime(dob, &day);  // already checked by SubjectPseudonym
  return Subject{*std::move(ref), day};
}

}  // namespace

std::optional<Subject> ReadSubject(FieldReader& r, const crypto::SecretBytes& linkage_key,
                                   const std::string& prefix, Need need) {
  const std::string family_col = prefix + "_family_name";
  const std::string given_col = prefix + "_given_name";
  const std::string dob_col = prefix + "_dob";
  const bool any = r.Has(family_col) || r.Has(given_col) || r.Has(dob_col);
  if (!any && need == Need::kOptional) return std::nullopt;
  const std::string family = r.Text(family_col, Need::kRequired);
  const std::string given = r.Text(given_col, Need::kRequired);
  const std::optional<absl::CivilDay> dob = r.Date(dob_col, Need::kRequired);
  if (family.empty() || given.empty() || !dob) return std::nullopt;
  return Pseudonymise(r, linkage_key, prefix, family, given, absl::FormatCivilTime(*dob));
}

std::vector<Subject> ReadSubjectList(FieldReader& r, const crypto::SecretBytes& linkage_key,
                                     const std::string& column) {
  std::vector<Subject> out;
  for (const std::string& entry : r.List(column)) {
    std::vector<std::string> parts = absl::StrSplit(entry, '|');
    if (parts.size() != 3) {
      r.Fail(absl::StrCat(column, " entry '", entry, "' is not family|given|YYYY-MM-DD"));
      continue;
    }
    for (std::string& p : parts) p = std::string(absl::StripAsciiWhitespace(p));
    absl::CivilDay day;
    if (parts[2].size() != 10 || !absl::ParseCivilTime(parts[2], &day) ||
        absl::FormatCivilTime(day) != parts[2]) {
      r.Fail(absl::StrCat(column, " entry '", entry, "': date of birth is not a real date YYYY-MM-DD"));
      continue;
    }
    std::optional<Subject> s = Pseudonymise(r, linkage_key, absl::StrCat(column, " entry '", entry, "'"),
                                            parts[0], parts[1], parts[2]);
    if (s) out.push_back(*std::move(s));
  }
  return out;
}

int AgeOn(absl::CivilDay dob, absl::Time at) {
  const absl::CivilDay today = absl::ToCivilDay(at, absl::UTCTimeZone());
  int age = static_cast<int>(today.year() - dob.year());
  if (today.month() < dob.month() || (today.month() == dob.month() && today.day() < dob.day())) --age;
  return age;
}

void CheckBornBefore(FieldReader& r, const std::optional<Subject>& who, const std::string& what,
                     std::optional<absl::Time> at) {
  if (!who || !at) return;
  if (absl::FromCivil(who->dob, absl::UTCTimeZone()) > *at) {
    r.Fail(absl::StrCat(what, " date of birth ", absl::FormatCivilTime(who->dob), " is after occurred_at"));
  }
}

}  // namespace accord::agents
