// Load generator for bench/compare: N publishers send sealed, signed case
// events (the project's own client library, agents/sdk) to the real
// accord-broker over mutual TLS, or to the floor server (floor_server.cc);
// optionally K subscribers receive and acknowledge every delivery (acks are
// cumulative: each subscriber's ack thread acknowledges the latest position
// received, so acks coalesce under load instead of pacing the stream).
// Prints one "result ..." line (load_common.h). See bench/README.md.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>

#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "agents/sdk/agency_client.h"
#include "bench/compare/load_common.h"
#include "bench/compare/load_event.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "grpcpp/grpcpp.h"

namespace accord::bench {
namespace {

constexpr char kUsage[] = R"(accord_load: publish sealed case events to accord-broker (or the floor) and measure.

  --target accord|floor    accord: the real broker over mTLS, receipts verified (default)
                           floor: floor_server (any response counts)
  --partnership DIR        partnership made by `accord partnership init` (keys, CA, directory)
  --address HOST:PORT      the server
  --plaintext              floor only: no TLS
  --publishers N           concurrent publishers (default 1)
  --rate R                 events/s offered in total (open loop); 0 = closed loop (default)
  --warmup S  --seconds S  unmeasured lead-in (default 1) and measured window (default 5)
  --subscribers K          accord only: K of the event's recipients subscribe and ack (0..4)
  --drain S                after publishing, wait up to S for deliveries (default 5)
  --server-pid PID         sample the server's CPU time over the window
  --sender AGENCY          publishing agency (default police)
  --fresh-keys             accord only: draw and wrap new section keys for every event, as a
                           real agent does (about 1 ms of this machine's CPU per event); by
                           default each publisher wraps one set of keys before the clock starts
                           and seals every event's sections with them (bench/README.md)
)";

// Event ids carry the publish's scheduled start, so that a subscriber in the
// same process can compute publish-to-delivery latency.
std::string EventId(const std::string& sender, int64_t run, int thread, int64_t k, int64_t start_ns) {
  return absl::StrCat(sender, ":load-", run, "-", thread, "-", k, "-", start_ns);
}
int64_t StartOf(const std::string& event_id) {
  const size_t dash = event_id.rfind('-');
  int64_t v = 0;
  return event_id.find(":load-") != std::string::npos && dash != std::string::npos &&
                 absl::SimpleAtoi(event_id.substr(dash + 1), &v)
             ? v
             : -1;
}

struct Config {
  std::string target, partnership, address, sender;
  bool plaintext = false;
  bool fresh_keys = false;
  int subscribers = 0;
  double drain = 5;
  int cases = 500;
  LoadOptions load;
};

absl::StatusOr<Config> ReadConfig(int argc, char** argv) {
  absl::StatusOr<Flags> f = Flags::Parse(
      argc, argv, {"target", "partnership", "address", "plaintext", "publishers", "rate", "warmup",
                   "seconds", "subscribers", "drain", "server-pid", "sender", "cases", "fresh-keys", "help"});
  if (!f.ok()) return f.status();
  Config c;
  c.target = f->Str("target", "accord");
  c.partnership = f->Str("partnership", "");
  c.address = f->Str("address", "");
  c.sender = f->Str("sender", "police");
  c.plaintext = f->Has("plaintext");
  c.fresh_keys = f->Has("fresh-keys");
  if (c.target != "accord" && c.target != "floor") {
    return absl::InvalidArgumentError(absl::StrCat("--target must be accord or floor, got '", c.target, "'"));
  }
  if (c.partnership.empty() || c.address.empty()) {
    return absl::InvalidArgumentError("--partnership and --address are required (see --help)");
  }
  if (c.plaintext && c.target == "accord") {
    return absl::InvalidArgumentError("--plaintext is for the floor only: the broker is measured over mTLS");
  }
  struct Num { const char* name; double fallback, min, max; double* out; };
  double publishers = 0, subscribers = 0, pid = 0, cases = 0;
  for (const Num& n : {Num{"publishers", 1, 1, 1024, &publishers}, Num{"rate", 0, 0, 1e6, &c.load.rate},
                       Num{"warmup", 1, 0, 3600, &c.load.warmup_seconds},
                       Num{"seconds", 5, 0.1, 3600, &c.load.seconds}, Num{"subscribers", 0, 0, 4, &subscribers},
                       Num{"drain", 5, 0, 3600, &c.drain}, Num{"server-pid", 0, 0, 1 << 30, &pid},
                       Num{"cases", 500, 1, 1e7, &cases}}) {
    absl::StatusOr<double> v = f->Number(n.name, n.fallback, n.min, n.max);
    if (!v.ok()) return v.status();
    *n.out = *v;
  }
  c.load.publishers = static_cast<int>(publishers);
  c.subscribers = static_cast<int>(subscribers);
  c.load.server_pid = static_cast<int>(pid);
  c.cases = static_cast<int>(cases);
  if (c.fresh_keys && c.target != "accord") {
    return absl::InvalidArgumentError("--fresh-keys needs --target accord (the floor gets envelopes sealed beforehand)");
  }
  if (c.subscribers > 0 && c.target != "accord") {
    return absl::InvalidArgumentError("--subscribers needs --target accord (the floor does not deliver)");
  }
  return c;
}

// The recipients and sections of the broker's plan for this kind of event,
// their keys taken from the administrator-verified directory.
absl::Status PlanOnce(const Config& c, agents::AgencyClient* client, const crypto::VerifiedDirectory& dir,
                      EventMaker* maker) {
  std::mt19937_64 rng(1);
  v1::SharePlan plan;
  absl::StatusOr<v1::Envelope> sample =
      client->PlanAndSeal(maker->Header(c.sender + "-load-plan", 0), EventMaker::Sections(rng), absl::Seconds(20), &plan);
  if (!sample.ok()) return sample.status();
  maker->policy_version = plan.policy_version();
  for (const v1::RecipientPlan& r : plan.recipients()) {
    absl::StatusOr<v1::DirectoryEntry> e = dir.Current(r.decision().recipient(), absl::Now());
    if (!e.ok()) return e.status();
    crypto::RecipientKey k{e->agency_id(), e->encryption_key_id(), e->encryption_public_key(), {}};
    for (const v1::SectionGrant& g : r.decision().grants()) k.sections.push_back(g.section());
    if (!k.sections.empty()) maker->recipients.push_back(std::move(k));
  }
  if (maker->recipients.size() < static_cast<size_t>(c.subscribers)) {
    return absl::FailedPreconditionError(absl::StrCat("the policy routes this event to ", maker->recipients.size(),
                                                      " agencies; cannot have ", c.subscribers, " subscribers"));
  }
  return absl::OkStatus();
}

// The floor is not a broker: it gets an envelope of the same shape, sealed
// as tests/policies/one-programme.yaml routes this event (its first case in
// one-programme.cases.yaml).
absl::Status FloorRecipients(const crypto::VerifiedDirectory& dir, EventMaker* maker) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> plan = {
      {"victim_services", {"summary", "risk", "detail", "victim_contact"}},
      {"childrens_services", {"summary", "risk", "detail", "children"}},
      {"probation", {"summary", "risk", "detail"}},
      {"marac_coordinator", {"summary", "risk", "detail"}}};
  for (const auto& [agency, sections] : plan) {
    absl::StatusOr<v1::DirectoryEntry> e = dir.Current(agency, absl::Now());
    if (!e.ok()) return e.status();
    maker->recipients.push_back({e->agency_id(), e->encryption_key_id(), e->encryption_public_key(), sections});
  }
  maker->policy_version = "floor";
  return absl::OkStatus();
}

size_t Wraps(const std::vector<crypto::RecipientKey>& recipients) {
  size_t n = 0;
  for (const crypto::RecipientKey& r : recipients) n += r.sections.size();
  return n;
}

class Subscribers {
 public:
  Subscribers(const Config& c, const EventMaker& maker, DeliveryLatencies* latencies)
      : c_(c), maker_(maker), latencies_(latencies) {}

