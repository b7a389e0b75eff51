// The connection one agency keeps to the broker (DESIGN.md §9): mutual TLS
// with its partnership certificate, a directory verified against the pinned
// administrator key, and the plan → seal → publish → verify-receipt and
// receive → verify → open steps. Never trusts the broker for a key or a claim
// it can check itself.
#ifndef ACCORD_AGENTS_SDK_AGENCY_CLIENT_H_
#define ACCORD_AGENTS_SDK_AGENCY_CLIENT_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "accord/v1/broker.grpc.pb.h"
#include "accord/v1/directory.grpc.pb.h"
#include "crypto/directory.h"
#include "crypto/envelope.h"
#include "crypto/partnership.h"
#include "grpcpp/grpcpp.h"

namespace accord::agents {

struct AgentIdentity {
  std::string partnership_dir;  // holds public/ and agencies/<agency>/
  std::string agency;
  std::string broker_address;   // host:port
};

class AgencyClient {
 public:
  // Loads the agency's keys, the pinned administrator and log keys and the CA,
  // and opens an mTLS channel. Does not contact the broker yet.
  static absl::StatusOr<std::unique_ptr<AgencyClient>> Create(const AgentIdentity& identity);

  const std::string& agency() const { return identity_.agency; }
  const crypto::SecretBytes& linkage_key() const { return linkage_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // Fetches the directory from the broker and verifies every entry against the
  // pinned administrator key. Fails closed: on error the previous one is kept.
  absl::Status RefreshDirectory(absl::Duration timeout);

  // Asks the broker for the share plan, checks every recipient key against the
  // verified directory, and seals exactly that plan.
  absl::StatusOr<v1::Envelope> PlanAndSeal(v1::EventHeader header,
                                           const std::vector<crypto::PlainSection>& sections,
                                           absl::Duration timeout,
                                           v1::SharePlan* plan_out = nullptr);

  // Publishes and verifies the broker's signed receipt (log key, event id,
  // envelope digest). The gRPC status code is preserved in the error.
  absl::StatusOr<v1::ReceiptBody> Publish(const v1::Envelope& envelope, absl::Duration timeout);
  // A notice the broker raised itself: its signature by the partnership's log
  // key over the body bytes as received, then the body (docs/protocol.md §3).
  absl::StatusOr<v1::NoticeBody> VerifyNotice(const v1::BrokerNotice& notice) const;

  // Verifies the sender (directory key valid at the event time) and opens the
  // sections wrapped for this agency. Notification-only deliveries have none.
  absl::StatusOr<crypto::OpenedEvent> Open(const v1::Delivery& delivery);

  v1::ExchangeService::Stub& exchange() { return *exchange_; }

 private:
  AgencyClient() = default;
  absl::StatusOr<crypto::VerifiedDirectory> Directory() const;

  AgentIdentity identity_;
  std::string partnership_id_;
  std::string admin_public_key_;
  std::string log_public_key_;
  std::unique_ptr<crypto::SigningKey> signing_;
  std::unique_ptr<crypto::EncryptionKey> encryption_;
  crypto::SecretBytes linkage_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ExchangeService::Stub> exchange_;
  std::unique_ptr<v1::DirectoryService::Stub> directory_stub_;
  mutable absl::Mutex mu_;
  std::optional<crypto::VerifiedDirectory> directory_ ABSL_GUARDED_BY(mu_);
};

// absl::Status from a grpc::Status, keeping the code and message.
absl::Status FromGrpc(const grpc::Status& status, const std::string& what);

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_SDK_AGENCY_CLIENT_H_
