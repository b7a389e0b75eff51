// Runs the built `accord` binary as a user would, for tests of its commands:
// exit code and everything it printed (stdout and stderr together).
#ifndef ACCORD_TESTS_TESTING_ACCORD_CLI_H_
#define ACCORD_TESTS_TESTING_ACCORD_CLI_H_

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/testing/sanitizer_report.h"

namespace accord::testing {

struct CliResult {
  int code = -1;
  std::string output;  // stdout and stderr
  std::string out;     // stdout alone, when RunAccord was given a stderr file
};

inline std::string ShellQuote(const std::string& s) { return "'" + absl::StrReplaceAll(s, {{"'", "'\\''"}}) + "'"; }

// `ACCORD_BINARY_DIR/cli/accord args...`; code -1 if it could not run or did
// not exit. With `stderr_path`, stderr goes to that file so that `out` holds
// stdout alone (for output a test parses); `output` is then stdout followed
// by stderr. A sanitizer report in the output fails the calling test.
inline CliResult RunAccord(const std::vector<std::string>& args, const std::string& stderr_path = "") {
  std::string command = ShellQuote(ACCORD_BINARY_DIR "/cli/accord");
  for (const std::string& a : args) absl::StrAppend(&command, " ", ShellQuote(a));
  absl::StrAppend(&command, stderr_path.empty() ? " 2>&1" : " 2>" + ShellQuote(stderr_path));
  CliResult r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  std::size_t n = 0;
  std::string& stdout_text = stderr_path.empty() ? r.output : r.out;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) stdout_text.append(buf, n);
  const int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (!stderr_path.empty()) {
    std::ifstream err(stderr_path);
    r.output = r.out + std::string(std::istreambuf_iterator<char>(err), {});
  }
  ExpectNoSanitizerReport(r.output, "accord");
  return r;
}

}  // namespace accord::testing

#endif  // ACCORD_TESTS_TESTING_ACCORD_CLI_H_
