// What a client checks in the AuditService's answers before it believes them,
// with nothing but the log's public key (docs/protocol.md §9): every head's
// signature, every proof from the hash of the leaf bytes as received, and only
// then the record parsed from those bytes. Nothing here re-serialises a
// message to hash it. Like verifier.h, it shares nothing with the prover.
//
// Errors: INVALID_ARGUMENT for an answer that is malformed or lacks what it
// must carry; UNAUTHENTICATED when it does not prove what it claims.
#ifndef ACCORD_BROKER_AUDIT_ANSWER_CHECKS_H_
#define ACCORD_BROKER_AUDIT_ANSWER_CHECKS_H_

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/v1/audit.pb.h"

namespace accord::audit {

struct CheckedWhoSaw {
  v1::SignedTreeHead signed_head;
  v1::TreeHead head;  // verified; every row is proven against it
  // As received, but each `record` replaced by the one parsed from the
  // verified `leaf` bytes.
  std::vector<v1::WhoSawRow> rows;
};

// For each row: the proof is for the row's leaf index in the tree of the
// head's size, leads from LeafHash(leaf) to the head's root, and the record
// parsed from `leaf` carries that index as its sequence. A response without
// rows needs no head; one with rows needs a head signed by the log key.
absl::StatusOr<CheckedWhoSaw> CheckWhoSawResponse(const v1::WhoSawResponse& response,
                                                  std::string_view log_public_key);

}  // namespace accord::audit

#endif  // ACCORD_BROKER_AUDIT_ANSWER_CHECKS_H_
