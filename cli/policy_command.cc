// accord policy check|explain|test: the policy as a tool for practitioners.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "policy/ask.h"
#include "policy/explain.h"
#include "policy/lint.h"
#include "policy/loader.h"
#include "policy/scenario.h"

namespace accord::cli {
namespace {

constexpr char kUsage[] =
    "usage: accord policy <command> ...\n\n"
    "  check FILE                           validate a policy; lint warnings\n"
    "  explain FILE --event EVENT.yaml      who receives which sections of an event, and why\n"
    "          [--consent SUBJECT:PURPOSE=STATE ...]\n"
    "  explain FILE --consent-authority     who may record and read consent\n"
    "  test FILE CASES.yaml                 run table-driven cases; non-zero exit on failure\n"
    "  ask --from A --to B --section S --kind K [--about ROLE] [--risk LEVEL] [--policy FILE]\n"
    "                                       may A share S with B? yes/no, rule, basis, other routes\n\n"
    "Exit codes: 0 ok (ask: yes); 1 warnings (check), failed cases (test) or no (ask); 2 invalid input.\n"
    "Policy format: docs/policy.md.\n";

void PrintDiagnostics(const std::string& file, const std::vector<policy::Diagnostic>& ds) {
  for (const policy::Diagnostic& d : ds) {
    std::cout << file << ":" << d.at.line << ":" << d.at.column << ": warning: " << d.message << "\n";
  }
}

absl::StatusOr<policy::LoadResult> Load(const std::string& file) {
  absl::StatusOr<policy::LoadResult> loaded = policy::LoadPolicyFile(file);
  if (!loaded.ok()) std::cerr << "error: " << loaded.status().message() << "\n";
  return loaded;
}

int Check(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {});
  if (!args.ok() || args->help() || args->positionals().size() != 1) {
    (args.ok() && args->help() ? std::cout : std::cerr)
        << "usage: accord policy check FILE\n\nValidates the policy (errors name line and column) and\n"
           "warns about unknown names, rules that can never match, permits shadowed by a\n"
           "forbid, overrides without a justification section, consent authority that is\n"
           "missing, names no known agency, or does not match the consent rules, and relations,\n"
           "patterns and schedules nobody may declare or that notify nobody. A special-category\n"
           "section released without a UK GDPR Art. 9 / DPA 2018 Sch. 1 condition is an error.\n";
    return args.ok() && args->help() ? 0 : 2;
  }
  const std::string file = args->positionals()[0];
  absl::StatusOr<policy::LoadResult> loaded = Load(file);
  if (!loaded.ok()) return 2;
  std::vector<policy::Diagnostic> warnings = loaded->warnings;
  for (policy::Diagnostic& d : policy::Lint(*loaded->policy)) warnings.push_back(std::move(d));
  PrintDiagnostics(file, warnings);
  const policy::Policy& p = *loaded->policy;
  std::cout << file << ": " << p.agencies().size() << " agencies, " << p.sections().size() << " sections, "
            << p.rules().size() << " rules, " << p.overrides().size() << " overrides, "
            << p.consent_authority().rules.size() << " consent authority entries; version "
            << p.version() << "; " << warnings.size() << " warning(s)\n";
  return warnings.empty() ? 0 : 1;
}

int Explain(const std::vector<std::string>& argv) {
  const std::vector<FlagSpec> flags = {
      {"event", true, "event description (YAML, docs/policy.md)"},
      {"consent", true, "assumed consent, e.g. victim:victim_support=withdrawn; repeatable"},
      {"consent-authority", false, "instead of an event: who may record and read consent"}};
  absl::StatusOr<Args> args = Args::Parse(argv, flags);
  if (!args.ok() || args->help() || args->positionals().size() != 1 ||
      args->Has("event") == args->Has("consent-authority")) {
    if (!args.ok()) std::cerr << "accord policy explain: " << args.status().message() << "\n";
    (args.ok() && args->help() ? std::cout : std::cerr)
        << "usage: accord policy explain FILE --event EVENT.yaml [--consent SUBJECT:PURPOSE=STATE ...]\n"
        << "       accord policy explain FILE --consent-authority\n\n"
        << FlagHelp(flags);
    return args.ok() && args->help() ? 0 : 2;
  }
  absl::StatusOr<policy::LoadResult> loaded = Load(args->positionals()[0]);
  if (!loaded.ok()) return 2;
  if (args->Has("consent-authority")) {
    std::cout << policy::ExplainConsentAuthority(policy::Evaluator(loaded->policy));
    return 0;
  }
  absl::StatusOr<policy::Scenario> scenario = policy::ParseScenarioFile(*args->Get("event"));
  if (!scenario.ok()) {
    std::cerr << "error: " << scenario.status().message() << "\n";
    return 2;
  }
  for (const std::string& c : args->GetAll("consent")) {
    if (auto s = policy::AddConsentFlag(c, &*scenario); !s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      return 2;
    }
  }
  policy::Evaluator evaluator(loaded->policy);
  const v1::Decision d = evaluator.Evaluate(scenario->header, scenario->context, scenario->Lookup());
  std::cout << policy::ExplainEvent(scenario->header) << "\n" << policy::ExplainDecision(*loaded->policy, d)
            << policy::ExplainLifecycle(evaluator, scenario->header, scenario->context);
  return 0;
}

// The decision table of an event case, or the consent-authority decision.
std::string Explained(const policy::Policy& p, const policy::CaseResult& r) {
  if (r.consent_authority) return "      " + policy::ExplainConsentAuthorityDecision(*r.consent_authority) + "\n";
  return policy::ExplainDecision(p, r.decision);
}

int Test(const std::vector<std::string>& argv) {
  const std::vector<FlagSpec> flags = {{"verbose", false, "print every decision, not only failures"}};
  absl::StatusOr<Args> args = Args::Parse(argv, flags);
  if (!args.ok() || args->help() || args->positionals().size() != 2) {
    if (!args.ok()) std::cerr << "accord policy test: " << args.status().message() << "\n";
    (args.ok() && args->help() ? std::cout : std::cerr)
        << "usage: accord policy test FILE CASES.yaml [--verbose]\n\n" << FlagHelp(flags);
    return args.ok() && args->help() ? 0 : 2;
  }
  absl::StatusOr<policy::LoadResult> loaded = Load(args->positionals()[0]);
  if (!loaded.ok()) return 2;
  absl::StatusOr<std::vector<policy::TestCase>> cases = policy::ParseTestFile(args->positionals()[1]);
  if (!cases.ok()) {
    std::cerr << "error: " << cases.status().message() << "\n";
    return 2;
  }
  policy::Evaluator evaluator(loaded->policy);
  int passed = 0, failed = 0;
  for (const policy::TestCase& t : *cases) {
    policy::CaseResult r = policy::RunCase(evaluator, t);
    if (r.failures.empty()) {
      ++passed;
      std::cout << "PASS  " << r.name << "\n";
      if (args->Has("verbose")) std::cout << Explained(*loaded->policy, r) << "\n";
      continue;
    }
    ++failed;
    std::cout << "FAIL  " << r.name << "  (" << args->positionals()[1] << ":" << r.line << ")\n";
    for (const std::string& f : r.failures) std::cout << "      " << f << "\n";
    std::cout << Explained(*loaded->policy, r) << "\n";
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}

constexpr char kDefaultPolicy[] = "deploy/policies/cardiff-and-vale.yaml";

int Ask(const std::vector<std::string>& argv) {
  const std::vector<FlagSpec> flags = {
      {"from", true, "the agency that would share (agency id)"},
      {"to", true, "the agency that would receive (agency id)"},
      {"section", true, "the section, e.g. risk or health@perpetrator"},
      {"kind", true, "the kind of event, e.g. risk_assessment"},
      {"about", true, "whom the event is about: victim, perpetrator, child or other (optional)"},
      {"risk", true, "the risk level: standard, medium, high or very_high (optional)"},
      {"policy", true, absl::StrCat("the policy file (default ", kDefaultPolicy, ")")}};
  absl::StatusOr<Args> args = Args::Parse(argv, flags);
  const bool complete = args.ok() && args->Has("from") && args->Has("to") && args->Has("section") && args->Has("kind");
  if (!args.ok() || args->help() || !complete || !args->positionals().empty()) {
    if (!args.ok()) std::cerr << "accord policy ask: " << args.status().message() << "\n";
    (args.ok() && args->help() ? std::cout : std::cerr)
        << "usage: accord policy ask --from AGENCY --to AGENCY --section SECTION --kind KIND\n"
           "                         [--about ROLE] [--risk LEVEL] [--policy FILE]\n\n"
           "Answers in plain words whether the policy lets one agency share one section of\n"
           "an event with another: yes or no, under which rule, lawful basis and (for\n"
           "special-category data) UK GDPR Art. 9 / DPA 2018 Sch. 1 condition; when no, the\n"
           "other routes: consent, risk, flags, case relations, a safeguarding override and\n"
           "who may invoke it, MARAC. Exit 0 for yes, 1 for no, 2 for invalid input.\n\n"
        << FlagHelp(flags);
    return args.ok() && args->help() ? 0 : 2;
  }
  absl::StatusOr<policy::LoadResult> loaded = Load(args->GetOr("policy", kDefaultPolicy));
  if (!loaded.ok()) {
    if (!args->Has("policy")) std::cerr << "(pass --policy FILE)\n";
    return 2;
  }
  policy::Question q;
  q.from = *args->Get("from");
  q.to = *args->Get("to");
  q.section = *args->Get("section");
  q.kind = *args->Get("kind");
  q.about = args->GetOr("about", "");
  q.risk = args->GetOr("risk", "");
  absl::StatusOr<policy::Answer> answer = policy::Ask(policy::Evaluator(loaded->policy), q);
  if (!answer.ok()) {
    std::cerr << "error: " << answer.status().message() << "\n";
    return 2;
  }
  std::cout << answer->text;
  return answer->yes ? 0 : 1;
}

}  // namespace

int RunPolicyCommand(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    (argv.empty() ? std::cerr : std::cout) << kUsage;
    return argv.empty() ? 2 : 0;
  }
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "check") return Check(rest);
  if (argv[0] == "explain") return Explain(rest);
  if (argv[0] == "test") return Test(rest);
  if (argv[0] == "ask") return Ask(rest);
  std::cerr << "accord policy: unknown command '" << argv[0] << "'\n\n" << kUsage;
  return 2;
}

}  // namespace accord::cli
