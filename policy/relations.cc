// Evaluator::MayDeclareRelation, ScopeOf, RelationsEndedBy, RelationsImpliedBy
// (docs/policy.md §Relations).
#include "absl/strings/str_cat.h"
#include "policy/evaluator.h"
#include "policy/names.h"

namespace accord::policy {

RelationDecision Evaluator::MayDeclareRelation(const v1::EventHeader& h, const v1::CaseRelation& r) const {
  const Policy& p = *policy_;
  const char* verb = r.ended() ? "end" : "declare";
  const char* past = r.ended() ? "ended" : "declared";
  if (!p.relations().present) {
    return {false, kDefaultDeny,
            absl::StrCat("the policy has no relations section: no agency may ", verb, " relation '", r.relation(), "'")};
  }
  const RelationSpec* spec = p.relations().Find(r.relation());
  if (spec == nullptr) {
    return {false, kDefaultDeny,
            absl::StrCat("relation '", r.relation(), "' is not in the policy's relations section: nobody may ", verb,
                         " it")};
  }
  const int sender = p.AgencyIndex(h.sender());
  if (sender < 0) return {false, spec->id, absl::StrCat("sender '", h.sender(), "' is not in the policy")};
  if ((spec->declarers & Bit(sender)) == 0 && (spec->declaring_events & Bit(static_cast<int>(h.kind()))) == 0) {
    return {false, spec->id,
            absl::StrCat("relation '", spec->name, "' may be ", past, " only by ", spec->declarers_text, "; '",
                         h.sender(), "' ", past, " it on a ", NameOf(h.kind()))};
  }
  if (p.AgencyIndex(r.agency()) < 0) {
    return {false, spec->id, absl::StrCat("relation '", spec->name, "' names agency '", r.agency(),
                                          "', which is not in the policy")};
  }
  if (spec->self && r.agency() != h.sender()) {
    return {false, spec->id,
            absl::StrCat("relation '", spec->name, "' must name the agency that ", verb, "s it: '", h.sender(),
                         "' named '", r.agency(), "'")};
  }
  // Ending needs no perpetrator in the event: the broker ends it for the
  // case's own perpetrators.
  if (spec->scope == RelationScope::kPerpetrator && !r.ended()) {
    bool perpetrator = false;
    for (const v1::SubjectRef& s : h.subjects()) perpetrator |= s.role() == v1::SUBJECT_ROLE_PERPETRATOR;
    if (!perpetrator) {
      return {false, spec->id,
              absl::StrCat("relation '", spec->name,
                           "' belongs to the perpetrator, but the event names no perpetrator subject")};
    }
  }
  return {true, spec->id,
          absl::StrCat(h.sender(), " may ", verb, " relation '", spec->name, "' (", spec->declarers_text, ")")};
}

RelationScope Evaluator::ScopeOf(const std::string& relation) const {
  const RelationSpec* spec = policy_->relations().Find(relation);
  return spec == nullptr ? RelationScope::kCase : spec->scope;
}

std::vector<v1::CaseRelation> Evaluator::RelationsEndedBy(const v1::EventHeader& h) const {
  std::vector<v1::CaseRelation> out;
  if (policy_->AgencyIndex(h.sender()) < 0) return out;
  const Mask kind = Bit(static_cast<int>(h.kind()));
  for (const RelationSpec& spec : policy_->relations().specs) {
    if ((spec.ends_on & kind) == 0) continue;
    v1::CaseRelation& r = out.emplace_back();
    r.set_relation(spec.name);
    r.set_agency(h.sender());
    r.set_ended(true);
  }
  return out;
}

std::vector<v1::CaseRelation> Evaluator::RelationsImpliedBy(const v1::EventHeader& h) const {
  std::vector<v1::CaseRelation> out;
  const Mask kind = Bit(static_cast<int>(h.kind()));
  for (const RelationSpec& spec : policy_->relations().specs) {
    if ((spec.implied_by & kind) == 0) continue;
    v1::CaseRelation r;
    r.set_relation(spec.name);
    r.set_agency(h.sender());
    if (MayDeclareRelation(h, r).allowed) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace accord::policy
