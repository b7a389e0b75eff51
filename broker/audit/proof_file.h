// Self-contained proof files (docs/audit.md §Proof files): what `accord audit
// prove` and `accord audit head` write, and what `accord audit check-proof`
// checks with nothing but the file and the log's public key. A line-based
// text format: "accord-audit-proof v1", then "name value" lines; lines
// starting with '#' are notes for people and are ignored when checking.
#ifndef ACCORD_BROKER_AUDIT_PROOF_FILE_H_
#define ACCORD_BROKER_AUDIT_PROOF_FILE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/v1/audit.pb.h"

namespace accord::audit {

enum class ProofKind { kInclusion, kConsistency, kHead };

struct ProofFile {
  ProofKind kind = ProofKind::kHead;
  std::string leaf;                       // inclusion: the serialized AuditRecord
  v1::InclusionProof inclusion;           // inclusion
  v1::ConsistencyProof consistency;       // consistency
  std::vector<v1::SignedTreeHead> heads;  // inclusion, head: {head}; consistency: {first, second}
};

std::string FormatProofFile(const ProofFile& proof);
// INVALID_ARGUMENT naming the line for anything malformed, unknown or missing.
absl::StatusOr<ProofFile> ParseProofFile(std::string_view text);

// What a proof file was found to prove.
struct CheckedProof {
  ProofKind kind = ProofKind::kHead;
  std::vector<v1::TreeHead> heads;      // verified heads, in file order
  std::optional<v1::AuditRecord> record;  // inclusion: the record proven
};

// Verifies every head's signature with `log_public_key` and the proof against
// them (verifier.h only). For inclusion, the record's `sequence` must equal
// the proven leaf index.
absl::StatusOr<CheckedProof> CheckProofFile(const ProofFile& proof, std::string_view log_public_key);

}  // namespace accord::audit

#endif  // ACCORD_BROKER_AUDIT_PROOF_FILE_H_
