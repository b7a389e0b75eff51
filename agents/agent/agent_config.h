// accord-agent configuration (YAML). Relative paths are resolved against the
// directory of the configuration file. See docs/adapters.md.
#ifndef ACCORD_AGENTS_AGENT_AGENT_CONFIG_H_
#define ACCORD_AGENTS_AGENT_AGENT_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace accord::agents {

struct AgentConfig {
  std::string agency;           // agency id in the partnership (TLS CN)
  std::string profile;          // export format: police, probation, ...
  std::string partnership_dir;  // public/ and agencies/<agency>/
  std::string broker_address;   // host:port
  std::string inbox_dir;        // exports from the agency's systems (*.csv, *.jsonl)
  std::string outbox_dir;       // received events, one JSON file each
  std::string data_dir;         // durable local state (send queue)
  absl::Duration poll_interval = absl::Milliseconds(500);
};

absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path);

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_AGENT_AGENT_CONFIG_H_
