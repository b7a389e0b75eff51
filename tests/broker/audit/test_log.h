// A real audit log in a temporary RocksDB directory, and sample records, for
// the audit tests.
#ifndef ACCORD_TESTS_BROKER_AUDIT_TEST_LOG_H_
#define ACCORD_TESTS_BROKER_AUDIT_TEST_LOG_H_

#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/audit/audit_db.h"
#include "broker/audit/audit_log.h"
#include "broker/audit/record_format.h"
#include "crypto/signing.h"

namespace accord::audit::testing {

inline constexpr int64_t kStartSeconds = 1780000000;  // 2026-05-28

// A database holding an (empty) audit log in the per-node layout of before
// tiles, which every opener must refuse by name.
inline void MakeOldLayoutDatabase(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* nodes = nullptr;
  ASSERT_TRUE(db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "audit_nodes", &nodes).ok());
  ASSERT_TRUE(db->DestroyColumnFamilyHandle(nodes).ok());
}

// A 64-hex-character pseudonym for subject number `n`.
inline std::string SubjectRef(int n) {
  std::string hex = std::to_string(n);
  return std::string(64 - hex.size(), 'a') + hex;
}

// Record `i` of a varied sample log: actions cycle through the who-saw kinds
// and others; subjects, cases, agencies and events repeat with different
// periods so queries have something to choose between.
inline v1::AuditRecord SampleRecord(uint64_t i) {
  static const v1::AuditAction kActions[] = {
      v1::AUDIT_ACTION_EVENT_RECEIVED, v1::AUDIT_ACTION_ROUTED,       v1::AUDIT_ACTION_ROUTED,
      v1::AUDIT_ACTION_WITHHELD,       v1::AUDIT_ACTION_DELIVERED,    v1::AUDIT_ACTION_ACKNOWLEDGED,
      v1::AUDIT_ACTION_NOTIFIED,       v1::AUDIT_ACTION_MEETING_PACK_PULLED};
  static const char* const kAgencies[] = {"police", "probation", "victim_services", "childrens_services",
                                          "perpetrator_programme"};
  v1::AuditRecord r;
  r.set_action(kActions[i % 8]);
  *r.mutable_time() = ToTimestamp(absl::FromUnixSeconds(kStartSeconds + static_cast<int64_t>(i) * 60));
  r.set_actor_agency(kAgencies[i % 5]);
  r.mutable_actor()->set_role("officer");
  r.mutable_actor()->set_staff_ref("s-" + std::to_string(i % 17));
  r.set_event_id("ev-" + std::to_string(i / 8));
  r.set_event_kind(v1::EVENT_KIND_DOMESTIC_INCIDENT);
  r.set_case_ref("case-" + std::to_string(i % 13));
  v1::SubjectRef* victim = r.add_subjects();
  victim->set_ref(SubjectRef(static_cast<int>(i % 31)));
  victim->set_role(v1::SUBJECT_ROLE_VICTIM);
  if (r.action() != v1::AUDIT_ACTION_EVENT_RECEIVED) r.set_recipient(kAgencies[(i + 2) % 5]);
  if (r.action() == v1::AUDIT_ACTION_ROUTED) {
    r.add_sections("summary");
    r.add_sections("risk");
    r.add_rule_ids("high-risk");
    r.add_bases(v1::LAWFUL_BASIS_SAFEGUARDING_ADULTS);
  }
  if (r.action() == v1::AUDIT_ACTION_WITHHELD) r.set_reason("no rule permits");
  r.set_policy_hash(std::string(64, 'f'));
  return r;
}

class TestLog {
 public:
  explicit TestLog(std::string dir, std::optional<crypto::SigningKey> key = std::nullopt)
      : dir_(std::move(dir)), key_(key ? *std::move(key) : *crypto::SigningKey::Generate()) {
    Open();
  }

  void Open() {
    auto db = AuditDatabase::OpenForWriting(dir_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto log = AuditLog::Open(db_->db(), db_->cfs(), Copy(key_));
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
  }
  void Close() {
    log_.reset();
    db_.reset();
  }

  // Stage -> synced write -> commit, as the broker does.
  absl::StatusOr<StagedAppend> Append(std::vector<v1::AuditRecord> records,
                                      absl::Time now = absl::FromUnixSeconds(kStartSeconds)) {
    rocksdb::WriteBatch batch;
    absl::StatusOr<StagedAppend> staged = log_->Stage(std::move(records), &batch, now);
    if (!staged.ok()) return staged;
    rocksdb::WriteOptions sync;
    sync.sync = true;
    rocksdb::Status s = db_->db()->Write(sync, &batch);
    if (!s.ok()) {
      log_->Abort(*staged);
      return absl::InternalError(s.ToString());
    }
    log_->Commit(*staged);
    return staged;
  }

  // Appends SampleRecord(size()) .. up to `n` records, in batches of 1..max_batch.
  void Fill(uint64_t n, uint64_t max_batch = 7, uint64_t seed = 1) {
    std::mt19937_64 rng(seed);
    while (log_->size() < n) {
      const uint64_t batch = std::min<uint64_t>(n - log_->size(), 1 + rng() % max_batch);
      std::vector<v1::AuditRecord> records;
      for (uint64_t i = 0; i < batch; ++i) records.push_back(SampleRecord(log_->size() + i));
      ASSERT_TRUE(Append(std::move(records)).ok());
    }
  }

  static crypto::SigningKey Copy(const crypto::SigningKey& key) {
    return *crypto::SigningKey::FromSeed(key.Seed().view());
  }

  const std::string& dir() const { return dir_; }
  const crypto::SigningKey& key() const { return key_; }
  AuditLog& log() { return *log_; }
  AuditDatabase& db() { return *db_; }

 private:
  std::string dir_;
  crypto::SigningKey key_;
  std::unique_ptr<AuditDatabase> db_;
  std::unique_ptr<AuditLog> log_;
};

}  // namespace accord::audit::testing

#endif  // ACCORD_TESTS_BROKER_AUDIT_TEST_LOG_H_
