// The broker's routing core without the network: verify, re-evaluate policy,
// one synced RocksDB batch with the audit records, signed receipt; and the
// delivery path (read queue, strip wraps, audit DELIVERED). Real partnership
// keys, real policy, RocksDB in a temporary directory.
//   build/bench/broker/broker_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <sstream>

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker/exchange.h"
#include "broker/partnership_directory.h"
#include "broker/rocksdb_store.h"
#include "cli/partnership.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "crypto/pseudonym.h"
#include "google/protobuf/util/time_util.h"

namespace accord::broker {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  std::string root;
  std::unique_ptr<PartnershipDirectory> directory;
  std::unique_ptr<policy::PolicyHolder> policy;
  std::unique_ptr<Store> store;
  std::unique_ptr<crypto::SigningKey> log_key;
  std::unique_ptr<crypto::SigningKey> police;
  std::vector<crypto::RecipientKey> recipients;
  std::string policy_version;
  QueueNotifier notifier;
  std::ostringstream log_sink;
  std::unique_ptr<Logger> logger;
  std::unique_ptr<Exchange> exchange;

  Fixture() {
    (void)crypto::InitSodium();
    root = (fs::temp_directory_path() / absl::StrCat("accord-broker-bench-", ::getpid())).string();
    fs::remove_all(root);
    fs::create_directories(root);
    cli::PartnershipOptions o;
    o.dir = root + "/p";
    o.agencies = *cli::ParseAgencies(
        "police,probation,childrens_services,victim_services,perpetrator_programme,marac_coordinator,auditor");
    if (!cli::InitPartnership(o).ok()) std::abort();
    const crypto::PartnershipPaths paths(o.dir);
    directory = std::make_unique<PartnershipDirectory>(*PartnershipDirectory::Load(o.dir));
    policy = *policy::PolicyHolder::Create(ACCORD_SOURCE_DIR "/tests/policies/one-programme.yaml");
    store = *OpenRocksDbStore(root + "/data", *crypto::ReadSigningKey(paths.LogKey()));
    log_key = std::make_unique<crypto::SigningKey>(*crypto::ReadSigningKey(paths.LogKey()));
    police = std::make_unique<crypto::SigningKey>(*crypto::ReadSigningKey(paths.AgencySigningKey("police")));
    logger = std::make_unique<Logger>(&log_sink);
    BrokerContext ctx;
    ctx.store = store.get();
    ctx.policy = policy.get();
    ctx.directory = directory.get();
    ctx.log_key = log_key.get();
    ctx.log = logger.get();
    ctx.notifier = &notifier;
    exchange = std::make_unique<Exchange>(ctx);
    policy_version = policy->Version();
    // The plan for the benchmark event, as an agent would seal it.
    v1::SharePlan plan = *exchange->PlanShare("police", Header("police-plan").SerializeAsString());
    for (const v1::RecipientPlan& r : plan.recipients()) {
      v1::DirectoryEntry e = *directory->verified().Current(r.decision().recipient(), absl::Now());
      crypto::RecipientKey k{e.agency_id(), e.encryption_key_id(), e.encryption_public_key(), {}};
      for (const v1::SectionGrant& g : r.decision().grants()) k.sections.push_back(g.section());
      if (!k.sections.empty()) recipients.push_back(k);
    }
  }
  ~Fixture() {
    exchange.reset();
    store.reset();
    fs::remove_all(root);
  }

