// AuditService: the auditor's queries (heads, proofs, who-saw, leaves by
// range, head sizes; docs/protocol.md §9). Auditor agencies only; every query
// is itself audited (one AUDIT_QUERY record per call) before it is answered
// (broker/audit/audit_answers.h), and the latest head in an answer covers it.
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
        v1::AuditService::WithRawCallbackMethod_WhoSaw<v1::AuditService::WithRawCallbackMethod_GetLeaves<
            v1::AuditService::WithRawCallbackMethod_ListTreeHeadSizes<v1::AuditService::Service>>>>>>;

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
  grpc::ServerUnaryReactor* GetLeaves(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                      grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* ListTreeHeadSizes(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
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
