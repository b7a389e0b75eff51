// The prover's side of an RFC 6962 tree, independent of where hashes are
// stored: appending leaves in O(log n) via the right edge of complete
// subtrees, and roots and proofs from O(log n) stored complete subtrees.
// A complete subtree (level L, index i) covers leaves [i * 2^L, (i+1) * 2^L);
// level 0 holds the leaf hashes.
#ifndef ACCORD_BROKER_AUDIT_MERKLE_TREE_H_
#define ACCORD_BROKER_AUDIT_MERKLE_TREE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

namespace accord::audit {

// Reads the stored hash of complete subtree (level, index).
using NodeReader = absl::FunctionRef<absl::StatusOr<std::string>(int level, uint64_t index)>;

// MTH(D[0:size]); the empty tree's root for size 0.
absl::StatusOr<std::string> TreeRoot(NodeReader nodes, uint64_t size);
// PATH(index, D[0:size]), leaf to root (RFC 6962 §2.1.1); needs index < size.
absl::StatusOr<std::vector<std::string>> InclusionPath(NodeReader nodes, uint64_t index, uint64_t size);
// PROOF(first, D[0:second]) (RFC 6962 §2.1.2); empty if first is 0 or second.
absl::StatusOr<std::vector<std::string>> ConsistencyPath(NodeReader nodes, uint64_t first, uint64_t second);

// The right edge of a tree: one complete subtree per set bit of its size.
class CompactRange {
 public:
  CompactRange() = default;
  // The edge of the stored tree of `size` leaves (popcount(size) reads).
  static absl::StatusOr<CompactRange> Load(NodeReader nodes, uint64_t size);

  uint64_t size() const { return size_; }
  std::string Root() const;
  // Adds a leaf hash; `store(level, index, hash)` receives every subtree it
  // completes, starting with the leaf itself at level 0.
  void Append(std::string leaf_hash,
              absl::FunctionRef<void(int level, uint64_t index, const std::string& hash)> store);

 private:
  uint64_t size_ = 0;
  std::vector<std::string> edge_;  // largest subtree first
};

}  // namespace accord::audit

#endif  // ACCORD_BROKER_AUDIT_MERKLE_TREE_H_
