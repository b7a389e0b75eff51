#include "broker/services.h"

#include <deque>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "broker/timestamps.h"

namespace accord::broker {


namespace {

// Streams an agency's queue: takes a batch of deliveries (their DELIVERED
// records committed by the writer thread with the publishes, off this thread),
// writes them one message at a time (gRPC flow control applies), and waits for
// the notifier when caught up. An idle stream costs nothing. (No buffer hint:
// with it, streams were seen to stall on their first write of a batch.)
class SubscribeReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  static constexpr size_t kBatch = 64;

  SubscribeReactor(Exchange* exchange, std::string agency, uint64_t after, CallSlots::Slot slot)
      : exchange_(exchange), agency_(std::move(agency)), slot_(std::move(slot)), after_(after) {
    listener_ = exchange_->context().notifier->Add(agency_, [this] { Pump(); });
    exchange_->context().log->Info("subscriber connected",
                                   {{"agency", agency_}, {"after", absl::StrCat(after)}});
    Pump();
  }

  void OnWriteDone(bool ok) override {
    Action next;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      next = ok ? NextLocked() : FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream closed by the client"));
    }
    Run(std::move(next));
  }

  void OnCancel() override {
    Action next;
    {
      absl::MutexLock lock(&mu_);
      finishing_ = true;
      next = NextLocked();  // finishes now unless a write or a fetch is in flight
    }
    Run(std::move(next));
  }

  void OnDone() override {
    exchange_->context().notifier->Remove(agency_, listener_);
    exchange_->context().log->Info("subscriber disconnected", {{"agency", agency_}});
    delete this;
  }

 private:
  // One step, decided under mu_ and marked in flight there (writing_,
  // fetching_ or finished_), then taken by Run() after unlocking. Finish() is
  // called only when nothing is in flight, so OnDone (which deletes the
  // reactor) cannot run while a write or a fetch may still touch it.
  struct Action {
    enum Step { kNone, kFinish, kWrite, kFetch } step = kNone;
    grpc::Status status;
    uint64_t after = 0;
  };

  Action FinishLocked(grpc::Status s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Action a;
    if (finished_) return a;
    finished_ = true;
    a.step = Action::kFinish;
    a.status = std::move(s);
    return a;
  }

  Action NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || writing_ || fetching_) return Action();
    if (finishing_) return FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
    Action a;
    if (buffer_.empty()) {
      fetching_ = true;
      wanted_ = false;
      a.step = Action::kFetch;
      a.after = after_;
      return a;
    }
    current_.Clear();
    if (absl::Status s = Encode(buffer_.front(), &current_); !s.ok()) return FinishLocked(ToGrpc(s));
    buffer_.pop_front();
    writing_ = true;
    a.step = Action::kWrite;
    return a;
  }

  void Run(Action a) {
    switch (a.step) {
      case Action::kNone:
        return;
      case Action::kFinish:
        Finish(a.status);
        return;
      case Action::kWrite:
        StartWrite(&current_);
        return;
      case Action::kFetch:
        exchange_->TakeDeliveriesAsync(agency_, a.after, kBatch, [this](absl::StatusOr<std::vector<v1::Delivery>> b) {
          Fetched(std::move(b));
        });
        return;
    }
  }

  // Woken by the notifier (its queue grew) or at the start.
  void Pump() {
    Action next;
    {
      absl::MutexLock lock(&mu_);
      if (fetching_) {
        wanted_ = true;  // the queue may have grown after the fetch read it
        return;
      }
      next = NextLocked();
    }
    Run(std::move(next));
  }

  // The answer of TakeDeliveriesAsync: on the writer thread, or inline.
  void Fetched(absl::StatusOr<std::vector<v1::Delivery>> batch) {
    Action next;
    {
      absl::MutexLock lock(&mu_);
      fetching_ = false;
      if (!batch.ok()) {
        next = FinishLocked(ToGrpc(batch.status()));
      } else {
        for (v1::Delivery& d : *batch) buffer_.push_back(std::move(d));
        if (!buffer_.empty()) after_ = buffer_.back().queue_sequence();
        // Caught up and not woken since: idle until the notifier wakes it.
        if (!buffer_.empty() || wanted_ || finishing_) next = NextLocked();
      }
    }
    Run(std::move(next));
  }

  Exchange* exchange_;
  const std::string agency_;
  CallSlots::Slot slot_;  // one of the agency's stream slots, until OnDone
  uint64_t listener_ = 0;
  absl::Mutex mu_;
  uint64_t after_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::Delivery> buffer_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer current_;  // owned by the in-flight write
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;  // a TakeDeliveriesAsync is outstanding
  bool wanted_ ABSL_GUARDED_BY(mu_) = false;    // woken while fetching: fetch again
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

