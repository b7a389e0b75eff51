// Structured log lines for operators: `ts=... level=... msg="..." key=value`.
// One Logger is passed to every component; lines never contain section
// content (the broker never has it) nor subject names (it never has those).
#ifndef ACCORD_BROKER_LOGGER_H_
#define ACCORD_BROKER_LOGGER_H_

#include <initializer_list>
#include <ostream>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"

namespace accord::broker {

class Logger {
 public:
  using Fields = std::initializer_list<std::pair<const char*, std::string>>;
  explicit Logger(std::ostream* out) : out_(out) {}
  void Info(const std::string& msg, Fields fields = {}) { Write("info", msg, fields); }
  void Warn(const std::string& msg, Fields fields = {}) { Write("warn", msg, fields); }
  void Error(const std::string& msg, Fields fields = {}) { Write("error", msg, fields); }

 private:
  void Write(const char* level, const std::string& msg, Fields fields);
  absl::Mutex mu_;
  std::ostream* out_ ABSL_GUARDED_BY(mu_);
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_LOGGER_H_
