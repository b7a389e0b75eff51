// accord-agent: one agency's adapter between its case system and the broker.
#include <csignal>
#include <iostream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "agents/agent/agent.h"
#include "cli/args.h"

namespace {

constexpr char kUsage[] =
    "usage: accord-agent --config FILE [--profile PROFILE] [--once [--idle-ms N]]\n"
    "\n"
    "Reads the agency's exports (CSV / JSON lines) from the inbox folder, publishes\n"
    "them to the broker through a durable local queue, and writes every event it\n"
    "receives, verified and opened, as JSON to the outbox folder. Formats:\n"
    "docs/adapters.md. Profiles: police, probation, childrens_services,\n"
    "victim_services, perpetrator_programme (agencies up2u, drive), marac_coordinator.\n\n";

const std::vector<accord::cli::FlagSpec> kFlags = {
    {"config", true, "agent configuration YAML (required)"},
    {"profile", true, "export format; overrides 'profile' in the config"},
    {"once", false, "ingest, publish, receive until idle, then exit"},
    {"idle-ms", true, "with --once: stop receiving after this much quiet (default 1500)"},
    {"publish-timeout-ms", true, "with --once: give up waiting for the broker after this long (default 30000)"},
};

}  // namespace

int main(int argc, char** argv) {
  using namespace accord;
  absl::StatusOr<cli::Args> args =
      cli::Args::Parse(std::vector<std::string>(argv + 1, argv + argc), kFlags);
  if (!args.ok()) {
    std::cerr << "accord-agent: " << args.status().message() << "\n" << kUsage << cli::FlagHelp(kFlags);
    return 2;
  }
  if (args->help()) {
    std::cout << kUsage << cli::FlagHelp(kFlags);
    return 0;
  }
  if (!args->Has("config")) {
    std::cerr << kUsage << cli::FlagHelp(kFlags);
    return 2;
  }
  absl::StatusOr<agents::AgentConfig> config = agents::LoadAgentConfig(*args->Get("config"));
  if (!config.ok()) {
    std::cerr << "accord-agent: " << config.status().message() << "\n";
    return 2;
  }
  if (auto p = args->Get("profile")) config->profile = *p;
  int idle_ms = 1500, publish_timeout_ms = 30000;
  if ((args->Has("idle-ms") && !absl::SimpleAtoi(*args->Get("idle-ms"), &idle_ms)) ||
      (args->Has("publish-timeout-ms") &&
       !absl::SimpleAtoi(*args->Get("publish-timeout-ms"), &publish_timeout_ms))) {
    std::cerr << "accord-agent: --idle-ms and --publish-timeout-ms take a number of milliseconds\n";
    return 2;
  }

  // Signals are taken by a dedicated thread with sigwait; no handler state.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<agents::Agent>> agent = agents::Agent::Create(*config, &std::cout);
  if (!agent.ok()) {
    std::cerr << "accord-agent: " << agent.status().message() << "\n";
    return 2;
  }
  std::atomic<bool> stop{false};
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (!stop.exchange(true)) std::cout << "[" << config->agency << "] stopping\n";
    (*agent)->CancelReceive();
  });
  signal_thread.detach();

  if (!args->Has("once")) {
    std::cout << "[" << config->agency << "] running: inbox " << config->inbox_dir << ", outbox "
              << config->outbox_dir << ", broker " << config->broker_address << std::endl;
    (*agent)->Run(&stop);
    return 0;
  }
  int rc = 0;
  if (auto s = (*agent)->Ingest(); !s.ok()) rc = 1;
  const absl::Time give_up = absl::Now() + absl::Milliseconds(publish_timeout_ms);
  if (auto s = (*agent)->Publish([&] { return !stop.load() && absl::Now() < give_up; }); !s.ok()) {
    std::cerr << "accord-agent: " << s.message() << " (events stay queued)\n";
    rc = 1;
  }
  if (auto s = (*agent)->ReceiveUntilIdle(absl::Milliseconds(idle_ms), &stop); !s.ok()) {
    std::cerr << "accord-agent: receive: " << s.message() << "\n";
    rc = 1;
  }
  return rc;
}
