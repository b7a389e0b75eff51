// The AuditService's answers computed from an AuditLog (audit.proto,
// docs/protocol.md §9): shared by the broker, which audits each call before
// answering it, and by `accord audit --data`, so that an auditor gets the
// same answers from the database as from a running broker.
#ifndef ACCORD_BROKER_AUDIT_AUDIT_ANSWERS_H_
#define ACCORD_BROKER_AUDIT_AUDIT_ANSWERS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "accord/v1/audit.pb.h"
#include "broker/audit/audit_log.h"

namespace accord::audit {

inline constexpr uint32_t kMaxLeavesPerRequest = 1000;
inline constexpr std::size_t kMaxLeavesBytes = std::size_t{4} << 20;  // fewer leaves past this
inline constexpr uint32_t kDefaultHeadSizesPerPage = 1000;
inline constexpr uint32_t kMaxHeadSizesPerPage = 10000;
inline constexpr uint32_t kMaxHeadsPerPage = 1000;  // with include_heads

// The head for request.tree_size(), or the latest head for 0.
absl::StatusOr<v1::SignedTreeHead> AnswerSignedTreeHead(const AuditLog& log,
                                                        const v1::GetSignedTreeHeadRequest& request);
// Leaves from start_index, bounded by the latest head, which comes with them.
// INVALID_ARGUMENT for a count of 0 or above kMaxLeavesPerRequest;
// OUT_OF_RANGE for a start at or beyond the latest head's size.
absl::StatusOr<v1::GetLeavesResponse> AnswerGetLeaves(const AuditLog& log, const v1::GetLeavesRequest& request);
// INVALID_ARGUMENT for max_sizes above the page limits.
absl::StatusOr<v1::ListTreeHeadSizesResponse> AnswerListTreeHeadSizes(
    const AuditLog& log, const v1::ListTreeHeadSizesRequest& request);
// Against the head for tree_size (0: the latest).
absl::StatusOr<v1::GetInclusionProofResponse> AnswerGetInclusionProof(
    const AuditLog& log, const v1::GetInclusionProofRequest& request);
// To the head for second_size (0: the latest), which comes with the proof.
absl::StatusOr<v1::GetConsistencyProofResponse> AnswerGetConsistencyProof(
    const AuditLog& log, const v1::GetConsistencyProofRequest& request);
// Rows with their leaf bytes, each proven against the latest head.
absl::StatusOr<v1::WhoSawResponse> AnswerWhoSaw(const AuditLog& log, const v1::WhoSawQuery& query);

// The tree size a head names, read from the head itself (0 if it does not parse).
uint64_t TreeSizeOf(const v1::SignedTreeHead& head);

}  // namespace accord::audit

#endif  // ACCORD_BROKER_AUDIT_AUDIT_ANSWERS_H_
