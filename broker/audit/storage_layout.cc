#include "broker/audit/storage_layout.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace accord::audit {
namespace {

// Field numbers of v1::AuditRecord and its nested messages (audit.proto).
constexpr uint32_t kSequence = 1, kAction = 2, kTime = 3, kActorAgency = 4, kEventId = 6,
                   kCaseRef = 8, kSubjects = 9, kRecipient = 10, kConsent = 15,
                   kConsentStatement = 22, kWithheld = 27;
constexpr uint32_t kTimestampSeconds = 1, kTimestampNanos = 2;
constexpr uint32_t kSubjectRefRef = 1, kConsentReferenceSubject = 2, kConsentStatementSubject = 1,
                   kWithholdingRecipient = 1;

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5 };
constexpr int kMaxGroupDepth = 16;

// Protobuf wire format, as the C++ parser reads it, for the handful of
// fields the log needs; a hand-rolled reader because the offline verifier
// runs it on every record and protobuf's CodedInputStream costs more to set
// up than the whole scan.
class WireReader {
 public:
  explicit WireReader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}
  bool done() const { return p_ == end_; }

  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {  // at most 10 bytes
      if (p_ == end_) return false;
      const auto b = static_cast<uint8_t>(*p_++);
      if (shift < 64) result |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  // A field's tag; false at a malformed tag or field number 0.
  bool Tag(uint32_t* number, uint32_t* type) {
    uint64_t tag = 0;
    if (!Varint(&tag) || tag > 0xffffffffu || (tag >> 3) == 0) return false;
    *number = static_cast<uint32_t>(tag >> 3);
    *type = static_cast<uint32_t>(tag & 7);
    return true;
  }
  bool Bytes(std::string_view* out) {
    uint64_t length = 0;
    if (!Varint(&length) || length > static_cast<uint64_t>(end_ - p_)) return false;
    *out = std::string_view(p_, static_cast<std::size_t>(length));
    p_ += length;
    return true;
  }
  bool Skip(uint32_t number, uint32_t type, int depth = 0) {
    uint64_t ignored = 0;
    std::string_view bytes;
    switch (type) {
      case kVarint: return Varint(&ignored);
      case kFixed64: return Advance(8);
      case kFixed32: return Advance(4);
      case kBytes: return Bytes(&bytes);
      case kStartGroup: {
        if (depth >= kMaxGroupDepth) return false;
        uint32_t n = 0, t = 0;
        while (Tag(&n, &t)) {
          if (t == kEndGroup) return n == number;
          if (!Skip(n, t, depth + 1)) return false;
        }
        return false;
      }
      default: return false;  // a stray end-group, or wire types 6 and 7
    }
  }

 private:
  bool Advance(std::ptrdiff_t n) {
    if (end_ - p_ < n) return false;
    p_ += n;
    return true;
  }
  const char* p_;
  const char* end_;
};

// Scans a message; `on_field(number, type, reader)` returns 1 if it consumed
// the field, 0 to skip it, -1 on malformed input.
template <typename OnField>
bool Scan(std::string_view data, OnField on_field) {
  WireReader in(data);
  uint32_t number = 0, type = 0;
  while (!in.done()) {
    if (!in.Tag(&number, &type)) return false;
    const int consumed = on_field(number, type, in);
    if (consumed < 0) return false;
    if (consumed == 0 && !in.Skip(number, type)) return false;
  }
  return true;
}

// A string field inside a nested message, e.g. SubjectRef.ref.
bool ReadNestedString(std::string_view message, uint32_t field, std::string_view* out) {
  return Scan(message, [&](uint32_t number, uint32_t type, WireReader& in) -> int {
    if (number != field || type != kBytes) return 0;
    return in.Bytes(out) ? 1 : -1;
  });
}

