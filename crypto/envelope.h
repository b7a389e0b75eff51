// Sealing and opening events (DESIGN.md §4, docs/protocol.md). Callers hand in
// plaintext sections and verified recipient keys; nonces, section keys,
// associated data, digests and the signature are chosen here.
#ifndef ACCORD_CRYPTO_ENVELOPE_H_
#define ACCORD_CRYPTO_ENVELOPE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/v1/envelope.pb.h"
#include "crypto/encryption.h"
#include "crypto/secret_bytes.h"
#include "crypto/signing.h"

namespace accord::crypto {

struct PlainSection {
  std::string name;          // e.g. "summary"
  std::string content_type;  // e.g. "accord.v1.Summary"
  std::string plaintext;     // serialized protobuf of content_type
};

// A recipient's verified X25519 key and the sections it may open.
struct RecipientKey {
  std::string agency;
  std::string key_id;
  std::string public_key;
  std::vector<std::string> sections;
};

// Seals `sections` and signs `header`. The header's `sections` index is filled
// here (name, content type, ciphertext digest); anything already in it is
// replaced. Fails if a recipient names a section that is not in `sections`,
// if a section name repeats, or if header.signing_key_id does not match
// `sender` (it is set when empty).
// One section of SealEvent: `section` encrypted under the 32-byte `key` with a
// new nonce, bound to `event_id`; its SectionRef (digest) appended to
// `header`, its sealed form to `envelope`. SealEvent draws a new key for every
// section; only a load generator reuses them (bench/compare/load_event.h).
void SealSection(std::string_view event_id, const PlainSection& section, std::string_view key,
                 v1::EventHeader* header, v1::Envelope* envelope);

absl::StatusOr<v1::Envelope> SealEvent(v1::EventHeader header,
                                       const std::vector<PlainSection>& sections,
                                       const std::vector<RecipientKey>& recipients,
                                       const SigningKey& sender);

// Checks what anyone (the broker included) can check without keys: the
// signature over the exact header bytes, every section digest, no duplicate
// or unindexed sections, wraps only for indexed sections. Returns the parsed
// header.
absl::StatusOr<v1::EventHeader> VerifyEnvelope(const v1::Envelope& envelope,
                                               std::string_view sender_public_key);

struct OpenedSection {
  std::string name;
  std::string content_type;
  SecretBytes plaintext;
};

struct OpenedEvent {
  v1::EventHeader header;
  std::vector<OpenedSection> sections;     // the ones wrapped for this recipient
  std::vector<std::string> not_for_me;     // indexed sections with no wrap for us
};

// VerifyEnvelope, then opens every section wrapped for (`agency`, `key`).
// All-or-nothing: any failing wrap or section fails the whole call, so no
// partially opened event is ever returned.
absl::StatusOr<OpenedEvent> OpenEvent(const v1::Envelope& envelope,
                                      std::string_view sender_public_key,
                                      std::string_view agency, const EncryptionKey& key);

// Associated data of a section: event_id || 0x00 || section_name.
std::string SectionAssociatedData(std::string_view event_id, std::string_view section);

}  // namespace accord::crypto

#endif  // ACCORD_CRYPTO_ENVELOPE_H_
