#include "broker/rocksdb_store.h"

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "absl/synchronization/mutex.h"
#include "broker/retryable_fs.h"
#include "rocksdb/db.h"
#include "rocksdb/cache.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace accord::broker {
namespace {

// Column families of the broker's own state (the audit log adds its own).
constexpr char kEvents[] = "events";      // event_id -> StoredEvent
constexpr char kQueues[] = "queues";      // agency 0x00 be64(seq) -> QueueEntry
constexpr char kMeta[] = "meta";          // counters, see below
constexpr char kConsent[] = "consent";    // subject 0x00 purpose -> ConsentStatus
constexpr char kCases[] = "cases";        // case_ref -> CaseState
constexpr char kMeetings[] = "meetings";  // meeting 0x00 agency -> MeetingCursor
constexpr char kPerpetrators[] = "perpetrators";  // subject pseudonym -> PerpetratorState
constexpr char kSchedule[] = "schedule";  // be64(due micros) 0x00 schedule 0x00 case 0x00 step 0x00 anchor -> ScheduledNotice

// meta keys: "event_seq" -> be64; "qhead/<agency>" -> be64; "ack/<agency>" -> be64;
// "dlv/<agency>" -> be64 (first deliveries audited through).
constexpr char kEventSeqKey[] = "event_seq";
// The one block cache of all column families (data, index and filter blocks).
constexpr size_t kBlockCacheBytes = 64u << 20;
constexpr size_t kMemtableBudgetBytes = 128u << 20;
constexpr uint64_t kMaxTotalWalBytes = 256u << 20;
// Written only to find out whether the database can be written again.
constexpr char kProbeKey[] = "probe";

std::string Be64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i) {
    s[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return s;
}

uint64_t FromBe64(const rocksdb::Slice& s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

std::string QueueKey(const std::string& agency, uint64_t seq) {
  return absl::StrCat(agency, std::string(1, '\0'), Be64(seq));
}

std::string ScheduleKey(const ScheduledNotice& n) {
  const int64_t due = google::protobuf::util::TimeUtil::TimestampToMicroseconds(n.due());
  const std::string nul(1, '\0');
  return absl::StrCat(Be64(static_cast<uint64_t>(std::max<int64_t>(0, due))), nul, n.schedule_id(), nul,
                      n.case_ref(), nul, n.step(), nul, n.anchor_event_id());
}

std::string PairKey(const std::string& a, const std::string& b) {
  return absl::StrCat(a, std::string(1, '\0'), b);
}

// Keys of the form prefix || be64(n) with n growing per prefix: queue
// entries (agency 0x00 be64), audit leaves and heads (be64), index runs
// (prefix be64) and tiles (level be64). Given as the memtable's insert-hint
// extractor, each insert starts from where the last one of its prefix went
// instead of searching the skiplist from the top (RocksDB's
// memtable_insert_with_hint_prefix_extractor); it changes nothing stored.
class SequenceKeyPrefix : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "accord.SequenceKeyPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - 8);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() >= 8; }
};

// The options of each column family of the broker's database.
rocksdb::ColumnFamilyOptions FamilyOptions(const std::string& name,
                                           const std::shared_ptr<const rocksdb::SliceTransform>& hint,
                                           const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions o = audit::AuditColumnFamilyOptions(name, rocksdb::ColumnFamilyOptions(), cache);
  if (name == kQueues || name == "audit_leaves" || name == "audit_heads" || name == "audit_index" ||
      name == "audit_tiles") {
    o.memtable_insert_with_hint_prefix_extractor = hint;
  }
  if (name == kEvents) {
    // Every publish looks its event id up first (a duplicate?), and almost
    // always misses: a Bloom filter answers most misses without reading a
    // block of every level.
    rocksdb::BlockBasedTableOptions table = audit::SharedCacheTableOptions(cache);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  }
  return o;
}

absl::Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(what, ": ", s.ToString()));
}

class RocksDbStore : public Store {
 public:
  ~RocksDbStore() override {
    audit_.reset();
    if (db_ != nullptr) {
      for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
      db_->Close();
      delete db_;
    }
  }

