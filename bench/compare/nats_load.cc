// The JetStream reference of bench/compare, on the C client (libnats): N
// publishers, each on its own connection, js_Publish awaiting every ack, into
// a file-storage stream; optionally K durable pull consumers acknowledging
// each message with AckSync (as an Accord subscriber acks each delivery).
// The payload is random bytes of the size of a sealed Accord envelope, its
// first 8 bytes the publish's scheduled start (for publish-to-delivery latency).
// Prints one "result ..." line (load_common.h). See bench/README.md.
#include <nats/nats.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "bench/compare/load_common.h"

namespace accord::bench {
namespace {

constexpr char kUsage[] = R"(nats_load: publish to NATS JetStream (file storage) awaiting each ack, and measure.

  --url nats://HOST:PORT   the server (default nats://127.0.0.1:4222)
  --publishers N  --rate R  --warmup S  --seconds S  --drain S  --server-pid PID
                           as for accord_load
  --subscribers K          K durable pull consumers acking each message (0..4)
  --size BYTES             payload size (default 3800, about a sealed Accord envelope)
)";

absl::Status Nats(natsStatus s, jsErrCode jerr, const std::string& what) {
  if (s == NATS_OK) return absl::OkStatus();
  const char* last = nats_GetLastError(nullptr);
  return absl::UnavailableError(absl::StrCat(what, ": ", natsStatus_GetText(s), " (js error ",
                                             static_cast<int>(jerr), ") ", last ? last : ""));
}

struct Connection {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  ~Connection() {
    if (js) jsCtx_Destroy(js);
    if (nc) natsConnection_Destroy(nc);
  }
  absl::Status Open(const std::string& url) {
    if (auto s = Nats(natsConnection_ConnectTo(&nc, url.c_str()), jsErrCode{}, "connect " + url); !s.ok()) return s;
    return Nats(natsConnection_JetStream(&js, nc, nullptr), jsErrCode{}, "JetStream context");
  }
};

// One stream "BENCH" on subjects bench.>, file storage, limits retention.
absl::Status CreateStream(jsCtx* js) {
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  const char* subjects[] = {"bench.>"};
  sc.Name = "BENCH";
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr{};
  natsStatus s = js_AddStream(&si, js, &sc, nullptr, &jerr);
  if (si) jsStreamInfo_Destroy(si);
  return Nats(s, jerr, "create stream BENCH (file storage)");
}

int Main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
  }
  auto fail = [](const std::string& what) {
    std::fprintf(stderr, "nats_load: %s\n", what.c_str());
    return 2;
  };
  absl::StatusOr<Flags> f = Flags::Parse(
      argc, argv, {"url", "publishers", "rate", "warmup", "seconds", "drain", "server-pid", "subscribers", "size"});
  if (!f.ok()) return fail(std::string(f.status().message()));
  LoadOptions o;
  double publishers = 0, subscribers = 0, pid = 0, size = 0, drain = 0;
  struct Num { const char* name; double fallback, min, max; double* out; };
  for (const Num& n : {Num{"publishers", 1, 1, 1024, &publishers}, Num{"rate", 0, 0, 1e6, &o.rate},
                       Num{"warmup", 1, 0, 3600, &o.warmup_seconds}, Num{"seconds", 5, 0.1, 3600, &o.seconds},
                       Num{"subscribers", 0, 0, 4, &subscribers}, Num{"drain", 5, 0, 3600, &drain},
                       Num{"server-pid", 0, 0, 1 << 30, &pid}, Num{"size", 3800, 8, 1 << 20, &size}}) {
    absl::StatusOr<double> v = f->Number(n.name, n.fallback, n.min, n.max);
    if (!v.ok()) return fail(std::string(v.status().message()));
    *n.out = *v;
  }
  o.publishers = static_cast<int>(publishers);
  o.server_pid = static_cast<int>(pid);
  const int k_subscribers = static_cast<int>(subscribers);
  const std::string url = f->Str("url", "nats://127.0.0.1:4222");

  std::vector<std::unique_ptr<Connection>> pubs;
  for (int t = 0; t < o.publishers; ++t) {
    pubs.push_back(std::make_unique<Connection>());
    if (auto s = pubs.back()->Open(url); !s.ok()) return fail(std::string(s.message()));
  }
  if (auto s = CreateStream(pubs[0]->js); !s.ok()) return fail(std::string(s.message()));

  DeliveryLatencies latencies;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> ack_errors{0};
  std::vector<std::unique_ptr<Connection>> subs;
  std::vector<natsSubscription*> pulls;
  for (int i = 0; i < k_subscribers; ++i) {
    subs.push_back(std::make_unique<Connection>());
    if (auto s = subs.back()->Open(url); !s.ok()) return fail(std::string(s.message()));
    natsSubscription* sub = nullptr;
    jsErrCode jerr{};
    const std::string durable = absl::StrCat("sub", i);
    if (auto s = Nats(js_PullSubscribe(&sub, subs.back()->js, "bench.>", durable.c_str(), nullptr, nullptr, &jerr),
                      jerr, "pull subscribe " + durable);
        !s.ok()) {
      return fail(std::string(s.message()));
    }
    pulls.push_back(sub);
  }
  std::vector<std::thread> readers;
  for (int i = 0; i < k_subscribers; ++i) {
    readers.emplace_back([&, i] {
      while (!stop.load()) {
        natsMsgList list{};
        jsErrCode jerr{};
        if (natsSubscription_Fetch(&list, pulls[static_cast<size_t>(i)], 64, 100, &jerr) != NATS_OK) continue;
        for (int m = 0; m < list.Count; ++m) {
          const int64_t now = MonotonicNanos();
          int64_t start = 0;
          if (natsMsg_GetDataLength(list.Msgs[m]) >= 8) {
            std::memcpy(&start, natsMsg_GetData(list.Msgs[m]), sizeof start);
            latencies.Record(start, now);
          }
          if (natsMsg_AckSync(list.Msgs[m], nullptr, &jerr) != NATS_OK) ack_errors.fetch_add(1);
        }
        natsMsgList_Destroy(&list);
      }
    });
  }

  std::vector<std::string> payloads(static_cast<size_t>(o.publishers));
  std::mt19937_64 rng(7);
  for (std::string& p : payloads) {
    p.resize(static_cast<size_t>(size));
    for (char& c : p) c = static_cast<char>(rng());
  }
  const PublishFn publish = [&](int t, int64_t, int64_t start) -> absl::Status {
    std::string& p = payloads[static_cast<size_t>(t)];
    std::memcpy(p.data(), &start, sizeof start);
    jsPubAck* ack = nullptr;
    jsErrCode jerr{};
    const std::string subject = absl::StrCat("bench.", t);
    natsStatus s = js_Publish(&ack, pubs[static_cast<size_t>(t)]->js, subject.c_str(), p.data(),
                              static_cast<int>(p.size()), nullptr, &jerr);
    if (ack) jsPubAck_Destroy(ack);
    return Nats(s, jerr, "js_Publish");
  };
  LoadResult result = RunLoad(o, publish, [&](int64_t ws, int64_t we) { latencies.SetWindow(ws, we); });
  const int64_t expected = result.published * k_subscribers;
  const int64_t drain_end = MonotonicNanos() + static_cast<int64_t>(drain * 1e9);
  while (k_subscribers > 0 && static_cast<int64_t>(latencies.Samples().size()) < expected &&
         MonotonicNanos() < drain_end) {
    usleep(20000);
  }
  stop.store(true);
  for (std::thread& r : readers) r.join();
  for (natsSubscription* s : pulls) natsSubscription_Destroy(s);
  const std::vector<int64_t> delivery = latencies.Samples();
  PrintResult(o, result, delivery,
              {{"target", "jetstream"},
               {"tls", "0"},
               {"subscribers", absl::StrCat(k_subscribers)},
               {"undelivered", absl::StrCat(std::max<int64_t>(0, expected - static_cast<int64_t>(delivery.size())))},
               {"ack_errors", absl::StrCat(ack_errors.load())},
               {"receipts_verified", "0"},
               {"envelope_bytes", absl::StrCat(static_cast<int64_t>(size))}});
  return result.errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace accord::bench

int main(int argc, char** argv) { return accord::bench::Main(argc, argv); }
