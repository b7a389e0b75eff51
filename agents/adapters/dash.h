// The DASH risk identification checklist (SafeLives / ACPO DASH 2009, police
// version, 27 questions) as exported: `dash_answers`, one character per
// question in order (Y yes, N no, U not known or not answered), and
// `dash_score`, the number of Y. 14 or more Y is "visible high risk".
#ifndef ACCORD_AGENTS_ADAPTERS_DASH_H_
#define ACCORD_AGENTS_ADAPTERS_DASH_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "accord/v1/envelope.pb.h"
#include "agents/adapters/row.h"

namespace accord::agents {

inline constexpr int kDashQuestions = 27;
inline constexpr int kDashHighRiskThreshold = 14;

struct Dash {
  int score = 0;                        // number of yes answers
  std::map<std::string, bool> answers;  // "q18_strangulation" -> yes; U left out
  std::vector<std::string> factors;     // yes answers, e.g. "strangulation"
  std::vector<v1::Flag> flags;          // header flags the answers imply
};

// The question ids, "q01_injury" ... "q27_criminal_history", in order.
const std::vector<std::string>& DashQuestionIds();

// Reads dash_answers and dash_score; both required when `need` is required,
// both or neither otherwise. The score must equal the number of Y answers.
std::optional<Dash> ReadDash(FieldReader& r, Need need);

// Records an error when `level` is below high although the score meets the
// high-risk threshold (the export would otherwise under-share a high-risk case).
void CheckDashLevel(FieldReader& r, const Dash& dash, v1::RiskLevel level);

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_ADAPTERS_DASH_H_
