#include "broker/audit/storage_layout.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace accord::audit {
namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::internal::WireFormatLite;

// Field numbers of v1::AuditRecord and its nested messages (audit.proto).
constexpr int kSequence = 1, kAction = 2, kTime = 3, kActorAgency = 4, kEventId = 6,
              kCaseRef = 8, kSubjects = 9, kRecipient = 10, kConsent = 15,
              kConsentStatement = 22;
constexpr int kTimestampSeconds = 1, kTimestampNanos = 2;
constexpr int kSubjectRefRef = 1, kConsentReferenceSubject = 2, kConsentStatementSubject = 1;

// A length-delimited field's bytes as a view into `data`, advancing `in`.
bool ReadBytes(CodedInputStream& in, std::string_view data, std::string_view* out) {
  uint32_t length = 0;
  if (!in.ReadVarint32(&length)) return false;
  const int at = in.CurrentPosition();
  if (length > data.size() - static_cast<std::size_t>(at)) return false;
  *out = data.substr(static_cast<std::size_t>(at), length);
  return in.Skip(static_cast<int>(length));
}

// Scans a message; `on_field(number, wire_type, in)` returns 1 if it consumed
// the field, 0 to skip it, -1 on malformed input.
template <typename OnField>
bool Scan(std::string_view data, OnField on_field) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(data.data()), static_cast<int>(data.size()));
  in.SetRecursionLimit(8);
  while (in.CurrentPosition() < static_cast<int>(data.size())) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return false;  // truncated varint or the invalid field number 0
    const int number = WireFormatLite::GetTagFieldNumber(tag);
    const auto type = WireFormatLite::GetTagWireType(tag);
    const int consumed = on_field(number, type, in);
    if (consumed < 0) return false;
    if (consumed == 0 && !WireFormatLite::SkipField(&in, tag)) return false;
  }
  return true;
}

constexpr auto kVarint = WireFormatLite::WIRETYPE_VARINT;
constexpr auto kBytes = WireFormatLite::WIRETYPE_LENGTH_DELIMITED;

// A string field inside a nested message, e.g. SubjectRef.ref.
bool ReadNestedString(std::string_view message, int field, std::string_view* out) {
  return Scan(message, [&](int number, auto type, CodedInputStream& in) -> int {
    if (number != field || type != kBytes) return 0;
    return ReadBytes(in, message, out) ? 1 : -1;
  });
}

void AppendUnique(std::vector<std::string>& keys, std::string key) {
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
}

std::string StringPrefix(char kind, std::string_view value) {
  std::string out;
  out.reserve(value.size() + 3);
  out.push_back(kind);
  out.push_back('|');
  out.append(value);
  out.push_back('|');
  return out;
}

}  // namespace

std::string Be64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
  return out;
}

