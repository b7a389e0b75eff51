#include "agents/sdk/receiver.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace accord::agents {
namespace {

// Acknowledges cumulatively from its own thread (AckRequest.through_sequence is
// cumulative): at most one Ack is in flight, and each names the highest
// position processed when it was sent, so acks keep up with deliveries however
// long the broker's synced write takes. A failed Ack cancels the stream (its
// error is Run's status); Finish sends whatever is still pending and waits.
class CumulativeAcker {
 public:
  CumulativeAcker(v1::ExchangeService::StubInterface* stub, grpc::ClientContext* stream)
      : stub_(stub), stream_(stream), thread_([this] { Loop(); }) {}
  ~CumulativeAcker() { (void)Finish(); }
  CumulativeAcker(const CumulativeAcker&) = delete;
  CumulativeAcker& operator=(const CumulativeAcker&) = delete;

  // `through` and everything before it is processed: written durably or quarantined.
  void Processed(uint64_t through) {
    absl::MutexLock l(&mu_);
    processed_ = std::max(processed_, through);
  }
  bool failed() {
    absl::MutexLock l(&mu_);
    return !error_.ok();
  }
  // Acknowledges everything processed so far and stops; the first Ack error.
  absl::Status Finish() {
    {
      absl::MutexLock l(&mu_);
      finishing_ = true;
    }
    if (thread_.joinable()) thread_.join();
    absl::MutexLock l(&mu_);
    return error_;
  }

 private:
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return finishing_ || processed_ > sent_; }

  void Loop() {
    for (;;) {
      uint64_t through = 0;
      {
        absl::MutexLock l(&mu_);
        mu_.Await(absl::Condition(this, &CumulativeAcker::Ready));
        if (processed_ <= sent_) return;  // finishing, nothing pending
        through = processed_;
        sent_ = through;
      }
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      v1::AckRequest ack;
      ack.set_through_sequence(through);
      v1::AckResponse response;
      if (absl::Status s = FromGrpc(stub_->Ack(&ctx, ack, &response), "Ack"); !s.ok()) {
        {
          absl::MutexLock l(&mu_);
          error_ = s;
        }
        stream_->TryCancel();  // stop reading: nothing more will be acknowledged
        return;
      }
    }
  }

  v1::ExchangeService::StubInterface* stub_;
  grpc::ClientContext* stream_;
  absl::Mutex mu_;
  uint64_t processed_ ABSL_GUARDED_BY(mu_) = 0;  // highest position processed
  uint64_t sent_ ABSL_GUARDED_BY(mu_) = 0;       // highest position acked or in flight
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: started once the fields above exist
};

}  // namespace

absl::Status Receiver::TakeEvent(const v1::Delivery& delivery, ReceivedEvent* event) const {
  absl::StatusOr<crypto::OpenedEvent> opened = client_->Open(delivery);
  if (!opened.ok()) {
    event->rejected = opened.status();
    return writer_->Quarantine(delivery, opened.status());
  }
  event->event_id = opened->header.event_id();
  event->sender = opened->header.sender();
  event->kind = opened->header.kind();
  for (const crypto::OpenedSection& s : opened->sections) event->opened.push_back(s.name);
  event->withheld = opened->not_for_me;
  absl::StatusOr<bool> written = writer_->Write(delivery, *opened);
  if (!written.ok()) return written.status();
  event->duplicate = !*written;
  return absl::OkStatus();
}

absl::Status Receiver::TakeNotice(const v1::Delivery& delivery, ReceivedEvent* event) const {
  absl::StatusOr<v1::NoticeBody> notice = client_->VerifyNotice(delivery.notice());
  if (!notice.ok()) {
    event->rejected = notice.status();
    return writer_->Quarantine(delivery, notice.status());
  }
  event->notice = true;
  event->event_id = notice->notice_id();
  event->kind = notice->kind();
  event->notice_reason = notice->reason();
  absl::StatusOr<bool> written = writer_->WriteNotice(delivery, *notice);
  if (!written.ok()) return written.status();
  event->duplicate = !*written;
  return absl::OkStatus();
}

absl::Status Receiver::Run(grpc::ClientContext* ctx,
                           const std::function<void(const ReceivedEvent&)>& report) {
  v1::SubscribeRequest request;  // resume after the last acknowledged position
  std::unique_ptr<grpc::ClientReader<v1::Delivery>> reader =
      client_->exchange().Subscribe(ctx, request);
  CumulativeAcker acker(&client_->exchange(), ctx);
  v1::Delivery delivery;
  while (!acker.failed() && reader->Read(&delivery)) {
    ReceivedEvent event;
    event.queue_sequence = delivery.queue_sequence();
    if (auto s = delivery.has_notice() ? TakeNotice(delivery, &event) : TakeEvent(delivery, &event); !s.ok()) {
      // Not acknowledged: it comes again. What was processed before it is.
      ctx->TryCancel();
      (void)reader->Finish();
      (void)acker.Finish();
      return s;
    }
    acker.Processed(delivery.queue_sequence());
    report(event);
  }
  const absl::Status stream = FromGrpc(reader->Finish(), "Subscribe");
  if (absl::Status acked = acker.Finish(); !acked.ok()) return acked;
  return stream;
}

}  // namespace accord::agents
