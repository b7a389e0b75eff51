#include "bench/compare/load_event.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "crypto/encryption.h"
#include "crypto/hash.h"
#include "crypto/signing.h"
#include "sodium.h"

namespace accord::bench {

v1::EventHeader EventMaker::Header(const std::string& id, int64_t case_index, bool with_sections) const {
  v1::EventHeader h;
  h.set_version(1);
  h.set_event_id(id);
  h.set_kind(v1::EVENT_KIND_DOMESTIC_INCIDENT);
  h.set_sender(sender);
  h.set_case_ref(absl::StrCat("bench-case-", case_index));
  h.set_signing_key_id(key->key_id());
  h.set_policy_version(policy_version);
  h.mutable_risk()->set_level(v1::RISK_LEVEL_HIGH);
  h.add_flags(v1::FLAG_CHILDREN_IN_HOUSEHOLD);
  for (int role = 0; role < 2; ++role) {
    v1::SubjectRef* s = h.add_subjects();
    s->set_ref(absl::StrFormat("%048x%016x", role + 1, case_index));
    s->set_role(role == 0 ? v1::SUBJECT_ROLE_VICTIM : v1::SUBJECT_ROLE_PERPETRATOR);
  }
  h.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(absl::Now()) - 3600);
  h.mutable_signed_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  if (with_sections) {
    for (const char* s : kLoadSections) {
      v1::SectionRef* ref = h.add_sections();
      ref->set_name(s);
      ref->set_content_type("accord.v1.Summary");
    }
  }
  return h;
}

std::vector<crypto::PlainSection> EventMaker::Sections(std::mt19937_64& rng) {
  std::vector<crypto::PlainSection> out;
  std::uniform_int_distribution<int> size(150, 550);
  for (const char* s : kLoadSections) {
    std::string text(static_cast<size_t>(size(rng)), 'x');
    for (char& c : text) c = static_cast<char>('a' + rng() % 26);
    out.push_back({s, "accord.v1.Summary", std::move(text)});
  }
  return out;
}

absl::StatusOr<v1::Envelope> EventMaker::Seal(const std::string& id, int64_t case_index,
                                              std::mt19937_64& rng) const {
  v1::EventHeader h = Header(id, case_index);
  std::vector<crypto::PlainSection> sections = Sections(rng);
  for (const crypto::PlainSection& s : sections) {
    v1::SectionRef* ref = h.add_sections();
    ref->set_name(s.name);
    ref->set_content_type(s.content_type);
  }
  return crypto::SealEvent(h, sections, recipients, *key);
}

absl::StatusOr<SealKit> EventMaker::MakeKit() const {
  if (auto s = crypto::InitSodium(); !s.ok()) return s;
  SealKit kit;
  for (size_t i = 0; i < std::size(kLoadSections); ++i) {
    std::string k(crypto_aead_xchacha20poly1305_ietf_KEYBYTES, '\0');
    crypto_aead_xchacha20poly1305_ietf_keygen(reinterpret_cast<unsigned char*>(k.data()));
    kit.keys.push_back(std::move(k));
  }
  for (const crypto::RecipientKey& r : recipients) {
    for (const std::string& name : r.sections) {
      size_t i = 0;
      while (i < std::size(kLoadSections) && name != kLoadSections[i]) ++i;
      if (i == std::size(kLoadSections)) {
        return absl::InvalidArgumentError(absl::StrCat("recipient ", r.agency, " is planned unknown section ", name));
      }
      absl::StatusOr<std::string> sealed = crypto::SealTo(r.public_key, kit.keys[i]);
      if (!sealed.ok()) return sealed.status();
      v1::KeyWrap* w = &kit.wraps.emplace_back();
      w->set_recipient(r.agency);
      w->set_key_id(r.key_id);
      w->set_section(name);
      w->set_sealed_key(*std::move(sealed));
    }
  }
  return kit;
}

absl::StatusOr<v1::Envelope> EventMaker::SealWith(const SealKit& kit, const std::string& id, int64_t case_index,
                                                  std::mt19937_64& rng) const {
  if (kit.keys.size() != std::size(kLoadSections)) return absl::InvalidArgumentError("the seal kit has no keys");
  v1::EventHeader h = Header(id, case_index);
  v1::Envelope env;
  std::vector<crypto::PlainSection> sections = Sections(rng);
  for (size_t i = 0; i < sections.size(); ++i) crypto::SealSection(id, sections[i], kit.keys[i], &h, &env);
  *env.mutable_wraps() = {kit.wraps.begin(), kit.wraps.end()};
  std::string header;
  if (!h.SerializeToString(&header)) return absl::InternalError("cannot serialize the header");
  env.set_signature(key->Sign(crypto::kEventHeaderType, header));
  env.set_header(std::move(header));
  return env;
}

}  // namespace accord::bench
