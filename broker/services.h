// The gRPC edge: authenticates the caller from its verified client
// certificate, maps absl::Status to gRPC codes, and hands every call to the
// routing core. Implemented on gRPC's callback API (no thread per stream).
#ifndef ACCORD_BROKER_SERVICES_H_
#define ACCORD_BROKER_SERVICES_H_

#include <memory>
#include <string>
#include <vector>

#include "accord/v1/audit.grpc.pb.h"
#include "accord/v1/broker.grpc.pb.h"
#include "accord/v1/directory.grpc.pb.h"
#include "broker/exchange.h"
#include "broker/meetings.h"
#include "grpcpp/grpcpp.h"

namespace accord::broker {

// How callers are identified: the CN of the verified client certificate, or,
// in the loopback development mode only, the `x-accord-dev-agency` metadata.
struct CallerIdentity {
  const PartnershipDirectory* directory = nullptr;
  bool dev_plaintext = false;
  absl::StatusOr<std::string> Of(grpc::CallbackServerContext* ctx) const;
};

grpc::Status ToGrpc(const absl::Status& s);

// All services of one broker; register each with the ServerBuilder.
class BrokerServices {
 public:
  BrokerServices(Exchange* exchange, Meetings* meetings, CallerIdentity identity,
                 std::vector<std::string> admin_agencies);
  ~BrokerServices();
  std::vector<grpc::Service*> services();

 private:
  class ExchangeImpl;
  class DirectoryImpl;
  class ConsentImpl;
  class MeetingImpl;
  class AuditImpl;
  class AdminImpl;
  std::unique_ptr<ExchangeImpl> exchange_;
  std::unique_ptr<DirectoryImpl> directory_;
  std::unique_ptr<ConsentImpl> consent_;
  std::unique_ptr<MeetingImpl> meeting_;
  std::unique_ptr<AuditImpl> audit_;
  std::unique_ptr<AdminImpl> admin_;
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_SERVICES_H_
