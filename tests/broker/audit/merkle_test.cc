// Known answers for the tree: RFC 6962 / Certificate Transparency test vectors
// for roots and proofs, and a naive recursive implementation of RFC 6962
// §2.1 for every size up to 70 and a few larger ones. The prover works from
// stored complete subtrees (an in-memory map here); the verifiers get only
// the proofs.
#include "broker/audit/merkle.h"

#include <map>
#include <random>

#include <gtest/gtest.h>

#include "broker/audit/merkle_tree.h"
#include "broker/audit/verifier.h"
#include "crypto/hash.h"

namespace accord::audit {
namespace {

std::string Unhex(const std::string& hex) { return *crypto::Unhex(hex); }
std::string Hex(const std::string& bytes) { return crypto::Hex(bytes); }

// The eight leaves of the CT test vectors.
std::vector<std::string> RfcLeaves() {
  return {std::string(""),
          std::string("\x00", 1),
          "\x10",
          "\x20\x21",
          "\x30\x31",
          "\x40\x41\x42\x43",
          "\x50\x51\x52\x53\x54\x55\x56\x57",
          "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};
}

// Roots of the first 1..8 leaves.
const char* const kRfcRoots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

// RFC 6962 §2.1 taken literally.
uint64_t K(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
std::string Mth(const std::vector<std::string>& d, uint64_t lo, uint64_t hi) {
  if (hi == lo) return crypto::Sha256("");
  if (hi - lo == 1) return crypto::Sha256(std::string(1, '\0') + d[lo]);
  const uint64_t k = K(hi - lo);
  return crypto::Sha256("\x01" + Mth(d, lo, lo + k) + Mth(d, lo + k, hi));
}
std::vector<std::string> NaivePath(const std::vector<std::string>& d, uint64_t m, uint64_t lo, uint64_t hi) {
  if (hi - lo <= 1) return {};
  const uint64_t k = K(hi - lo);
  std::vector<std::string> p;
  if (m < k) {
    p = NaivePath(d, m, lo, lo + k);
    p.push_back(Mth(d, lo + k, hi));
  } else {
    p = NaivePath(d, m - k, lo + k, hi);
    p.push_back(Mth(d, lo, lo + k));
  }
  return p;
}
std::vector<std::string> NaiveSubproof(const std::vector<std::string>& d, uint64_t m, uint64_t lo, uint64_t hi,
                                       bool b) {
  const uint64_t n = hi - lo;
  if (m == n) return b ? std::vector<std::string>{} : std::vector<std::string>{Mth(d, lo, hi)};
  const uint64_t k = K(n);
  std::vector<std::string> p;
  if (m <= k) {
    p = NaiveSubproof(d, m, lo, lo + k, b);
    p.push_back(Mth(d, lo + k, hi));
  } else {
    p = NaiveSubproof(d, m - k, lo + k, hi, false);
    p.push_back(Mth(d, lo, lo + k));
  }
  return p;
}

// A tree whose complete subtrees live in a map, built by CompactRange.
class MemoryTree {
 public:
  void Append(const std::string& leaf) {
    range_.Append(LeafHash(leaf), [&](int level, uint64_t index, const std::string& h) {
      ASSERT_TRUE(nodes_.emplace(std::make_pair(level, index), h).second) << "subtree stored twice";
    });
  }
  NodeReader Reader() const { return reader_; }
  const CompactRange& range() const { return range_; }
  std::size_t stored() const { return nodes_.size(); }

 private:
  std::map<std::pair<int, uint64_t>, std::string> nodes_;
  CompactRange range_;
  std::function<absl::StatusOr<std::string>(int, uint64_t)> lookup_ = [this](int level, uint64_t index)
      -> absl::StatusOr<std::string> {
    auto it = nodes_.find({level, index});
    if (it == nodes_.end()) return absl::NotFoundError("no such node");
    return it->second;
  };
  NodeReader reader_{lookup_};
};

v1::InclusionProof Inclusion(uint64_t index, uint64_t size, const std::vector<std::string>& path) {
  v1::InclusionProof p;
  p.set_leaf_index(index);
  p.set_tree_size(size);
  for (const std::string& h : path) p.add_hashes(h);
  return p;
}

v1::ConsistencyProof Consistency(uint64_t first, uint64_t second, const std::vector<std::string>& path) {
  v1::ConsistencyProof p;
  p.set_first_size(first);
  p.set_second_size(second);
  for (const std::string& h : path) p.add_hashes(h);
  return p;
}

std::vector<std::string> Hexes(const std::vector<std::string>& hashes) {
  std::vector<std::string> out;
  for (const std::string& h : hashes) out.push_back(Hex(h));
  return out;
}

TEST(MerkleHashTest, MatchesRfc6962Definitions) {
  EXPECT_EQ(Hex(EmptyTreeHash()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(LeafHash("")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  // Cross-check OpenSSL's SHA-256 against libsodium's on many lengths.
  std::mt19937_64 rng(6962);
  for (int len = 0; len < 300; ++len) {
    std::string leaf(static_cast<std::size_t>(len), '\0');
    for (char& c : leaf) c = static_cast<char>(rng());
    ASSERT_EQ(LeafHash(leaf), crypto::Sha256(std::string(1, '\0') + leaf)) << len;
    const std::string l = crypto::Sha256(leaf), r = crypto::Sha256(l);
    ASSERT_EQ(NodeHash(l, r), crypto::Sha256("\x01" + l + r));
    Hash hl, hr;
    std::copy(l.begin(), l.end(), hl.begin());
    std::copy(r.begin(), r.end(), hr.begin());
    ASSERT_EQ(ToString(NodeHashOf(hl, hr)), NodeHash(l, r));
    ASSERT_EQ(ToString(LeafHashOf(leaf)), LeafHash(leaf));
  }
}

TEST(MerkleTreeTest, RootsMatchTheRfcVectors) {
  const std::vector<std::string> leaves = RfcLeaves();
  MemoryTree tree;
  EXPECT_EQ(*TreeRoot(tree.Reader(), 0), EmptyTreeHash());
  EXPECT_EQ(tree.range().Root(), EmptyTreeHash());
  for (std::size_t n = 1; n <= leaves.size(); ++n) {
    tree.Append(leaves[n - 1]);
    EXPECT_EQ(Hex(tree.range().Root()), kRfcRoots[n - 1]) << "size " << n;
    EXPECT_EQ(Hex(Mth(leaves, 0, n)), kRfcRoots[n - 1]) << "naive, size " << n;
  }
  for (std::size_t n = 1; n <= leaves.size(); ++n) {
    EXPECT_EQ(Hex(*TreeRoot(tree.Reader(), n)), kRfcRoots[n - 1]) << "from stored subtrees, size " << n;
  }
  EXPECT_EQ(tree.stored(), 8u + 4 + 2 + 1) << "every complete subtree, nothing else";
}

struct InclusionVector {
  uint64_t index, size;
  std::vector<std::string> path;
};
struct ConsistencyVector {
  uint64_t first, second;
  std::vector<std::string> path;
};

TEST(MerkleTreeTest, ProofsMatchTheRfcVectors) {
  MemoryTree tree;
  for (const std::string& leaf : RfcLeaves()) tree.Append(leaf);
  const std::vector<InclusionVector> inclusion = {
      {0, 1, {}},
      {0, 8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5, 8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1, 5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  const std::vector<std::string> leaves = RfcLeaves();
  for (const InclusionVector& v : inclusion) {
    SCOPED_TRACE(testing::Message() << "leaf " << v.index << " size " << v.size);
    EXPECT_EQ(Hexes(*InclusionPath(tree.Reader(), v.index, v.size)), v.path);
    std::vector<std::string> path;
    for (const std::string& h : v.path) path.push_back(Unhex(h));
    EXPECT_TRUE(VerifyInclusion(LeafHash(leaves[v.index]), Inclusion(v.index, v.size, path),
                                Unhex(kRfcRoots[v.size - 1]))
                    .ok());
  }
  const std::vector<ConsistencyVector> consistency = {
      {1, 1, {}},
      {1, 8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6, 8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  for (const ConsistencyVector& v : consistency) {
    SCOPED_TRACE(testing::Message() << "from " << v.first << " to " << v.second);
    EXPECT_EQ(Hexes(*ConsistencyPath(tree.Reader(), v.first, v.second)), v.path);
    std::vector<std::string> path;
    for (const std::string& h : v.path) path.push_back(Unhex(h));
    EXPECT_TRUE(VerifyConsistency(Consistency(v.first, v.second, path), Unhex(kRfcRoots[v.first - 1]),
                                  Unhex(kRfcRoots[v.second - 1]))
                    .ok());
  }
}

// Every leaf and every pair of sizes up to 70, plus larger trees around powers
// of two, against the literal RFC definitions.
TEST(MerkleTreeTest, AgreesWithTheRfcDefinitionsForManySizes) {
  std::vector<std::string> leaves;
  MemoryTree tree;
  std::vector<std::string> roots = {EmptyTreeHash()};
  for (int i = 0; i < 1030; ++i) {
    leaves.push_back("leaf " + std::to_string(i));
    tree.Append(leaves.back());
    roots.push_back(tree.range().Root());
  }
  std::vector<uint64_t> sizes;
  for (uint64_t n = 1; n <= 70; ++n) sizes.push_back(n);
  for (uint64_t n : {127, 128, 129, 255, 256, 257, 511, 512, 1023, 1024, 1025, 1030}) sizes.push_back(n);
  for (uint64_t n : sizes) {
    SCOPED_TRACE(testing::Message() << "size " << n);
    ASSERT_EQ(roots[n], Mth(leaves, 0, n));
    ASSERT_EQ(*TreeRoot(tree.Reader(), n), roots[n]);
    std::vector<uint64_t> indices;
    if (n <= 70) {
      for (uint64_t m = 0; m < n; ++m) indices.push_back(m);
    } else {
      indices = {0, 1, n / 2, n - 2, n - 1};
    }
    for (uint64_t m : indices) {
      const std::vector<std::string> path = *InclusionPath(tree.Reader(), m, n);
      ASSERT_EQ(path, NaivePath(leaves, m, 0, n)) << "leaf " << m;
      ASSERT_TRUE(VerifyInclusion(LeafHash(leaves[m]), Inclusion(m, n, path), roots[n]).ok()) << "leaf " << m;
    }
    for (uint64_t m : indices) {
      const uint64_t first = m + 1;  // 1..n
      const std::vector<std::string> path = *ConsistencyPath(tree.Reader(), first, n);
      ASSERT_EQ(path, first == n ? std::vector<std::string>{} : NaiveSubproof(leaves, first, 0, n, true))
          << "from " << first;
      ASSERT_TRUE(VerifyConsistency(Consistency(first, n, path), roots[first], roots[n]).ok()) << "from " << first;
    }
  }
}

TEST(MerkleTreeTest, EdgeCases) {
  MemoryTree tree;
  for (int i = 0; i < 16; ++i) tree.Append("x" + std::to_string(i));
  const std::string root16 = *TreeRoot(tree.Reader(), 16);
  // Size 1: the root is the leaf hash and the path is empty.
  EXPECT_EQ(*TreeRoot(tree.Reader(), 1), LeafHash("x0"));
  EXPECT_TRUE(InclusionPath(tree.Reader(), 0, 1)->empty());
  EXPECT_TRUE(VerifyInclusion(LeafHash("x0"), Inclusion(0, 1, {}), LeafHash("x0")).ok());
  // Power of two and its last leaf: a path of exactly log2(n) hashes.
  EXPECT_EQ(InclusionPath(tree.Reader(), 15, 16)->size(), 4u);
  EXPECT_TRUE(VerifyInclusion(LeafHash("x15"), Inclusion(15, 16, *InclusionPath(tree.Reader(), 15, 16)), root16).ok());
  // The last leaf of a non-power-of-two tree climbs past missing siblings.
  const std::string root13 = *TreeRoot(tree.Reader(), 13);
  EXPECT_EQ(InclusionPath(tree.Reader(), 12, 13)->size(), 2u);
  EXPECT_TRUE(VerifyInclusion(LeafHash("x12"), Inclusion(12, 13, *InclusionPath(tree.Reader(), 12, 13)), root13).ok());
  // Consistency from size 0: empty proof, the empty root.
  EXPECT_TRUE(ConsistencyPath(tree.Reader(), 0, 16)->empty());
  EXPECT_TRUE(VerifyConsistency(Consistency(0, 16, {}), EmptyTreeHash(), root16).ok());
  EXPECT_FALSE(VerifyConsistency(Consistency(0, 16, {}), root13, root16).ok());
  EXPECT_FALSE(VerifyConsistency(Consistency(0, 16, {root13}), EmptyTreeHash(), root16).ok());
  // To the same size: empty proof, equal roots.
  EXPECT_TRUE(ConsistencyPath(tree.Reader(), 13, 13)->empty());
  EXPECT_TRUE(VerifyConsistency(Consistency(13, 13, {}), root13, root13).ok());
  EXPECT_EQ(VerifyConsistency(Consistency(13, 13, {}), root13, root16).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(VerifyConsistency(Consistency(13, 13, {root13}), root13, root13).ok());
  // A power-of-two first size: the first root itself is not in the proof.
  const std::vector<std::string> from8 = *ConsistencyPath(tree.Reader(), 8, 13);
  EXPECT_TRUE(VerifyConsistency(Consistency(8, 13, from8), *TreeRoot(tree.Reader(), 8), root13).ok());
  // Out of range.
  EXPECT_FALSE(InclusionPath(tree.Reader(), 16, 16).ok());
  EXPECT_FALSE(ConsistencyPath(tree.Reader(), 14, 13).ok());
}

TEST(VerifierTest, RejectsMalformedProofs) {
  MemoryTree tree;
  for (int i = 0; i < 10; ++i) tree.Append("y" + std::to_string(i));
  const std::string root = *TreeRoot(tree.Reader(), 10);
  const std::string leaf = LeafHash("y3");
  v1::InclusionProof good = Inclusion(3, 10, *InclusionPath(tree.Reader(), 3, 10));
  ASSERT_TRUE(VerifyInclusion(leaf, good, root).ok());

  v1::InclusionProof p = good;
  p.set_leaf_index(10);
  EXPECT_EQ(VerifyInclusion(leaf, p, root).code(), absl::StatusCode::kInvalidArgument);
  p = good;
  p.add_hashes(root);
  EXPECT_EQ(VerifyInclusion(leaf, p, root).code(), absl::StatusCode::kInvalidArgument);
  p = good;
  p.mutable_hashes()->RemoveLast();
  EXPECT_EQ(VerifyInclusion(leaf, p, root).code(), absl::StatusCode::kInvalidArgument);
  p = good;
  p.set_hashes(0, "short");
  EXPECT_EQ(VerifyInclusion(leaf, p, root).code(), absl::StatusCode::kInvalidArgument);
  p = good;
  (*p.mutable_hashes(1))[0] ^= 1;
  EXPECT_EQ(VerifyInclusion(leaf, p, root).code(), absl::StatusCode::kUnauthenticated);
  p = good;
  p.set_leaf_index(2);
  EXPECT_EQ(VerifyInclusion(leaf, p, root).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifyInclusion(LeafHash("y4"), good, root).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(VerifyInclusion(leaf, good, root.substr(1)).ok());
  EXPECT_FALSE(VerifyInclusion("", good, root).ok());
  for (int i = 0; i < 70; ++i) p.add_hashes(root);
  EXPECT_EQ(VerifyInclusion(leaf, p, root).code(), absl::StatusCode::kInvalidArgument);

  const std::string root7 = *TreeRoot(tree.Reader(), 7);
  v1::ConsistencyProof c = Consistency(7, 10, *ConsistencyPath(tree.Reader(), 7, 10));
  ASSERT_TRUE(VerifyConsistency(c, root7, root).ok());
  EXPECT_EQ(VerifyConsistency(c, root, root).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifyConsistency(c, root7, root7).code(), absl::StatusCode::kUnauthenticated);
  v1::ConsistencyProof bad = c;
  bad.set_first_size(11);
  EXPECT_EQ(VerifyConsistency(bad, root7, root).code(), absl::StatusCode::kInvalidArgument);
  bad = c;
  bad.clear_hashes();
  EXPECT_EQ(VerifyConsistency(bad, root7, root).code(), absl::StatusCode::kInvalidArgument);
  bad = c;
  bad.add_hashes(root);
  EXPECT_FALSE(VerifyConsistency(bad, root7, root).ok());
  bad = c;
  bad.set_first_size(6);
  EXPECT_FALSE(VerifyConsistency(bad, *TreeRoot(tree.Reader(), 6), root).ok());
}

}  // namespace
}  // namespace accord::audit
