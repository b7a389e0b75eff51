// Verifying what the log hands out, from the proof, the signed head and the
// log's public key alone. Written from RFC 9162 §2.1.3.2 and §2.1.4.2; shares
// nothing with the prover (audit_log.cc) but the two hash functions, so a bug
// in one is not mirrored in the other.
//
// Errors: INVALID_ARGUMENT for a malformed proof or head (wrong sizes, index
// outside the tree, too many or too few hashes); UNAUTHENTICATED when it is
// well-formed but does not prove the claim (different leaf, root or history,
// bad signature).
#ifndef ACCORD_BROKER_AUDIT_VERIFIER_H_
#define ACCORD_BROKER_AUDIT_VERIFIER_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "accord/v1/audit.pb.h"

namespace accord::audit {

// OK if `proof` shows the leaf with hash `leaf_hash` (32 bytes, LeafHash of
// the serialized record) at proof.leaf_index() in the tree of size
// proof.tree_size() whose root is `root`.
absl::Status VerifyInclusion(std::string_view leaf_hash, const v1::InclusionProof& proof,
                             std::string_view root);

// OK if the tree of size proof.first_size() with root `first_root` is a
// prefix of the tree of size proof.second_size() with root `second_root`.
// Equal sizes need an empty proof and equal roots; from size 0, an empty proof
// and the empty tree's root.
absl::Status VerifyConsistency(const v1::ConsistencyProof& proof, std::string_view first_root,
                               std::string_view second_root);

// Checks the Ed25519 signature over PAE(kTreeHeadType, tree_head) with the
// log's public key, then returns the head (root is 32 bytes, key id matches).
absl::StatusOr<v1::TreeHead> VerifySignedTreeHead(const v1::SignedTreeHead& sth,
                                                  std::string_view log_public_key);

}  // namespace accord::audit

#endif  // ACCORD_BROKER_AUDIT_VERIFIER_H_
