#include "agents/sdk/receiver.h"

#include "absl/strings/str_cat.h"

namespace accord::agents {

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
  v1::Delivery delivery;
  while (reader->Read(&delivery)) {
    ReceivedEvent event;
    event.queue_sequence = delivery.queue_sequence();
    if (auto s = delivery.has_notice() ? TakeNotice(delivery, &event) : TakeEvent(delivery, &event); !s.ok()) {
      return s;
    }
    grpc::ClientContext ack_ctx;
    ack_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::AckRequest ack;
    ack.set_through_sequence(delivery.queue_sequence());
    v1::AckResponse ack_response;
    if (auto s = FromGrpc(client_->exchange().Ack(&ack_ctx, ack, &ack_response), "Ack"); !s.ok()) {
      report(event);
      return s;
    }
    report(event);
  }
  return FromGrpc(reader->Finish(), "Subscribe");
}

}  // namespace accord::agents
