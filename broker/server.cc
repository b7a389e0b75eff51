#include "broker/server.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "broker/audit/background_check.h"
#include "broker/audit/integrity_check.h"
#include "broker/call_slots.h"
#include "broker/exchange.h"
#include "broker/meetings.h"
#include "broker/partnership_directory.h"
#include "broker/queue_notifier.h"
#include "broker/rocksdb_store.h"
#include "broker/services.h"
#include "crypto/hash.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "policy/policy_holder.h"

namespace accord::broker {

struct BrokerServer::Parts {
  std::unique_ptr<crypto::SigningKey> log_key;
  std::unique_ptr<PartnershipDirectory> directory;
  std::unique_ptr<policy::PolicyHolder> policy;
  std::unique_ptr<Store> store;
  QueueNotifier notifier;
  Health health;
  std::unique_ptr<CallSlots> slots;
  PeerNameCache names;
  std::unique_ptr<Exchange> exchange;
  std::unique_ptr<Meetings> meetings;
  std::unique_ptr<BrokerServices> services;
  std::unique_ptr<audit::BackgroundIntegrityCheck> integrity;  // reads store; stopped before it closes
};

namespace {

bool IsLoopback(const std::string& listen) {
  return absl::StartsWith(listen, "127.") || absl::StartsWith(listen, "[::1]:") ||
         absl::StartsWith(listen, "localhost:");
}

std::string HostOf(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  return colon == std::string::npos ? listen : listen.substr(0, colon);
}

// The audit log no longer matches the heads it signed (it refuses appends
// already): refuse every call until an operator restarts the broker.
void HaltOnAuditFinding(Health& health, Logger& log, const absl::Status& finding) {
  log.Error("audit log integrity check failed; refusing every call until restarted",
            {{"problem", std::string(finding.message())}});
  health.SetFailing("audit_integrity", Health::Severity::kHalted, std::string(finding.message()));
}

void LogAuditChecked(Logger& log, const char* what, const audit::CheckedRange& r) {
  log.Info(what, {{"records", absl::StrCat(r.from, "..", r.tree_size)},
                  {"seconds", absl::StrCat(absl::ToDoubleSeconds(r.elapsed))}});
}

}  // namespace

absl::StatusOr<std::unique_ptr<BrokerServer>> BrokerServer::Start(const BrokerConfig& config,
                                                                  bool allow_dev_plaintext, Logger* log) {
  if (auto s = crypto::InitSodium(); !s.ok()) return s;
  const bool plaintext = config.insecure_dev_plaintext || allow_dev_plaintext;
  if (plaintext) {
    if (!(config.insecure_dev_plaintext && allow_dev_plaintext)) {
      return absl::FailedPreconditionError(
          "plaintext development mode needs both insecure_dev_plaintext: true in the config and "
          "--insecure-dev-plaintext on the command line");
    }
    if (!IsLoopback(config.listen)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "plaintext development mode only listens on loopback; '", config.listen, "' is not"));
    }
  }
  std::unique_ptr<BrokerServer> server(new BrokerServer());
  server->log_ = log;
  server->parts_ = std::make_unique<Parts>();
  Parts& p = *server->parts_;

  const crypto::PartnershipPaths paths(config.partnership_dir);
  absl::StatusOr<crypto::SigningKey> log_key = crypto::ReadSigningKey(config.log_key);
  if (!log_key.ok()) return log_key.status();
  absl::StatusOr<std::string> log_pub = crypto::ReadSigningPublicKey(paths.LogPublicKey());
  if (!log_pub.ok()) return log_pub.status();
  if (*log_pub != log_key->public_key()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "log key ", config.log_key, " does not match the partnership's ", paths.LogPublicKey()));
  }
  // The store signs tree heads with its own copy; this one signs receipts.
  absl::StatusOr<crypto::SigningKey> receipt_key = crypto::SigningKey::FromSeed(log_key->Seed().view());
  if (!receipt_key.ok()) return receipt_key.status();
  p.log_key = std::make_unique<crypto::SigningKey>(*std::move(receipt_key));
  absl::StatusOr<PartnershipDirectory> directory = PartnershipDirectory::Load(config.partnership_dir);
  if (!directory.ok()) return directory.status();
  p.directory = std::make_unique<PartnershipDirectory>(*std::move(directory));
  for (const MeetingConfig& m : config.meetings) {
    for (const std::string& a : m.members) {
      if (!p.directory->Knows(a)) {
        return absl::InvalidArgumentError(
            absl::StrCat("meeting '", m.id, "' lists '", a, "', which is not in the partnership directory"));
      }
    }
  }
  for (const std::string& a : config.admin_agencies) {
    if (!p.directory->Knows(a)) {
      return absl::InvalidArgumentError(absl::StrCat("admin agency '", a, "' is not in the partnership directory"));
    }
  }
  absl::StatusOr<std::unique_ptr<policy::PolicyHolder>> policy = policy::PolicyHolder::Create(config.policy_file);
  if (!policy.ok()) return policy.status();
  p.policy = *std::move(policy);
  absl::StatusOr<std::unique_ptr<Store>> store = OpenRocksDbStore(config.data_dir, *std::move(log_key));
  if (!store.ok()) return store.status();
  p.store = *std::move(store);
  // Before anything is appended or answered, the records since the last
  // verified size must match their signed heads (docs/audit.md).
  absl::StatusOr<audit::CheckedRange> checked = audit::IntegrityChecker(p.store->audit(), *log_pub).CheckSinceMarker();
  if (absl::IsDataLoss(checked.status())) {
    HaltOnAuditFinding(p.health, *log, checked.status());
  } else if (!checked.ok()) {
    return checked.status();
  } else if (absl::Status damaged = p.store->audit().AppendsRefused(); !damaged.ok()) {
    // Found when the store opened, beyond what the check reads: still halt.
    checked = absl::DataLossError(damaged.message());
    HaltOnAuditFinding(p.health, *log, checked.status());
  } else {
    LogAuditChecked(*log, "audit log checked at start", *checked);
  }

  BrokerContext ctx;
  ctx.store = p.store.get();
  ctx.policy = p.policy.get();
  ctx.directory = p.directory.get();
  ctx.log_key = p.log_key.get();
  ctx.limits = config.limits;
  ctx.log = log;
  ctx.notifier = &p.notifier;
  ctx.health = &p.health;
  p.exchange = std::make_unique<Exchange>(ctx);
  p.meetings = std::make_unique<Meetings>(p.exchange.get(), config.meetings);
  p.slots = std::make_unique<CallSlots>(config.limits.max_calls_per_agency, config.limits.max_streams_per_agency);
  if (checked.ok()) {
    if (auto s = p.exchange->RecordPolicyLoaded("broker"); !s.ok()) return s;
  }
  p.services = std::make_unique<BrokerServices>(
      p.exchange.get(), p.meetings.get(), CallerIdentity{p.directory.get(), plaintext, &p.health, p.slots.get(), &p.names},
      config.admin_agencies);

  std::shared_ptr<grpc::ServerCredentials> creds;
  if (plaintext) {
    creds = grpc::InsecureServerCredentials();
  } else {
    absl::StatusOr<std::string> ca = crypto::ReadFileToString(config.client_ca);
    absl::StatusOr<std::string> cert = crypto::ReadFileToString(config.tls_cert);
    absl::StatusOr<std::string> key = crypto::ReadFileToString(config.tls_key);
    for (const auto* s : {&ca, &cert, &key}) {
      if (!s->ok()) return s->status();
    }
    grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = *ca;
    tls.pem_key_cert_pairs.push_back({*key, *cert});
    creds = grpc::SslServerCredentials(tls);
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen, creds, &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.limits.max_envelope_bytes + (64u << 10)));
  builder.SetMaxSendMessageSize(64 << 20);
  const Limits& lim = config.limits;
  // A connection that never finishes its TLS handshake holds a descriptor:
  // close it soon (gRPC's default is two minutes).
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, lim.handshake_timeout_seconds * 1000);
  // Long-lived Subscribe streams: ping idle connections so that a vanished
  // agent is noticed, and accept the agents' own pings at that rate.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, lim.keepalive_seconds * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10 * 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, lim.max_connection_idle_minutes * 60 * 1000);
  // Per connection; per agency the call slots apply on top.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 2 * (lim.max_calls_per_agency + lim.max_streams_per_agency));
  for (grpc::Service* s : p.services->services()) builder.RegisterService(s);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen));
  }
  grpc::HealthCheckServiceInterface* health = server->server_->GetHealthCheckService();
  Health* state = &p.health;
  p.health.Watch([health, state, log](bool serving) {
    health->SetServingStatus(serving);
    if (serving) {
      log->Info("health: SERVING");
    } else {
      log->Error("health: NOT_SERVING", {{"because", state->Describe()}});
    }
  });
  server->address_ = absl::StrCat(HostOf(config.listen), ":", port);
  server->housekeeping_ = std::thread([s = server.get()] { s->Housekeeping(); });
  if (checked.ok() && config.audit_check_interval_seconds > 0) {
    audit::BackgroundIntegrityCheck::Listener listener;
    listener.passed = [log](const audit::CheckedRange& r) { LogAuditChecked(*log, "audit log checked", r); };
    listener.found = [&p, log](const absl::Status& s) { HaltOnAuditFinding(p.health, *log, s); };
    listener.failed = [log](const absl::Status& s) {
      log->Warn("audit log check could not run; trying again at the next interval",
                {{"error", std::string(s.message())}});
    };
    p.integrity = std::make_unique<audit::BackgroundIntegrityCheck>(
        p.store->audit(), *log_pub, absl::Seconds(config.audit_check_interval_seconds), std::move(listener));
  }
  if (plaintext) {
    log->Warn("INSECURE DEVELOPMENT MODE: plaintext gRPC, callers identified by unauthenticated metadata; "
              "never use with real data", {{"address", server->address_}});
  }
  log->Info("listening", {{"address", server->address_},
                          {"tls", plaintext ? "off (development)" : "mutual"},
                          {"policy", p.policy->Version()},
                          {"events", absl::StrCat(p.store->EventCount())},
                          {"audit_size", absl::StrCat(p.store->audit().size())},
                          {"agencies", absl::StrJoin(p.directory->verified().Agencies(), ",")}});
  return server;
}

