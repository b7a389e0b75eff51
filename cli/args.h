// A small, strict command-line parser for `accord` subcommands: `--name value`,
// `--name=value`, boolean `--name`, and positionals. Unknown flags are errors,
// so a typo never silently changes what a command does.
#ifndef ACCORD_CLI_ARGS_H_
#define ACCORD_CLI_ARGS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace accord::cli {

struct FlagSpec {
  std::string name;      // without the leading "--"
  bool takes_value = true;
  std::string help;
};

class Args {
 public:
  // Parses argv (without the program and subcommand words) against `flags`.
  // "--help"/"-h" is always accepted and sets help().
  static absl::StatusOr<Args> Parse(const std::vector<std::string>& argv,
                                    const std::vector<FlagSpec>& flags);

  bool help() const { return help_; }
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  // All values of a flag given more than once (e.g. --consent a --consent b).
  std::vector<std::string> GetAll(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  bool help_ = false;
  std::multimap<std::string, std::string> values_;
  std::vector<std::string> positionals_;
};

// "  --name VALUE   help" lines for a usage message.
std::string FlagHelp(const std::vector<FlagSpec>& flags);

}  // namespace accord::cli

#endif  // ACCORD_CLI_ARGS_H_
