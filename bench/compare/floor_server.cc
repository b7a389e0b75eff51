// The floor of bench/compare: the least a durable gRPC publish can cost on
// this machine. It implements only ExchangeService.Publish and stores each
// envelope in RocksDB with a synced write, nothing else (no verification, no
// policy, no audit, no queues). Requests queue for one writer thread (no
// synced write on a gRPC callback thread: that stalls the server's event
// loop, and with it new TLS handshakes). Two ways to write:
//   serial: the writer takes one request at a time: one synced write each;
//   group:  the writer takes everything queued while it was writing and
//           applies it as one synced WriteBatch, then answers every request
//           in it (LevelDB's group commit).
// Prints "listening address=HOST:PORT" on stderr once it serves.
#include <csignal>
#include <cstdio>
#include <deque>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "accord/v1/broker.grpc.pb.h"
#include "bench/compare/load_common.h"
#include "crypto/partnership.h"
#include "grpcpp/grpcpp.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace accord::bench {
namespace {

constexpr char kUsage[] = R"(floor_server: gRPC Publish -> RocksDB synced write, nothing else.

  --listen HOST:PORT     (default 127.0.0.1:0: a port chosen by the kernel)
  --data DIR             RocksDB directory (created)
  --mode serial|group    one synced write each, or group commit (default serial)
  --partnership DIR      serve mutual TLS with the broker's certificate and the CA
                         of this partnership; without it, plaintext
)";

struct Pending {
  std::string key, value;
  grpc::ServerUnaryReactor* reactor;
  v1::Receipt* receipt;
};

class FloorService final : public v1::ExchangeService::CallbackService {
 public:
  FloorService(rocksdb::DB* db, bool group) : db_(db), group_(group) {
    writer_ = std::thread([this] { WriterLoop(); });
  }
  ~FloorService() override {
    {
      absl::MutexLock l(&mu_);
      stop_ = true;
    }
    writer_.join();
  }

  using v1::ExchangeService::CallbackService::Publish;
  grpc::ServerUnaryReactor* Publish(grpc::CallbackServerContext* ctx, const v1::Envelope* request,
                                    v1::Receipt* receipt) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    std::string value = request->SerializeAsString();
    absl::MutexLock l(&mu_);
    queue_.push_back({absl::StrCat(next_++), std::move(value), reactor, receipt});
    return reactor;
  }

 private:
  void WriterLoop() {
    for (;;) {
      std::deque<Pending> batch;
      {
        absl::MutexLock l(&mu_);
        mu_.Await(absl::Condition(
            +[](FloorService* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) { return s->stop_ || !s->queue_.empty(); },
            this));
        if (queue_.empty()) return;
        if (group_) {
          batch.swap(queue_);
        } else {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      rocksdb::WriteBatch wb;
      for (const Pending& p : batch) (void)wb.Put(p.key, p.value);
      rocksdb::WriteOptions wo;
      wo.sync = true;
      rocksdb::Status s = db_->Write(wo, &wb);
      for (Pending& p : batch) {
        p.receipt->set_body(p.key);
        p.reactor->Finish(s.ok() ? grpc::Status::OK : grpc::Status(grpc::StatusCode::INTERNAL, s.ToString()));
      }
    }
  }

  rocksdb::DB* db_;
  const bool group_;
  absl::Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 1;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

int Fail(const std::string& what) {
  std::fprintf(stderr, "floor_server: %s\n", what.c_str());
  return 1;
}

int Main(int argc, char** argv) {
  // SIGTERM/SIGINT are taken by sigwait below, on no other thread.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
  }
  absl::StatusOr<Flags> f = Flags::Parse(argc, argv, {"listen", "data", "mode", "partnership"});
  if (!f.ok()) return Fail(std::string(f.status().message()));
  const std::string listen = f->Str("listen", "127.0.0.1:0");
  const std::string data = f->Str("data", "");
  const std::string mode = f->Str("mode", "serial");
  const std::string partnership = f->Str("partnership", "");
  if (data.empty()) return Fail("--data DIR is required (see --help)");
  if (mode != "serial" && mode != "group") return Fail("--mode must be serial or group, got '" + mode + "'");

  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status opened = rocksdb::DB::Open(options, data, &raw);
  if (!opened.ok()) return Fail(absl::StrCat("cannot open RocksDB at ", data, ": ", opened.ToString()));
  std::unique_ptr<rocksdb::DB> db(raw);

  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (!partnership.empty()) {
    const crypto::PartnershipPaths paths(partnership);
    absl::StatusOr<std::string> ca = crypto::ReadFileToString(paths.CaCert());
    absl::StatusOr<std::string> cert = crypto::ReadFileToString(paths.BrokerCert());
    absl::StatusOr<std::string> key = crypto::ReadFileToString(paths.BrokerTlsKey());
    for (const auto* s : {&ca, &cert, &key}) {
      if (!s->ok()) return Fail(std::string(s->status().message()));
    }
    grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = *ca;
    tls.pem_key_cert_pairs.push_back({*key, *cert});
    creds = grpc::SslServerCredentials(tls);
  }
  FloorService service(db.get(), mode == "group");
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, creds, &port);
  builder.SetMaxReceiveMessageSize(8 << 20);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) return Fail(absl::StrCat("cannot listen on ", listen, " (port in use?)"));
  const std::string host = listen.substr(0, listen.rfind(':'));
  std::fprintf(stderr, "listening address=%s:%d mode=%s tls=%d\n", host.c_str(), port, mode.c_str(),
               partnership.empty() ? 0 : 1);
  std::fflush(stderr);

  int sig = 0;
  sigwait(&set, &sig);
  server->Shutdown();
  return 0;
}

}  // namespace
}  // namespace accord::bench

int main(int argc, char** argv) { return accord::bench::Main(argc, argv); }
