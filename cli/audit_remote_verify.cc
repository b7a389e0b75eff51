#include "cli/audit_remote_verify.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "broker/audit/audit_answers.h"
#include "broker/audit/verifier.h"

namespace accord::cli {
namespace {

audit::VerifyReport Finding(uint64_t index, std::string problem) {
  audit::VerifyReport r;
  r.finding = audit::VerifyFinding{index, std::move(problem)};
  return r;
}

}  // namespace

absl::StatusOr<audit::VerifyReport> VerifyFromAnswers(AuditSource& source, const AnswersVerifyOptions& options) {
  const absl::Time start = absl::Now();
  const std::string& key = options.stream.log_public_key;
  auto say = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };
  absl::StatusOr<v1::SignedTreeHead> latest = source.SignedTreeHead(v1::GetSignedTreeHeadRequest());
  if (!latest.ok()) return latest.status();
  absl::StatusOr<v1::TreeHead> latest_head = audit::VerifySignedTreeHead(*latest, key);
  if (!latest_head.ok()) {
    return Finding(0, absl::StrCat("the latest head ", source.name(), " sent: ", latest_head.status().message()));
  }
  const uint64_t target = latest_head->tree_size();

  std::vector<v1::SignedTreeHead> heads;
  if (options.stored_heads) {
    v1::ListTreeHeadSizesRequest request;
    request.set_include_heads(true);
    request.set_max_sizes(audit::kMaxHeadsPerPage);
    for (;;) {
      absl::StatusOr<v1::ListTreeHeadSizesResponse> page = source.ListTreeHeadSizes(request);
      if (!page.ok()) return page.status();
      if (page->heads_size() != page->tree_sizes_size()) {
        return Finding(0, absl::StrCat(source.name(), " listed ", page->tree_sizes_size(), " sizes but sent ",
                                       page->heads_size(), " heads"));
      }
      bool past_target = false;
      for (int i = 0; i < page->tree_sizes_size(); ++i) {
        const uint64_t size = page->tree_sizes(i);
        if (size <= request.after_size()) {
          return Finding(0, absl::StrCat(source.name(), " listed head sizes out of order (", size, " after ",
                                         request.after_size(), ")"));
        }
        request.set_after_size(size);
        if (size > target) {
          past_target = true;
          break;
        }
        if (audit::TreeSizeOf(page->heads(i)) != size) {
          return Finding(0, absl::StrCat("the head ", source.name(), " listed for size ", size, " is for size ",
                                         audit::TreeSizeOf(page->heads(i))));
        }
        heads.push_back(page->heads(i));
      }
      if (past_target || !page->more() || page->tree_sizes().empty()) break;
    }
    say(absl::StrCat("verify: ", heads.size(), " signed heads fetched from ", source.name()));
  }

  absl::StatusOr<audit::LeafStreamVerifier> verifier = audit::LeafStreamVerifier::Create(options.stream, *latest, heads);
  if (!verifier.ok()) return verifier.status();
  uint64_t newest_size = target;  // the largest head seen in the answers
  v1::TreeHead newest = *latest_head;
  uint64_t answer_heads = 0;
  uint64_t next_progress = options.progress_every;
  while (verifier->ok() && verifier->size() < target) {
    v1::GetLeavesRequest request;
    request.set_start_index(verifier->size());
    request.set_count(static_cast<uint32_t>(std::min<uint64_t>(audit::kMaxLeavesPerRequest, target - verifier->size())));
    absl::StatusOr<v1::GetLeavesResponse> got = source.GetLeaves(request);
    if (!got.ok()) return got.status();
    if (got->start_index() != request.start_index() || got->leaves().empty()) {
      return Finding(verifier->size(), absl::StrCat(source.name(), " answered a request for leaves from ",
                                                    request.start_index(), " with ", got->leaves_size(),
                                                    " leaves from ", got->start_index()));
    }
    absl::StatusOr<v1::TreeHead> head = audit::VerifySignedTreeHead(got->head(), key);
    ++answer_heads;
    if (!head.ok()) {
      return Finding(verifier->size(), absl::StrCat("the head sent with leaves ", request.start_index(), "..: ",
                                                    head.status().message()));
    }
    if (head->tree_size() < newest_size) {
      return Finding(verifier->size(), absl::StrCat(source.name(), " sent a head for size ", head->tree_size(),
                                                    " after one for size ", newest_size, ": its log shrank"));
    }
    newest_size = head->tree_size();
    newest = *head;
    for (const std::string& leaf : got->leaves()) {
      if (verifier->size() >= target || !verifier->Add(leaf)) break;
    }
    if (verifier->size() >= next_progress || verifier->size() == target) {
      while (next_progress <= verifier->size()) next_progress += options.progress_every;
      say(absl::StrFormat("verify: %d of %d records (%.0f%%), %.0f s", verifier->size(), target,
                          target ? 100.0 * static_cast<double>(verifier->size()) / static_cast<double>(target) : 100.0,
                          absl::ToDoubleSeconds(absl::Now() - start)));
    }
  }
  audit::VerifyReport report = verifier->Finish();
  report.heads += answer_heads;
  report.signatures += answer_heads;
  if (report.ok() && newest_size > target) {
    // The log grew while it was read: the newest head must extend what was verified.
    v1::GetConsistencyProofRequest request;
    request.set_first_size(target);
    request.set_second_size(newest_size);
    absl::StatusOr<v1::GetConsistencyProofResponse> proof = source.GetConsistencyProof(request);
    if (!proof.ok()) return proof.status();
    absl::StatusOr<v1::TreeHead> second = audit::VerifySignedTreeHead(proof->head(), key);
    absl::Status consistent = second.ok() ? (second->root_hash() == newest.root_hash()
                                                 ? audit::VerifyConsistency(proof->proof(), latest_head->root_hash(),
                                                                            newest.root_hash())
                                                 : absl::UnauthenticatedError(absl::StrCat(
                                                       "two heads for size ", newest_size, " differ")))
                                          : second.status();
    if (consistent.ok() && proof->proof().first_size() != target) {
      consistent = absl::InvalidArgumentError("the consistency proof is for other sizes");
    }
    if (!consistent.ok()) {
      report.finding = audit::VerifyFinding{
          target, absl::StrCat("the head for size ", newest_size, " that ", source.name(),
                               " sent while the log was read does not extend the verified log: ",
                               consistent.message())};
    }
  }
  report.elapsed = absl::Now() - start;
  return report;
}

}  // namespace accord::cli
