// Evaluator::MayRecordConsent and MayReadConsent (docs/policy.md §Consent
// authority).
#include <optional>

#include "absl/strings/str_cat.h"
#include "policy/evaluator.h"
#include "policy/names.h"

namespace accord::policy {
namespace {

ConsentAuthorityDecision DecideConsentAuthority(const Policy& p, ConsentAction action, const std::string& agency,
                                                const std::string& purpose, v1::SubjectRole role) {
  const bool record = action == ConsentAction::kRecord;
  const std::string verb = record ? "record" : "read";
  const ConsentAuthority& authority = p.consent_authority();
  if (!authority.present) {
    return {false, kDefaultDeny,
            absl::StrCat("the policy has no consent_authority section: no agency may ", verb, " consent")};
  }
  const int a = p.AgencyIndex(agency);
  if (a < 0) return {false, kDefaultDeny, absl::StrCat("agency '", agency, "' is not in the policy")};
  const int r = static_cast<int>(role);
  const Mask role_bit = (r >= 0 && r < 64) ? Bit(r) : 0;
  auto covers = [&](const ConsentAuthorityRule& e) {
    return e.action == action && (e.agencies & Bit(a)) != 0 && (e.purposes.empty() || e.purposes.count(purpose)) &&
           (!record || e.subject_roles == 0 || (e.subject_roles & role_bit) != 0);
  };
  const std::string whose = role_bit == 0 || role == v1::SUBJECT_ROLE_UNSPECIFIED
                                ? std::string("a subject of no known role")
                                : absl::StrCat("the ", NameOf(role));
  const std::string what = record ? absl::StrCat(verb, " consent for ", purpose, " of ", whose)
                                  : absl::StrCat(verb, " consent state for ", purpose);
  for (const ConsentAuthorityRule& e : authority.rules) {
    if (e.effect == Effect::kForbid && covers(e)) {
      return {false, e.id,
              absl::StrCat(agency, " may not ", what, e.description.empty() ? "" : ": ", e.description)};
    }
  }
  for (const ConsentAuthorityRule& e : authority.rules) {
    if (e.effect == Effect::kPermit && covers(e)) return {true, e.id, e.description};
  }
  return {false, kDefaultDeny, absl::StrCat("no consent_authority entry lets ", agency, " ", what)};
}

}  // namespace

ConsentAuthorityDecision Evaluator::MayRecordConsent(const std::string& agency, const std::string& purpose,
                                                     v1::SubjectRole role) const {
  return DecideConsentAuthority(*policy_, ConsentAction::kRecord, agency, purpose, role);
}

ConsentAuthorityDecision Evaluator::MayRecordConsent(const v1::EventHeader& header) const {
  const v1::ConsentStatement& cs = header.consent_statement();
  std::optional<ConsentAuthorityDecision> allowed;
  for (const v1::SubjectRef& s : header.subjects()) {
    if (s.ref() != cs.subject_ref()) continue;
    ConsentAuthorityDecision d = MayRecordConsent(header.sender(), cs.purpose(), s.role());
    if (!d.allowed) return d;
    if (!allowed) allowed = std::move(d);
  }
  if (allowed) return *std::move(allowed);
  return {false, kDefaultDeny, "the consent statement's subject is not one of the event's subjects"};
}

ConsentAuthorityDecision Evaluator::MayReadConsent(const std::string& agency, const std::string& purpose) const {
  return DecideConsentAuthority(*policy_, ConsentAction::kRead, agency, purpose, v1::SUBJECT_ROLE_UNSPECIFIED);
}

}  // namespace accord::policy