  absl::Status Start() {
    for (int i = 0; i < c_.subscribers; ++i) {
      absl::StatusOr<std::unique_ptr<agents::AgencyClient>> client =
          agents::AgencyClient::Create({c_.partnership, maker_.recipients[static_cast<size_t>(i)].agency, c_.address});
      if (!client.ok()) return client.status();
      clients_.push_back(std::move(*client));
      contexts_.push_back(std::make_unique<grpc::ClientContext>());
    }
    for (int i = 0; i < c_.subscribers; ++i) ackers_.push_back(std::make_unique<Acker>());
    for (int i = 0; i < c_.subscribers; ++i) {
      threads_.emplace_back([this, i] { Run(i); });
      ack_threads_.emplace_back([this, i] { AckLoop(i); });
    }
    return absl::OkStatus();
  }

  int64_t delivered() const { return delivered_.load(); }
  int64_t ack_errors() const { return ack_errors_.load(); }

  void Stop() {
    for (auto& ctx : contexts_) ctx->TryCancel();
    for (std::thread& t : threads_) t.join();
    for (auto& a : ackers_) a->Stop();
    for (std::thread& t : ack_threads_) t.join();
  }

 private:
  void Run(int i) {
    agents::AgencyClient& client = *clients_[static_cast<size_t>(i)];
    v1::SubscribeRequest request;
    std::unique_ptr<grpc::ClientReader<v1::Delivery>> reader =
        client.exchange().Subscribe(contexts_[static_cast<size_t>(i)].get(), request);
    v1::Delivery d;
    while (reader->Read(&d)) {
      const int64_t now = MonotonicNanos();
      v1::EventHeader h;
      if (d.has_envelope() && h.ParseFromString(d.envelope().header())) {
        const int64_t start = StartOf(h.event_id());
        if (start > 0) {
          latencies_->Record(start, now);
          delivered_.fetch_add(1);
        }
      }
      ackers_[static_cast<size_t>(i)]->Offer(d.queue_sequence());
    }
    (void)reader->Finish();
  }

