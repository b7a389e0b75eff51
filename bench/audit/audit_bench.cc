// The audit log's costs (docs/audit.md §Performance):
//   - appends with synced writes, 1 and 8 records per batch;
//   - inclusion and consistency proofs in a 10-million-record log;
//   - who-saw for a subject with ~20 records in that log (target < 50 ms);
//   - offline verification throughput (target >= 1M records/s on one core);
//   - the broker's integrity check: at start after N new records, a whole
//     pass, and synced appends while passes run beside them.
// The 10M log is built once (unsynced 10k-record batches, a few minutes) into
// $ACCORD_BENCH_AUDIT_DIR or /tmp/accord-bench-audit-10m-tiles and reused; a
// 1M log with a head every 4 records likewise into
// $ACCORD_BENCH_AUDIT_DENSE_DIR or /tmp/accord-bench-audit-1m-heads-every-4.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker/audit/audit_db.h"
#include "broker/audit/audit_log.h"
#include "broker/audit/background_check.h"
#include "broker/audit/integrity_check.h"
#include "broker/audit/offline_verify.h"
#include "broker/audit/record_format.h"
#include "crypto/hash.h"
#include "crypto/key_file.h"
#include "rocksdb/utilities/checkpoint.h"

namespace accord::audit {
namespace {

constexpr uint64_t kBigLog = 10'000'000;
constexpr uint64_t kSubjectsPerRole = 500'000;  // 1.25M events x 2 subjects / 1M subjects: ~20 records each
constexpr int64_t kStart = 1780000000;

std::string SubjectRef(uint64_t n) { return crypto::Hex(crypto::Sha256(absl::StrCat("subject ", n))); }

uint64_t Mix(uint64_t x) {  // splitmix64: a fixed, seedless scatter
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Record i of a realistic log: events of eight records each (received, routed
// twice, withheld, delivered, acknowledged, notified, pack pulled), each event
// about one victim and one perpetrator drawn from a million subjects.
v1::AuditRecord Record(uint64_t i) {
  static const v1::AuditAction kActions[] = {
      v1::AUDIT_ACTION_EVENT_RECEIVED, v1::AUDIT_ACTION_ROUTED,    v1::AUDIT_ACTION_ROUTED,
      v1::AUDIT_ACTION_WITHHELD,       v1::AUDIT_ACTION_DELIVERED, v1::AUDIT_ACTION_ACKNOWLEDGED,
      v1::AUDIT_ACTION_NOTIFIED,       v1::AUDIT_ACTION_MEETING_PACK_PULLED};
  static const char* const kAgencies[] = {"south_wales_police", "probation", "idva_service", "childrens_services",
                                          "perpetrator_programme", "housing", "health"};
  const uint64_t event = i / 8;
  v1::AuditRecord r;
  r.set_action(kActions[i % 8]);
  *r.mutable_time() = ToTimestamp(absl::FromUnixSeconds(kStart + static_cast<int64_t>(i)));
  r.set_actor_agency(kAgencies[event % 7]);
  r.mutable_actor()->set_role("police_officer");
  r.mutable_actor()->set_staff_ref(absl::StrCat("s-", event % 997));
  r.set_event_id(absl::StrCat("ev-", event));
  r.set_event_kind(v1::EVENT_KIND_DOMESTIC_INCIDENT);
  r.set_case_ref(absl::StrCat("case-", event / 3));
  for (int role = 0; role < 2; ++role) {
    v1::SubjectRef* s = r.add_subjects();
    s->set_ref(SubjectRef(role * kSubjectsPerRole + Mix(event * 2 + static_cast<uint64_t>(role)) % kSubjectsPerRole));
    s->set_role(role == 0 ? v1::SUBJECT_ROLE_VICTIM : v1::SUBJECT_ROLE_PERPETRATOR);
  }
  if (i % 8 != 0) r.set_recipient(kAgencies[(event + i) % 7]);
  if (r.action() == v1::AUDIT_ACTION_ROUTED) {
    r.add_sections("summary");
    r.add_sections("risk");
    r.add_rule_ids("high-risk");
    r.add_bases(v1::LAWFUL_BASIS_SAFEGUARDING_ADULTS);
  }
  r.set_policy_hash(std::string(64, 'c'));
  r.set_envelope_sha256(std::string(32, '\x5a'));
  return r;
}

// A log built on first use and kept in `dir` (or $env) for later runs.
struct BigLog {
  std::string dir;
  std::string public_key;
  uint64_t records = 0;
};

// `records` records, appended `per_head` at a time, each append with its
// signed head (the broker signs one per append, usually of a few records).
BigLog BuildLog(const char* env_var, const std::string& default_dir, uint64_t records, uint64_t per_head) {
  const char* env = std::getenv(env_var);
  BigLog out{env != nullptr ? env : default_dir, "", records};
  const std::string done = out.dir + "/BENCH_COMPLETE";
  const std::string key_file = out.dir + "/bench-log.key";
  if (!std::filesystem::exists(done)) {
    std::filesystem::remove_all(out.dir);
    std::filesystem::create_directories(out.dir);
    auto key = crypto::SigningKey::Generate();
    if (!key.ok() || !crypto::WriteSigningKey(key_file, *key).ok()) std::abort();
    auto db = AuditDatabase::OpenForWriting(out.dir);
    if (!db.ok()) std::abort();
    auto appender = AuditLog::Open((*db)->db(), (*db)->cfs(), *std::move(key));
    if (!appender.ok()) std::abort();
    rocksdb::WriteOptions fast;
    fast.disableWAL = true;  // flushed below; a crash means rebuilding
    std::fprintf(stderr, "building a %llu-record audit log, a head every %llu records, in %s ...\n",
                 static_cast<unsigned long long>(records), static_cast<unsigned long long>(per_head),
                 out.dir.c_str());
    for (uint64_t i = 0; i < records; i += per_head) {
      std::vector<v1::AuditRecord> batch;
      for (uint64_t j = i; j < std::min(records, i + per_head); ++j) batch.push_back(Record(j));
      rocksdb::WriteBatch wb;
      auto staged = (*appender)->Stage(std::move(batch), &wb, absl::FromUnixSeconds(kStart) + absl::Seconds(i));
      if (!staged.ok() || !(*db)->db()->Write(fast, &wb).ok()) std::abort();
      (*appender)->Commit(*staged);
      if ((i + per_head) % 1'000'000 < per_head) {
        std::fprintf(stderr, "  %llu records\n", static_cast<unsigned long long>(i + per_head));
      }
    }
    rocksdb::FlushOptions flush;
    for (auto* cf : {(*db)->cfs().leaves, (*db)->cfs().tiles, (*db)->cfs().index, (*db)->cfs().heads}) {
      if (!(*db)->db()->Flush(flush, cf).ok()) std::abort();
    }
    if (!(*db)->db()->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr).ok()) std::abort();
    std::ofstream(done) << records << "\n";
  }
  auto key = crypto::ReadSigningKey(key_file);
  if (!key.ok()) std::abort();
  out.public_key = key->public_key();
  // For trying the CLI on it: accord audit verify --data DIR --log-key DIR/bench-log.pub
  if (!std::filesystem::exists(out.dir + "/bench-log.pub") &&
      !crypto::WriteSigningPublicKey(out.dir + "/bench-log.pub", out.public_key).ok()) {
    std::abort();
  }
  return out;
}

// The 10M log, in 10,000-record appends.
const BigLog& GetBigLog() {
  static const BigLog log =
      BuildLog("ACCORD_BENCH_AUDIT_DIR", "/tmp/accord-bench-audit-10m-tiles", kBigLog, 10'000);
  return log;
}

// 1M records in appends of 4: a signed head every 4 records, as a busy broker
// writes them (a publish routes to a few agencies; an ack is one record).
const BigLog& GetDenseHeadsLog() {
  static const BigLog log =
      BuildLog("ACCORD_BENCH_AUDIT_DENSE_DIR", "/tmp/accord-bench-audit-1m-heads-every-4", 1'000'000, 4);
  return log;
}

// A read-only view of the 10M log, kept open across benchmarks.
struct OpenBigLog {
  std::unique_ptr<AuditDatabase> db;
  std::unique_ptr<AuditLog> log;
};
OpenBigLog& BigLogReader() {
  static OpenBigLog open = [] {
    OpenBigLog o;
    o.db = *AuditDatabase::OpenReadOnly(GetBigLog().dir);
    o.log = *AuditLog::Open(o.db->db(), o.db->cfs(), std::nullopt);
    return o;
  }();
  return open;
}

void BM_AppendSynced(benchmark::State& state) {
  const std::string dir = absl::StrCat("/tmp/accord-bench-audit-append-", ::getpid());
  std::filesystem::remove_all(dir);
  {
    auto db = AuditDatabase::OpenForWriting(dir);
    auto log = AuditLog::Open((*db)->db(), (*db)->cfs(), *crypto::SigningKey::Generate());
    rocksdb::WriteOptions sync;
    sync.sync = true;
    const auto per_batch = static_cast<uint64_t>(state.range(0));
    uint64_t next = 0;
    for (auto _ : state) {
      std::vector<v1::AuditRecord> records;
      for (uint64_t i = 0; i < per_batch; ++i) records.push_back(Record(next++));
      rocksdb::WriteBatch wb;
      auto staged = (*log)->Stage(std::move(records), &wb, absl::Now());
      if (!staged.ok() || !(*db)->db()->Write(sync, &wb).ok()) state.SkipWithError("append failed");
      (*log)->Commit(*staged);
    }
    state.SetItemsProcessed(static_cast<int64_t>(next));
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AppendSynced)->Arg(1)->Arg(8)->UseRealTime();

void BM_ProveInclusion10M(benchmark::State& state) {
  const AuditLog& log = *BigLogReader().log;
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    auto proof = log.ProveInclusion(rng() % kBigLog, kBigLog);
    if (!proof.ok()) state.SkipWithError("proof failed");
    benchmark::DoNotOptimize(proof);
  }
}
BENCHMARK(BM_ProveInclusion10M)->Unit(benchmark::kMicrosecond);

void BM_ProveConsistency10M(benchmark::State& state) {
  const AuditLog& log = *BigLogReader().log;
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    auto proof = log.ProveConsistency(1 + rng() % (kBigLog - 1), kBigLog);
    if (!proof.ok()) state.SkipWithError("proof failed");
    benchmark::DoNotOptimize(proof);
  }
}
BENCHMARK(BM_ProveConsistency10M)->Unit(benchmark::kMicrosecond);

// Who saw anything about one subject (~20 records, ~15 of them who-saw
// actions), each row with its inclusion proof.
void BM_WhoSawSubject10M(benchmark::State& state) {
  const AuditLog& log = *BigLogReader().log;
  std::mt19937_64 rng(3);
  int64_t rows = 0;
  for (auto _ : state) {
    v1::WhoSawQuery q;
    q.set_subject_ref(SubjectRef(rng() % (2 * kSubjectsPerRole)));
    auto result = log.Query(q);
    if (!result.ok()) state.SkipWithError("query failed");
    rows += static_cast<int64_t>(result->size());
  }
  state.counters["rows_per_query"] = static_cast<double>(rows) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_WhoSawSubject10M)->Unit(benchmark::kMillisecond);

// `accord audit verify` over a whole log, on this thread only.
void Verify(benchmark::State& state, const BigLog& big, bool check_index) {
  for (auto _ : state) {
    VerifyOptions options;
    options.log_public_key = big.public_key;
    options.check_index = check_index;
    auto report = VerifyDataDirectory(big.dir, options);
    if (!report.ok() || !report->ok() || report->records != big.records) state.SkipWithError("verify failed");
    state.counters["heads"] = report.ok() ? static_cast<double>(report->heads) : 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * big.records));
}
void BM_Verify10M(benchmark::State& state) { Verify(state, GetBigLog(), /*check_index=*/false); }
void BM_Verify10MWithIndex(benchmark::State& state) { Verify(state, GetBigLog(), /*check_index=*/true); }
void BM_Verify1MHeadEvery4(benchmark::State& state) { Verify(state, GetDenseHeadsLog(), /*check_index=*/false); }
BENCHMARK(BM_Verify10M)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_Verify10MWithIndex)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_Verify1MHeadEvery4)->Iterations(3)->Unit(benchmark::kSecond)->UseRealTime();

