// accord_prefill: writes a broker data directory holding N published events
// through the real publish path (Exchange::Publish in this process: the same
// verification, policy evaluation, case state, queues, audit records, group
// commit and signed heads as accord-broker writes), for bench/compare/growth
// to measure the real broker on a store that has grown (issue 13 item 6).
// The events are the ones accord_load publishes (same case refs, subjects,
// sections and sizes). See bench/README.md §bench/compare/growth.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bench/compare/load_common.h"
#include "bench/compare/load_event.h"
#include "broker/audit/integrity_check.h"
#include "broker/exchange.h"
#include "broker/logger.h"
#include "broker/partnership_directory.h"
#include "broker/queue_notifier.h"
#include "broker/rocksdb_store.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "policy/policy_holder.h"

namespace accord::bench {
namespace {

namespace fs = std::filesystem;

constexpr char kUsage[] = R"(accord_prefill: fill a broker data directory with N events through the real publish path.

  --partnership DIR   partnership made by `accord partnership init` (the broker's log key,
                      the sender's signing key, the signed directory); the broker that opens
                      the data directory afterwards must use the same one
  --policy FILE       the broker's policy (bench/compare uses tests/policies/one-programme.yaml)
  --data DIR          the data directory to create; must not exist or be empty
  --events N          events to publish (default 1000)
  --publishers T      concurrent publishing threads, so that group commit batches them (default 16)
  --cases C           distinct cases, each with its own victim and perpetrator (default 1000);
                      the refs are accord_load's (bench-case-K), so the load measured afterwards
                      (its 500 cases) lands on cases that already have history
  --undelivered       leave the recipients' queues as published: every entry undelivered
                      (default: the four recipients take their deliveries and acknowledge them
                      while publishing goes on, as subscribed agencies do: DELIVERED and
                      ACKNOWLEDGED audit records, queues acknowledged through the end)
  --sender AGENCY     publishing agency (default police)
  --progress S        seconds between progress lines on stderr (default 5)

Fsync: this tool never turns it off itself (the store has no such setting); bench/compare/growth
runs it under LD_PRELOAD=libeatmydata.so, which makes fsync a no-op without changing what is
written, then runs sync(1). At the end it runs the audit integrity check the broker runs at
start (IntegrityChecker::CheckSinceMarker), which verifies every record against its signed heads
and saves the verified marker, so that accord-broker starts on the directory without re-reading
it. Prints one line "prefill events=N ..." on stdout; exit 0 on success, 1 on failure, 2 for bad
flags.
)";

struct Config {
  std::string partnership, policy, data, sender;
  int64_t events = 1000;
  int publishers = 16;
  int cases = 1000;
  bool undelivered = false;
  double progress = 5;
};

absl::StatusOr<Config> ReadConfig(int argc, char** argv) {
  absl::StatusOr<Flags> f = Flags::Parse(argc, argv, {"partnership", "policy", "data", "events", "publishers",
                                                      "cases", "undelivered", "sender", "progress", "help"});
  if (!f.ok()) return f.status();
  Config c;
  c.partnership = f->Str("partnership", "");
  c.policy = f->Str("policy", "");
  c.data = f->Str("data", "");
  c.sender = f->Str("sender", "police");
  c.undelivered = f->Has("undelivered");
  if (c.partnership.empty() || c.policy.empty() || c.data.empty()) {
    return absl::InvalidArgumentError("--partnership, --policy and --data are required (see --help)");
  }
  absl::StatusOr<double> events = f->Number("events", 1000, 1, 1e9);
  absl::StatusOr<double> publishers = f->Number("publishers", 16, 1, 1024);
  absl::StatusOr<double> cases = f->Number("cases", 1000, 1, 1e7);
  absl::StatusOr<double> progress = f->Number("progress", 5, 0.1, 3600);
  for (const auto* s : {&events, &publishers, &cases, &progress}) {
    if (!s->ok()) return s->status();
  }
  c.events = static_cast<int64_t>(*events);
  c.publishers = static_cast<int>(*publishers);
  c.cases = static_cast<int>(*cases);
  c.progress = *progress;
  std::error_code ec;
  if (fs::exists(c.data, ec) && !fs::is_empty(c.data, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("--data ", c.data, " exists and is not empty: remove it, or choose another folder"));
  }
  return c;
}

std::string Duration(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "?";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  return s >= 3600 ? absl::StrFormat("%dh%02dm", s / 3600, s / 60 % 60)
                   : absl::StrFormat("%dm%02ds", s / 60, s % 60);
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) n += it->file_size(ec);
  }
  return n;
}

