#include "broker/services.h"

#include <deque>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "broker/timestamps.h"

namespace accord::broker {


grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::StatusOr<std::string> CallerIdentity::Of(grpc::CallbackServerContext* ctx) const {
  std::string agency;
  if (dev_plaintext) {
    auto it = ctx->client_metadata().find("x-accord-dev-agency");
    if (it == ctx->client_metadata().end()) {
      return absl::UnauthenticatedError("development mode: set the x-accord-dev-agency metadata");
    }
    agency.assign(it->second.data(), it->second.size());
  } else {
    std::shared_ptr<const grpc::AuthContext> auth = ctx->auth_context();
    if (auth == nullptr || !auth->IsPeerAuthenticated()) {
      return absl::UnauthenticatedError("no verified client certificate");
    }
    std::vector<grpc::string_ref> cn = auth->FindPropertyValues("x509_common_name");
    if (cn.size() != 1) return absl::UnauthenticatedError("client certificate has no single common name");
    agency.assign(cn[0].data(), cn[0].size());
  }
  if (!directory->Knows(agency)) {
    return absl::PermissionDeniedError(absl::StrCat("'", agency, "' is not an agency of this partnership"));
  }
  return agency;
}

namespace {

// Runs `fn(agency)` for an authenticated caller and finishes the unary call.
template <typename Fn>
grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx, const CallerIdentity& id, Fn fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<std::string> caller = id.Of(ctx);
  if (!caller.ok()) {
    reactor->Finish(ToGrpc(caller.status()));
    return reactor;
  }
  reactor->Finish(ToGrpc(fn(*caller)));
  return reactor;
}

// Streams an agency's queue: reads a small batch, writes one delivery at a
// time (gRPC flow control applies), and waits for the notifier when caught up.
class SubscribeReactor : public grpc::ServerWriteReactor<v1::Delivery> {
 public:
  SubscribeReactor(Exchange* exchange, std::string agency, uint64_t after)
      : exchange_(exchange), agency_(std::move(agency)), after_(after) {
    listener_ = exchange_->context().notifier->Add(agency_, [this] { Pump(); });
    exchange_->context().log->Info("subscriber connected",
                                   {{"agency", agency_}, {"after", absl::StrCat(after)}});
    Pump();
  }

  void OnWriteDone(bool ok) override {
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) {
        finish = FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream closed by the client"));
      } else if (finishing_) {
        finish = FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
      }
    }
    if (finish.has_value()) {
      Finish(*finish);
      return;
    }
    Pump();
  }

  void OnCancel() override {
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      finishing_ = true;
      if (!writing_) finish = FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
    }
    if (finish.has_value()) Finish(*finish);
  }

  void OnDone() override {
    exchange_->context().notifier->Remove(agency_, listener_);
    exchange_->context().log->Info("subscriber disconnected", {{"agency", agency_}});
    delete this;
  }

 private:
  // Marks the stream finished; the caller calls Finish() after unlocking, so
  // that no gRPC callback can run while mu_ is held.
  std::optional<grpc::Status> FinishLocked(grpc::Status s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return std::nullopt;
    finished_ = true;
    return s;
  }

  void Pump() {
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || finishing_ || writing_) return;
      if (buffer_.empty()) {
        absl::StatusOr<std::vector<v1::Delivery>> batch = exchange_->TakeDeliveries(agency_, after_, 16);
        if (!batch.ok()) {
          finish = FinishLocked(ToGrpc(batch.status()));
        } else {
          for (v1::Delivery& d : *batch) buffer_.push_back(std::move(d));
          if (!buffer_.empty()) after_ = buffer_.back().queue_sequence();
        }
      }
      if (!finish.has_value()) {
        if (buffer_.empty()) return;
        current_ = std::move(buffer_.front());
        buffer_.pop_front();
        writing_ = true;
      }
    }
    if (finish.has_value()) {
      Finish(*finish);
      return;
    }
    StartWrite(&current_);
  }

  Exchange* exchange_;
  const std::string agency_;
  uint64_t listener_ = 0;
  absl::Mutex mu_;
  uint64_t after_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::Delivery> buffer_ ABSL_GUARDED_BY(mu_);
  v1::Delivery current_;  // owned by the in-flight write
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

