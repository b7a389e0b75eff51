// Proof files (broker/audit/proof_file.h), as `accord audit check-proof`
// reads them from anyone: parse, check against the fixed log key, and the
// round trip (a parsed file, formatted again, parses to the same proof).
// Seeds are signed with fuzz_support.h's log key by make_fuzz_seeds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "broker/audit/proof_file.h"
#include "crypto/signing.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace accord;
  static const crypto::SigningKey* log_key = new crypto::SigningKey(*crypto::SigningKey::FromSeed(fuzz::LogKeySeed()));
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<audit::ProofFile> proof = audit::ParseProofFile(text);
  if (!proof.ok()) return 0;
  const std::string formatted = audit::FormatProofFile(*proof);
  absl::StatusOr<audit::ProofFile> again = audit::ParseProofFile(formatted);
  if (!again.ok()) fuzz::Fail("a formatted proof file does not parse: " + std::string(again.status().message()));
  if (audit::FormatProofFile(*again) != formatted) fuzz::Fail("proof file round trip changed it");
  absl::StatusOr<audit::CheckedProof> checked = audit::CheckProofFile(*proof, log_key->public_key());
  absl::StatusOr<audit::CheckedProof> checked_again = audit::CheckProofFile(*again, log_key->public_key());
  if (checked.ok() != checked_again.ok()) fuzz::Fail("a proof and its round trip check differently");
  return 0;
}
