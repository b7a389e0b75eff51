// accord-broker --config FILE: see docs/operations.md.
#include <algorithm>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

#include <pthread.h>
#include <sys/resource.h>

#include "broker/config.h"
#include "broker/logger.h"
#include "broker/server.h"

namespace {

constexpr char kUsage[] =
    "usage: accord-broker --config FILE [--insecure-dev-plaintext]\n"
    "\n"
    "Runs the Accord broker: routes sealed case events between the partnership's\n"
    "agencies under the information-sharing policy, keeps them durably in RocksDB,\n"
    "and writes every decision and delivery to the verifiable audit log.\n"
    "\n"
    "  --config FILE              broker configuration (YAML; docs/operations.md)\n"
    "  --insecure-dev-plaintext   development only: plaintext on loopback; the config\n"
    "                             must also set insecure_dev_plaintext: true\n"
    "\n"
    "Signals: SIGHUP reloads the policy (an invalid file leaves the old one active);\n"
    "SIGTERM/SIGINT stop accepting calls, finish in-flight ones and close the store.\n";

// Every connection holds a descriptor and so does RocksDB: a soft limit of
// 1024 lets a thousand idle connections stop the store from opening its next
// file. The hard limit is the operator's; the soft one is ours to raise.
void RaiseOpenFileLimit(accord::broker::Logger* log) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  const rlim_t before = lim.rlim_cur;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    // An unlimited hard limit still cannot exceed the kernel's nr_open.
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
      lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, rlim_t{1} << 20);
      if (setrlimit(RLIMIT_NOFILE, &lim) != 0) lim.rlim_cur = before;
    }
  }
  log->Info("open file limit", {{"soft", std::to_string(lim.rlim_cur)},
                                {"was", std::to_string(before)},
                                {"hard", std::to_string(lim.rlim_max)}});
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool dev = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else if (a == "--insecure-dev-plaintext") {
      dev = true;
    } else {
      std::cerr << "accord-broker: unknown argument '" << a << "'\n\n" << kUsage;
      return 2;
    }
  }
  if (config_path.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  // Signals are taken synchronously by this thread; block them before any
  // other thread exists so that none of gRPC's threads receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  accord::broker::Logger log(&std::cerr);
  RaiseOpenFileLimit(&log);
  absl::StatusOr<accord::broker::BrokerConfig> config = accord::broker::LoadBrokerConfig(config_path);
  if (!config.ok()) {
    log.Error("cannot start: bad configuration", {{"error", std::string(config.status().message())}});
    return 2;
  }
  absl::StatusOr<std::unique_ptr<accord::broker::BrokerServer>> server =
      accord::broker::BrokerServer::Start(*config, dev, &log);
  if (!server.ok()) {
    log.Error("cannot start", {{"error", server.status().ToString()}});
    return 1;
  }
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      if (auto s = (*server)->ReloadPolicy("operator (SIGHUP)"); !s.ok()) {
        // Already logged with the reason; the old policy stays active.
        continue;
      }
      continue;
    }
    log.Info("signal received", {{"signal", strsignal(sig)}});
    (*server)->Shutdown(absl::Seconds(10));
    return 0;
  }
}