  v1::EventHeader Header(const std::string& id) const {
    v1::EventHeader h;
    h.set_version(1);
    h.set_event_id(id);
    h.set_kind(v1::EVENT_KIND_DOMESTIC_INCIDENT);
    h.set_sender("police");
    // About 1,000 cases, each with its own victim and perpetrator, as in a
    // partnership: no case or perpetrator history grows to its cap.
    const uint64_t case_number = std::hash<std::string>()(id) % 997;
    h.set_case_ref(absl::StrCat("case-", case_number));
    h.set_signing_key_id(police->key_id());
    h.set_policy_version(policy_version);
    h.mutable_risk()->set_level(v1::RISK_LEVEL_HIGH);
    h.add_flags(v1::FLAG_CHILDREN_IN_HOUSEHOLD);
    for (const char* r : {"victim", "perpetrator"}) {
      v1::SubjectRef* s = h.add_subjects();
      const std::string n = absl::StrCat(case_number);
      s->set_ref(std::string(64 - n.size(), r[0] == 'v' ? 'a' : 'b') + n);
      s->set_role(r[0] == 'v' ? v1::SUBJECT_ROLE_VICTIM : v1::SUBJECT_ROLE_PERPETRATOR);
    }
    for (const char* s : {"summary", "risk", "detail", "children", "victim_contact"}) h.add_sections()->set_name(s);
    *h.mutable_occurred_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now()));
    return h;
  }

  v1::Envelope Sealed(const std::string& id) const {
    std::vector<crypto::PlainSection> sections;
    for (const char* s : {"summary", "risk", "detail", "children", "victim_contact"}) {
      sections.push_back({s, "accord.v1.Summary", std::string(300, 'x')});
    }
    return *crypto::SealEvent(Header(id), sections, recipients, *police);
  }
};

Fixture& Shared() {
  static Fixture* f = new Fixture();
  return *f;
}

// Accepting one high-risk incident for four recipients: its audit records, one
// synced write shared by the publishes committed together (with N threads
// publishing at once). Sealing is done outside the timed region. With one
// thread it also reports what one publish writes (keys, bytes, records).
void BM_PublishSynced(benchmark::State& state) {
  Fixture& f = Shared();
  static std::atomic<int> next{0};
  const Store::WriteTotals before = f.store->Written();
  const uint64_t records_before = f.store->audit().size();
  for (auto _ : state) {
    state.PauseTiming();
    const v1::Envelope env = f.Sealed(absl::StrCat("police-bench-", next++));
    state.ResumeTiming();
    absl::StatusOr<v1::Receipt> r = f.exchange->Publish("police", env);
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
  }
  state.SetItemsProcessed(state.iterations());
  // Write amplification, per publish: exact with one thread (with more, the
  // others' publishes fall outside this thread's window).
  if (state.threads() == 1) {
    const Store::WriteTotals after = f.store->Written();
    const double n = static_cast<double>(state.iterations()) * state.threads();
    state.counters["keys/publish"] = static_cast<double>(after.keys - before.keys) / n;
    state.counters["bytes/publish"] = static_cast<double>(after.bytes - before.bytes) / n;
    state.counters["records/publish"] = static_cast<double>(f.store->audit().size() - records_before) / n;
  }
}
BENCHMARK(BM_PublishSynced)->Unit(benchmark::kMicrosecond)->UseRealTime()->Threads(1)->Threads(4)->Threads(16);

// Taking a batch of 16 deliveries from a queue (each audited as DELIVERED, one
// synced write per batch), as a Subscribe stream does.
void BM_TakeDeliveries16(benchmark::State& state) {
  Fixture& f = Shared();
  uint64_t after = 0;
  for (auto _ : state) {
    if (f.store->QueueHead("probation") < after + 16) {
      state.PauseTiming();
      for (int i = 0; i < 64; ++i) (void)f.exchange->Publish("police", f.Sealed(absl::StrCat("police-deliver-", after, "-", i)));
      state.ResumeTiming();
    }
    absl::StatusOr<std::vector<v1::Delivery>> d = f.exchange->TakeDeliveries("probation", after, 16);
    if (!d.ok() || d->empty()) {
      state.SkipWithError("no deliveries");
      break;
    }
    after = d->back().queue_sequence();
  }
  state.SetItemsProcessed(state.iterations() * 16);
}
BENCHMARK(BM_TakeDeliveries16)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace accord::broker

BENCHMARK_MAIN();