// Every method is registered raw (service_edge.h: Decode), hence the
// ByteBuffer signatures.
using ExchangeBase = v1::ExchangeService::WithRawCallbackMethod_PlanShare<
    v1::ExchangeService::WithRawCallbackMethod_Publish<v1::ExchangeService::WithRawCallbackMethod_Subscribe<
        v1::ExchangeService::WithRawCallbackMethod_Ack<v1::ExchangeService::Service>>>>;
using DirectoryBase = v1::DirectoryService::WithRawCallbackMethod_GetDirectory<v1::DirectoryService::Service>;
using ConsentBase = v1::ConsentService::WithRawCallbackMethod_RecordConsent<
    v1::ConsentService::WithRawCallbackMethod_GetConsent<v1::ConsentService::Service>>;
using MeetingBase = v1::MeetingService::WithRawCallbackMethod_ListMeetings<
    v1::MeetingService::WithRawCallbackMethod_PullPack<v1::MeetingService::Service>>;
using AdminBase = v1::AdminService::WithRawCallbackMethod_ReloadPolicy<v1::AdminService::Service>;

class BrokerServices::ExchangeImpl : public ExchangeBase {
 public:
  ExchangeImpl(Exchange* ex, CallerIdentity id) : ex_(ex), id_(id) {}

