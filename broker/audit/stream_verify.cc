#include "broker/audit/stream_verify.h"

#include <sodium.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "broker/audit/record_format.h"
#include "broker/audit/storage_layout.h"
#include "broker/audit/verifier.h"
#include "crypto/hash.h"
#include "crypto/signing.h"

namespace accord::audit {
namespace {

std::string Short(std::string_view hash) { return crypto::Hex(hash.substr(0, 8)); }

}  // namespace

absl::StatusOr<LeafStreamVerifier> LeafStreamVerifier::Create(const StreamVerifyOptions& options,
                                                              const v1::SignedTreeHead& latest,
                                                              const std::vector<v1::SignedTreeHead>& heads) {
  if (absl::Status s = crypto::InitSodium(); !s.ok()) return s;
  if (options.log_public_key.size() != crypto_sign_PUBLICKEYBYTES) {
    return absl::InvalidArgumentError(absl::StrCat("log public key has ", options.log_public_key.size(),
                                                   " bytes, not ", crypto_sign_PUBLICKEYBYTES));
  }
  LeafStreamVerifier v;
  v.key_ = options.log_public_key;
  v.key_id_ = crypto::KeyIdOf(options.log_public_key);
  v.all_signatures_ = options.all_signatures;
  v1::TreeHead th;
  if (!th.ParseFromString(latest.tree_head())) {
    return absl::InvalidArgumentError("the latest signed head does not parse as a TreeHead");
  }
  v.target_ = th.tree_size();
  v.latest_ = th;
  v.heads_.emplace(v.target_, latest);
  for (const v1::SignedTreeHead& h : heads) {
    v1::TreeHead t;
    if (!t.ParseFromString(h.tree_head())) {
      return absl::InvalidArgumentError("a signed head the broker listed does not parse as a TreeHead");
    }
    if (t.tree_size() > v.target_) continue;
    if (t.tree_size() == v.target_ && h.SerializeAsString() == latest.SerializeAsString()) continue;
    v.heads_.emplace(t.tree_size(), h);
  }
  for (std::size_t i = 0; i < options.kept_heads.size(); ++i) {
    absl::StatusOr<v1::TreeHead> kept = VerifySignedTreeHead(options.kept_heads[i], options.log_public_key);
    if (!kept.ok()) return absl::InvalidArgumentError(absl::StrCat("kept head ", i + 1, ": ", kept.status().message()));
    auto [it, inserted] = v.kept_.emplace(kept->tree_size(), *kept);
    if (!inserted && it->second.root_hash() != kept->root_hash()) {
      v.Fail(kept->tree_size(), absl::StrCat("two heads you kept for size ", kept->tree_size(),
                                             " have different roots, both signed by the log key: the log was forked"));
    }
  }
  if (v.ok()) v.CheckHeadsAt(0);
  return v;
}

bool LeafStreamVerifier::Fail(uint64_t index, std::string problem) {
  if (!finding_) finding_ = VerifyFinding{index, std::move(problem)};
  return false;
}

Hash LeafStreamVerifier::Root() const {
  if (stack_.empty()) {
    Hash empty;
    const std::string h = EmptyTreeHash();
    std::copy(h.begin(), h.end(), empty.begin());
    return empty;
  }
  Hash root = stack_.back();
  for (std::size_t i = stack_.size() - 1; i-- > 0;) root = NodeHashOf(stack_[i], root);
  return root;
}

bool LeafStreamVerifier::Add(std::string_view leaf) {
  if (finding_) return false;
  const uint64_t i = size_;
  if (i >= target_) {
    return Fail(i, absl::StrCat("record ", i, " is beyond the latest signed head (size ", target_, ")"));
  }
  absl::StatusOr<uint64_t> sequence = ReadRecordSequence(leaf);
  if (!sequence.ok()) return Fail(i, absl::StrCat("record ", i, " is not a valid AuditRecord encoding"));
  if (*sequence != i) {
    return Fail(i, absl::StrCat("record ", i, " carries sequence number ", *sequence,
                                ": records were reordered, renumbered or replaced"));
  }
  Hash h = LeafHashOf(leaf);
  for (uint64_t at = i; (at & 1) == 1; at >>= 1) {
    h = NodeHashOf(stack_.back(), h);
    stack_.pop_back();
  }
  stack_.push_back(h);
  ++size_;
  return CheckHeadsAt(size_);
}

bool LeafStreamVerifier::CheckHeadsAt(uint64_t size) {
  const auto heads = heads_.equal_range(size);
  const auto kept = kept_.find(size);
  if (heads.first == heads.second && kept == kept_.end()) return true;
  const Hash root = Root();
  for (auto it = heads.first; it != heads.second; ++it) {
    const std::string bytes = it->second.SerializeAsString();  // HeadFields point into it
    absl::StatusOr<HeadFields> head = ReadHeadFields(bytes);
    if (!head.ok()) return Fail(last_head_size_, absl::StrCat("the signed head for size ", size, " does not parse"));
    ++heads_checked_;
    if (head->log_key_id != key_id_) {
      return Fail(last_head_size_, absl::StrCat("the head for size ", size, " names log key ",
                                                std::string(head->log_key_id), ", not the partnership's log key ",
                                                key_id_));
    }
    if (head->root_hash != AsView(root)) {
      return Fail(last_head_size_,
                  absl::StrCat("records ", last_head_size_, "..", size == 0 ? 0 : size - 1,
                               " are not the records that were signed: the root of the first ", size,
                               " records is ", Short(AsView(root)), "... but the head signed for size ", size,
                               " says ", Short(head->root_hash), "... (all earlier heads match)"));
    }
    const absl::Time t = absl::FromUnixSeconds(head->seconds) + absl::Nanoseconds(head->nanos);
    if (t < last_head_time_) {
      return Fail(last_head_size_, absl::StrCat("the head for size ", size, " is dated ", FormatRfc3339(t),
                                                ", before the previous head (", FormatRfc3339(last_head_time_), ")"));
    }
    if (all_signatures_ || size == target_) {
      ++signatures_;
      if (!crypto::VerifySignature(key_, crypto::kTreeHeadType, head->tree_head, head->signature).ok()) {
        return Fail(last_head_size_, absl::StrCat("the head for size ", size,
                                                  " is not signed by the log key: it was forged or altered"));
      }
    }
    last_head_time_ = t;
    last_head_size_ = size;
  }
  if (kept != kept_.end()) {
    if (kept->second.root_hash() != AsView(root)) {
      return Fail(last_kept_size_,
                  absl::StrCat("the log's history differs from a head you kept: the first ", size,
                               " records hash to ", Short(AsView(root)), "... but your head for size ", size,
                               " (signed ", FormatRfc3339(FromTimestamp(kept->second.timestamp())), ") says ",
                               Short(kept->second.root_hash()), "...; a record in ", last_kept_size_, "..",
                               size == 0 ? 0 : size - 1, " was changed, removed or replaced after you kept it"));
    }
    last_kept_size_ = size;
  }
  return true;
}

VerifyReport LeafStreamVerifier::Finish() {
  if (!finding_ && size_ < target_) {
    Fail(size_, absl::StrCat("the broker sent ", size_, " records but its latest signed head covers ", target_));
  }
  if (!finding_ && !kept_.empty() && kept_.rbegin()->first > target_) {
    const uint64_t k = kept_.rbegin()->first;
    Fail(target_, absl::StrCat("the log's latest head is for size ", target_, " but you kept a head for size ", k,
                               ": records ", target_, "..", k - 1, " were removed (truncated or rolled back)"));
  }
  VerifyReport report;
  report.records = size_;
  report.heads = heads_checked_;
  report.signatures = signatures_;
  report.latest_head = latest_;
  report.root = ToString(Root());
  report.finding = finding_;
  return report;
}

}  // namespace accord::audit
