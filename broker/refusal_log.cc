#include "broker/refusal_log.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/timestamps.h"

namespace accord::broker {
namespace {

// A refusal reason is the broker's own message, but it may quote the caller's
// input; records stay small whatever the input was.
constexpr size_t kMaxReason = 400;

std::string Cut(absl::string_view s) {
  if (s.size() <= kMaxReason) return std::string(s);
  return absl::StrCat(s.substr(0, kMaxReason), "...");
}

constexpr char kRulePayload[] = "type.accord.dev/refusal-rule";
constexpr char kRefusalPayload[] = "type.accord.dev/refusal";

}  // namespace

absl::Status NamingRule(absl::Status status, std::string_view rule_id) {
  if (!status.ok() && !rule_id.empty()) status.SetPayload(kRulePayload, absl::Cord(std::string(rule_id)));
  return status;
}

std::vector<std::string> RulesNamed(const absl::Status& status) {
  absl::optional<absl::Cord> rule = status.GetPayload(kRulePayload);
  if (!rule.has_value()) return {};
  return {std::string(*rule)};
}

absl::Status AsRefusal(absl::Status status) {
  if (!status.ok()) status.SetPayload(kRefusalPayload, absl::Cord("1"));
  return status;
}

RefusalLog::RefusalLog(OrderedWrites* writes, policy::PolicyHolder* policy, Logger* log,
                       std::function<absl::Time()> now, RefusalLimits limits)
    : writes_(writes), policy_(policy), log_(log), now_(std::move(now)), limits_(limits) {}

bool RefusalLog::IsRefusal(const absl::Status& status) {
  if (status.GetPayload(kRefusalPayload).has_value()) return true;
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kNotFound:
      return true;
    default:
      return false;
  }
}

bool RefusalLog::Take(Bucket* b, absl::Time now) const {
  const double rate = static_cast<double>(limits_.per_minute) / 60.0;  // tokens per second
  if (b->refilled == absl::Time()) {
    b->tokens = limits_.burst;
  } else if (now > b->refilled) {
    b->tokens = std::min<double>(limits_.burst, b->tokens + absl::ToDoubleSeconds(now - b->refilled) * rate);
  }
  b->refilled = std::max(b->refilled, now);
  if (b->tokens < 1.0) return false;
  b->tokens -= 1.0;
  return true;
}

absl::Status RefusalLog::Write(v1::AuditRecord record, absl::Time now) {
  record.set_action(v1::AUDIT_ACTION_REJECTED);
  record.set_policy_hash(policy_->Version());
  *record.mutable_time() = ToProto(now);
  Mutation m;
  m.audit.push_back(std::move(record));
  absl::StatusOr<Assigned> a = writes_->WriteOrdered(std::move(m), now);
  return a.ok() ? absl::OkStatus() : a.status();
}

absl::Status RefusalLog::Refused(const std::string& caller, const Refusal& refusal, absl::Status status) {
  if (!IsRefusal(status)) return status;
  const absl::Time now = now_();
  uint64_t not_recorded = 0;
  {
    absl::MutexLock lock(&mu_);
    Bucket& b = buckets_[caller];
    if (!Take(&b, now)) {
      if (b.not_recorded++ == 0) b.first_not_recorded = now;
      return status;
    }
    not_recorded = std::exchange(b.not_recorded, 0);
  }
  v1::AuditRecord r;
  r.set_actor_agency(caller);
  r.set_refused_call(refusal.call);
  r.set_error_code(absl::StatusCodeToString(status.code()));
  r.set_reason(Cut(status.message()));
  r.set_refusals_not_recorded(not_recorded);
  if (refusal.header != nullptr) {
    const v1::EventHeader& h = *refusal.header;
    r.set_event_id(h.event_id());
    if (v1::EventKind_IsValid(h.kind())) r.set_event_kind(h.kind());
    r.set_case_ref(h.case_ref());
    for (const v1::SubjectRef& s : h.subjects()) {
      v1::SubjectRef* out = r.add_subjects();
      out->set_ref(s.ref());
      if (v1::SubjectRole_IsValid(s.role())) out->set_role(s.role());
    }
  }
  if (!refusal.header_sha256.empty()) r.set_header_sha256(refusal.header_sha256);
  for (const std::string& id : refusal.rule_ids) r.add_rule_ids(id);
  for (const std::string& id : RulesNamed(status)) r.add_rule_ids(id);
  if (refusal.queue_sequence != 0) r.set_queue_sequence(refusal.queue_sequence);
  if (!refusal.subject_ref.empty()) r.add_subjects()->set_ref(refusal.subject_ref);
  if (absl::Status s = Write(std::move(r), now); !s.ok()) {
    log_->Error("refusal not audited", {{"agency", caller}, {"call", refusal.call}, {"error", s.ToString()}});
    absl::MutexLock lock(&mu_);
    Bucket& b = buckets_[caller];
    if (b.not_recorded == 0) b.first_not_recorded = now;
    b.not_recorded += not_recorded + 1;  // audited with a later record
  }
  return status;
}

void RefusalLog::Flush() {
  const absl::Time now = now_();
  std::vector<std::pair<std::string, Bucket>> pending;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [caller, b] : buckets_) {
      if (b.not_recorded == 0) continue;  // at most one record per caller per Flush
      pending.emplace_back(caller, b);
      b.not_recorded = 0;
    }
  }
  for (const auto& [caller, b] : pending) {
    v1::AuditRecord r;
    r.set_actor_agency(caller);
    r.set_refused_call("(count)");
    r.set_refusals_not_recorded(b.not_recorded);
    r.set_reason(absl::StrCat(b.not_recorded, " refusals since ",
                              absl::FormatTime(absl::RFC3339_sec, b.first_not_recorded, absl::UTCTimeZone()),
                              " were over the audit rate limit and counted only"));
    if (absl::Status s = Write(std::move(r), now); !s.ok()) {
      log_->Error("refusal count not audited", {{"agency", caller}, {"error", s.ToString()}});
      absl::MutexLock lock(&mu_);
      Bucket& again = buckets_[caller];
      if (again.not_recorded == 0) again.first_not_recorded = b.first_not_recorded;
      again.not_recorded += b.not_recorded;
    }
  }
}

}  // namespace accord::broker
