#include "broker/audit/verifier.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "broker/audit/merkle.h"
#include "crypto/hash.h"
#include "crypto/signing.h"

namespace accord::audit {
namespace {

// No proof in a 2^64-leaf tree is longer than this.
constexpr int kMaxProofHashes = 64;

std::string Short(std::string_view hash) { return crypto::Hex(hash.substr(0, 8)); }

absl::Status CheckHashes(const google::protobuf::RepeatedPtrField<std::string>& hashes) {
  if (hashes.size() > kMaxProofHashes) {
    return absl::InvalidArgumentError(absl::StrCat("proof has ", hashes.size(), " hashes; at most ",
                                                   kMaxProofHashes, " are possible"));
  }
  for (int i = 0; i < hashes.size(); ++i) {
    if (hashes[i].size() != kHashSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("proof hash ", i, " has ", hashes[i].size(), " bytes, not 32"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRoot(std::string_view root, const char* which) {
  if (root.size() != kHashSize) {
    return absl::InvalidArgumentError(absl::StrCat(which, " root has ", root.size(), " bytes, not 32"));
  }
  return absl::OkStatus();
}

// Right-shifts both until LSB(fn) is set or fn is 0 (RFC 9162's inner loop).
void ShiftWhileEven(uint64_t& fn, uint64_t& sn) {
  while (fn != 0 && (fn & 1) == 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

}  // namespace

absl::Status VerifyInclusion(std::string_view leaf_hash, const v1::InclusionProof& proof,
                             std::string_view root) {
  if (leaf_hash.size() != kHashSize) {
    return absl::InvalidArgumentError(absl::StrCat("leaf hash has ", leaf_hash.size(), " bytes, not 32"));
  }
  if (absl::Status s = CheckRoot(root, "tree"); !s.ok()) return s;
  if (absl::Status s = CheckHashes(proof.hashes()); !s.ok()) return s;
  // RFC 9162 §2.1.3.2.
  if (proof.leaf_index() >= proof.tree_size()) {
    return absl::InvalidArgumentError(absl::StrCat("leaf index ", proof.leaf_index(),
                                                   " is not in a tree of size ", proof.tree_size()));
  }
  uint64_t fn = proof.leaf_index();
  uint64_t sn = proof.tree_size() - 1;
  std::string r(leaf_hash);
  for (const std::string& p : proof.hashes()) {
    if (sn == 0) return absl::InvalidArgumentError("inclusion proof has too many hashes for its tree size");
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(p, r);
      if ((fn & 1) == 0) ShiftWhileEven(fn, sn);
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return absl::InvalidArgumentError("inclusion proof has too few hashes for its tree size");
  if (r != root) {
    return absl::UnauthenticatedError(
        absl::StrCat("inclusion proof for leaf ", proof.leaf_index(), " in tree size ", proof.tree_size(),
                     " does not lead to the root (computed ", Short(r), "..., signed ", Short(root), "...)"));
  }
  return absl::OkStatus();
}

absl::Status VerifyConsistency(const v1::ConsistencyProof& proof, std::string_view first_root,
                               std::string_view second_root) {
  if (absl::Status s = CheckRoot(first_root, "first"); !s.ok()) return s;
  if (absl::Status s = CheckRoot(second_root, "second"); !s.ok()) return s;
  if (absl::Status s = CheckHashes(proof.hashes()); !s.ok()) return s;
  const uint64_t first = proof.first_size();
  const uint64_t second = proof.second_size();
  if (first > second) {
    return absl::InvalidArgumentError(
        absl::StrCat("consistency proof from size ", first, " to the smaller size ", second));
  }
  if (first == second || first == 0) {
    if (!proof.hashes().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("consistency proof from size ", first, " to ", second,
                                                     " must be empty"));
    }
    const bool ok = first == 0 ? first_root == EmptyTreeHash() : first_root == second_root;
    if (!ok) {
      return absl::UnauthenticatedError(
          first == 0 ? std::string("the first root is not the empty tree's root")
                     : absl::StrCat("two heads for the same size ", first, " have different roots (",
                                    Short(first_root), "... and ", Short(second_root), "...)"));
    }
    return absl::OkStatus();
  }
  // RFC 9162 §2.1.4.2.
  if (proof.hashes().empty()) return absl::InvalidArgumentError("consistency proof is empty");
  std::vector<std::string> path;
  if ((first & (first - 1)) == 0) path.emplace_back(first_root);
  path.insert(path.end(), proof.hashes().begin(), proof.hashes().end());
  uint64_t fn = first - 1;
  uint64_t sn = second - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  std::string fr = path[0];
  std::string sr = path[0];
  for (std::size_t i = 1; i < path.size(); ++i) {
    const std::string& c = path[i];
    if (sn == 0) return absl::InvalidArgumentError("consistency proof has too many hashes");
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0) ShiftWhileEven(fn, sn);
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return absl::InvalidArgumentError("consistency proof has too few hashes");
  if (fr != first_root) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the tree of size ", second, " does not contain the tree of size ", first, " that was signed (computed ",
        Short(fr), "..., signed ", Short(first_root), "...): the log's history was changed"));
  }
  if (sr != second_root) {
    return absl::UnauthenticatedError(absl::StrCat("consistency proof does not lead to the root of size ",
                                                   second, " (computed ", Short(sr), "..., signed ",
                                                   Short(second_root), "...)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::TreeHead> VerifySignedTreeHead(const v1::SignedTreeHead& sth,
                                                  std::string_view log_public_key) {
  if (absl::Status s = crypto::VerifySignature(log_public_key, crypto::kTreeHeadType, sth.tree_head(),
                                               sth.signature());
      !s.ok()) {
    if (s.code() == absl::StatusCode::kUnauthenticated) {
      return absl::UnauthenticatedError("tree head signature is not valid for this log key");
    }
    return s;
  }
  v1::TreeHead head;
  if (!head.ParseFromString(sth.tree_head())) {
    return absl::InvalidArgumentError("signed tree head does not parse as a TreeHead");
  }
  if (head.root_hash().size() != kHashSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("tree head root hash has ", head.root_hash().size(), " bytes, not 32"));
  }
  if (head.log_key_id() != crypto::KeyIdOf(log_public_key)) {
    return absl::InvalidArgumentError(absl::StrCat("tree head names log key ", head.log_key_id(),
                                                   " but was checked with key ",
                                                   crypto::KeyIdOf(log_public_key)));
  }
  return head;
}

}  // namespace accord::audit