// A google.protobuf.Timestamp's seconds and nanos (merged: the last value of
// each wins, and an absent one keeps what it had).
bool ReadTimestamp(std::string_view message, int64_t* seconds, int32_t* nanos) {
  return Scan(message, [&](uint32_t n, uint32_t t, WireReader& in) -> int {
    if (t != kVarint || (n != kTimestampSeconds && n != kTimestampNanos)) return 0;
    uint64_t x = 0;
    if (!in.Varint(&x)) return -1;
    if (n == kTimestampSeconds) *seconds = static_cast<int64_t>(x);
    if (n == kTimestampNanos) *nanos = static_cast<int32_t>(x);
    return 1;
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

bool RecordFields::Names(std::string_view agency) const {
  return actor_agency == agency || recipient == agency ||
         std::find(withheld_from.begin(), withheld_from.end(), agency) != withheld_from.end();
}

std::string Be64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
  return out;
}

std::string LeafKey(uint64_t index) { return Be64(index); }
std::string HeadKey(uint64_t tree_size) { return Be64(tree_size); }

absl::StatusOr<RecordFields> ReadRecordFields(std::string_view leaf) {
  RecordFields f;
  // Singular message fields merge when repeated, so the last value wins.
  std::string_view consent_subject, statement_subject;
  int64_t seconds = 0;
  int32_t nanos = 0;
  const bool ok = Scan(leaf, [&](uint32_t number, uint32_t type, WireReader& in) -> int {
    std::string_view bytes;
    uint64_t v = 0;
    if (type == kVarint && (number == kSequence || number == kAction)) {
      if (!in.Varint(&v)) return -1;
      if (number == kSequence) f.sequence = v;
      if (number == kAction) f.action = static_cast<int>(static_cast<int32_t>(v));
      return 1;
    }
    if (type != kBytes) return 0;
    switch (number) {
      case kTime:
        return in.Bytes(&bytes) && ReadTimestamp(bytes, &seconds, &nanos) ? 1 : -1;
      case kActorAgency: return in.Bytes(&f.actor_agency) ? 1 : -1;
      case kEventId: return in.Bytes(&f.event_id) ? 1 : -1;
      case kCaseRef: return in.Bytes(&f.case_ref) ? 1 : -1;
      case kRecipient: return in.Bytes(&f.recipient) ? 1 : -1;
      case kSubjects: {
        std::string_view ref;
        if (!in.Bytes(&bytes) || !ReadNestedString(bytes, kSubjectRefRef, &ref)) return -1;
        f.subject_refs.push_back(ref);
        return 1;
      }
      case kWithheld: {
        std::string_view recipient;
        if (!in.Bytes(&bytes) || !ReadNestedString(bytes, kWithholdingRecipient, &recipient)) return -1;
        f.withheld_from.push_back(recipient);
        return 1;
      }
      case kConsent:
        if (!in.Bytes(&bytes)) return -1;
        return ReadNestedString(bytes, kConsentReferenceSubject, &consent_subject) ? 1 : -1;
      case kConsentStatement:
        if (!in.Bytes(&bytes)) return -1;
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

absl::StatusOr<uint64_t> ReadRecordSequence(std::string_view leaf) {
  uint64_t sequence = 0;
  const bool ok = Scan(leaf, [&](uint32_t number, uint32_t type, WireReader& in) -> int {
    if (number != kSequence || type != kVarint) return 0;
    return in.Varint(&sequence) ? 1 : -1;
  });
  if (!ok) return absl::InvalidArgumentError("record is not a well-formed AuditRecord encoding");
  return sequence;
}

absl::StatusOr<HeadFields> ReadHeadFields(std::string_view signed_head) {
  constexpr uint32_t kSignedTreeHead = 1, kSignature = 2;                        // SignedTreeHead
  constexpr uint32_t kTreeSize = 1, kRootHash = 2, kHeadTime = 3, kLogKeyId = 4;  // TreeHead
  HeadFields h;
  bool ok = Scan(signed_head, [&](uint32_t number, uint32_t type, WireReader& in) -> int {
    if (type != kBytes || (number != kSignedTreeHead && number != kSignature)) return 0;
    return in.Bytes(number == kSignedTreeHead ? &h.tree_head : &h.signature) ? 1 : -1;
  });
  ok = ok && Scan(h.tree_head, [&](uint32_t number, uint32_t type, WireReader& in) -> int {
    if (number == kTreeSize && type == kVarint) return in.Varint(&h.tree_size) ? 1 : -1;
    if (type != kBytes) return 0;
    if (number == kRootHash) return in.Bytes(&h.root_hash) ? 1 : -1;
    if (number == kLogKeyId) return in.Bytes(&h.log_key_id) ? 1 : -1;
    if (number != kHeadTime) return 0;
    std::string_view time;
    return in.Bytes(&time) && ReadTimestamp(time, &h.seconds, &h.nanos) ? 1 : -1;
  });
  if (!ok) return absl::InvalidArgumentError("not a well-formed SignedTreeHead encoding");
  return h;
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

std::vector<std::string> IndexPrefixes(const RecordFields& f) {
  std::vector<std::string> keys;
  keys.reserve(6 + f.subject_refs.size() + f.withheld_from.size());
  for (std::string_view ref : f.subject_refs) {
    if (!ref.empty()) AppendUnique(keys, SubjectPrefix(ref));
  }
  if (!f.case_ref.empty()) keys.push_back(CasePrefix(f.case_ref));
  if (!f.event_id.empty()) keys.push_back(EventPrefix(f.event_id));
  for (std::string_view agency : {f.actor_agency, f.recipient}) {
    if (!agency.empty()) AppendUnique(keys, AgencyPrefix(agency));
  }
  for (std::string_view agency : f.withheld_from) {
    if (!agency.empty()) AppendUnique(keys, AgencyPrefix(agency));
  }
  keys.push_back(ActionPrefix(f.action));
  keys.push_back(TimeKeyPrefix(f.time_micros));
  return keys;
}

std::vector<std::string> IndexKeys(const RecordFields& f, uint64_t leaf) {
  const std::string suffix = Be64(leaf);
  std::vector<std::string> keys = IndexPrefixes(f);
  for (std::string& k : keys) k += suffix;
  return keys;
}

std::string RunValue(uint64_t count) { return Be64(count); }

std::optional<uint64_t> RunCount(std::string_view value) {
  if (value.empty()) return 1;
  std::optional<uint64_t> n = ReadBe64(value);
  if (!n || *n == 0) return std::nullopt;
  return n;
}

std::optional<uint64_t> LeafOfIndexKey(std::string_view key) {
  if (key.size() < 10) return std::nullopt;
  return ReadBe64(key.substr(key.size() - 8));
}

}  // namespace accord::audit
