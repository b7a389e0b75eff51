#include "bench/compare/load_event.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

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

}  // namespace accord::bench
