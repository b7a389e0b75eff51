// Receives this agency's deliveries: verify and open each one, write it
// durably for the case system, and only then acknowledge it (DESIGN.md §5).
#ifndef ACCORD_AGENTS_SDK_RECEIVER_H_
#define ACCORD_AGENTS_SDK_RECEIVER_H_

#include <functional>

#include "absl/status/status.h"
#include "agents/sdk/agency_client.h"
#include "agents/sdk/inbox_writer.h"

namespace accord::agents {

struct ReceivedEvent {
  uint64_t queue_sequence = 0;
  std::string event_id;
  std::string sender;
  v1::EventKind kind = v1::EVENT_KIND_UNSPECIFIED;
  std::vector<std::string> opened;     // section names
  std::vector<std::string> withheld;
  bool duplicate = false;              // already written earlier (redelivery)
  bool notice = false;                 // a broker notice (event_id is the notice id)
  std::string notice_reason;
  absl::Status rejected;               // verification failed: quarantined
};

class Receiver {
 public:
  // `client` and `writer` must outlive the receiver.
  Receiver(AgencyClient* client, const InboxWriter* writer) : client_(client), writer_(writer) {}

  // Streams deliveries until the stream ends, `ctx` is cancelled, a local
  // write fails or an Ack fails (then nothing more is acknowledged). Returns the
  // final status: the local write failure, else the Ack failure, else the
  // stream's. `report` is called on this thread, in queue order, for each
  // delivery once it is processed (written or quarantined), and never for one
  // whose local write failed.
  //
  // Acknowledgements are cumulative and sent from a second thread: at most one
  // Ack is in flight and it names the highest position processed so far, so
  // several deliveries share one acknowledgement (one synced broker write)
  // when they arrive faster than an Ack returns. Nothing is acknowledged before
  // it is processed, and the last Ack has been answered when Run returns (on
  // stream end, cancellation or a local write failure).
  absl::Status Run(grpc::ClientContext* ctx, const std::function<void(const ReceivedEvent&)>& report);

 private:
  // Verifies, writes (or quarantines) one delivery; an error is a local write failure.
  absl::Status TakeEvent(const v1::Delivery& delivery, ReceivedEvent* event) const;
  absl::Status TakeNotice(const v1::Delivery& delivery, ReceivedEvent* event) const;

  AgencyClient* client_;
  const InboxWriter* writer_;
};

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_SDK_RECEIVER_H_
