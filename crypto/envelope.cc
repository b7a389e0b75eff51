#include "crypto/envelope.h"

#include <sodium.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "crypto/hash.h"

namespace accord::crypto {
namespace {

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

constexpr std::size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

}  // namespace

std::string SectionAssociatedData(std::string_view event_id, std::string_view section) {
  std::string ad(event_id);
  ad.push_back('\0');
  ad.append(section);
  return ad;
}

void SealSection(std::string_view event_id, const PlainSection& section, std::string_view key,
                 v1::EventHeader* header, v1::Envelope* envelope) {
  std::string nonce(kNonceBytes, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  const std::string ad = SectionAssociatedData(event_id, section.name);
  std::string ciphertext(section.plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long ciphertext_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(ciphertext.data()), &ciphertext_len,
                                             U(section.plaintext), section.plaintext.size(), U(ad), ad.size(),
                                             nullptr, U(nonce), U(key));
  ciphertext.resize(ciphertext_len);
  v1::SectionRef* ref = header->add_sections();
  ref->set_name(section.name);
  ref->set_content_type(section.content_type);
  ref->set_ciphertext_sha256(Sha256(ciphertext));
  v1::SealedSection* sealed = envelope->add_sections();
  sealed->set_name(section.name);
  sealed->set_nonce(std::move(nonce));
  sealed->set_ciphertext(std::move(ciphertext));
}

absl::StatusOr<v1::Envelope> SealEvent(v1::EventHeader header,
                                       const std::vector<PlainSection>& sections,
                                       const std::vector<RecipientKey>& recipients,
                                       const SigningKey& sender) {
  if (auto s = InitSodium(); !s.ok()) return s;
  if (header.event_id().empty()) return absl::InvalidArgumentError("event_id is empty");
  if (header.signing_key_id().empty()) header.set_signing_key_id(sender.key_id());
  if (header.signing_key_id() != sender.key_id()) {
    return absl::InvalidArgumentError(absl::StrCat("header names signing key ",
                                                   header.signing_key_id(),
                                                   " but the sender key is ", sender.key_id()));
  }
  header.clear_sections();
  v1::Envelope envelope;
  std::map<std::string, SecretBytes> keys;
  for (const PlainSection& section : sections) {
    if (section.name.empty()) return absl::InvalidArgumentError("section with empty name");
    if (keys.count(section.name) > 0) {
      return absl::InvalidArgumentError(absl::StrCat("section '", section.name, "' repeats"));
    }
    SecretBytes key(kKeyBytes);
    crypto_aead_xchacha20poly1305_ietf_keygen(key.data());
    SealSection(header.event_id(), section, key.view(), &header, &envelope);
    keys.emplace(section.name, std::move(key));
  }
  for (const RecipientKey& recipient : recipients) {
    std::set<std::string> seen;
    for (const std::string& name : recipient.sections) {
      auto it = keys.find(name);
      if (it == keys.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "recipient '", recipient.agency, "' is planned section '", name,
            "' which the event does not contain"));
      }
      if (!seen.insert(name).second) continue;
      absl::StatusOr<std::string> sealed_key = SealTo(recipient.public_key, it->second.view());
      if (!sealed_key.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("recipient '", recipient.agency,
                                                       "': ", sealed_key.status().message()));
      }
      v1::KeyWrap* wrap = envelope.add_wraps();
      wrap->set_recipient(recipient.agency);
      wrap->set_key_id(recipient.key_id);
      wrap->set_section(name);
      wrap->set_sealed_key(*std::move(sealed_key));
    }
  }
  std::string header_bytes;
  if (!header.SerializeToString(&header_bytes)) {
    return absl::InternalError("could not serialize the event header");
  }
  envelope.set_signature(sender.Sign(kEventHeaderType, header_bytes));
  envelope.set_header(std::move(header_bytes));
  return envelope;
}

