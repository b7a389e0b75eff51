// The conditions under which special-category data (UK GDPR Article 9: health,
// ethnicity, sexuality, ...) may be shared, as a fixed list a policy names
// them from (docs/policy.md §Special category). Each is an Article 9(2)
// condition and, where Article 9(2)(b), (g), (h), (i) or (j) needs one, the
// Data Protection Act 2018 Schedule 1 condition that completes it.
#ifndef ACCORD_POLICY_SPECIAL_CATEGORY_H_
#define ACCORD_POLICY_SPECIAL_CATEGORY_H_

#include <string>
#include <string_view>
#include <vector>

namespace accord::policy {

struct SpecialCategoryCondition {
  std::string id;             // as written in a rule: "safeguarding_of_children_and_individuals_at_risk"
  std::string citation;       // "UK GDPR Art. 9(2)(g); DPA 2018 Sch. 1 para 18"
  std::string text;           // "safeguarding of children and of individuals at risk"
};

const std::vector<SpecialCategoryCondition>& SpecialCategoryConditions();
// nullptr for an id not in the list.
const SpecialCategoryCondition* FindSpecialCategoryCondition(std::string_view id);
// "explicit_consent, vital_interests, ..." for messages.
std::string SpecialCategoryConditionIds();

}  // namespace accord::policy

#endif  // ACCORD_POLICY_SPECIAL_CATEGORY_H_
