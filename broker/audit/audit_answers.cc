#include "broker/audit/audit_answers.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace accord::audit {
namespace {

absl::StatusOr<v1::SignedTreeHead> HeadFor(const AuditLog& log, uint64_t tree_size) {
  return tree_size == 0 ? log.LatestSignedHead() : log.SignedHeadAt(tree_size);
}

}  // namespace

uint64_t TreeSizeOf(const v1::SignedTreeHead& head) {
  v1::TreeHead th;
  return th.ParseFromString(head.tree_head()) ? th.tree_size() : 0;
}

absl::StatusOr<v1::SignedTreeHead> AnswerSignedTreeHead(const AuditLog& log,
                                                        const v1::GetSignedTreeHeadRequest& request) {
  return HeadFor(log, request.tree_size());
}

absl::StatusOr<v1::GetLeavesResponse> AnswerGetLeaves(const AuditLog& log, const v1::GetLeavesRequest& request) {
  if (request.count() == 0 || request.count() > kMaxLeavesPerRequest) {
    return absl::InvalidArgumentError(absl::StrCat("GetLeaves returns 1 to ", kMaxLeavesPerRequest,
                                                   " leaves per request; asked for ", request.count()));
  }
  absl::StatusOr<v1::SignedTreeHead> head = log.LatestSignedHead();
  if (!head.ok()) {
    return absl::OutOfRangeError(absl::StrCat("leaf ", request.start_index(), " is beyond the log: it is empty"));
  }
  const uint64_t size = TreeSizeOf(*head);
  if (request.start_index() >= size) {
    return absl::OutOfRangeError(absl::StrCat("leaf ", request.start_index(),
                                              " is beyond the log: its latest signed head is for size ", size,
                                              " (leaves 0..", size - 1, ")"));
  }
  const uint64_t count = std::min<uint64_t>(request.count(), size - request.start_index());
  absl::StatusOr<std::vector<std::string>> leaves = log.LeafRange(request.start_index(), count, kMaxLeavesBytes);
  if (!leaves.ok()) return leaves.status();
  v1::GetLeavesResponse out;
  out.set_start_index(request.start_index());
  for (std::string& leaf : *leaves) out.add_leaves(std::move(leaf));
  *out.mutable_head() = *std::move(head);
  return out;
}

absl::StatusOr<v1::ListTreeHeadSizesResponse> AnswerListTreeHeadSizes(
    const AuditLog& log, const v1::ListTreeHeadSizesRequest& request) {
  const uint32_t limit = request.include_heads() ? kMaxHeadsPerPage : kMaxHeadSizesPerPage;
  if (request.max_sizes() > limit) {
    return absl::InvalidArgumentError(absl::StrCat("ListTreeHeadSizes returns at most ", limit, " sizes per page",
                                                   request.include_heads() ? " with include_heads" : "",
                                                   "; asked for ", request.max_sizes()));
  }
  const uint32_t max = request.max_sizes() == 0 ? kDefaultHeadSizesPerPage : request.max_sizes();
  absl::StatusOr<AuditLog::HeadPage> page = log.HeadsAfter(request.after_size(), max, request.include_heads());
  if (!page.ok()) return page.status();
  v1::ListTreeHeadSizesResponse out;
  for (uint64_t size : page->sizes) out.add_tree_sizes(size);
  for (v1::SignedTreeHead& h : page->heads) *out.add_heads() = std::move(h);
  out.set_more(page->more);
  return out;
}

absl::StatusOr<v1::GetInclusionProofResponse> AnswerGetInclusionProof(
    const AuditLog& log, const v1::GetInclusionProofRequest& request) {
  absl::StatusOr<v1::SignedTreeHead> head = HeadFor(log, request.tree_size());
  if (!head.ok()) return head.status();
  absl::StatusOr<v1::InclusionProof> proof = log.ProveInclusion(request.leaf_index(), TreeSizeOf(*head));
  if (!proof.ok()) return proof.status();
  absl::StatusOr<std::string> leaf = log.LeafBytes(request.leaf_index());
  if (!leaf.ok()) return leaf.status();
  v1::GetInclusionProofResponse out;
  out.set_leaf(*std::move(leaf));
  *out.mutable_proof() = *std::move(proof);
  *out.mutable_head() = *std::move(head);
  return out;
}

absl::StatusOr<v1::GetConsistencyProofResponse> AnswerGetConsistencyProof(
    const AuditLog& log, const v1::GetConsistencyProofRequest& request) {
  absl::StatusOr<v1::SignedTreeHead> head = HeadFor(log, request.second_size());
  if (!head.ok()) return head.status();
  absl::StatusOr<v1::ConsistencyProof> proof = log.ProveConsistency(request.first_size(), TreeSizeOf(*head));
  if (!proof.ok()) return proof.status();
  v1::GetConsistencyProofResponse out;
  *out.mutable_proof() = *std::move(proof);
  *out.mutable_head() = *std::move(head);
  return out;
}

absl::StatusOr<v1::WhoSawResponse> AnswerWhoSaw(const AuditLog& log, const v1::WhoSawQuery& query) {
  absl::StatusOr<v1::SignedTreeHead> head = log.LatestSignedHead();
  if (absl::IsNotFound(head.status())) return v1::WhoSawResponse();  // an empty log: nobody saw anything
  if (!head.ok()) return head.status();
  absl::StatusOr<std::vector<v1::WhoSawRow>> rows = log.Query(query, TreeSizeOf(*head));
  if (!rows.ok()) return rows.status();
  v1::WhoSawResponse out;
  for (v1::WhoSawRow& r : *rows) *out.add_rows() = std::move(r);
  *out.mutable_head() = *std::move(head);
  return out;
}

}  // namespace accord::audit
