// The active policy of a running broker. A reload validates the new file
// completely before it replaces the old one; a rejected reload leaves the
// previous policy active. Readers get a consistent snapshot without blocking
// a reload for longer than a pointer swap.
#ifndef ACCORD_POLICY_POLICY_HOLDER_H_
#define ACCORD_POLICY_POLICY_HOLDER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "policy/evaluator.h"

namespace accord::policy {

class PolicyHolder {
 public:
  // Loads `path`; fails if it is invalid.
  static absl::StatusOr<std::unique_ptr<PolicyHolder>> Create(const std::string& path);

  // The evaluator for the active policy; stays valid for as long as it is held.
  std::shared_ptr<const Evaluator> Current() const;
  std::string Version() const { return Current()->policy().version(); }

  // Re-reads the file. On error the active policy is unchanged. Returns the
  // active version afterwards.
  absl::StatusOr<std::string> Reload();

 private:
  explicit PolicyHolder(std::string path) : path_(std::move(path)) {}
  const std::string path_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Evaluator> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace accord::policy

#endif  // ACCORD_POLICY_POLICY_HOLDER_H_
