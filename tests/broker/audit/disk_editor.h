// Direct access to an audit log's column families, as someone with the disk
// would have: for tests that tamper with a log (offline, in a stopped broker's
// database, or in-process beside a running checker).
#ifndef ACCORD_TESTS_BROKER_AUDIT_DISK_EDITOR_H_
#define ACCORD_TESTS_BROKER_AUDIT_DISK_EDITOR_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "broker/audit/audit_db.h"
#include "broker/audit/merkle.h"
#include "broker/audit/merkle_tree.h"
#include "broker/audit/storage_layout.h"
#include "broker/audit/tiles.h"
#include "crypto/hash.h"

namespace accord::audit::testing {

class DiskEditor {
 public:
  // Opens `dir` read-write (the broker must not be running on it).
  explicit DiskEditor(const std::string& dir) : owned_(*AuditDatabase::OpenForWriting(dir)) {
    db_ = owned_->db();
    cfs_ = owned_->cfs();
  }
  // Edits a database someone else has open, through its handles.
  DiskEditor(rocksdb::DB* db, AuditColumnFamilies cfs) : db_(db), cfs_(cfs) {}
  rocksdb::DB* db() const { return db_; }

  std::string Get(rocksdb::ColumnFamilyHandle* cf, const std::string& key) {
    std::string v;
    EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), cf, key, &v).ok()) << crypto::Hex(key);
    return v;
  }
  void Put(rocksdb::ColumnFamilyHandle* cf, const std::string& key, const std::string& value) {
    ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), cf, key, value).ok());
  }
  void Delete(rocksdb::ColumnFamilyHandle* cf, const std::string& key) {
    ASSERT_TRUE(db_->Delete(rocksdb::WriteOptions(), cf, key).ok());
  }
  // Deletes every key of `cf` for which `drop` holds.
  void DeleteIf(rocksdb::ColumnFamilyHandle* cf, const std::function<bool(std::string_view)>& drop) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf));
    std::vector<std::string> keys;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (drop(it->key().ToStringView())) keys.push_back(it->key().ToString());
    }
    for (const std::string& k : keys) Delete(cf, k);
  }
  // Flips the last byte of record `index` (inside its policy_hash in the
  // sample and broker records: still a well-formed record).
  void ChangeRecord(uint64_t index) {
    std::string record = Get(cfs_.leaves, LeafKey(index));
    record.back() ^= 0x01;
    Put(cfs_.leaves, LeafKey(index), record);
  }
  // What an attacker without the log key can do: recompute every stored
  // subtree hash from the (edited) records.
  void RehashNodes(uint64_t n) {
    DeleteIf(cfs_.tiles, [](std::string_view) { return true; });
    CompactRange range;
    TileWriter tiles;
    auto put = [&](const std::string& k, const std::string& v) { Put(cfs_.tiles, k, v); };
    for (uint64_t i = 0; i < n; ++i) {
      range.Append(LeafHash(Get(cfs_.leaves, LeafKey(i))), [&](int level, uint64_t index, const std::string& h) {
        ASSERT_TRUE(tiles.Add(level, index, h, put).ok());
      });
    }
    tiles.Flush(put);
  }
  const AuditColumnFamilies& cfs() const { return cfs_; }

 private:
  std::unique_ptr<AuditDatabase> owned_;
  rocksdb::DB* db_ = nullptr;
  AuditColumnFamilies cfs_;
};

}  // namespace accord::audit::testing

#endif  // ACCORD_TESTS_BROKER_AUDIT_DISK_EDITOR_H_