  // The latest position received, for the ack thread to acknowledge.
  class Acker {
   public:
    void Offer(uint64_t through) {
      absl::MutexLock l(&mu_);
      latest_ = std::max(latest_, through);
    }
    void Stop() {
      absl::MutexLock l(&mu_);
      stopping_ = true;
    }
    // Waits for a position not acknowledged yet; 0 once stopping.
    uint64_t Next(uint64_t acked) {
      absl::MutexLock l(&mu_);
      acked_ = acked;
      mu_.Await(absl::Condition(this, &Acker::Ready));
      return stopping_ ? 0 : latest_;
    }

   private:
    bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || latest_ > acked_; }
    absl::Mutex mu_;
    uint64_t latest_ ABSL_GUARDED_BY(mu_) = 0;
    uint64_t acked_ ABSL_GUARDED_BY(mu_) = 0;
    bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  };

  void AckLoop(int i) {
    agents::AgencyClient& client = *clients_[static_cast<size_t>(i)];
    uint64_t acked = 0;
    for (;;) {
      const uint64_t through = ackers_[static_cast<size_t>(i)]->Next(acked);
      if (through == 0) return;
      v1::AckRequest ack;
      ack.set_through_sequence(through);
      v1::AckResponse response;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      if (!client.exchange().Ack(&ctx, ack, &response).ok()) ack_errors_.fetch_add(1);
      acked = through;
    }
  }

  const Config& c_;
  const EventMaker& maker_;
  DeliveryLatencies* latencies_;
  std::vector<std::unique_ptr<agents::AgencyClient>> clients_;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts_;
  std::vector<std::thread> threads_;
  std::vector<std::unique_ptr<Acker>> ackers_;
  std::vector<std::thread> ack_threads_;
  std::atomic<int64_t> delivered_{0}, ack_errors_{0};
};

