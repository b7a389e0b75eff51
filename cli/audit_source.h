// Where `accord audit` reads the log from: the broker's database, opened
// read-only (--data DIR), or a running broker over mutual TLS as an auditor
// agency (--broker HOST:PORT --as AGENCY --partnership PDIR). Both give the
// AuditService's answers (broker/audit/audit_answers.h), so every command
// works the same way on either; the commands check what they get with the
// log's public key before they print or write it.
#ifndef ACCORD_CLI_AUDIT_SOURCE_H_
#define ACCORD_CLI_AUDIT_SOURCE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/v1/audit.pb.h"
#include "cli/args.h"

namespace accord::cli {

class AuditSource {
 public:
  virtual ~AuditSource() = default;
  virtual bool remote() const = 0;
  // "the database DIR" or "the broker HOST:PORT", for messages.
  virtual std::string name() const = 0;

  // Each is one AuditService call on a broker (and one AUDIT_QUERY record).
  virtual absl::StatusOr<v1::SignedTreeHead> SignedTreeHead(const v1::GetSignedTreeHeadRequest& request) = 0;
  virtual absl::StatusOr<v1::GetLeavesResponse> GetLeaves(const v1::GetLeavesRequest& request) = 0;
  virtual absl::StatusOr<v1::ListTreeHeadSizesResponse> ListTreeHeadSizes(
      const v1::ListTreeHeadSizesRequest& request) = 0;
  virtual absl::StatusOr<v1::GetInclusionProofResponse> GetInclusionProof(
      const v1::GetInclusionProofRequest& request) = 0;
  virtual absl::StatusOr<v1::GetConsistencyProofResponse> GetConsistencyProof(
      const v1::GetConsistencyProofRequest& request) = 0;
  virtual absl::StatusOr<v1::WhoSawResponse> WhoSaw(const v1::WhoSawQuery& query) = 0;
};

// --data, --broker, --as, --partnership.
std::vector<FlagSpec> AuditSourceFlags();
// The one of --data and --broker given. INVALID_ARGUMENT for neither or both,
// or --broker without --as and --partnership.
absl::StatusOr<std::unique_ptr<AuditSource>> OpenAuditSource(const Args& args);

}  // namespace accord::cli

#endif  // ACCORD_CLI_AUDIT_SOURCE_H_
