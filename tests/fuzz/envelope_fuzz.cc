// Envelope verification and opening, as a receiving agent does it
// (crypto::OpenEvent, which runs VerifyEnvelope first) and as the broker does
// (VerifyEnvelope). Input: a serialized Envelope. The seeds are sealed with
// the fixed keys of fuzz_support.h, so mutations of their sections and wraps
// reach the digest checks and the unsealing.
#include <cstddef>
#include <cstdint>
#include <set>

#include "crypto/envelope.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

struct Keys {
  accord::crypto::SigningKey sender = *accord::crypto::SigningKey::FromSeed(accord::fuzz::SenderSeed());
  accord::crypto::EncryptionKey recipient =
      *accord::crypto::EncryptionKey::FromSecret(accord::fuzz::RecipientSecret());
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace accord;
  static const Keys* keys = new Keys();
  v1::Envelope envelope;
  if (!envelope.ParseFromArray(data, static_cast<int>(size))) return 0;

  absl::StatusOr<v1::EventHeader> verified = crypto::VerifyEnvelope(envelope, keys->sender.public_key());
  absl::StatusOr<crypto::OpenedEvent> opened =
      crypto::OpenEvent(envelope, keys->sender.public_key(), "victim_services", keys->recipient);
  if (opened.ok() && !verified.ok()) fuzz::Fail("opened an envelope that does not verify");
  if (!opened.ok()) return 0;

  // Only indexed sections come back, each once, with the header's content type.
  std::set<std::string> indexed;
  for (const auto& s : opened->header.sections()) indexed.insert(s.name());
  std::set<std::string> seen;
  for (const crypto::OpenedSection& s : opened->sections) {
    if (indexed.count(s.name) == 0) fuzz::Fail("opened a section the header does not index");
    if (!seen.insert(s.name).second) fuzz::Fail("opened a section twice");
  }
  // Only sections wrapped for us are opened.
  for (const crypto::OpenedSection& s : opened->sections) {
    bool wrapped = false;
    for (const v1::KeyWrap& w : envelope.wraps()) {
      wrapped = wrapped || (w.recipient() == "victim_services" && w.section() == s.name);
    }
    if (!wrapped) fuzz::Fail("opened a section with no wrap for the recipient");
  }
  return 0;
}
