#include "policy/policy_holder.h"

#include "policy/loader.h"

namespace accord::policy {

absl::StatusOr<std::unique_ptr<PolicyHolder>> PolicyHolder::Create(const std::string& path) {
  std::unique_ptr<PolicyHolder> holder(new PolicyHolder(path));
  absl::StatusOr<std::string> version = holder->Reload();
  if (!version.ok()) return version.status();
  return holder;
}

std::shared_ptr<const Evaluator> PolicyHolder::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

absl::StatusOr<std::string> PolicyHolder::Reload() {
  absl::StatusOr<LoadResult> loaded = LoadPolicyFile(path_);
  if (!loaded.ok()) return loaded.status();
  auto next = std::make_shared<const Evaluator>(loaded->policy);
  absl::MutexLock lock(&mu_);
  current_ = std::move(next);
  return current_->policy().version();
}

}  // namespace accord::policy
