// `accord audit verify --broker`: checks a log from its leaves and signed
// heads alone, as an auditor fetches them from a running broker (GetLeaves,
// ListTreeHeadSizes), recomputing the tree leaf by leaf in O(log n) memory.
// It checks that
//   - every leaf is a well-formed AuditRecord whose `sequence` is its index;
//   - every head given matches the recomputed root at its size and names the
//     log key, heads never go back in time, and the latest head's signature
//     (every head's with all_signatures) verifies with the log's public key;
//   - every head the auditor kept earlier matches the recomputed root.
// The first problem is reported as offline_verify.h reports it, naming the
// record; the broker's stored tiles and index are not visible from outside
// and are not checked.
#ifndef ACCORD_BROKER_AUDIT_STREAM_VERIFY_H_
#define ACCORD_BROKER_AUDIT_STREAM_VERIFY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/v1/audit.pb.h"
#include "broker/audit/merkle.h"
#include "broker/audit/offline_verify.h"

namespace accord::audit {

struct StreamVerifyOptions {
  std::string log_public_key;                  // 32-byte Ed25519 key from public/log.pub
  std::vector<v1::SignedTreeHead> kept_heads;  // heads the auditor kept from earlier
  bool all_signatures = false;                 // verify every head's signature, not only the latest's
};

class LeafStreamVerifier {
 public:
  // Verifies the records up to `latest` (the head fetched first) against it
  // and against `heads` (those the broker lists; any beyond `latest` are
  // left out). INVALID_ARGUMENT for a bad key, a latest head that does not
  // parse or a kept head not signed by the log key.
  static absl::StatusOr<LeafStreamVerifier> Create(const StreamVerifyOptions& options,
                                                   const v1::SignedTreeHead& latest,
                                                   const std::vector<v1::SignedTreeHead>& heads);

  uint64_t size() const { return size_; }      // leaves added so far
  uint64_t target() const { return target_; }  // the latest head's size
  bool ok() const { return !finding_.has_value(); }

  // Adds leaf number size(), exactly the bytes fetched. False once something
  // was found wrong (the finding is in Finish()'s report).
  bool Add(std::string_view leaf);

  // After target() leaves or a finding.
  VerifyReport Finish();

 private:
  LeafStreamVerifier() = default;
  bool Fail(uint64_t index, std::string problem);
  Hash Root() const;
  bool CheckHeadsAt(uint64_t size);

  std::string key_;
  std::string key_id_;
  bool all_signatures_ = false;
  uint64_t target_ = 0;
  uint64_t size_ = 0;
  std::vector<Hash> stack_;  // right-edge complete subtrees, largest first
  std::multimap<uint64_t, v1::SignedTreeHead> heads_;  // by size, up to target_
  std::map<uint64_t, v1::TreeHead> kept_;
  uint64_t last_head_size_ = 0;  // last head that matched
  uint64_t last_kept_size_ = 0;
  absl::Time last_head_time_ = absl::InfinitePast();
  uint64_t heads_checked_ = 0;
  uint64_t signatures_ = 0;
  std::optional<v1::TreeHead> latest_;
  std::optional<VerifyFinding> finding_;
};

}  // namespace accord::audit

#endif  // ACCORD_BROKER_AUDIT_STREAM_VERIFY_H_
