#include "agents/adapters/dash.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace accord::agents {

const std::vector<std::string>& DashQuestionIds() {
  static const std::vector<std::string> kIds = {"q01_injury",
                                                "q02_very_frightened",
                                                "q03_afraid_of_further_harm",
                                                "q04_isolated",
                                                "q05_depressed_or_suicidal",
                                                "q06_separation",
                                                "q07_child_contact_conflict",
                                                "q08_stalking_or_harassment",
                                                "q09_pregnancy_or_new_baby",
                                                "q10_other_children_or_dependants",
                                                "q11_hurt_children_or_dependants",
                                                "q12_threatened_children_or_dependants",
                                                "q13_abuse_more_often",
                                                "q14_abuse_getting_worse",
                                                "q15_controlling_or_jealous",
                                                "q16_weapons",
                                                "q17_threats_to_kill",
                                                "q18_strangulation",
                                                "q19_sexual_abuse",
                                                "q20_other_person_threatened",
                                                "q21_hurt_anyone_else",
                                                "q22_animal_abuse",
                                                "q23_financial_issues",
                                                "q24_drugs_alcohol_mental_health",
                                                "q25_suicide_threats",
                                                "q26_breached_bail_or_orders",
                                                "q27_criminal_history"};
  return kIds;
}

namespace {

// Question number (1-based) -> the header flag a yes implies.
std::optional<v1::Flag> FlagFor(int question) {
  switch (question) {
    case 6:
      return v1::FLAG_SEPARATION;
    case 8:
      return v1::FLAG_STALKING;
    case 9:
      return v1::FLAG_PREGNANCY;
    case 13:
    case 14:
      return v1::FLAG_ESCALATION;
    case 16:
      return v1::FLAG_WEAPONS;
    case 18:
      return v1::FLAG_STRANGULATION;
    default:
      return std::nullopt;
  }
}

}  // namespace

std::optional<Dash> ReadDash(FieldReader& r, Need need) {
  const bool any = r.Has("dash_answers") || r.Has("dash_score");
  if (!any && need == Need::kOptional) return std::nullopt;
  const std::string answers = absl::AsciiStrToUpper(r.Text("dash_answers", Need::kRequired));
  const std::optional<int> score = r.Int("dash_score", 0, kDashQuestions, Need::kRequired);
  if (answers.empty()) return std::nullopt;
  if (answers.size() != static_cast<std::size_t>(kDashQuestions) ||
      answers.find_first_not_of("YNU") != std::string::npos) {
    r.Fail(absl::StrCat("dash_answers '", r.Text("dash_answers"), "' is not ", kDashQuestions,
                        " characters of Y, N or U"));
    return std::nullopt;
  }
  Dash dash;
  const std::vector<std::string>& ids = DashQuestionIds();
  for (int q = 0; q < kDashQuestions; ++q) {
    const char a = answers[static_cast<std::size_t>(q)];
    if (a == 'U') continue;
    const std::string& id = ids[static_cast<std::size_t>(q)];
    dash.answers[id] = a == 'Y';
    if (a != 'Y') continue;
    ++dash.score;
    dash.factors.push_back(id.substr(4));
    if (std::optional<v1::Flag> f = FlagFor(q + 1)) {
      bool seen = false;
      for (v1::Flag g : dash.flags) seen |= g == *f;
      if (!seen) dash.flags.push_back(*f);
    }
  }
  if (!score) return std::nullopt;
  if (*score != dash.score) {
    r.Fail(absl::StrCat("dash_score ", *score, " does not match dash_answers, which have ", dash.score,
                        " yes answers"));
    return std::nullopt;
  }
  return dash;
}

void CheckDashLevel(FieldReader& r, const Dash& dash, v1::RiskLevel level) {
  if (dash.score >= kDashHighRiskThreshold && level < v1::RISK_LEVEL_HIGH) {
    r.Fail(absl::StrCat("risk_level '", r.Text("risk_level"), "' is below high although DASH score ",
                        dash.score, " meets the high-risk threshold (", kDashHighRiskThreshold, "+)"));
  }
}

}  // namespace accord::agents