absl::StatusOr<v1::EventHeader> VerifyEnvelope(const v1::Envelope& envelope,
                                               std::string_view sender_public_key) {
  if (auto s = VerifySignature(sender_public_key, kEventHeaderType, envelope.header(),
                               envelope.signature());
      !s.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("event header signature invalid: ", s.message()));
  }
  v1::EventHeader header;
  if (!header.ParseFromString(envelope.header())) {
    return absl::InvalidArgumentError("signed header is not a valid EventHeader");
  }
  std::map<std::string, const v1::SectionRef*> index;
  for (const v1::SectionRef& ref : header.sections()) {
    if (!index.emplace(ref.name(), &ref).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("header indexes section '", ref.name(), "' twice"));
    }
  }
  std::set<std::string> present;
  for (const v1::SealedSection& section : envelope.sections()) {
    auto it = index.find(section.name());
    if (it == index.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("section '", section.name(), "' is not in the signed header"));
    }
    if (!present.insert(section.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("section '", section.name(), "' appears twice"));
    }
    if (section.nonce().size() != kNonceBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "section '", section.name(), "' nonce is ", section.nonce().size(),
          " bytes, expected ", kNonceBytes));
    }
    if (Sha256(section.ciphertext()) != it->second->ciphertext_sha256()) {
      return absl::DataLossError(absl::StrCat(
          "section '", section.name(), "' ciphertext does not match its signed digest"));
    }
  }
  if (present.size() != index.size()) {
    for (const auto& [name, ref] : index) {
      if (present.count(name) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("signed header lists section '", name, "' but it is missing"));
      }
    }
  }
  for (const v1::KeyWrap& wrap : envelope.wraps()) {
    if (index.count(wrap.section()) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("wrap for '", wrap.recipient(),
                                                     "' names unknown section '",
                                                     wrap.section(), "'"));
    }
  }
  return header;
}

absl::StatusOr<OpenedEvent> OpenEvent(const v1::Envelope& envelope,
                                      std::string_view sender_public_key,
                                      std::string_view agency, const EncryptionKey& key) {
  absl::StatusOr<v1::EventHeader> header = VerifyEnvelope(envelope, sender_public_key);
  if (!header.ok()) return header.status();
  OpenedEvent opened;
  opened.header = *std::move(header);
  std::map<std::string, const v1::KeyWrap*> mine;
  for (const v1::KeyWrap& wrap : envelope.wraps()) {
    if (wrap.recipient() != agency) continue;
    if (wrap.key_id() != key.key_id()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "section '", wrap.section(), "' is wrapped for key ", wrap.key_id(),
          " but this agency's key is ", key.key_id()));
    }
    if (!mine.emplace(wrap.section(), &wrap).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("two wraps of section '", wrap.section(), "' for '",
                       std::string(agency), "'"));
    }
  }
  for (const v1::SealedSection& section : envelope.sections()) {
    const v1::SectionRef* ref = nullptr;
    for (const v1::SectionRef& r : opened.header.sections()) {
      if (r.name() == section.name()) ref = &r;
    }
    auto wrap = mine.find(section.name());
    if (wrap == mine.end()) {
      opened.not_for_me.push_back(section.name());
      continue;
    }
    absl::StatusOr<SecretBytes> section_key = key.Unseal(wrap->second->sealed_key());
    if (!section_key.ok()) {
      return absl::UnauthenticatedError(absl::StrCat(
          "key wrap for section '", section.name(), "' does not open: ",
          section_key.status().message()));
    }
    if (section_key->size() != kKeyBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "key wrap for section '", section.name(), "' holds ", section_key->size(),
          " bytes, expected ", kKeyBytes));
    }
    const std::string ad = SectionAssociatedData(opened.header.event_id(), section.name());
    const std::string& ct = section.ciphertext();
    if (ct.size() < crypto_aead_xchacha20poly1305_ietf_ABYTES) {
      return absl::UnauthenticatedError(
          absl::StrCat("section '", section.name(), "' ciphertext too short"));
    }
    SecretBytes plaintext(ct.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned long long plaintext_len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            plaintext.data(), &plaintext_len, nullptr, U(ct), ct.size(), U(ad), ad.size(),
            U(section.nonce()), section_key->data()) != 0) {
      return absl::UnauthenticatedError(absl::StrCat(
          "section '", section.name(), "' does not decrypt (altered, moved from another "
          "event, or renamed)"));
    }
    opened.sections.push_back(
        OpenedSection{section.name(), ref->content_type(), std::move(plaintext)});
  }
  return opened;
}

}  // namespace accord::crypto
