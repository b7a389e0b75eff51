#include "policy/special_category.h"

#include "absl/strings/str_join.h"

namespace accord::policy {

const std::vector<SpecialCategoryCondition>& SpecialCategoryConditions() {
  static const auto* kConditions = new std::vector<SpecialCategoryCondition>{
      {"explicit_consent", "UK GDPR Art. 9(2)(a)", "the explicit consent of the person the data is about"},
      {"employment_social_security_social_protection", "UK GDPR Art. 9(2)(b); DPA 2018 Sch. 1 para 1",
       "obligations and rights in employment, social security and social protection law"},
      {"vital_interests", "UK GDPR Art. 9(2)(c)",
       "the vital interests of a person who is physically or legally incapable of giving consent"},
      {"legal_claims", "UK GDPR Art. 9(2)(f)", "the establishment, exercise or defence of legal claims"},
      {"statutory_purposes", "UK GDPR Art. 9(2)(g); DPA 2018 Sch. 1 para 6",
       "a function conferred by an enactment (statutory and government purposes)"},
      {"preventing_or_detecting_unlawful_acts", "UK GDPR Art. 9(2)(g); DPA 2018 Sch. 1 para 10",
       "preventing or detecting unlawful acts"},
      {"counselling_advice_or_support", "UK GDPR Art. 9(2)(g); DPA 2018 Sch. 1 para 17",
       "confidential counselling, advice or support"},
      {"safeguarding_of_children_and_individuals_at_risk", "UK GDPR Art. 9(2)(g); DPA 2018 Sch. 1 para 18",
       "safeguarding of children and of individuals at risk, where consent cannot be given, cannot reasonably be "
       "obtained, or would prejudice the protection"},
      {"health_or_social_care", "UK GDPR Art. 9(2)(h); DPA 2018 Sch. 1 para 2",
       "health or social care purposes, by or under the responsibility of a professional owing a duty of "
       "confidentiality"},
      {"public_health", "UK GDPR Art. 9(2)(i); DPA 2018 Sch. 1 para 3", "public health"},
  };
  return *kConditions;
}

const SpecialCategoryCondition* FindSpecialCategoryCondition(std::string_view id) {
  for (const SpecialCategoryCondition& c : SpecialCategoryConditions()) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

std::string SpecialCategoryConditionIds() {
  std::vector<std::string> ids;
  for (const SpecialCategoryCondition& c : SpecialCategoryConditions()) ids.push_back(c.id);
  return absl::StrJoin(ids, ", ");
}

}  // namespace accord::policy