int Main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
  }
  absl::StatusOr<Config> config = ReadConfig(argc, argv);
  if (!config.ok()) {
    std::fprintf(stderr, "accord_load: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  const Config& c = *config;
  if (!crypto::InitSodium().ok()) return 1;
  const crypto::PartnershipPaths paths(c.partnership);
  auto fail = [](const std::string& what, const absl::Status& s) {
    std::fprintf(stderr, "accord_load: %s: %s\n", what.c_str(), std::string(s.message()).c_str());
    return 1;
  };
  absl::StatusOr<crypto::VerifiedDirectory> dir = crypto::LoadVerifiedDirectory(paths);
  if (!dir.ok()) return fail("partnership " + c.partnership, dir.status());
  absl::StatusOr<crypto::SigningKey> key = crypto::ReadSigningKey(paths.AgencySigningKey(c.sender));
  if (!key.ok()) return fail("signing key of " + c.sender, key.status());

  EventMaker maker;
  maker.sender = c.sender;
  maker.key = &*key;
  maker.cases = c.cases;

  // One client (its own channel) per publisher.
  std::vector<std::unique_ptr<agents::AgencyClient>> clients;
  std::vector<std::unique_ptr<v1::ExchangeService::Stub>> plain_stubs;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int t = 0; t < c.load.publishers; ++t) {
    if (c.plaintext) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      channels.push_back(grpc::CreateCustomChannel(c.address, grpc::InsecureChannelCredentials(), args));
      plain_stubs.push_back(v1::ExchangeService::NewStub(channels.back()));
      continue;
    }
    absl::StatusOr<std::unique_ptr<agents::AgencyClient>> client =
        agents::AgencyClient::Create({c.partnership, c.sender, c.address});
    if (!client.ok()) return fail("client", client.status());
    channels.push_back((*client)->channel());
    clients.push_back(std::move(*client));
  }
  // Every connection (and TLS handshake) made before the clock starts: the
  // cell measures publishing, not 64 connections racing to open at once.
  for (const std::shared_ptr<grpc::Channel>& ch : channels) {
    if (!ch->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(30))) {
      return fail("connect", absl::UnavailableError(absl::StrCat("no connection to ", c.address, " within 30 s")));
    }
  }
  if (c.target == "accord") {
    if (auto s = clients[0]->RefreshDirectory(absl::Seconds(20)); !s.ok()) return fail("directory", s);
    if (auto s = PlanOnce(c, clients[0].get(), *dir, &maker); !s.ok()) return fail("plan", s);
  } else if (auto s = FloorRecipients(*dir, &maker); !s.ok()) {
    return fail("recipients", s);
  }

  DeliveryLatencies latencies;
  Subscribers subscribers(c, maker, &latencies);
  if (auto s = subscribers.Start(); !s.ok()) return fail("subscribers", s);

  const int64_t run = MonotonicNanos() % 1000000007;
  std::atomic<int64_t> verified{0}, envelope_bytes{0}, envelopes{0};
  std::vector<std::mt19937_64> rngs;
  for (int t = 0; t < c.load.publishers; ++t) rngs.emplace_back(static_cast<uint64_t>(run * 131 + t));
  // The floor verifies nothing: it gets a few envelopes sealed beforehand,
  // sent in turn, so that sealing on this machine's two cores does not
  // become what the floor measures.
  constexpr int64_t kFloorPool = 8;
  std::vector<std::vector<v1::Envelope>> floor_pool(static_cast<size_t>(c.load.publishers));
  for (int t = 0; c.target == "floor" && t < c.load.publishers; ++t) {
    for (int64_t k = 0; k < kFloorPool; ++k) {
      absl::StatusOr<v1::Envelope> env = maker.Seal(EventId(c.sender, run, t, k, 0), k, rngs[static_cast<size_t>(t)]);
      if (!env.ok()) return fail("seal", env.status());
      floor_pool[static_cast<size_t>(t)].push_back(std::move(*env));
    }
  }
  std::vector<SealKit> kits(static_cast<size_t>(c.load.publishers));
  for (int t = 0; c.target == "accord" && !c.fresh_keys && t < c.load.publishers; ++t) {
    absl::StatusOr<SealKit> kit = maker.MakeKit();
    if (!kit.ok()) return fail("seal kit", kit.status());
    kits[static_cast<size_t>(t)] = *std::move(kit);
  }
  const PublishFn publish = [&](int t, int64_t k, int64_t start) -> absl::Status {
    if (c.target == "accord") {
      const int64_t case_index = (static_cast<int64_t>(t) * 7919 + k) % c.cases;
      const std::string id = EventId(c.sender, run, t, k, start);
      std::mt19937_64& rng = rngs[static_cast<size_t>(t)];
      absl::StatusOr<v1::Envelope> env = c.fresh_keys ? maker.Seal(id, case_index, rng)
                                                      : maker.SealWith(kits[static_cast<size_t>(t)], id, case_index, rng);
      if (!env.ok()) return env.status();
      envelope_bytes.fetch_add(static_cast<int64_t>(env->ByteSizeLong()));
      envelopes.fetch_add(1);
      absl::StatusOr<v1::ReceiptBody> receipt = clients[static_cast<size_t>(t)]->Publish(*env, absl::Seconds(60));
      if (!receipt.ok()) return receipt.status();
      verified.fetch_add(1);
      return absl::OkStatus();
    }
    const v1::Envelope* env = &floor_pool[static_cast<size_t>(t)][static_cast<size_t>(k) % kFloorPool];
    envelope_bytes.fetch_add(static_cast<int64_t>(env->ByteSizeLong()));
    envelopes.fetch_add(1);
    v1::Receipt receipt;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::ExchangeService::Stub& stub = c.plaintext ? *plain_stubs[static_cast<size_t>(t)]
                                                   : clients[static_cast<size_t>(t)]->exchange();
    grpc::Status s = stub.Publish(&ctx, *env, &receipt);
    return s.ok() ? absl::OkStatus() : agents::FromGrpc(s, "Publish");
  };
  // Subscribers count what was published in the measured window.
  LoadResult result = RunLoad(c.load, publish, [&](int64_t ws, int64_t we) { latencies.SetWindow(ws, we); });
  // Every event published in the window goes to every subscriber.
  const int64_t expected = result.published * c.subscribers;
  const int64_t drain_end = MonotonicNanos() + static_cast<int64_t>(c.drain * 1e9);
  while (c.subscribers > 0 && static_cast<int64_t>(latencies.Samples().size()) < expected &&
         MonotonicNanos() < drain_end) {
    usleep(20000);
  }
  subscribers.Stop();
  const std::vector<int64_t> delivery = latencies.Samples();
  const int64_t undelivered = std::max<int64_t>(0, expected - static_cast<int64_t>(delivery.size()));
  PrintResult(c.load, result, delivery,
              {{"target", c.target},
               {"tls", c.plaintext ? "0" : "1"},
               {"subscribers", absl::StrCat(c.subscribers)},
               {"undelivered", absl::StrCat(undelivered)},
               {"ack_errors", absl::StrCat(subscribers.ack_errors())},
               {"receipts_verified", absl::StrCat(verified.load())},
               {"keys", c.target != "accord" ? "pool" : c.fresh_keys ? "per-event" : "per-publisher"},
               {"recipients", absl::StrCat(maker.recipients.size())},
               {"wraps", absl::StrCat(Wraps(maker.recipients))},
               {"envelope_bytes", absl::StrCat(envelopes.load() ? envelope_bytes.load() / envelopes.load() : 0)}});
  return result.errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace accord::bench

int main(int argc, char** argv) { return accord::bench::Main(argc, argv); }
