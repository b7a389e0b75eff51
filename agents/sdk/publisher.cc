#include "agents/sdk/publisher.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace accord::agents {
namespace {

// A policy that keeps changing under one event is a problem for a person.
constexpr uint32_t kMaxReplans = 5;
// RESOURCE_EXHAUSTED is transient when the broker is busy (the agency's call
// slots) but not when the event itself is over a limit; after this many
// attempts (minutes, with back-off) the event is set aside, not retried forever
// in front of every later one.
constexpr uint32_t kMaxExhaustedAttempts = 20;

bool GiveUp(const absl::Status& status, uint32_t attempts) {
  return status.code() == absl::StatusCode::kResourceExhausted && attempts >= kMaxExhaustedAttempts;
}

}  // namespace

Publisher::Publisher(AgencyClient* client, Outbox* outbox, PublisherOptions options)
    : client_(client), outbox_(outbox), options_(options) {}

bool Publisher::IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

absl::Status Publisher::SendOne(agent::OutboxRecord record,
                                const std::function<void(const PublishOutcome&)>& report) {
  PublishOutcome outcome;
  outcome.event_id = record.header().event_id();
  outcome.source = record.source();
  if (!record.has_sealed()) {
    if (auto s = client_->RefreshDirectory(options_.rpc_timeout); !s.ok()) return s;
    std::vector<crypto::PlainSection> sections;
    for (const agent::PlainSectionRecord& r : record.sections()) {
      sections.push_back({r.name(), r.content_type(), r.plaintext()});
    }
    v1::SharePlan plan;
    absl::StatusOr<v1::Envelope> sealed =
        client_->PlanAndSeal(record.header(), sections, options_.rpc_timeout, &plan);
    if (!sealed.ok()) {
      if (IsTransient(sealed.status()) && !GiveUp(sealed.status(), record.attempts() + 1)) {
        (void)outbox_->RecordAttempt(record.seq(), std::string(sealed.status().message()));
        return sealed.status();
      }
      outcome.error = sealed.status();
      // Set aside with the refusal first, then reported: never dropped unseen.
      if (auto s = outbox_->MarkRefused(record.seq(), outcome.error); !s.ok()) return s;
      report(outcome);
      return absl::OkStatus();
    }
    if (auto s = outbox_->RecordSealed(record.seq(), *sealed); !s.ok()) return s;
    outcome.plan = std::move(plan);
    *record.mutable_sealed() = *std::move(sealed);
  }
  absl::StatusOr<v1::ReceiptBody> receipt = client_->Publish(record.sealed(), options_.rpc_timeout);
  if (receipt.ok()) {
    outcome.accepted = true;
    outcome.receipt = *receipt;
    v1::Receipt stored;
    stored.set_body(receipt->SerializeAsString());
    if (auto s = outbox_->MarkSent(record.seq(), stored); !s.ok()) return s;
    report(outcome);
    return absl::OkStatus();
  }
  if (receipt.status().code() == absl::StatusCode::kFailedPrecondition &&
      record.attempts() < kMaxReplans) {
    // The policy changed between plan and publish: nothing was stored; re-plan.
    return outbox_->ClearSealed(record.seq(), std::string(receipt.status().message()));
  }
  if (IsTransient(receipt.status()) && !GiveUp(receipt.status(), record.attempts() + 1)) {
    (void)outbox_->RecordAttempt(record.seq(), std::string(receipt.status().message()));
    return receipt.status();
  }
  outcome.error = receipt.status();
  if (auto s = outbox_->MarkRefused(record.seq(), outcome.error); !s.ok()) return s;
  report(outcome);
  return absl::OkStatus();
}

absl::Status Publisher::Drain(const std::function<bool()>& keep_going,
                              const std::function<void(const PublishOutcome&)>& report) {
  absl::Duration backoff = options_.initial_backoff;
  for (;;) {
    absl::StatusOr<std::optional<agent::OutboxRecord>> next = outbox_->Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) return absl::OkStatus();
    absl::Status s = SendOne(**std::move(next), report);
    if (s.ok()) {
      backoff = options_.initial_backoff;
      continue;
    }
    if (!IsTransient(s)) return s;
    if (!keep_going()) {
      return absl::UnavailableError(absl::StrCat("broker unreachable: ", s.message()));
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace accord::agents
