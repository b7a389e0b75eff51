#include "broker/logger.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace accord::broker {
namespace {

// Quotes values with spaces, quotes or '=' so that lines stay machine-parseable.
std::string Value(const std::string& v) {
  if (!v.empty() && v.find_first_of(" \"=\n\t") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

void Logger::Write(const char* level, const std::string& msg, Fields fields) {
  std::string line = absl::StrCat(
      "ts=", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
      " level=", level, " msg=", Value(msg));
  for (const auto& [k, v] : fields) absl::StrAppend(&line, " ", k, "=", Value(v));
  line.push_back('\n');
  absl::MutexLock lock(&mu_);
  *out_ << line << std::flush;
}

}  // namespace accord::broker