  grpc::ServerUnaryReactor* PlanShare(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                      grpc::ByteBuffer* resp) override {
    return Unary<v1::PlanShareRequest, v1::SharePlan>(
        ctx, req, resp, id_, [&](const std::string& caller, const v1::PlanShareRequest& r, v1::SharePlan* out) {
          absl::StatusOr<v1::SharePlan> plan = ex_->PlanShare(caller, r.header());
          if (!plan.ok()) return plan.status();
          *out = *std::move(plan);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* Publish(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                    grpc::ByteBuffer* resp) override {
    // Verified on this thread, answered by the writer thread once its batch is
    // durable: no callback thread waits for a sync.
    return UnaryAsync<v1::Envelope, v1::Receipt>(
        ctx, req, resp, id_, [&](const std::string& caller, const v1::Envelope& env, Exchange::ReceiptCallback done) {
          ex_->PublishAsync(caller, env, std::move(done));
        });
  }

  grpc::ServerWriteReactor<grpc::ByteBuffer>* Subscribe(grpc::CallbackServerContext* ctx,
                                                        const grpc::ByteBuffer* req) override {
    class Refuse : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
     public:
      explicit Refuse(const absl::Status& s) { Finish(ToGrpc(s)); }
      void OnDone() override { delete this; }
    };
    absl::StatusOr<std::string> caller = id_.Of(ctx);
    if (!caller.ok()) return new Refuse(caller.status());
    v1::SubscribeRequest request;
    if (absl::Status s = Decode(*req, &request); !s.ok()) return new Refuse(s);
    absl::StatusOr<CallSlots::Slot> slot = id_.slots->Acquire(*caller, CallSlots::Kind::kStream);
    if (!slot.ok()) return new Refuse(slot.status());
    const uint64_t after = request.after_sequence() > 0 ? request.after_sequence() : ex_->AckedThrough(*caller);
    return new SubscribeReactor(ex_, *caller, after, *std::move(slot));
  }

  grpc::ServerUnaryReactor* Ack(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                grpc::ByteBuffer* resp) override {
    // Committed with the publishes by the writer thread, answered from there.
    return UnaryAsync<v1::AckRequest, v1::AckResponse>(
        ctx, req, resp, id_,
        [&](const std::string& caller, const v1::AckRequest& r, Exchange::AckCallback done) {
          ex_->AckAsync(caller, r.through_sequence(), std::move(done));
        });
  }

 private:
  Exchange* ex_;
  CallerIdentity id_;
};

class BrokerServices::DirectoryImpl : public DirectoryBase {
 public:
  DirectoryImpl(Exchange* ex, CallerIdentity id) : ex_(ex), id_(id) {}
  grpc::ServerUnaryReactor* GetDirectory(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                         grpc::ByteBuffer* resp) override {
    return Unary<v1::GetDirectoryRequest, v1::Directory>(
        ctx, req, resp, id_, [&](const std::string&, const v1::GetDirectoryRequest&, v1::Directory* out) {
          *out = ex_->context().directory->signed_directory();
          return absl::OkStatus();
        });
  }

 private:
  Exchange* ex_;
  CallerIdentity id_;
};

class BrokerServices::ConsentImpl : public ConsentBase {
 public:
  ConsentImpl(Exchange* ex, CallerIdentity id) : ex_(ex), id_(id) {}
  grpc::ServerUnaryReactor* RecordConsent(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                          grpc::ByteBuffer* resp) override {
    return UnaryAsync<v1::Envelope, v1::Receipt>(
        ctx, req, resp, id_, [&](const std::string& caller, const v1::Envelope& env, Exchange::ReceiptCallback done) {
          ex_->RecordConsentAsync(caller, env, std::move(done));
        });
  }
  grpc::ServerUnaryReactor* GetConsent(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                       grpc::ByteBuffer* resp) override {
    return Unary<v1::GetConsentRequest, v1::ConsentStatus>(
        ctx, req, resp, id_,
        [&](const std::string& caller, const v1::GetConsentRequest& r, v1::ConsentStatus* out) {
          absl::StatusOr<v1::ConsentStatus> c = ex_->GetConsent(caller, r);
          if (!c.ok()) return c.status();
          *out = *std::move(c);
          return absl::OkStatus();
        });
  }

 private:
  Exchange* ex_;
  CallerIdentity id_;
};

class BrokerServices::MeetingImpl : public MeetingBase {
 public:
  MeetingImpl(Meetings* m, CallerIdentity id) : m_(m), id_(id) {}
  grpc::ServerUnaryReactor* ListMeetings(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                         grpc::ByteBuffer* resp) override {
    return Unary<v1::ListMeetingsRequest, v1::ListMeetingsResponse>(
        ctx, req, resp, id_,
        [&](const std::string& caller, const v1::ListMeetingsRequest&, v1::ListMeetingsResponse* out) {
          *out = m_->List(caller);
          return absl::OkStatus();
        });
  }
  grpc::ServerUnaryReactor* PullPack(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                     grpc::ByteBuffer* resp) override {
    return Unary<v1::PullPackRequest, v1::MeetingPack>(
        ctx, req, resp, id_, [&](const std::string& caller, const v1::PullPackRequest& r, v1::MeetingPack* out) {
          absl::StatusOr<v1::MeetingPack> pack = m_->PullPack(caller, r.meeting_id());
          if (!pack.ok()) return pack.status();
          *out = *std::move(pack);
          return absl::OkStatus();
        });
  }

 private:
  Meetings* m_;
  CallerIdentity id_;
};

class BrokerServices::AdminImpl : public AdminBase {
 public:
  AdminImpl(Exchange* ex, CallerIdentity id, std::vector<std::string> admins)
      : ex_(ex), id_(id), admins_(std::move(admins)) {}
  grpc::ServerUnaryReactor* ReloadPolicy(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                         grpc::ByteBuffer* resp) override {
    return Unary<v1::ReloadPolicyRequest, v1::ReloadPolicyResponse>(
        ctx, req, resp, id_,
        [&](const std::string& caller, const v1::ReloadPolicyRequest&, v1::ReloadPolicyResponse* out) {
          if (std::find(admins_.begin(), admins_.end(), caller) == admins_.end()) {
            return absl::PermissionDeniedError(absl::StrCat(
                "'", caller, "' may not reload the policy (admin_agencies in the broker config)"));
          }
          absl::StatusOr<v1::ReloadPolicyResponse> r = ex_->ReloadPolicy(caller);
          if (!r.ok()) return r.status();
          *out = *r;
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
      audit_(std::make_unique<AuditServiceImpl>(exchange, identity)),
      admin_(std::make_unique<AdminImpl>(exchange, identity, std::move(admin_agencies))) {}

BrokerServices::~BrokerServices() = default;

std::vector<grpc::Service*> BrokerServices::services() {
  return {exchange_.get(), directory_.get(), consent_.get(), meeting_.get(), audit_.get(), admin_.get()};
}

}  // namespace accord::broker
