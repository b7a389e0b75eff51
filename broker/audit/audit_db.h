// Opening a RocksDB data directory that holds the audit column families, for
// the tools (read-only, with every column family the directory has, so a
// live broker's database can be read as it is) and for tests and benchmarks
// (read-write, creating the audit column families). The broker opens its own
// database and passes the handles to AuditLog::Open instead.
#ifndef ACCORD_BROKER_AUDIT_AUDIT_DB_H_
#define ACCORD_BROKER_AUDIT_AUDIT_DB_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "broker/audit/audit_log.h"
#include "rocksdb/db.h"

namespace accord::audit {

class AuditDatabase {
 public:
  // NOT_FOUND if `dir` is not a RocksDB database; FAILED_PRECONDITION if it
  // lacks the audit column families.
  static absl::StatusOr<std::unique_ptr<AuditDatabase>> OpenReadOnly(const std::string& dir);
  // Opens every column family and creates the database and the audit column
  // families if missing.
  static absl::StatusOr<std::unique_ptr<AuditDatabase>> OpenForWriting(const std::string& dir);

  ~AuditDatabase();
  AuditDatabase(const AuditDatabase&) = delete;
  AuditDatabase& operator=(const AuditDatabase&) = delete;

  rocksdb::DB* db() const { return db_.get(); }
  const AuditColumnFamilies& cfs() const { return cfs_; }

 private:
  AuditDatabase() = default;
  static absl::StatusOr<std::unique_ptr<AuditDatabase>> Open(const std::string& dir, bool read_only);
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; destroyed before db_
  AuditColumnFamilies cfs_;
};

}  // namespace accord::audit

#endif  // ACCORD_BROKER_AUDIT_AUDIT_DB_H_
