// Drains the outbox to the broker, oldest first, with retry and back-off.
// Transient failures (broker down, deadline) keep the event and retry;
// a changed policy re-plans; a permanent refusal is recorded as rejected with
// the broker's reason and reported, never dropped silently.
#ifndef ACCORD_AGENTS_SDK_PUBLISHER_H_
#define ACCORD_AGENTS_SDK_PUBLISHER_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agents/sdk/agency_client.h"
#include "agents/sdk/outbox.h"

namespace accord::agents {

struct PublishOutcome {
  std::string event_id;
  std::string source;
  bool accepted = false;
  v1::ReceiptBody receipt;  // when accepted
  absl::Status error;       // when permanently refused
  std::optional<v1::SharePlan> plan;  // when sealed in this attempt (not after a restart)
};

struct PublisherOptions {
  absl::Duration rpc_timeout = absl::Seconds(10);
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(15);
};

class Publisher {
 public:
  // `client` and `outbox` must outlive the publisher.
  Publisher(AgencyClient* client, Outbox* outbox, PublisherOptions options = {});

  // Sends everything pending. Returns when the outbox is empty (OK), or when
  // `keep_going()` turns false while the broker is unreachable (UNAVAILABLE).
  // `report` is called once per event that leaves the outbox.
  absl::Status Drain(const std::function<bool()>& keep_going,
                     const std::function<void(const PublishOutcome&)>& report);

  // Whether a publish error means "try the same bytes again later".
  static bool IsTransient(const absl::Status& status);

 private:
  absl::Status SendOne(agent::OutboxRecord record,
                       const std::function<void(const PublishOutcome&)>& report);

  AgencyClient* client_;
  Outbox* outbox_;
  PublisherOptions options_;
};

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_SDK_PUBLISHER_H_
