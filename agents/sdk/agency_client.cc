#include "agents/sdk/agency_client.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "crypto/hash.h"
#include "crypto/key_file.h"

namespace accord::agents {
namespace {

void SetDeadline(grpc::ClientContext* ctx, absl::Duration timeout) {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

// The time the sender's key must have been valid: when it signed.
absl::Time SigningTime(const v1::EventHeader& h) {
  if (!h.has_signed_at()) return absl::Now();
  return absl::FromUnixSeconds(h.signed_at().seconds());
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& status, const std::string& what) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

absl::StatusOr<std::unique_ptr<AgencyClient>> AgencyClient::Create(const AgentIdentity& identity) {
  const crypto::PartnershipPaths paths(identity.partnership_dir);
  std::unique_ptr<AgencyClient> client(new AgencyClient());
  client->identity_ = identity;
  absl::StatusOr<std::string> id = crypto::ReadPartnershipId(paths);
  if (!id.ok()) return id.status();
  client->partnership_id_ = *id;
  absl::StatusOr<std::string> admin = crypto::ReadSigningPublicKey(paths.AdminPublicKey());
  if (!admin.ok()) return admin.status();
  client->admin_public_key_ = *admin;
  absl::StatusOr<std::string> log = crypto::ReadSigningPublicKey(paths.LogPublicKey());
  if (!log.ok()) return log.status();
  client->log_public_key_ = *log;
  absl::StatusOr<crypto::SigningKey> sk = crypto::ReadSigningKey(paths.AgencySigningKey(identity.agency));
  if (!sk.ok()) return sk.status();
  client->signing_ = std::make_unique<crypto::SigningKey>(*std::move(sk));
  absl::StatusOr<crypto::EncryptionKey> ek =
      crypto::ReadEncryptionKey(paths.AgencyEncryptionKey(identity.agency));
  if (!ek.ok()) return ek.status();
  client->encryption_ = std::make_unique<crypto::EncryptionKey>(*std::move(ek));
  absl::StatusOr<crypto::SecretBytes> linkage =
      crypto::ReadLinkageKey(paths.AgencyLinkageKey(identity.agency));
  if (!linkage.ok()) return linkage.status();
  client->linkage_ = *std::move(linkage);

  grpc::SslCredentialsOptions tls;
  absl::StatusOr<std::string> ca = crypto::ReadFileToString(paths.CaCert());
  absl::StatusOr<std::string> cert = crypto::ReadFileToString(paths.AgencyCert(identity.agency));
  absl::StatusOr<std::string> key = crypto::ReadFileToString(paths.AgencyTlsKey(identity.agency));
  for (const auto* s : {&ca, &cert, &key}) {
    if (!s->ok()) return s->status();
  }
  tls.pem_root_certs = *ca;
  tls.pem_cert_chain = *cert;
  tls.pem_private_key = *key;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  // A Subscribe stream can be quiet for hours: ping so that a broker that has
  // gone away is noticed and the agent reconnects. The broker accepts pings
  // every 10 s at most (docs/operations.md).
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  client->channel_ =
      grpc::CreateCustomChannel(identity.broker_address, grpc::SslCredentials(tls), args);
  client->exchange_ = v1::ExchangeService::NewStub(client->channel_);
  client->directory_stub_ = v1::DirectoryService::NewStub(client->channel_);
  return client;
}

absl::Status AgencyClient::RefreshDirectory(absl::Duration timeout) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, timeout);
  v1::Directory directory;
  if (auto s = FromGrpc(directory_stub_->GetDirectory(&ctx, v1::GetDirectoryRequest(), &directory),
                        "GetDirectory");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<crypto::VerifiedDirectory> verified =
      crypto::VerifiedDirectory::Create(directory, admin_public_key_, partnership_id_);
  if (!verified.ok()) {
    return absl::Status(verified.status().code(),
                        absl::StrCat("directory from the broker rejected: ",
                                     verified.status().message()));
  }
  absl::MutexLock lock(&mu_);
  directory_ = *std::move(verified);
  return absl::OkStatus();
}

absl::StatusOr<crypto::VerifiedDirectory> AgencyClient::Directory() const {
  absl::MutexLock lock(&mu_);
  if (!directory_.has_value()) {
    return absl::FailedPreconditionError("no verified directory yet (call RefreshDirectory)");
  }
  return *directory_;
}

absl::StatusOr<v1::Envelope> AgencyClient::PlanAndSeal(
    v1::EventHeader header, const std::vector<crypto::PlainSection>& sections,
    absl::Duration timeout, v1::SharePlan* plan_out) {
  absl::StatusOr<crypto::VerifiedDirectory> directory = Directory();
  if (!directory.ok()) return directory.status();
  header.set_sender(identity_.agency);
  header.set_signing_key_id(signing_->key_id());
  header.clear_sections();
  for (const crypto::PlainSection& s : sections) {
    v1::SectionRef* ref = header.add_sections();
    ref->set_name(s.name);
    ref->set_content_type(s.content_type);
  }
  v1::PlanShareRequest request;
  request.set_header(header.SerializeAsString());
  v1::SharePlan plan;
  grpc::ClientContext ctx;
  SetDeadline(&ctx, timeout);
  if (auto s = FromGrpc(exchange_->PlanShare(&ctx, request, &plan), "PlanShare"); !s.ok()) {
    return s;
  }
  const absl::Time now = absl::Now();
  std::vector<crypto::RecipientKey> recipients;
  for (const v1::RecipientPlan& r : plan.recipients()) {
    const std::string& agency = r.decision().recipient();
    // The key must be the one our own verified directory says is current.
    absl::StatusOr<v1::DirectoryEntry> entry = directory->Current(agency, now);
    if (!entry.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "plan names recipient '", agency, "' without a valid key: ", entry.status().message()));
    }
    if (r.has_entry()) {
      absl::StatusOr<v1::DirectoryEntry> offered =
          crypto::VerifyDirectoryEntry(r.entry(), admin_public_key_);
      if (!offered.ok() || offered->encryption_key_id() != entry->encryption_key_id()) {
        return absl::PermissionDeniedError(absl::StrCat(
            "broker offered a key for '", agency, "' that is not the administrator-signed one"));
      }
    }
    crypto::RecipientKey key{agency, entry->encryption_key_id(), entry->encryption_public_key(),
                             {}};
    for (const v1::SectionGrant& g : r.decision().grants()) key.sections.push_back(g.section());
    if (!key.sections.empty()) recipients.push_back(std::move(key));
  }
  header.set_policy_version(plan.policy_version());
  header.mutable_signed_at()->set_seconds(absl::ToUnixSeconds(now));
  absl::StatusOr<v1::Envelope> envelope = crypto::SealEvent(header, sections, recipients, *signing_);
  if (envelope.ok() && plan_out != nullptr) *plan_out = std::move(plan);
  return envelope;
}

