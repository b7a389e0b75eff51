#include "broker/health.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace accord::broker {

void Health::Watch(std::function<void(bool serving)> watcher) {
  absl::MutexLock order(&notify_mu_);
  watcher_ = std::move(watcher);
  reported_ = Serving();
  if (watcher_) watcher_(reported_);
}

void Health::SetFailing(const std::string& condition, Severity severity, std::string reason) {
  {
    absl::MutexLock lock(&mu_);
    failing_[condition] = Failure{severity, std::move(reason)};
  }
  Changed();
}

void Health::Clear(const std::string& condition) {
  {
    absl::MutexLock lock(&mu_);
    if (failing_.erase(condition) == 0) return;
  }
  Changed();
}

bool Health::Serving() const {
  absl::MutexLock lock(&mu_);
  return failing_.empty();
}

absl::Status Health::CheckCalls() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> halted;
  for (const auto& [name, f] : failing_) {
    if (f.severity == Severity::kHalted) halted.push_back(absl::StrCat(name, ": ", f.reason));
  }
  if (halted.empty()) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("the broker refuses to serve: ", absl::StrJoin(halted, "; ")));
}

std::string Health::Describe() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> parts;
  for (const auto& [name, f] : failing_) parts.push_back(absl::StrCat(name, ": ", f.reason));
  return absl::StrJoin(parts, "; ");
}

void Health::Changed() {
  absl::MutexLock order(&notify_mu_);
  const bool serving = Serving();
  if (serving == reported_) return;
  reported_ = serving;
  if (watcher_) watcher_(serving);
}

}  // namespace accord::broker
