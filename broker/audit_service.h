// AuditService: the auditor's queries (heads, proofs, who-saw). Auditor
// agencies only; every query is itself audited before it is answered, and
// answers are proved against a head that includes that record.
#ifndef ACCORD_BROKER_AUDIT_SERVICE_H_
#define ACCORD_BROKER_AUDIT_SERVICE_H_

#include <string>

#include "absl/status/statusor.h"
#include "accord/v1/audit.grpc.pb.h"
#include "broker/exchange.h"
#include "broker/service_edge.h"

namespace accord::broker {

// Every method is registered raw (service_edge.h: Decode).
using AuditBase = v1::AuditService::WithRawCallbackMethod_GetSignedTreeHead<
    v1::AuditService::WithRawCallbackMethod_GetInclusionProof<v1::AuditService::WithRawCallbackMethod_GetConsistencyProof<
        v1::AuditService::WithRawCallbackMethod_WhoSaw<v1::AuditService::Service>>>>;

class AuditServiceImpl : public AuditBase {
 public:
  AuditServiceImpl(Exchange* ex, CallerIdentity id) : ex_(ex), id_(id) {}

  grpc::ServerUnaryReactor* GetSignedTreeHead(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                              grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* GetInclusionProof(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                              grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* GetConsistencyProof(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                                grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* WhoSaw(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                   grpc::ByteBuffer* out) override;

 private:
  // Checks that `caller` is an auditor, appends the AUDIT_QUERY record and
  // returns the head that covers it.
  absl::StatusOr<v1::SignedTreeHead> Audited(const std::string& caller, const std::string& query,
                                             v1::AuditRecord record);

  Exchange* ex_;
  CallerIdentity id_;
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_AUDIT_SERVICE_H_
