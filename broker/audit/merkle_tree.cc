#include "broker/audit/merkle_tree.h"

#include <bit>

#include "absl/strings/str_cat.h"
#include "broker/audit/merkle.h"

namespace accord::audit {
namespace {

// The largest power of two strictly less than n (n >= 2): RFC 6962's k.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// MTH(D[start:start+count]) for count >= 1 and the ranges RFC 6962's
// recursion produces, which split into at most log2(count) complete subtrees.
absl::StatusOr<std::string> SubtreeRoot(NodeReader nodes, uint64_t start, uint64_t count) {
  if (std::has_single_bit(count) && start % count == 0) return nodes(std::countr_zero(count), start / count);
  const uint64_t k = SplitPoint(count);
  absl::StatusOr<std::string> left = SubtreeRoot(nodes, start, k);
  if (!left.ok()) return left;
  absl::StatusOr<std::string> right = SubtreeRoot(nodes, start + k, count - k);
  if (!right.ok()) return right;
  return NodeHash(*left, *right);
}

absl::Status Path(NodeReader nodes, uint64_t m, uint64_t start, uint64_t n, std::vector<std::string>& out) {
  if (n <= 1) return absl::OkStatus();
  const uint64_t k = SplitPoint(n);
  absl::Status s = m < k ? Path(nodes, m, start, k, out) : Path(nodes, m - k, start + k, n - k, out);
  if (!s.ok()) return s;
  absl::StatusOr<std::string> sibling = m < k ? SubtreeRoot(nodes, start + k, n - k) : SubtreeRoot(nodes, start, k);
  if (!sibling.ok()) return sibling.status();
  out.push_back(*std::move(sibling));
  return absl::OkStatus();
}

absl::Status Subproof(NodeReader nodes, uint64_t m, uint64_t start, uint64_t n, bool complete,
                      std::vector<std::string>& out) {
  if (m == n) {
    if (complete) return absl::OkStatus();
    absl::StatusOr<std::string> h = SubtreeRoot(nodes, start, n);
    if (!h.ok()) return h.status();
    out.push_back(*std::move(h));
    return absl::OkStatus();
  }
  const uint64_t k = SplitPoint(n);
  absl::Status s = m <= k ? Subproof(nodes, m, start, k, complete, out)
                          : Subproof(nodes, m - k, start + k, n - k, false, out);
  if (!s.ok()) return s;
  absl::StatusOr<std::string> h = m <= k ? SubtreeRoot(nodes, start + k, n - k) : SubtreeRoot(nodes, start, k);
  if (!h.ok()) return h.status();
  out.push_back(*std::move(h));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> TreeRoot(NodeReader nodes, uint64_t size) {
  if (size == 0) return EmptyTreeHash();
  return SubtreeRoot(nodes, 0, size);
}

absl::StatusOr<std::vector<std::string>> InclusionPath(NodeReader nodes, uint64_t index, uint64_t size) {
  if (index >= size) {
    return absl::InvalidArgumentError(absl::StrCat("leaf ", index, " is not in a tree of size ", size));
  }
  std::vector<std::string> out;
  if (absl::Status s = Path(nodes, index, 0, size, out); !s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<std::string>> ConsistencyPath(NodeReader nodes, uint64_t first, uint64_t second) {
  if (first > second) {
    return absl::InvalidArgumentError(absl::StrCat("consistency from size ", first, " to the smaller size ", second));
  }
  std::vector<std::string> out;
  if (first == 0 || first == second) return out;
  if (absl::Status s = Subproof(nodes, first, 0, second, true, out); !s.ok()) return s;
  return out;
}

absl::StatusOr<CompactRange> CompactRange::Load(NodeReader nodes, uint64_t size) {
  CompactRange range;
  uint64_t offset = 0;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((size & width) == 0) continue;
    absl::StatusOr<std::string> h = nodes(level, offset >> level);
    if (!h.ok()) return h.status();
    range.edge_.push_back(*std::move(h));
    offset += width;
  }
  range.size_ = size;
  return range;
}

std::string CompactRange::Root() const {
  if (edge_.empty()) return EmptyTreeHash();
  std::string root = edge_.back();
  for (std::size_t i = edge_.size() - 1; i-- > 0;) root = NodeHash(edge_[i], root);
  return root;
}

void CompactRange::Append(std::string hash,
                          absl::FunctionRef<void(int level, uint64_t index, const std::string& hash)> store) {
  const uint64_t index = size_++;
  store(0, index, hash);
  int level = 0;
  for (uint64_t at = index; (at & 1) == 1; at >>= 1) {
    hash = NodeHash(edge_.back(), hash);
    edge_.pop_back();
    store(++level, at >> 1, hash);
  }
  edge_.push_back(std::move(hash));
}

}  // namespace accord::audit
