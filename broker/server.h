// One running broker: loads the partnership, the policy and the store, and
// serves every service over mutual TLS (or, only when asked twice, plaintext
// on loopback). Owns everything it creates; Shutdown() finishes in-flight
// calls before the store is closed.
#ifndef ACCORD_BROKER_SERVER_H_
#define ACCORD_BROKER_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "broker/config.h"
#include "broker/logger.h"
#include "grpcpp/grpcpp.h"

namespace accord::broker {

class BrokerServer {
 public:
  // `allow_dev_plaintext` is the command-line half of the development mode;
  // the config must ask for it too, and the listen address must be loopback.
  static absl::StatusOr<std::unique_ptr<BrokerServer>> Start(const BrokerConfig& config,
                                                             bool allow_dev_plaintext, Logger* log);
  ~BrokerServer();

  // "host:port" actually bound (the port is the kernel's choice for ":0").
  const std::string& address() const { return address_; }
  // SIGHUP: re-read the policy file; on error the previous policy stays.
  absl::Status ReloadPolicy(const std::string& who);
  // Stops accepting calls, lets in-flight ones finish (up to `grace`), then
  // closes the store.
  void Shutdown(absl::Duration grace);

 private:
  struct Parts;
  BrokerServer() = default;
  // Background duties until Shutdown: watches storage writes (health, and
  // recovery once the cause is gone) and audits counted refusals.
  void Housekeeping();

  std::unique_ptr<Parts> parts_;
  absl::Notification stopping_;
  std::thread housekeeping_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  Logger* log_ = nullptr;
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_SERVER_H_