  absl::Status Open(const std::string& dir, crypto::SigningKey log_key) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    options.paranoid_checks = true;
    // A bounded share of the process's descriptors (the rest are connections).
    options.max_open_files = 512;
    // Memory and restart time bounded whatever the store's size: all the
    // memtables together (not 64 MB for each of 14 families), and the WAL a
    // restart replays (a rarely written family otherwise keeps every older
    // log alive, up to four times the memtables' total).
    options.db_write_buffer_size = kMemtableBudgetBytes;
    options.max_total_wal_size = kMaxTotalWalBytes;
    // Out of descriptors or space for a moment must not stop writes for good.
    env_ = rocksdb::NewCompositeEnv(WithRetryableOpenErrors(rocksdb::FileSystem::Default()));
    options.env = env_.get();
    std::vector<std::string> names = {rocksdb::kDefaultColumnFamilyName, kEvents, kQueues, kMeta,
                                      kConsent, kCases, kMeetings, kPerpetrators, kSchedule};
    const std::vector<std::string> audit_names = audit::AuditColumnFamilyNames();
    names.insert(names.end(), audit_names.begin(), audit_names.end());
    std::vector<std::string> existing;
    if (rocksdb::DB::ListColumnFamilies(options, dir, &existing).ok()) {
      if (absl::Status s = audit::CheckAuditLayout(existing, dir); !s.ok()) return s;
    }
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    const auto hint = std::make_shared<const SequenceKeyPrefix>();
    // One block cache for every family, index and filter blocks charged to
    // it: the defaults gave each of the 14 families its own 8 MB cache and
    // held every open table's index outside any (issue 13 item 6).
    const std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(kBlockCacheBytes);
    for (const std::string& n : names) cfs.emplace_back(n, FamilyOptions(n, hint, cache));
    rocksdb::DB* db = nullptr;
    if (auto s = FromRocks(rocksdb::DB::Open(options, dir, cfs, &handles_, &db),
                           absl::StrCat("cannot open broker database ", dir));
        !s.ok()) {
      return s;
    }
    db_ = db;
    for (size_t i = 0; i < names.size(); ++i) cf_[names[i]] = handles_[i];
    audit::AuditColumnFamilies acf;
    acf.leaves = cf_.at(audit_names[0]);
    acf.tiles = cf_.at(audit_names[1]);
    acf.index = cf_.at(audit_names[2]);
    acf.heads = cf_.at(audit_names[3]);
    acf.meta = cf_.at(audit_names[4]);
    absl::StatusOr<std::unique_ptr<audit::AuditLog>> log =
        audit::AuditLog::Open(db_, acf, std::move(log_key), audit::AuditLog::OnDamage::kRefuseAppends);
    if (!log.ok()) return log.status();
    audit_ = *std::move(log);
    return LoadCounters();
  }

  absl::StatusOr<std::vector<Assigned>> ApplyBatch(std::vector<Mutation> ms, absl::Time now) override {
    absl::MutexLock lock(&write_mu_);
    if (ms.empty()) return std::vector<Assigned>();
    rocksdb::WriteBatch batch;
    std::vector<Assigned> assigned(ms.size());
    // Counters as they stand after each mutation before it; published to the
    // readers only once the batch is durable.
    uint64_t event_seq;
    std::map<std::string, uint64_t> qheads;
    {
      absl::MutexLock l(&mu_);
      event_seq = event_seq_;
      for (const Mutation& m : ms) {
        for (const Enqueue& e : m.enqueue) {
          if (qheads.count(e.agency) == 0) qheads[e.agency] = QueueHeadLocked(e.agency);
        }
      }
    }
    std::vector<v1::AuditRecord> records;
    std::vector<size_t> first_record(ms.size());
    uint64_t events = 0;
    for (size_t i = 0; i < ms.size(); ++i) {
      Mutation& m = ms[i];
      if (m.event.has_value()) {
        assigned[i].event_sequence = ++event_seq;
        m.event->set_sequence(event_seq);
        ++events;
      }
      for (Enqueue& e : m.enqueue) {
        const uint64_t seq = ++qheads[e.agency];
        assigned[i].queue_sequences.push_back(seq);
        batch.Put(cf_.at(kQueues), QueueKey(e.agency, seq), e.entry.SerializeAsString());
      }
      PutState(m, &batch);
      first_record[i] = records.size();
      assigned[i].audit_count = m.audit.size();
      for (v1::AuditRecord& r : m.audit) records.push_back(std::move(r));
    }
    if (events > 0) batch.Put(cf_.at(kMeta), kEventSeqKey, Be64(event_seq));
    for (const auto& [agency, seq] : qheads) {
      batch.Put(cf_.at(kMeta), absl::StrCat("qhead/", agency), Be64(seq));
    }
    // One staging for the whole batch: one signed head, tiles written once.
    std::optional<audit::StagedAppend> staged;
    if (!records.empty()) {
      absl::StatusOr<audit::StagedAppend> s = audit_->Stage(std::move(records), &batch, now);
      if (!s.ok()) return s.status();
      staged = *std::move(s);
      for (size_t i = 0; i < ms.size(); ++i) {
        if (assigned[i].audit_count == 0) continue;
        assigned[i].first_audit_index = staged->first_index + first_record[i];
        assigned[i].head = staged->head;
      }
    }
    auto abort = [&](absl::Status s) {
      if (staged.has_value()) audit_->Abort(*staged);
      return s;
    };
    for (size_t i = 0; i < ms.size(); ++i) {
      Mutation& m = ms[i];
      if (!m.event.has_value()) continue;
      if (m.finalize) {
        if (auto s = m.finalize(assigned[i], &*m.event); !s.ok()) return abort(s);
      }
      batch.Put(cf_.at(kEvents), EventId(*m.event), m.event->SerializeAsString());
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    if (auto s = FromRocks(db_->Write(wo, &batch), "cannot write to the broker database"); !s.ok()) {
      absl::MutexLock l(&mu_);
      write_error_ = s;
      return abort(s);
    }
    if (staged.has_value()) audit_->Commit(*staged);
    absl::MutexLock l(&mu_);
    ++written_.batches;
    written_.keys += batch.Count();
    written_.bytes += batch.GetDataSize();
    write_error_ = absl::OkStatus();
    event_seq_ = event_seq;
    for (const auto& [agency, seq] : qheads) qhead_[agency] = seq;
    for (const Mutation& m : ms) {
      for (const auto& [agency, through] : m.acks) acked_[agency] = through;
      for (const auto& [agency, through] : m.delivered) delivered_[agency] = through;
    }
    event_count_ += events;
    return assigned;
  }

  absl::StatusOr<std::optional<StoredEvent>> FindEvent(const std::string& event_id) const override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_.at(kEvents), event_id, &value);
    if (s.IsNotFound()) return std::optional<StoredEvent>();
    if (auto st = FromRocks(s, "cannot read event"); !st.ok()) return st;
    StoredEvent e;
    if (!e.ParseFromString(value)) return absl::DataLossError(absl::StrCat("stored event ", event_id, " is corrupt"));
    return std::optional<StoredEvent>(std::move(e));
  }

  absl::StatusOr<std::vector<QueueItem>> ReadQueue(const std::string& agency, uint64_t after,
                                                   size_t limit) const override {
    std::vector<QueueItem> out;
    const std::string prefix = absl::StrCat(agency, std::string(1, '\0'));
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_.at(kQueues)));
    for (it->Seek(QueueKey(agency, after + 1)); it->Valid() && out.size() < limit; it->Next()) {
      if (!it->key().starts_with(prefix)) break;
      QueueItem item;
      item.sequence = FromBe64(rocksdb::Slice(it->key().data() + prefix.size(), 8));
      if (!item.entry.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError(absl::StrCat("queue entry ", item.sequence, " of ", agency, " is corrupt"));
      }
      out.push_back(std::move(item));
    }
    if (auto s = FromRocks(it->status(), "cannot read queue"); !s.ok()) return s;
    return out;
  }

  uint64_t QueueHead(const std::string& agency) const override {
    absl::MutexLock l(&mu_);
    return QueueHeadLocked(agency);
  }

  uint64_t AckedThrough(const std::string& agency) const override {
    absl::MutexLock l(&mu_);
    auto it = acked_.find(agency);
    return it == acked_.end() ? 0 : it->second;
  }

  uint64_t DeliveredThrough(const std::string& agency) const override {
    absl::MutexLock l(&mu_);
    auto it = delivered_.find(agency);
    return it == delivered_.end() ? 0 : it->second;
  }

  absl::StatusOr<std::optional<v1::ConsentStatus>> GetConsent(const std::string& subject_ref,
                                                              const std::string& purpose) const override {
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), cf_.at(kConsent), PairKey(subject_ref, purpose), &value);
    if (s.IsNotFound()) return std::optional<v1::ConsentStatus>();
    if (auto st = FromRocks(s, "cannot read consent"); !st.ok()) return st;
    v1::ConsentStatus c;
    if (!c.ParseFromString(value)) return absl::DataLossError("stored consent is corrupt");
    return std::optional<v1::ConsentStatus>(std::move(c));
  }

  absl::StatusOr<CaseState> GetCase(const std::string& case_ref) const override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_.at(kCases), case_ref, &value);
    CaseState state;
    if (s.IsNotFound()) return state;
    if (auto st = FromRocks(s, "cannot read case"); !st.ok()) return st;
    if (!state.ParseFromString(value)) return absl::DataLossError(absl::StrCat("case ", case_ref, " is corrupt"));
    return state;
  }

  absl::StatusOr<PerpetratorState> GetPerpetrator(const std::string& subject_ref) const override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_.at(kPerpetrators), subject_ref, &value);
    PerpetratorState state;
    if (s.IsNotFound()) return state;
    if (auto st = FromRocks(s, "cannot read perpetrator"); !st.ok()) return st;
    if (!state.ParseFromString(value)) return absl::DataLossError("a stored perpetrator state is corrupt");
    return state;
  }

  absl::StatusOr<std::vector<DueNotice>> DueNotices(absl::Time now, size_t limit) const override {
    std::vector<DueNotice> out;
    const std::string upto = Be64(static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMicros(now))));
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_.at(kSchedule)));
    for (it->SeekToFirst(); it->Valid() && out.size() < limit; it->Next()) {
      if (it->key().size() < 8 || rocksdb::Slice(it->key().data(), 8).compare(upto) > 0) break;
      DueNotice d;
      d.key = it->key().ToString();
      if (!d.notice.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError("a scheduled reminder is corrupt");
      }
      out.push_back(std::move(d));
    }
    if (auto s = FromRocks(it->status(), "cannot read the schedule"); !s.ok()) return s;
    return out;
  }

  absl::StatusOr<std::optional<MeetingCursor>> GetCursor(const std::string& meeting_id,
                                                         const std::string& agency) const override {
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), cf_.at(kMeetings), PairKey(meeting_id, agency), &value);
    if (s.IsNotFound()) return std::optional<MeetingCursor>();
    if (auto st = FromRocks(s, "cannot read meeting cursor"); !st.ok()) return st;
    MeetingCursor c;
    if (!c.ParseFromString(value)) return absl::DataLossError("meeting cursor is corrupt");
    return std::optional<MeetingCursor>(std::move(c));
  }

  uint64_t EventCount() const override {
    absl::MutexLock l(&mu_);
    return event_count_;
  }

  WriteTotals Written() const override {
    absl::MutexLock l(&mu_);
    return written_;
  }

  const audit::AuditLog& audit() const override { return *audit_; }

  absl::Status WriteError() const override {
    absl::MutexLock l(&mu_);
    return write_error_;
  }

  absl::Status Recover() override {
    absl::MutexLock lock(&write_mu_);
    // RocksDB stops writing after an I/O error until told to resume; a
    // synced write of a probe key then shows whether the cause is gone.
    rocksdb::Status resumed = db_->Resume();
    rocksdb::WriteBatch probe;
    probe.Put(cf_.at(kMeta), kProbeKey, Be64(0));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    absl::Status s = FromRocks(db_->Write(wo, &probe), "cannot write to the broker database");
    if (!resumed.ok()) s = FromRocks(resumed, "cannot resume the broker database");
    absl::MutexLock l(&mu_);
    write_error_ = s;
    return s;
  }

 private:
  // The keys of `m` that need no position: acks, consent, cases, cursors,
  // perpetrators and the schedule.
  void PutState(const Mutation& m, rocksdb::WriteBatch* batch) const {
    for (const auto& [agency, through] : m.acks) {
      batch->Put(cf_.at(kMeta), absl::StrCat("ack/", agency), Be64(through));
    }
    for (const auto& [agency, through] : m.delivered) {
      batch->Put(cf_.at(kMeta), absl::StrCat("dlv/", agency), Be64(through));
    }
    for (const v1::ConsentStatus& c : m.consents) {
      batch->Put(cf_.at(kConsent), PairKey(c.subject_ref(), c.purpose()), c.SerializeAsString());
    }
    for (const auto& [case_ref, state] : m.cases) {
      batch->Put(cf_.at(kCases), case_ref, state.SerializeAsString());
    }
    for (const CursorUpdate& c : m.cursors) {
      batch->Put(cf_.at(kMeetings), PairKey(c.meeting_id, c.agency), c.cursor.SerializeAsString());
    }
    for (const auto& [ref, state] : m.perpetrators) {
      batch->Put(cf_.at(kPerpetrators), ref, state.SerializeAsString());
    }
    for (const ScheduledNotice& n : m.schedule) {
      batch->Put(cf_.at(kSchedule), ScheduleKey(n), n.SerializeAsString());
    }
    for (const std::string& key : m.unschedule) batch->Delete(cf_.at(kSchedule), key);
  }

  static std::string EventId(const StoredEvent& e) {
    v1::EventHeader h;
    h.ParseFromString(e.envelope().header());
    return h.event_id();
  }

  uint64_t QueueHeadLocked(const std::string& agency) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = qhead_.find(agency);
    return it == qhead_.end() ? 0 : it->second;
  }

  absl::Status LoadCounters() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_.at(kMeta)));
    absl::MutexLock l(&mu_);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string key = it->key().ToString();
      if (it->value().size() != 8) return absl::DataLossError(absl::StrCat("meta key ", key, " is corrupt"));
      const uint64_t v = FromBe64(it->value());
      if (key == kEventSeqKey) {
        event_seq_ = v;
      } else if (key.rfind("qhead/", 0) == 0) {
        qhead_[key.substr(6)] = v;
      } else if (key.rfind("ack/", 0) == 0) {
        acked_[key.substr(4)] = v;
      } else if (key.rfind("dlv/", 0) == 0) {
        delivered_[key.substr(4)] = v;
      }
    }
    if (auto s = FromRocks(it->status(), "cannot read counters"); !s.ok()) return s;
    event_count_ = event_seq_;
    return absl::OkStatus();
  }

  std::unique_ptr<rocksdb::Env> env_;  // outlives db_
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> cf_;
  std::unique_ptr<audit::AuditLog> audit_;
  absl::Mutex write_mu_;  // one Apply at a time, in order
  mutable absl::Mutex mu_;
  uint64_t event_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t event_count_ ABSL_GUARDED_BY(mu_) = 0;
  WriteTotals written_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> qhead_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> acked_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> delivered_ ABSL_GUARDED_BY(mu_);
  absl::Status write_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenRocksDbStore(const std::string& dir,
                                                        crypto::SigningKey log_key) {
  auto store = std::make_unique<RocksDbStore>();
  if (auto s = store->Open(dir, std::move(log_key)); !s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace accord::broker
