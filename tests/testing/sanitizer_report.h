// Sanitizer reports in the output of a process a test started (accord-broker,
// accord-agent, accord). In a sanitized build (ACCORD_SANITIZE) such a report
// also changes the exit status, but a test that expects a refusal's non-zero
// status, or stops the process itself, would not notice: these checks fail
// the test whatever the status.
#ifndef ACCORD_TESTS_TESTING_SANITIZER_REPORT_H_
#define ACCORD_TESTS_TESTING_SANITIZER_REPORT_H_

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace accord::testing {

// The report in `output` from its first line on (at most ~8 KB), or "".
inline std::string SanitizerReport(std::string_view output) {
  size_t at = std::string_view::npos;
  for (std::string_view marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", ": runtime error: ",
                                  "SUMMARY: UndefinedBehaviorSanitizer", "ERROR: libFuzzer"}) {
    at = std::min(at, output.find(marker));
  }
  if (at == std::string_view::npos) return "";
  const size_t line = output.rfind('\n', at);
  return std::string(output.substr(line == std::string_view::npos ? 0 : line + 1, 8192));
}

// Adds a test failure naming `who` when `output` holds a sanitizer report.
inline void ExpectNoSanitizerReport(std::string_view output, const std::string& who) {
  const std::string report = SanitizerReport(output);
  if (!report.empty()) ADD_FAILURE() << who << " reported a sanitizer error:\n" << report;
}

}  // namespace accord::testing

#endif  // ACCORD_TESTS_TESTING_SANITIZER_REPORT_H_
