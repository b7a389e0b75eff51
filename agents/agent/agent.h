// One agency's adapter process: picks up export files from the inbox folder,
// maps them (agents/adapters), queues them durably, publishes with retry, and
// writes what it receives to the outbox folder. A broker outage loses nothing:
// exports are accepted into the durable queue and sent when it returns.
#ifndef ACCORD_AGENTS_AGENT_AGENT_H_
#define ACCORD_AGENTS_AGENT_AGENT_H_

#include <atomic>
#include <memory>
#include <ostream>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agents/adapters/mapper.h"
#include "agents/agent/agent_config.h"
#include "agents/sdk/agency_client.h"
#include "agents/sdk/inbox_writer.h"
#include "agents/sdk/outbox.h"
#include "agents/sdk/publisher.h"

namespace accord::agents {

class Agent {
 public:
  // `log` receives one human-readable line per thing that happens.
  static absl::StatusOr<std::unique_ptr<Agent>> Create(const AgentConfig& config,
                                                       std::ostream* log);

  // Maps every export file waiting in the inbox into the durable queue, moves
  // the file to inbox/processed/, and malformed rows to inbox/rejects/.
  absl::Status Ingest();

  // Publishes everything queued; while the broker is down, retries until
  // `keep_going` returns false.
  absl::Status Publish(const std::function<bool()>& keep_going);

  // Receives deliveries until none arrives for `idle` (or `stop` is set).
  absl::Status ReceiveUntilIdle(absl::Duration idle, const std::atomic<bool>* stop);

  // Runs ingest+publish and receive loops until `stop` is set.
  void Run(const std::atomic<bool>* stop);

  // Cancels a receive in progress (for shutdown).
  void CancelReceive();

 private:
  Agent(AgentConfig config, std::ostream* log) : config_(std::move(config)), log_(log) {}
  void Log(const std::string& line);
  absl::Status IngestFile(const std::string& path);

  AgentConfig config_;
  std::ostream* log_;
  absl::Mutex log_mu_;
  std::unique_ptr<Mapper> mapper_;
  std::unique_ptr<AgencyClient> client_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<InboxWriter> writer_;
  std::unique_ptr<Publisher> publisher_;
  absl::Mutex receive_mu_;
  grpc::ClientContext* receive_ctx_ ABSL_GUARDED_BY(receive_mu_) = nullptr;
};

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_AGENT_AGENT_H_
