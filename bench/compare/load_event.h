// The one event bench/compare's Accord load publishes, shared by accord_load
// (the measured load) and accord_prefill (the stored history it lands on), so
// that both write exactly the same kind of event: a high-risk domestic
// incident with children in the household, five sections of 150-550 random
// bytes (sealed envelopes of ~4.5 KB for four recipients), one victim and one
// perpetrator per case, never shared between cases (so no serial-pattern
// notices are raised).
#ifndef ACCORD_BENCH_COMPARE_LOAD_EVENT_H_
#define ACCORD_BENCH_COMPARE_LOAD_EVENT_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/envelope.h"
#include "crypto/signing.h"
#include "accord/v1/envelope.pb.h"

namespace accord::bench {

inline constexpr const char* kLoadSections[] = {"summary", "risk", "detail", "children", "victim_contact"};

// Section keys drawn once and wrapped once for every recipient, for
// EventMaker::SealWith. A real agent draws fresh keys for every event
// (crypto::SealEvent); the load generator reuses them so that 14 X25519
// sealed boxes per event on this machine's two cores (about 1 ms of CPU,
// more than the broker spends on the event) do not become what a cell
// measures. The broker sees envelopes of the same shape and size and checks
// them all the same: it never holds a section key.
struct SealKit {
  std::vector<std::string> keys;  // one per kLoadSections entry
  std::vector<v1::KeyWrap> wraps;
};

struct EventMaker {
  std::string sender;
  std::string policy_version;
  const crypto::SigningKey* key = nullptr;
  std::vector<crypto::RecipientKey> recipients;
  int cases = 500;

  // The header of event `id` about case `case_index` ("bench-case-K"); with
  // `with_sections`, it lists the five sections (as a plan needs them).
  v1::EventHeader Header(const std::string& id, int64_t case_index, bool with_sections = false) const;
  // Five sections of 150-550 random lower-case bytes.
  static std::vector<crypto::PlainSection> Sections(std::mt19937_64& rng);
  // The event sealed for `recipients` and signed by `key`.
  absl::StatusOr<v1::Envelope> Seal(const std::string& id, int64_t case_index, std::mt19937_64& rng) const;
  // Fresh section keys wrapped for `recipients`.
  absl::StatusOr<SealKit> MakeKit() const;
  // As Seal, with the kit's keys and wraps: new sections (new nonces, bound
  // to the event id as always), a new header, a new signature.
  absl::StatusOr<v1::Envelope> SealWith(const SealKit& kit, const std::string& id, int64_t case_index,
                                        std::mt19937_64& rng) const;
};

}  // namespace accord::bench

#endif  // ACCORD_BENCH_COMPARE_LOAD_EVENT_H_
