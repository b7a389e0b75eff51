// Runs the built `accord` binary as a user would, for tests of its commands:
// exit code and everything it printed (stdout and stderr together).
#ifndef ACCORD_TESTS_TESTING_ACCORD_CLI_H_
#define ACCORD_TESTS_TESTING_ACCORD_CLI_H_

#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace accord::testing {

struct CliResult {
  int code = -1;
  std::string output;  // stdout and stderr
};

inline std::string ShellQuote(const std::string& s) { return "'" + absl::StrReplaceAll(s, {{"'", "'\\''"}}) + "'"; }

// `ACCORD_BINARY_DIR/cli/accord args...`; code -1 if it could not run or did not exit.
inline CliResult RunAccord(const std::vector<std::string>& args) {
  std::string command = ShellQuote(ACCORD_BINARY_DIR "/cli/accord");
  for (const std::string& a : args) absl::StrAppend(&command, " ", ShellQuote(a));
  absl::StrAppend(&command, " 2>&1");
  CliResult r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace accord::testing

#endif  // ACCORD_TESTS_TESTING_ACCORD_CLI_H_
