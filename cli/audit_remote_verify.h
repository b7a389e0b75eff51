// `accord audit verify --broker`: the whole log checked from the AuditService's
// answers alone (broker/audit/stream_verify.h): the latest head, every stored
// head (ListTreeHeadSizes), every leaf by range (GetLeaves), and at the end a
// consistency proof from the size verified to the newest head seen, since the
// log grows while it is read (by this check's own AUDIT_QUERY records too).
#ifndef ACCORD_CLI_AUDIT_REMOTE_VERIFY_H_
#define ACCORD_CLI_AUDIT_REMOTE_VERIFY_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "broker/audit/offline_verify.h"
#include "broker/audit/stream_verify.h"
#include "cli/audit_source.h"

namespace accord::cli {

struct AnswersVerifyOptions {
  audit::StreamVerifyOptions stream;
  bool stored_heads = true;                      // fetch and check every stored head, not only the latest
  std::function<void(const std::string&)> progress;  // one line at a time
  uint64_t progress_every = uint64_t{1} << 16;   // records between progress lines
};

// A non-OK status if the answers could not be fetched; a log (or an answer)
// that fails the check gives a report with a finding.
absl::StatusOr<audit::VerifyReport> VerifyFromAnswers(AuditSource& source, const AnswersVerifyOptions& options);

}  // namespace accord::cli

#endif  // ACCORD_CLI_AUDIT_REMOTE_VERIFY_H_
