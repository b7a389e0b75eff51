// The gRPC services of one broker: each authenticates the caller
// (service_edge.h) and hands the call to the routing core. Implemented on
// gRPC's callback API (no thread per stream).
#ifndef ACCORD_BROKER_SERVICES_H_
#define ACCORD_BROKER_SERVICES_H_

#include <memory>
#include <string>
#include <vector>

#include "accord/v1/audit.grpc.pb.h"
#include "accord/v1/broker.grpc.pb.h"
#include "accord/v1/directory.grpc.pb.h"
#include "broker/audit_service.h"
#include "broker/exchange.h"
#include "broker/meetings.h"
#include "broker/service_edge.h"
#include "grpcpp/grpcpp.h"

namespace accord::broker {

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
  class AdminImpl;
  std::unique_ptr<ExchangeImpl> exchange_;
  std::unique_ptr<DirectoryImpl> directory_;
  std::unique_ptr<ConsentImpl> consent_;
  std::unique_ptr<MeetingImpl> meeting_;
  std::unique_ptr<AuditServiceImpl> audit_;
  std::unique_ptr<AdminImpl> admin_;
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_SERVICES_H_
