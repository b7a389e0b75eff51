#include "broker/audit_service.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "broker/audit/audit_answers.h"
#include "broker/timestamps.h"

namespace accord::broker {
namespace {

// Answers a call from the log once its AUDIT_QUERY record is written
// (`audited`: the head covering it, or why it could not be written).
template <typename Request, typename Response, typename Answer>
absl::Status AuditedAnswer(const absl::StatusOr<v1::SignedTreeHead>& audited, const audit::AuditLog& log,
                           const Request& request, Response* response, Answer answer) {
  if (!audited.ok()) return audited.status();
  absl::StatusOr<Response> r = answer(log, request);
  if (!r.ok()) return r.status();
  *response = *std::move(r);
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* AuditServiceImpl::GetSignedTreeHead(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
  return Unary<v1::GetSignedTreeHeadRequest, v1::SignedTreeHead>(
      ctx, in, out, id_,
      [&](const std::string& caller, const v1::GetSignedTreeHeadRequest& request,
          v1::SignedTreeHead* resp) -> absl::Status {
        const std::string what = request.tree_size() == 0
                                     ? std::string("signed tree head")
                                     : absl::StrCat("signed tree head for size ", request.tree_size());
        return AuditedAnswer(Audited(caller, what, v1::AuditRecord()), ex_->context().store->audit(), request, resp,
                             audit::AnswerSignedTreeHead);
      });
}

grpc::ServerUnaryReactor* AuditServiceImpl::GetInclusionProof(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
  return Unary<v1::GetInclusionProofRequest, v1::GetInclusionProofResponse>(
      ctx, in, out, id_,
      [&](const std::string& caller, const v1::GetInclusionProofRequest& request,
          v1::GetInclusionProofResponse* resp) -> absl::Status {
        return AuditedAnswer(
            Audited(caller, absl::StrCat("inclusion proof for leaf ", request.leaf_index()), v1::AuditRecord()),
            ex_->context().store->audit(), request, resp, audit::AnswerGetInclusionProof);
      });
}

grpc::ServerUnaryReactor* AuditServiceImpl::GetConsistencyProof(grpc::CallbackServerContext* ctx,
                                                                const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
  return Unary<v1::GetConsistencyProofRequest, v1::GetConsistencyProofResponse>(
      ctx, in, out, id_,
      [&](const std::string& caller, const v1::GetConsistencyProofRequest& request,
          v1::GetConsistencyProofResponse* resp) -> absl::Status {
        return AuditedAnswer(
            Audited(caller, absl::StrCat("consistency proof ", request.first_size(), " -> ", request.second_size()),
                    v1::AuditRecord()),
            ex_->context().store->audit(), request, resp, audit::AnswerGetConsistencyProof);
      });
}

grpc::ServerUnaryReactor* AuditServiceImpl::WhoSaw(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                                   grpc::ByteBuffer* out) {
  return Unary<v1::WhoSawQuery, v1::WhoSawResponse>(
      ctx, in, out, id_,
      [&](const std::string& caller, const v1::WhoSawQuery& request, v1::WhoSawResponse* resp) -> absl::Status {
        v1::AuditRecord about;
        if (!request.subject_ref().empty()) about.add_subjects()->set_ref(request.subject_ref());
        about.set_case_ref(request.case_ref());
        about.set_event_id(request.event_id());
        std::vector<std::string> what;
        if (!request.subject_ref().empty()) what.push_back(absl::StrCat("subject=", request.subject_ref()));
        if (!request.case_ref().empty()) what.push_back(absl::StrCat("case=", request.case_ref()));
        if (!request.event_id().empty()) what.push_back(absl::StrCat("event=", request.event_id()));
        if (!request.agency().empty()) what.push_back(absl::StrCat("agency=", request.agency()));
        return AuditedAnswer(Audited(caller, absl::StrCat("who-saw ", absl::StrJoin(what, " ")), about),
                             ex_->context().store->audit(), request, resp, audit::AnswerWhoSaw);
      });
}

grpc::ServerUnaryReactor* AuditServiceImpl::GetLeaves(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                                      grpc::ByteBuffer* out) {
  return Unary<v1::GetLeavesRequest, v1::GetLeavesResponse>(
      ctx, in, out, id_,
      [&](const std::string& caller, const v1::GetLeavesRequest& request, v1::GetLeavesResponse* resp) -> absl::Status {
        const std::string what = absl::StrCat("leaves from ", request.start_index(), ", ", request.count(), " asked");
        return AuditedAnswer(Audited(caller, what, v1::AuditRecord()), ex_->context().store->audit(), request, resp,
                             audit::AnswerGetLeaves);
      });
}

grpc::ServerUnaryReactor* AuditServiceImpl::ListTreeHeadSizes(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
  return Unary<v1::ListTreeHeadSizesRequest, v1::ListTreeHeadSizesResponse>(
      ctx, in, out, id_,
      [&](const std::string& caller, const v1::ListTreeHeadSizesRequest& request,
          v1::ListTreeHeadSizesResponse* resp) -> absl::Status {
        const std::string what = absl::StrCat("tree head sizes after ", request.after_size(),
                                              request.include_heads() ? ", with the heads" : "");
        return AuditedAnswer(Audited(caller, what, v1::AuditRecord()), ex_->context().store->audit(), request, resp,
                             audit::AnswerListTreeHeadSizes);
      });
}

absl::StatusOr<v1::SignedTreeHead> AuditServiceImpl::Audited(const std::string& caller, const std::string& query,
                                                             v1::AuditRecord record) {
  const BrokerContext& ctx = ex_->context();
  if (ctx.directory->Kind(caller) != v1::AGENCY_KIND_AUDITOR) {
    return absl::PermissionDeniedError(
        absl::StrCat("audit queries are for auditor agencies; '", caller, "' is not one"));
  }
  const absl::Time now = ctx.now();
  record.set_action(v1::AUDIT_ACTION_AUDIT_QUERY);
  record.set_actor_agency(caller);
  record.set_reason(query);
  record.set_policy_hash(ctx.policy->Version());
  *record.mutable_time() = ToProto(now);
  Mutation m;
  m.audit.push_back(std::move(record));
  absl::StatusOr<Assigned> a = ctx.store->Apply(std::move(m), now);
  if (!a.ok()) return a.status();
  return a->head;
}

}  // namespace accord::broker