int Main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
  }
  absl::StatusOr<Config> config = ReadConfig(argc, argv);
  if (!config.ok()) {
    std::fprintf(stderr, "accord_prefill: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  const Config& c = *config;
  auto fail = [](const std::string& what, const absl::Status& s) {
    std::fprintf(stderr, "accord_prefill: %s: %s\n", what.c_str(), s.ToString().c_str());
    return 1;
  };
  if (absl::Status s = crypto::InitSodium(); !s.ok()) return fail("libsodium", s);
  const crypto::PartnershipPaths paths(c.partnership);
  absl::StatusOr<broker::PartnershipDirectory> directory = broker::PartnershipDirectory::Load(c.partnership);
  if (!directory.ok()) return fail("partnership " + c.partnership, directory.status());
  absl::StatusOr<std::unique_ptr<policy::PolicyHolder>> policy = policy::PolicyHolder::Create(c.policy);
  if (!policy.ok()) return fail("policy " + c.policy, policy.status());
  absl::StatusOr<crypto::SigningKey> store_key = crypto::ReadSigningKey(paths.LogKey());
  if (!store_key.ok()) return fail("log key " + paths.LogKey(), store_key.status());
  absl::StatusOr<crypto::SigningKey> receipt_key = crypto::ReadSigningKey(paths.LogKey());
  if (!receipt_key.ok()) return fail("log key " + paths.LogKey(), receipt_key.status());
  absl::StatusOr<std::string> log_pub = crypto::ReadSigningPublicKey(paths.LogPublicKey());
  if (!log_pub.ok()) return fail("log public key " + paths.LogPublicKey(), log_pub.status());
  absl::StatusOr<crypto::SigningKey> sender_key = crypto::ReadSigningKey(paths.AgencySigningKey(c.sender));
  if (!sender_key.ok()) return fail("signing key of " + c.sender, sender_key.status());
  std::error_code ec;
  fs::create_directories(c.data, ec);
  if (ec) return fail("create " + c.data, absl::InternalError(ec.message()));
  absl::StatusOr<std::unique_ptr<broker::Store>> store = broker::OpenRocksDbStore(c.data, *std::move(store_key));
  if (!store.ok()) return fail("open store " + c.data, store.status());

  std::ostringstream log_sink;  // the exchange's own log lines: not wanted here
  broker::Logger logger(&log_sink);
  broker::QueueNotifier notifier;
  broker::Health health;
  broker::BrokerContext ctx;
  ctx.store = store->get();
  ctx.policy = policy->get();
  ctx.directory = &*directory;
  ctx.log_key = &*receipt_key;
  ctx.log = &logger;
  ctx.notifier = &notifier;
  ctx.health = &health;
  auto exchange = std::make_unique<broker::Exchange>(ctx);
  // What accord-broker does when it starts on an empty store.
  if (absl::Status s = exchange->RecordPolicyLoaded("broker"); !s.ok()) return fail("record policy", s);

  EventMaker maker;
  maker.sender = c.sender;
  maker.key = &*sender_key;
  maker.policy_version = (*policy)->Version();
  {
    absl::StatusOr<v1::SharePlan> plan =
        exchange->PlanShare(c.sender, maker.Header(c.sender + ":prefill-plan", 0, /*with_sections=*/true).SerializeAsString());
    if (!plan.ok()) return fail("plan", plan.status());
    for (const v1::RecipientPlan& r : plan->recipients()) {
      absl::StatusOr<v1::DirectoryEntry> e = directory->verified().Current(r.decision().recipient(), absl::Now());
      if (!e.ok()) return fail("directory entry of " + r.decision().recipient(), e.status());
      crypto::RecipientKey k{e->agency_id(), e->encryption_key_id(), e->encryption_public_key(), {}};
      for (const v1::SectionGrant& g : r.decision().grants()) k.sections.push_back(g.section());
      if (!k.sections.empty()) maker.recipients.push_back(std::move(k));
    }
    if (maker.recipients.empty()) {
      return fail("plan", absl::FailedPreconditionError("the policy routes this event to no agency"));
    }
  }

  const int64_t t0 = MonotonicNanos();
  std::atomic<int64_t> next{0}, done{0}, bytes{0};
  std::atomic<bool> failed{false};
  absl::Mutex error_mu;
  std::string first_error;
  auto record_error = [&](const std::string& what) {
    absl::MutexLock l(&error_mu);
    if (first_error.empty()) first_error = what;
    failed.store(true);
  };
  std::vector<std::thread> publishers;
  for (int t = 0; t < c.publishers; ++t) {
    publishers.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t) * 7919 + 13);
      // One key set per thread, as accord_load's publishers (bench/README.md).
      absl::StatusOr<SealKit> kit = maker.MakeKit();
      if (!kit.ok()) return record_error(absl::StrCat("seal kit: ", kit.status().ToString()));
      for (;;) {
        const int64_t k = next.fetch_add(1);
        if (k >= c.events || failed.load()) return;
        absl::StatusOr<v1::Envelope> env =
            maker.SealWith(*kit, absl::StrCat(c.sender, ":prefill-", k), k % c.cases, rng);
        if (!env.ok()) return record_error(absl::StrCat("seal: ", env.status().ToString()));
        bytes.fetch_add(static_cast<int64_t>(env->ByteSizeLong()));
        absl::StatusOr<v1::Receipt> r = exchange->Publish(c.sender, *env);
        if (!r.ok()) return record_error(absl::StrCat("publish of event ", k, ": ", r.status().ToString()));
        done.fetch_add(1);
      }
    });
  }
  // The recipients as subscribed agencies: take what is queued (DELIVERED),
  // acknowledge it (ACKNOWLEDGED), until publishing has ended and the queue
  // is acknowledged through its head.
  std::atomic<bool> publishing{true};
  std::atomic<int64_t> acked_entries{0};
  std::vector<std::thread> ackers;
  for (size_t i = 0; !c.undelivered && i < maker.recipients.size(); ++i) {
    ackers.emplace_back([&, i] {
      const std::string& agency = maker.recipients[i].agency;
      uint64_t after = exchange->AckedThrough(agency);
      for (;;) {
        const bool last = !publishing.load();
        if (failed.load()) return;
        if ((*store)->QueueHead(agency) <= after) {
          if (last) return;
          usleep(50000);
          continue;
        }
        absl::StatusOr<std::vector<v1::Delivery>> d = exchange->TakeDeliveries(agency, after, 256);
        if (!d.ok()) return record_error(absl::StrCat("deliveries to ", agency, ": ", d.status().ToString()));
        if (d->empty()) {
          usleep(50000);
          continue;
        }
        const uint64_t through = d->back().queue_sequence();
        absl::StatusOr<v1::AckResponse> a = exchange->Ack(agency, through);
        if (!a.ok()) return record_error(absl::StrCat("ack by ", agency, ": ", a.status().ToString()));
        acked_entries.fetch_add(static_cast<int64_t>(through - after));
        after = through;
      }
    });
  }
  // Progress until the publishers are done.
  absl::Notification stop_progress;
  std::thread progress([&] {
    while (!stop_progress.WaitForNotificationWithTimeout(absl::Seconds(c.progress))) {
      const double secs = static_cast<double>(MonotonicNanos() - t0) / 1e9;
      const int64_t n = done.load();
      const double rate = secs > 0 ? static_cast<double>(n) / secs : 0;
      std::string line = absl::StrFormat("accord_prefill: %d/%d events (%.1f%%), %.0f events/s, elapsed %s, ETA %s",
                                         n, c.events, 100.0 * static_cast<double>(n) / static_cast<double>(c.events),
                                         rate, Duration(secs),
                                         rate > 0 ? Duration(static_cast<double>(c.events - n) / rate) : "?");
      if (!c.undelivered) absl::StrAppend(&line, ", queue entries acknowledged ", acked_entries.load());
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  });
  for (std::thread& t : publishers) t.join();
  const double publish_secs = static_cast<double>(MonotonicNanos() - t0) / 1e9;
  publishing.store(false);
  for (std::thread& t : ackers) t.join();
  stop_progress.Notify();
  progress.join();
  if (failed.load()) {
    absl::MutexLock l(&error_mu);
    return fail("stopped after " + absl::StrCat(done.load()) + " events", absl::InternalError(first_error));
  }
  exchange.reset();  // commits what is pending, stops the writer thread

  // The check the broker runs at start, which also saves the verified marker.
  const int64_t c0 = MonotonicNanos();
  absl::StatusOr<audit::CheckedRange> checked = audit::IntegrityChecker((*store)->audit(), *log_pub).CheckSinceMarker();
  if (!checked.ok()) return fail("audit integrity check", checked.status());
  const double check_secs = static_cast<double>(MonotonicNanos() - c0) / 1e9;
  const uint64_t events = (*store)->EventCount();
  const uint64_t records = (*store)->audit().size();
  uint64_t undelivered = 0;
  for (const crypto::RecipientKey& r : maker.recipients) {
    undelivered += (*store)->QueueHead(r.agency) - (*store)->AckedThrough(r.agency);
  }
  store->reset();
  std::printf("prefill events=%llu audit_records=%llu unacknowledged_entries=%llu recipients=%zu seconds=%.1f "
              "rate=%.1f envelope_bytes=%lld check_seconds=%.1f data_bytes=%llu data=%s\n",
              static_cast<unsigned long long>(events), static_cast<unsigned long long>(records),
              static_cast<unsigned long long>(undelivered), maker.recipients.size(), publish_secs,
              static_cast<double>(c.events) / publish_secs, static_cast<long long>(bytes.load() / c.events),
              check_secs, static_cast<unsigned long long>(DirBytes(c.data)), c.data.c_str());
  if (events != static_cast<uint64_t>(c.events)) {
    return fail("count", absl::InternalError(absl::StrCat("the store holds ", events, " events, not ", c.events)));
  }
  return 0;
}

}  // namespace
}  // namespace accord::bench

int main(int argc, char** argv) { return accord::bench::Main(argc, argv); }
