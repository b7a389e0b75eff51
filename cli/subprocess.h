// Runs a program (no shell) and reports failure with its stderr.
#ifndef ACCORD_CLI_SUBPROCESS_H_
#define ACCORD_CLI_SUBPROCESS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace accord::cli {

// Runs argv[0] (looked up in PATH) with umask 077, stdout discarded. OK only
// on exit status 0; otherwise the error carries the command and its stderr.
absl::Status RunProgram(const std::vector<std::string>& argv);

}  // namespace accord::cli

#endif  // ACCORD_CLI_SUBPROCESS_H_
