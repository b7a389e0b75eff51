#include "broker/audit_service.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "broker/timestamps.h"

namespace accord::broker {

grpc::ServerUnaryReactor* AuditServiceImpl::GetSignedTreeHead(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
  return Unary<v1::GetSignedTreeHeadRequest, v1::SignedTreeHead>(
      ctx, in, out, id_,
      [&](const std::string& caller, const v1::GetSignedTreeHeadRequest&, v1::SignedTreeHead* resp) -> absl::Status {
        absl::StatusOr<v1::SignedTreeHead> head = Audited(caller, "signed tree head", v1::AuditRecord());
        if (!head.ok()) return head.status();
        *resp = *head;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AuditServiceImpl::GetInclusionProof(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
  return Unary<v1::GetInclusionProofRequest, v1::GetInclusionProofResponse>(
      ctx, in, out, id_,
      [&](const std::string& caller, const v1::GetInclusionProofRequest& request,
          v1::GetInclusionProofResponse* resp) -> absl::Status {
        absl::StatusOr<v1::SignedTreeHead> head =
            Audited(caller, absl::StrCat("inclusion proof for leaf ", request.leaf_index()), v1::AuditRecord());
        if (!head.ok()) return head.status();
        const audit::AuditLog& log = ex_->context().store->audit();
        v1::SignedTreeHead at = *head;
        if (request.tree_size() != 0) {
          absl::StatusOr<v1::SignedTreeHead> h = log.SignedHeadAt(request.tree_size());
          if (!h.ok()) return h.status();
          at = *h;
        }
        v1::TreeHead th;
        th.ParseFromString(at.tree_head());
        absl::StatusOr<std::string> leaf = log.LeafBytes(request.leaf_index());
        if (!leaf.ok()) return leaf.status();
        absl::StatusOr<v1::InclusionProof> proof = log.ProveInclusion(request.leaf_index(), th.tree_size());
        if (!proof.ok()) return proof.status();
        resp->set_leaf(*leaf);
        *resp->mutable_proof() = *proof;
        *resp->mutable_head() = at;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AuditServiceImpl::GetConsistencyProof(grpc::CallbackServerContext* ctx,
                                                                const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
  return Unary<v1::GetConsistencyProofRequest, v1::GetConsistencyProofResponse>(
      ctx, in, out, id_,
      [&](const std::string& caller, const v1::GetConsistencyProofRequest& request,
          v1::GetConsistencyProofResponse* resp) -> absl::Status {
        absl::StatusOr<v1::SignedTreeHead> head =
            Audited(caller, absl::StrCat("consistency proof ", request.first_size(), " -> ", request.second_size()),
                    v1::AuditRecord());
        if (!head.ok()) return head.status();
        const audit::AuditLog& log = ex_->context().store->audit();
        v1::SignedTreeHead at = *head;
        if (request.second_size() != 0) {
          absl::StatusOr<v1::SignedTreeHead> h = log.SignedHeadAt(request.second_size());
          if (!h.ok()) return h.status();
          at = *h;
        }
        v1::TreeHead th;
        th.ParseFromString(at.tree_head());
        absl::StatusOr<v1::ConsistencyProof> proof = log.ProveConsistency(request.first_size(), th.tree_size());
        if (!proof.ok()) return proof.status();
        *resp->mutable_proof() = *proof;
        *resp->mutable_head() = at;
        return absl::OkStatus();
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
        absl::StatusOr<v1::SignedTreeHead> head =
            Audited(caller, absl::StrCat("who-saw ", absl::StrJoin(what, " ")), about);
        if (!head.ok()) return head.status();
        v1::TreeHead th;
        th.ParseFromString(head->tree_head());
        absl::StatusOr<std::vector<v1::WhoSawRow>> rows = ex_->context().store->audit().Query(request, th.tree_size());
        if (!rows.ok()) return rows.status();
        for (v1::WhoSawRow& r : *rows) *resp->add_rows() = std::move(r);
        *resp->mutable_head() = *head;
        return absl::OkStatus();
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
