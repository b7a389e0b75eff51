#include "broker/audit/audit_db.h"

#include <algorithm>
#include <filesystem>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace accord::audit {

absl::StatusOr<std::unique_ptr<AuditDatabase>> AuditDatabase::OpenReadOnly(const std::string& dir) {
  return Open(dir, /*read_only=*/true);
}

absl::StatusOr<std::unique_ptr<AuditDatabase>> AuditDatabase::OpenForWriting(const std::string& dir) {
  return Open(dir, /*read_only=*/false);
}

absl::StatusOr<std::unique_ptr<AuditDatabase>> AuditDatabase::Open(const std::string& dir,
                                                                   bool read_only) {
  std::error_code ec;
  if (read_only && !std::filesystem::exists(dir + "/CURRENT", ec)) {
    return absl::NotFoundError(absl::StrCat(dir, " is not a RocksDB data directory (no CURRENT file)"));
  }
  rocksdb::Options options;
  options.create_if_missing = !read_only;
  options.create_missing_column_families = !read_only;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // Tools scan the whole log: mapping the (immutable) table files saves a copy
  // of every block out of the page cache.
  options.allow_mmap_reads = read_only;

  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(options, dir, &names);
  if (!s.ok()) {
    if (read_only) return absl::UnavailableError(absl::StrCat("cannot read ", dir, ": ", s.ToString()));
    names = {rocksdb::kDefaultColumnFamilyName};
  }
  if (absl::Status layout = CheckAuditLayout(names, dir); !layout.ok()) return layout;
  for (const std::string& name : AuditColumnFamilyNames()) {
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    if (read_only && name == kAuditMetaFamily) continue;  // databases from before it; tools do not need it
    if (read_only) {
      return absl::FailedPreconditionError(absl::StrCat(
          dir, " has no audit log (column family '", name, "' is missing; it has: ",
          absl::StrJoin(names, ", "), ")"));
    }
    names.push_back(name);
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) {
    descriptors.emplace_back(name, AuditColumnFamilyOptions(name, rocksdb::ColumnFamilyOptions(options)));
  }

  auto out = std::unique_ptr<AuditDatabase>(new AuditDatabase());
  rocksdb::DB* db = nullptr;
  s = read_only ? rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(options), dir, descriptors,
                                               &out->handles_, &db)
                : rocksdb::DB::Open(rocksdb::DBOptions(options), dir, descriptors, &out->handles_, &db);
  if (!s.ok()) return absl::UnavailableError(absl::StrCat("cannot open ", dir, ": ", s.ToString()));
  out->db_.reset(db);
  const std::vector<std::string> audit = AuditColumnFamilyNames();
  rocksdb::ColumnFamilyHandle** slots[] = {&out->cfs_.leaves, &out->cfs_.tiles, &out->cfs_.index,
                                           &out->cfs_.heads, &out->cfs_.meta};
  for (std::size_t i = 0; i < names.size(); ++i) {
    for (std::size_t j = 0; j < audit.size() && j < std::size(slots); ++j) {
      if (names[i] == audit[j]) *slots[j] = out->handles_[i];
    }
  }
  return out;
}

AuditDatabase::~AuditDatabase() {
  if (db_ == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h);
  db_->Close();
}

}  // namespace accord::audit
