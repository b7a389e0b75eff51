// Runs a bench tool as a shell command and reads its one "PREFIX k=v ..."
// result line, for the smoke tests of bench/compare's programs.
#ifndef ACCORD_TESTS_INTEGRATION_TOOL_RUN_H_
#define ACCORD_TESTS_INTEGRATION_TOOL_RUN_H_

#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"

namespace accord::testing {

struct ToolRun {
  int exit_code = -1;
  std::string out;                            // stdout and stderr
  std::map<std::string, std::string> result;  // the result line's k=v fields
  int64_t Int(const std::string& key) const {
    int64_t v = -1;
    auto it = result.find(key);
    return it != result.end() && absl::SimpleAtoi(it->second, &v) ? v : -1;
  }
};

// `command` with stderr folded into stdout; `prefix` names the result line
// ("result" for the load generators, "prefill" for accord_prefill).
inline ToolRun RunTool(const std::string& command, const std::string& prefix) {
  ToolRun r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  const std::string start = prefix + " ";
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(start, 0) != 0) continue;
    std::istringstream fields(line.substr(start.size()));
    for (std::string kv; fields >> kv;) {
      const size_t eq = kv.find('=');
      if (eq != std::string::npos) r.result[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  return r;
}

}  // namespace accord::testing

#endif  // ACCORD_TESTS_INTEGRATION_TOOL_RUN_H_