void BrokerServer::Housekeeping() {
  Parts& p = *parts_;
  absl::Time next_flush = absl::Now() + absl::Minutes(1);
  absl::Time next_recovery = absl::InfinitePast();
  absl::Time next_due_check = absl::InfinitePast();
  std::string last_recovery_error;
  std::string last_due_error;
  while (!stopping_.WaitForNotificationWithTimeout(absl::Milliseconds(200))) {
    const absl::Time now = absl::Now();
    absl::Status write = p.store->WriteError();
    if (!write.ok()) {
      p.health.SetFailing("storage", Health::Severity::kDegraded, std::string(write.message()));
      if (now >= next_recovery) {
        next_recovery = now + absl::Seconds(1);
        if (absl::Status r = p.store->Recover(); r.ok()) {
          log_->Info("storage is writable again");
          last_recovery_error.clear();
        } else if (std::string(r.message()) != last_recovery_error) {
          last_recovery_error = std::string(r.message());
          log_->Warn("storage not yet writable; retrying every second", {{"error", last_recovery_error}});
        }
      }
    } else {
      p.health.Clear("storage");
    }
    // Due schedule steps are raised while the broker serves; while it is
    // halted (a failed audit check) or draining they wait, and are raised
    // once it serves again. A failure is logged once per distinct error.
    if (write.ok() && p.health.Serving() && now >= next_due_check) {
      next_due_check = now + absl::Seconds(1);
      absl::StatusOr<int> raised = p.exchange->RaiseDueNotices(p.exchange->context().now());
      if (!raised.ok() && raised.status().ToString() != last_due_error) {
        last_due_error = raised.status().ToString();
        log_->Warn("cannot raise due schedule steps", {{"error", last_due_error}});
      } else if (raised.ok()) {
        last_due_error.clear();
      }
    }
    if (now >= next_flush) {
      next_flush = now + absl::Minutes(1);
      p.exchange->refusals().Flush();
    }
  }
}

absl::Status BrokerServer::ReloadPolicy(const std::string& who) {
  absl::StatusOr<v1::ReloadPolicyResponse> r = parts_->exchange->ReloadPolicy(who);
  return r.ok() ? absl::OkStatus() : r.status();
}

void BrokerServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  log_->Info("shutting down: finishing in-flight calls");
  parts_->health.Watch(nullptr);
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
  server_.reset();
  stopping_.Notify();
  if (housekeeping_.joinable()) housekeeping_.join();
  parts_->integrity.reset();
  parts_->exchange->refusals().Flush();
  parts_->services.reset();
  parts_->meetings.reset();
  parts_->exchange.reset();
  const Store::WriteTotals written = parts_->store->Written();
  const uint64_t events = parts_->store->EventCount();
  parts_->store.reset();
  // What this run wrote: the write amplification an operator can check.
  log_->Info("stopped", {{"events", absl::StrCat(events)},
                         {"write_batches", absl::StrCat(written.batches)},
                         {"keys_written", absl::StrCat(written.keys)},
                         {"bytes_written", absl::StrCat(written.bytes)}});
}

BrokerServer::~BrokerServer() { Shutdown(absl::Seconds(5)); }

}  // namespace accord::broker
