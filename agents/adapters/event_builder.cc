#include "agents/adapters/event_builder.h"

#include <sodium.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "crypto/hash.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace accord::agents {
namespace {

// Keyed BLAKE2b over length-prefixed parts, so that no two different part
// lists hash the same input. `domain` keeps the uses apart.
std::string KeyedHash(const crypto::SecretBytes& key, const std::string& domain,
                      std::initializer_list<const std::string*> parts, std::size_t out_bytes) {
  (void)crypto::InitSodium();
  std::string input = domain;
  for (const std::string* p : parts) absl::StrAppend(&input, p->size(), ":", *p);
  std::string out(out_bytes, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(input.data()), input.size(), key.data(),
                     key.size());
  return crypto::Hex(out);
}

}  // namespace

std::string EventIdFor(const crypto::SecretBytes& linkage_key, const std::string& agency,
                       const std::string& record_id) {
  return absl::StrCat(agency, "-",
                      KeyedHash(linkage_key, "accord.adapters.event-id.v1\n", {&agency, &record_id}, 16));
}

std::string StaffRefFor(const crypto::SecretBytes& linkage_key, const std::string& agency,
                        const std::string& staff_id) {
  return KeyedHash(linkage_key, "accord.adapters.staff-ref.v1\n", {&agency, &staff_id}, 8);
}

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds towards the past
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
}

std::string SerializeDeterministic(const google::protobuf::Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

EventBuilder::EventBuilder(const MapContext& ctx, v1::EventKind kind) : ctx_(ctx) {
  header_.set_version(1);
  header_.set_kind(kind);
  header_.set_sender(ctx.agency);
}

void EventBuilder::SetRecordId(const std::string& record_id) {
  header_.set_event_id(EventIdFor(*ctx_.linkage_key, ctx_.agency, record_id));
}

void EventBuilder::SetActor(const std::string& role, const std::string& staff_id) {
  header_.mutable_actor()->set_role(role);
  header_.mutable_actor()->set_staff_ref(StaffRefFor(*ctx_.linkage_key, ctx_.agency, staff_id));
}

void EventBuilder::SetOccurredAt(absl::Time at) { SetTimestamp(at, header_.mutable_occurred_at()); }

void EventBuilder::AddSubject(v1::SubjectRole role, const std::string& ref) {
  for (const v1::SubjectRef& s : header_.subjects()) {
    if (s.ref() == ref && s.role() == role) return;
  }
  v1::SubjectRef* s = header_.add_subjects();
  s->set_ref(ref);
  s->set_role(role);
}

void EventBuilder::AddFlag(v1::Flag flag) {
  const auto& flags = header_.flags();
  if (std::find(flags.begin(), flags.end(), flag) == flags.end()) header_.add_flags(flag);
}

void EventBuilder::SetRisk(v1::RiskLevel level, v1::RiskTool tool, int score) {
  header_.mutable_risk()->set_level(level);
  header_.mutable_risk()->set_tool(tool);
  header_.mutable_risk()->set_score(score);
}

void EventBuilder::AddRelation(const std::string& relation, const std::string& agency) {
  v1::CaseRelation* r = header_.add_relations();
  r->set_relation(relation);
  r->set_agency(agency);
}

void EventBuilder::EndRelation(const std::string& relation, const std::string& agency) {
  v1::CaseRelation* r = header_.add_relations();
  r->set_relation(relation);
  r->set_agency(agency);
  r->set_ended(true);
}

void EventBuilder::SetDestination(const std::string& agency, const std::string& service) {
  header_.mutable_destination()->set_agency(agency);
  header_.mutable_destination()->set_service(service);
}

void EventBuilder::AddSection(const std::string& name, const google::protobuf::Message& content) {
  const std::string& type = content.GetDescriptor()->full_name();
  sections_.push_back({name, type, SerializeDeterministic(content)});
}

MappedEvent EventBuilder::Finish(const std::string& source) && {
  // Sections in one reading order whatever order they were added in.
  static constexpr const char* kOrder[] = {
      "summary", "risk", "detail", "children", "health", "victim_contact", "override_justification"};
  // (rank of the base name, has a role): "health" before "health@victim".
  auto rank = [](const std::string& name) {
    const std::size_t at = name.find('@');
    const std::string base = name.substr(0, at);
    std::size_t i = 0;
    while (i < std::size(kOrder) && base != kOrder[i]) ++i;
    return std::make_pair(i, at != std::string::npos);
  };
  std::stable_sort(sections_.begin(), sections_.end(),
                   [&](const crypto::PlainSection& a, const crypto::PlainSection& b) {
                     return rank(a.name) < rank(b.name);
                   });
  header_.clear_sections();
  for (const crypto::PlainSection& s : sections_) {
    v1::SectionRef* ref = header_.add_sections();
    ref->set_name(s.name);
    ref->set_content_type(s.content_type);
  }
  return MappedEvent{std::move(header_), std::move(sections_), source};
}

}  // namespace accord::agents