class BrokerServices::ExchangeImpl : public v1::ExchangeService::CallbackService {
 public:
  ExchangeImpl(Exchange* ex, CallerIdentity id) : ex_(ex), id_(id) {}

  grpc::ServerUnaryReactor* PlanShare(grpc::CallbackServerContext* ctx, const v1::PlanShareRequest* req,
                                      v1::SharePlan* resp) override {
    return Unary(ctx, id_, [&](const std::string& caller) -> absl::Status {
      absl::StatusOr<v1::SharePlan> plan = ex_->PlanShare(caller, req->header());
      if (!plan.ok()) return plan.status();
      *resp = *std::move(plan);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* Publish(grpc::CallbackServerContext* ctx, const v1::Envelope* req,
                                    v1::Receipt* resp) override {
    return Unary(ctx, id_, [&](const std::string& caller) -> absl::Status {
      absl::StatusOr<v1::Receipt> r = ex_->Publish(caller, *req);
      if (!r.ok()) return r.status();
      *resp = *std::move(r);
      return absl::OkStatus();
    });
  }

  grpc::ServerWriteReactor<v1::Delivery>* Subscribe(grpc::CallbackServerContext* ctx,
                                                    const v1::SubscribeRequest* req) override {
    absl::StatusOr<std::string> caller = id_.Of(ctx);
    if (!caller.ok()) {
      class Refuse : public grpc::ServerWriteReactor<v1::Delivery> {
       public:
        explicit Refuse(const absl::Status& s) { Finish(ToGrpc(s)); }
        void OnDone() override { delete this; }
      };
      return new Refuse(caller.status());
    }
    const uint64_t after = req->after_sequence() > 0 ? req->after_sequence() : ex_->AckedThrough(*caller);
    return new SubscribeReactor(ex_, *caller, after);
  }

  grpc::ServerUnaryReactor* Ack(grpc::CallbackServerContext* ctx, const v1::AckRequest* req,
                                v1::AckResponse* resp) override {
    return Unary(ctx, id_, [&](const std::string& caller) -> absl::Status {
      absl::StatusOr<v1::AckResponse> r = ex_->Ack(caller, req->through_sequence());
      if (!r.ok()) return r.status();
      *resp = *r;
      return absl::OkStatus();
    });
  }

 private:
  Exchange* ex_;
  CallerIdentity id_;
};

class BrokerServices::DirectoryImpl : public v1::DirectoryService::CallbackService {
 public:
  DirectoryImpl(Exchange* ex, CallerIdentity id) : ex_(ex), id_(id) {}
  grpc::ServerUnaryReactor* GetDirectory(grpc::CallbackServerContext* ctx, const v1::GetDirectoryRequest*,
                                         v1::Directory* resp) override {
    return Unary(ctx, id_, [&](const std::string&) {
      *resp = ex_->context().directory->signed_directory();
      return absl::OkStatus();
    });
  }

 private:
  Exchange* ex_;
  CallerIdentity id_;
};

class BrokerServices::ConsentImpl : public v1::ConsentService::CallbackService {
 public:
  ConsentImpl(Exchange* ex, CallerIdentity id) : ex_(ex), id_(id) {}
  grpc::ServerUnaryReactor* RecordConsent(grpc::CallbackServerContext* ctx, const v1::Envelope* req,
                                          v1::Receipt* resp) override {
    return Unary(ctx, id_, [&](const std::string& caller) -> absl::Status {
      absl::StatusOr<v1::Receipt> r = ex_->RecordConsent(caller, *req);
      if (!r.ok()) return r.status();
      *resp = *std::move(r);
      return absl::OkStatus();
    });
  }
  grpc::ServerUnaryReactor* GetConsent(grpc::CallbackServerContext* ctx, const v1::GetConsentRequest* req,
                                       v1::ConsentStatus* resp) override {
    return Unary(ctx, id_, [&](const std::string& caller) -> absl::Status {
      absl::StatusOr<v1::ConsentStatus> r = ex_->GetConsent(caller, *req);
      if (!r.ok()) return r.status();
      *resp = *std::move(r);
      return absl::OkStatus();
    });
  }

 private:
  Exchange* ex_;
  CallerIdentity id_;
};

class BrokerServices::MeetingImpl : public v1::MeetingService::CallbackService {
 public:
  MeetingImpl(Meetings* m, CallerIdentity id) : m_(m), id_(id) {}
  grpc::ServerUnaryReactor* ListMeetings(grpc::CallbackServerContext* ctx, const v1::ListMeetingsRequest*,
                                         v1::ListMeetingsResponse* resp) override {
    return Unary(ctx, id_, [&](const std::string& caller) {
      *resp = m_->List(caller);
      return absl::OkStatus();
    });
  }
  grpc::ServerUnaryReactor* PullPack(grpc::CallbackServerContext* ctx, const v1::PullPackRequest* req,
                                     v1::MeetingPack* resp) override {
    return Unary(ctx, id_, [&](const std::string& caller) -> absl::Status {
      absl::StatusOr<v1::MeetingPack> r = m_->PullPack(caller, req->meeting_id());
      if (!r.ok()) return r.status();
      *resp = *std::move(r);
      return absl::OkStatus();
    });
  }

 private:
  Meetings* m_;
  CallerIdentity id_;
};

// Auditor agencies only; every query is itself audited before it is answered,
// and answers are proven against a head that includes that record.
class BrokerServices::AuditImpl : public v1::AuditService::CallbackService {
 public:
  AuditImpl(Exchange* ex, CallerIdentity id) : ex_(ex), id_(id) {}

  grpc::ServerUnaryReactor* GetSignedTreeHead(grpc::CallbackServerContext* ctx, const v1::GetSignedTreeHeadRequest*,
                                              v1::SignedTreeHead* resp) override {
    return Unary(ctx, id_, [&](const std::string& caller) -> absl::Status {
      absl::StatusOr<v1::SignedTreeHead> head = Audited(caller, "signed tree head", v1::AuditRecord());
      if (!head.ok()) return head.status();
      *resp = *head;
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* GetInclusionProof(grpc::CallbackServerContext* ctx,
                                              const v1::GetInclusionProofRequest* req,
                                              v1::GetInclusionProofResponse* resp) override {
    return Unary(ctx, id_, [&](const std::string& caller) -> absl::Status {
      absl::StatusOr<v1::SignedTreeHead> head =
          Audited(caller, absl::StrCat("inclusion proof for leaf ", req->leaf_index()), v1::AuditRecord());
      if (!head.ok()) return head.status();
      const audit::AuditLog& log = ex_->context().store->audit();
      v1::SignedTreeHead at = *head;
      if (req->tree_size() != 0) {
        absl::StatusOr<v1::SignedTreeHead> h = log.SignedHeadAt(req->tree_size());
        if (!h.ok()) return h.status();
        at = *h;
      }
      v1::TreeHead th;
      th.ParseFromString(at.tree_head());
      absl::StatusOr<std::string> leaf = log.LeafBytes(req->leaf_index());
      if (!leaf.ok()) return leaf.status();
      absl::StatusOr<v1::InclusionProof> proof = log.ProveInclusion(req->leaf_index(), th.tree_size());
      if (!proof.ok()) return proof.status();
      resp->set_leaf(*leaf);
      *resp->mutable_proof() = *proof;
      *resp->mutable_head() = at;
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* GetConsistencyProof(grpc::CallbackServerContext* ctx,
                                                const v1::GetConsistencyProofRequest* req,
                                                v1::GetConsistencyProofResponse* resp) override {
    return Unary(ctx, id_, [&](const std::string& caller) -> absl::Status {
      absl::StatusOr<v1::SignedTreeHead> head = Audited(
          caller, absl::StrCat("consistency proof ", req->first_size(), " -> ", req->second_size()),
          v1::AuditRecord());
      if (!head.ok()) return head.status();
      const audit::AuditLog& log = ex_->context().store->audit();
      v1::SignedTreeHead at = *head;
      if (req->second_size() != 0) {
        absl::StatusOr<v1::SignedTreeHead> h = log.SignedHeadAt(req->second_size());
        if (!h.ok()) return h.status();
        at = *h;
      }
      v1::TreeHead th;
      th.ParseFromString(at.tree_head());
      absl::StatusOr<v1::ConsistencyProof> proof = log.ProveConsistency(req->first_size(), th.tree_size());
      if (!proof.ok()) return proof.status();
      *resp->mutable_proof() = *proof;
      *resp->mutable_head() = at;
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* WhoSaw(grpc::CallbackServerContext* ctx, const v1::WhoSawQuery* req,
                                   v1::WhoSawResponse* resp) override {
    return Unary(ctx, id_, [&](const std::string& caller) -> absl::Status {
      v1::AuditRecord about;
      if (!req->subject_ref().empty()) about.add_subjects()->set_ref(req->subject_ref());
      about.set_case_ref(req->case_ref());
      about.set_event_id(req->event_id());
      std::vector<std::string> what;
      if (!req->subject_ref().empty()) what.push_back(absl::StrCat("subject=", req->subject_ref()));
      if (!req->case_ref().empty()) what.push_back(absl::StrCat("case=", req->case_ref()));
      if (!req->event_id().empty()) what.push_back(absl::StrCat("event=", req->event_id()));
      if (!req->agency().empty()) what.push_back(absl::StrCat("agency=", req->agency()));
      absl::StatusOr<v1::SignedTreeHead> head =
          Audited(caller, absl::StrCat("who-saw ", absl::StrJoin(what, " ")), about);
      if (!head.ok()) return head.status();
      v1::TreeHead th;
      th.ParseFromString(head->tree_head());
      absl::StatusOr<std::vector<v1::WhoSawRow>> rows =
          ex_->context().store->audit().Query(*req, th.tree_size());
      if (!rows.ok()) return rows.status();
      for (v1::WhoSawRow& r : *rows) *resp->add_rows() = std::move(r);
      *resp->mutable_head() = *head;
      return absl::OkStatus();
    });
  }

 private:
  absl::StatusOr<v1::SignedTreeHead> Audited(const std::string& caller, const std::string& query,
                                             v1::AuditRecord record) {
    const BrokerContext& ctx = ex_->context();
    if (ctx.directory->Kind(caller) != v1::AGENCY_KIND_AUDITOR) {
      return absl::PermissionDeniedError(absl::StrCat("audit queries are for auditor agencies; '", caller,
                                                      "' is not one"));
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

  Exchange* ex_;
  CallerIdentity id_;
};

class BrokerServices::AdminImpl : public v1::AdminService::CallbackService {
 public:
  AdminImpl(Exchange* ex, CallerIdentity id, std::vector<std::string> admins)
      : ex_(ex), id_(id), admins_(std::move(admins)) {}
  grpc::ServerUnaryReactor* ReloadPolicy(grpc::CallbackServerContext* ctx, const v1::ReloadPolicyRequest*,
                                         v1::ReloadPolicyResponse* resp) override {
    return Unary(ctx, id_, [&](const std::string& caller) -> absl::Status {
      if (std::find(admins_.begin(), admins_.end(), caller) == admins_.end()) {
        return absl::PermissionDeniedError(absl::StrCat(
            "'", caller, "' may not reload the policy (admin_agencies in the broker config)"));
      }
      absl::StatusOr<v1::ReloadPolicyResponse> r = ex_->ReloadPolicy(caller);
      if (!r.ok()) return r.status();
      *resp = *r;
      return absl::OkStatus();
    });
  }

 private:
  Exchange* ex_;
  CallerIdentity id_;
  std::vector<std::string> admins_;
};

BrokerServices::BrokerServices(Exchange* exchange, Meetings* meetings, CallerIdentity identity,
                               std::vector<std::string> admin_agencies)
    : exchange_(std::make_unique<ExchangeImpl>(exchange, identity)),
      directory_(std::make_unique<DirectoryImpl>(exchange, identity)),
      consent_(std::make_unique<ConsentImpl>(exchange, identity)),
      meeting_(std::make_unique<MeetingImpl>(meetings, identity)),
      audit_(std::make_unique<AuditImpl>(exchange, identity)),
      admin_(std::make_unique<AdminImpl>(exchange, identity, std::move(admin_agencies))) {}

BrokerServices::~BrokerServices() = default;

std::vector<grpc::Service*> BrokerServices::services() {
  return {exchange_.get(), directory_.get(), consent_.get(), meeting_.get(), audit_.get(), admin_.get()};
}

}  // namespace accord::broker