absl::StatusOr<v1::NoticeBody> AgencyClient::VerifyNotice(const v1::BrokerNotice& notice) const {
  if (auto s = crypto::VerifySignature(log_public_key_, crypto::kBrokerNoticeType, notice.body(), notice.signature());
      !s.ok()) {
    return absl::DataLossError(absl::StrCat("broker notice signature invalid: ", s.message()));
  }
  v1::NoticeBody body;
  if (!body.ParseFromString(notice.body())) return absl::DataLossError("broker notice does not parse");
  if (body.notice_id().empty()) return absl::DataLossError("broker notice has no id");
  return body;
}

absl::StatusOr<v1::ReceiptBody> AgencyClient::Publish(const v1::Envelope& envelope,
                                                      absl::Duration timeout) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, timeout);
  v1::Receipt receipt;
  if (auto s = FromGrpc(exchange_->Publish(&ctx, envelope, &receipt), "Publish"); !s.ok()) return s;
  if (auto s = crypto::VerifySignature(log_public_key_, crypto::kReceiptType, receipt.body(),
                                       receipt.signature());
      !s.ok()) {
    return absl::DataLossError(absl::StrCat("receipt signature invalid: ", s.message()));
  }
  v1::ReceiptBody body;
  if (!body.ParseFromString(receipt.body())) return absl::DataLossError("receipt does not parse");
  v1::EventHeader header;
  header.ParseFromString(envelope.header());
  if (body.event_id() != header.event_id() ||
      body.envelope_sha256() != crypto::Sha256(envelope.SerializeAsString())) {
    return absl::DataLossError("receipt is for a different event");
  }
  return body;
}

absl::StatusOr<crypto::OpenedEvent> AgencyClient::Open(const v1::Delivery& delivery) {
  absl::StatusOr<crypto::VerifiedDirectory> directory = Directory();
  if (!directory.ok()) return directory.status();
  v1::EventHeader claimed;
  if (!claimed.ParseFromString(delivery.envelope().header())) {
    return absl::InvalidArgumentError("delivered header does not parse");
  }
  absl::StatusOr<v1::DirectoryEntry> sender =
      directory->ForSigningKey(claimed.sender(), claimed.signing_key_id(), SigningTime(claimed));
  if (!sender.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("sender key not trusted: ", sender.status().message()));
  }
  if (delivery.notification_only()) {
    // Told only that the event exists: the header comes without sections, so
    // only its signature can be checked, and nothing is opened.
    if (delivery.envelope().sections_size() != 0 || delivery.envelope().wraps_size() != 0) {
      return absl::InvalidArgumentError("a notification-only delivery carries sections or key wraps");
    }
    if (auto s = crypto::VerifySignature(sender->signing_public_key(), crypto::kEventHeaderType,
                                         delivery.envelope().header(), delivery.envelope().signature());
        !s.ok()) {
      return absl::UnauthenticatedError(absl::StrCat("event header signature invalid: ", s.message()));
    }
    crypto::OpenedEvent notice;
    notice.header = std::move(claimed);
    for (const v1::SectionRef& ref : notice.header.sections()) notice.not_for_me.push_back(ref.name());
    return notice;
  }
  return crypto::OpenEvent(delivery.envelope(), sender->signing_public_key(), identity_.agency,
                           *encryption_);
}

}  // namespace accord::agents