// A writable copy of the 10M log (a RocksDB checkpoint: hard links, instant),
// so that benchmarks may append to it and save markers; removed afterwards.
class BigLogCopy {
 public:
  // With `quiet`, RocksDB's background work on the copy (the compaction it
  // starts on opening it) is paused, so that it does not compete with what
  // is measured; appends need flushes and leave it running.
  explicit BigLogCopy(bool quiet = true) : dir_(absl::StrCat("/tmp/accord-bench-audit-copy-", ::getpid())) {
    std::filesystem::remove_all(dir_);
    {
      auto src = AuditDatabase::OpenForWriting(GetBigLog().dir);
      if (!src.ok()) std::abort();
      rocksdb::Checkpoint* cp = nullptr;
      if (!rocksdb::Checkpoint::Create((*src)->db(), &cp).ok() || !cp->CreateCheckpoint(dir_).ok()) std::abort();
      delete cp;
    }
    db_ = *AuditDatabase::OpenForWriting(dir_);
    if (quiet && !db_->db()->PauseBackgroundWork().ok()) std::abort();
    auto key = crypto::ReadSigningKey(GetBigLog().dir + "/bench-log.key");
    log_ = *AuditLog::Open(db_->db(), db_->cfs(), *std::move(key));
  }
  ~BigLogCopy() {
    db_->db()->ContinueBackgroundWork().PermitUncheckedError();
    log_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  AuditLog& log() { return *log_; }
  AuditDatabase& db() { return *db_; }

 private:
  std::string dir_;
  std::unique_ptr<AuditDatabase> db_;
  std::unique_ptr<AuditLog> log_;
};

// What a broker start reads: the records appended since the marker
// (state.range(0) of them; 0: only the edge and the head at the marker).
void BM_IntegrityStartCheck10M(benchmark::State& state) {
  BigLogCopy copy;
  IntegrityChecker checker(copy.log(), GetBigLog().public_key);
  const uint64_t since = kBigLog - static_cast<uint64_t>(state.range(0));
  auto mark_root = copy.log().RootHash(since);
  if (!mark_root.ok() || !copy.log().SignedHeadAt(since).ok()) {
    state.SkipWithError("no head at that size");
    return;
  }
  for (auto _ : state) {
    auto r = checker.CheckSince({since, *mark_root});
    if (!r.ok() || r->tree_size != kBigLog) state.SkipWithError("check failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_IntegrityStartCheck10M)->Arg(0)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// One background pass over the whole 10M log (on this thread, normal priority).
void BM_IntegrityFullPass10M(benchmark::State& state) {
  BigLogCopy copy;
  IntegrityChecker checker(copy.log(), GetBigLog().public_key);
  for (auto _ : state) {
    auto r = checker.CheckAll();
    if (!r.ok() || r->tree_size != kBigLog) state.SkipWithError("check failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBigLog));
}
BENCHMARK(BM_IntegrityFullPass10M)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

// Synced appends of 8 records to the 10M log, without (0) and with (1)
// background passes running back to back beside them: the check takes no
// lock of the log's, so appends wait for it only through the CPU and the disk.
void BM_AppendSyncedWhileChecking10M(benchmark::State& state) {
  BigLogCopy copy(/*quiet=*/false);
  std::unique_ptr<BackgroundIntegrityCheck> check;
  std::atomic<int> passes{0};
  if (state.range(0) == 1) {
    BackgroundIntegrityCheck::Listener listener;
    listener.passed = [&](const CheckedRange&) { ++passes; };
    check = std::make_unique<BackgroundIntegrityCheck>(copy.log(), GetBigLog().public_key, absl::Milliseconds(1),
                                                       listener);
  }
  rocksdb::WriteOptions sync;
  sync.sync = true;
  std::vector<double> micros;
  uint64_t next = kBigLog;
  for (auto _ : state) {
    std::vector<v1::AuditRecord> records;
    for (int i = 0; i < 8; ++i) records.push_back(Record(next++));
    const absl::Time start = absl::Now();
    rocksdb::WriteBatch wb;
    auto staged = copy.log().Stage(std::move(records), &wb, absl::Now());
    if (!staged.ok() || !copy.db().db()->Write(sync, &wb).ok()) state.SkipWithError("append failed");
    copy.log().Commit(*staged);
    micros.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
  }
  check.reset();
  std::sort(micros.begin(), micros.end());
  if (!micros.empty()) {
    state.counters["p50_us"] = micros[micros.size() / 2];
    state.counters["p99_us"] = micros[micros.size() * 99 / 100];
  }
  state.counters["passes"] = passes.load();
}
BENCHMARK(BM_AppendSyncedWhileChecking10M)->Arg(0)->Arg(1)->MinTime(20)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace accord::audit