std::optional<uint64_t> ReadBe64(std::string_view b) {
  if (b.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::string LeafKey(uint64_t index) { return Be64(index); }
std::string HeadKey(uint64_t tree_size) { return Be64(tree_size); }

std::string NodeKey(int level, uint64_t index) {
  std::string out(1, static_cast<char>(level));
  out += Be64(index);
  return out;
}

absl::StatusOr<RecordFields> ReadRecordFields(std::string_view leaf) {
  RecordFields f;
  // Singular message fields merge when repeated, so the last value wins.
  std::string_view consent_subject, statement_subject;
  int64_t seconds = 0;
  int32_t nanos = 0;
  const bool ok = Scan(leaf, [&](int number, auto type, CodedInputStream& in) -> int {
    std::string_view bytes;
    uint64_t v = 0;
    if (type == kVarint && (number == kSequence || number == kAction)) {
      if (!in.ReadVarint64(&v)) return -1;
      if (number == kSequence) f.sequence = v;
      if (number == kAction) f.action = static_cast<int>(static_cast<int32_t>(v));
      return 1;
    }
    if (type != kBytes) return 0;
    switch (number) {
      case kTime:
        if (!ReadBytes(in, leaf, &bytes)) return -1;
        return Scan(bytes, [&](int n, auto t, CodedInputStream& tin) -> int {
                 if (t != kVarint || (n != kTimestampSeconds && n != kTimestampNanos)) return 0;
                 uint64_t x = 0;
                 if (!tin.ReadVarint64(&x)) return -1;
                 if (n == kTimestampSeconds) seconds = static_cast<int64_t>(x);
                 if (n == kTimestampNanos) nanos = static_cast<int32_t>(x);
                 return 1;
               })
                   ? 1
                   : -1;
      case kActorAgency: return ReadBytes(in, leaf, &f.actor_agency) ? 1 : -1;
      case kEventId: return ReadBytes(in, leaf, &f.event_id) ? 1 : -1;
      case kCaseRef: return ReadBytes(in, leaf, &f.case_ref) ? 1 : -1;
      case kRecipient: return ReadBytes(in, leaf, &f.recipient) ? 1 : -1;
      case kSubjects: {
        std::string_view ref;
        if (!ReadBytes(in, leaf, &bytes) || !ReadNestedString(bytes, kSubjectRefRef, &ref)) return -1;
        f.subject_refs.push_back(ref);
        return 1;
      }
      case kConsent:
        if (!ReadBytes(in, leaf, &bytes)) return -1;
        return ReadNestedString(bytes, kConsentReferenceSubject, &consent_subject) ? 1 : -1;
      case kConsentStatement:
        if (!ReadBytes(in, leaf, &bytes)) return -1;
        return ReadNestedString(bytes, kConsentStatementSubject, &statement_subject) ? 1 : -1;
      default:
        return 0;
    }
  });
  if (!ok) return absl::InvalidArgumentError("record is not a well-formed AuditRecord encoding");
  for (std::string_view s : {consent_subject, statement_subject}) {
    if (!s.empty()) f.subject_refs.push_back(s);
  }
  // Clamp before multiplying: a forged record must not overflow.
  constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z, Timestamp's maximum
  seconds = std::clamp<int64_t>(seconds, -kMaxSeconds, kMaxSeconds);
  f.time_micros = seconds * 1000000 + nanos / 1000;
  return f;
}

std::string SubjectPrefix(std::string_view ref) { return StringPrefix('s', ref); }
std::string CasePrefix(std::string_view case_ref) { return StringPrefix('c', case_ref); }
std::string EventPrefix(std::string_view event_id) { return StringPrefix('e', event_id); }
std::string AgencyPrefix(std::string_view agency) { return StringPrefix('a', agency); }

std::string ActionPrefix(int action) {
  std::string out = "k|";
  out.push_back(static_cast<char>(static_cast<uint8_t>(action)));
  out.push_back('|');
  return out;
}

std::string TimeKeyPrefix(int64_t micros) {
  std::string out(kTimePrefix);
  out += Be64(static_cast<uint64_t>(std::max<int64_t>(micros, 0)));
  out.push_back('|');
  return out;
}

std::vector<std::string> IndexKeys(const RecordFields& f, uint64_t leaf) {
  const std::string suffix = Be64(leaf);
  std::vector<std::string> keys;
  keys.reserve(6 + f.subject_refs.size());
  for (std::string_view ref : f.subject_refs) {
    if (!ref.empty()) AppendUnique(keys, SubjectPrefix(ref) + suffix);
  }
  if (!f.case_ref.empty()) keys.push_back(CasePrefix(f.case_ref) + suffix);
  if (!f.event_id.empty()) keys.push_back(EventPrefix(f.event_id) + suffix);
  for (std::string_view agency : {f.actor_agency, f.recipient}) {
    if (!agency.empty()) AppendUnique(keys, AgencyPrefix(agency) + suffix);
  }
  keys.push_back(ActionPrefix(f.action) + suffix);
  keys.push_back(TimeKeyPrefix(f.time_micros) + suffix);
  return keys;
}

std::optional<uint64_t> LeafOfIndexKey(std::string_view key) {
  if (key.size() < 10) return std::nullopt;
  return ReadBe64(key.substr(key.size() - 8));
}

}  // namespace accord::audit
