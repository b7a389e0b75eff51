// Assembles one MappedEvent: header fields, pseudonymous ids, sections. The
// header gets only what routing and policy need (DESIGN.md §4); everything
// else goes into sections, serialized deterministically so that mapping the
// same row twice gives the same bytes.
#ifndef ACCORD_AGENTS_ADAPTERS_EVENT_BUILDER_H_
#define ACCORD_AGENTS_ADAPTERS_EVENT_BUILDER_H_

#include <string>

#include "absl/time/time.h"
#include "accord/v1/envelope.pb.h"
#include "agents/adapters/mapper.h"
#include "crypto/secret_bytes.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace accord::agents {

// "<agency>-" + 32 hex digits of keyed BLAKE2b(linkage key, agency, record
// id): the same export record always gives the same event id (so re-importing
// an export is idempotent), while the broker cannot recover or guess-confirm
// the agency's internal record numbers.
std::string EventIdFor(const crypto::SecretBytes& linkage_key, const std::string& agency,
                       const std::string& record_id);

// 16 hex digits of keyed BLAKE2b(linkage key, agency, staff id): the
// pseudonymous staff reference of envelope.proto's Actor. The agency can
// recompute it from its own staff number; the broker cannot.
std::string StaffRefFor(const crypto::SecretBytes& linkage_key, const std::string& agency,
                        const std::string& staff_id);

// At most this many subjects per event: the broker's default limit.
inline constexpr int kMaxSubjects = 16;

// Whole seconds and nanos of `t` into a protobuf Timestamp.
void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out);

// Serialization with map entries in key order.
std::string SerializeDeterministic(const google::protobuf::Message& message);

class EventBuilder {
 public:
  // Sets version 1, `kind` and the sender (ctx.agency). ctx.linkage_key must
  // be a valid key and outlive the builder.
  EventBuilder(const MapContext& ctx, v1::EventKind kind);

  void SetRecordId(const std::string& record_id);
  void SetActor(const std::string& role, const std::string& staff_id);
  void SetOccurredAt(absl::Time at);
  void SetCaseRef(const std::string& case_ref) { header_.set_case_ref(case_ref); }
  void AddSubject(v1::SubjectRole role, const std::string& ref);
  void AddFlag(v1::Flag flag);  // each flag at most once
  void SetRisk(v1::RiskLevel level, v1::RiskTool tool, int score);
  // Declares a relation of `agency` to the case (or, as the policy says, to
  // the perpetrator); EndRelation ends one (CaseRelation.ended).
  void AddRelation(const std::string& relation, const std::string& agency);
  void EndRelation(const std::string& relation, const std::string& agency);
  // Header destination (docs/protocol.md §3, header fields 19-21): the agency
  // (and service within it) the event is addressed to.
  void SetDestination(const std::string& agency, const std::string& service);
  // Whom the event is about (a referral of the perpetrator, ...).
  void SetAbout(v1::SubjectRole role) { header_.set_about(role); }
  // The event this one answers (a referral, a request).
  void SetInReplyTo(const std::string& event_id) { header_.set_in_reply_to(event_id); }

  // Adds a section; its content type is the message's full name. `name` is
  // "base" or "base@role" (docs/protocol.md §3, section names).
  void AddSection(const std::string& name, const google::protobuf::Message& content);

  const MapContext& context() const { return ctx_; }
  v1::EventHeader& header() { return header_; }
  const v1::EventHeader& header() const { return header_; }

  // Orders the sections by base name (summary, risk, detail, children,
  // health, victim_contact, override_justification, others; a name without a
  // role before the same base with one) and indexes them in
  // header.sections by name and content type; SealEvent later replaces that
  // index with one carrying ciphertext digests.
  MappedEvent Finish(const std::string& source) &&;

 private:
  const MapContext& ctx_;
  v1::EventHeader header_;
  std::vector<crypto::PlainSection> sections_;
};

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_ADAPTERS_EVENT_BUILDER_H_
