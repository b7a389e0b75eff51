#include "broker/audit/integrity_check.h"

#include "absl/strings/str_cat.h"
#include "broker/audit/merkle.h"
#include "broker/audit/offline_verify.h"
#include "broker/audit/storage_layout.h"

namespace accord::audit {
namespace {

// audit_meta: "verified" -> be64(tree_size) || root_hash (32 bytes).
constexpr char kMarkerKey[] = "verified";

}  // namespace

IntegrityChecker::IntegrityChecker(const AuditLog& log, std::string log_public_key)
    : log_(log), log_public_key_(std::move(log_public_key)) {}

absl::StatusOr<VerifiedMark> IntegrityChecker::Marker() const {
  rocksdb::ColumnFamilyHandle* meta = log_.column_families().meta;
  if (meta == nullptr) return absl::FailedPreconditionError("the database has no audit_meta column family");
  std::string value;
  rocksdb::Status s = log_.db()->Get(rocksdb::ReadOptions(), meta, kMarkerKey, &value);
  if (s.IsNotFound()) return VerifiedMark{};
  if (!s.ok()) return absl::UnavailableError(absl::StrCat("cannot read audit_meta: ", s.ToString()));
  std::optional<uint64_t> size = value.size() == 8 + kHashSize ? ReadBe64(std::string_view(value).substr(0, 8))
                                                               : std::nullopt;
  if (!size || *size == 0) {
    return absl::DataLossError(absl::StrCat("the verified-size marker in audit_meta has ", value.size(),
                                            " bytes, not a size and a root"));
  }
  return VerifiedMark{*size, value.substr(8)};
}

absl::Status IntegrityChecker::SaveMarker(const VerifiedMark& mark) {
  rocksdb::ColumnFamilyHandle* meta = log_.column_families().meta;
  if (meta == nullptr) return absl::FailedPreconditionError("the database has no audit_meta column family");
  rocksdb::Status s = log_.db()->Put(rocksdb::WriteOptions(), meta, kMarkerKey,
                                     absl::StrCat(Be64(mark.tree_size), mark.root_hash));
  if (!s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("the audit log checked out but the size verified cannot be saved: ", s.ToString()));
  }
  return absl::OkStatus();
}

absl::StatusOr<CheckedRange> IntegrityChecker::CheckSince(const VerifiedMark& mark,
                                                          const std::function<bool()>& stop) {
  VerifyOptions options;
  options.log_public_key = log_public_key_;
  options.check_index = false;  // the index is for who-saw; `accord audit verify` checks it
  options.from_size = mark.tree_size;
  options.from_root = mark.root_hash;
  options.stop = stop;
  absl::StatusOr<VerifyReport> report = VerifyAuditLog(log_.db(), log_.column_families(), options);
  if (!report.ok()) return report.status();
  if (!report->ok()) {
    std::string problem = absl::StrCat("the audit log does not match its signed heads at record ",
                                       report->finding->index, ": ", report->finding->problem);
    log_.RefuseAppends(absl::StrCat("the broker refuses to extend its audit log: ", problem));
    if (log_.column_families().meta != nullptr) {
      // The next start must read everything again, not trust what was read before.
      log_.db()->Delete(rocksdb::WriteOptions(), log_.column_families().meta, kMarkerKey).PermitUncheckedError();
    }
    return absl::DataLossError(problem);
  }
  CheckedRange range;
  range.from = mark.tree_size;
  range.tree_size = report->latest_head ? report->latest_head->tree_size() : 0;
  range.elapsed = report->elapsed;
  if (report->latest_head) {
    if (absl::Status s = SaveMarker({range.tree_size, report->latest_head->root_hash()}); !s.ok()) return s;
  }
  return range;
}

absl::StatusOr<CheckedRange> IntegrityChecker::CheckSinceMarker(const std::function<bool()>& stop) {
  absl::StatusOr<VerifiedMark> mark = Marker();
  // A marker that does not read is no reason to trust anything: start from 0.
  if (absl::IsDataLoss(mark.status())) return CheckAll(stop);
  if (!mark.ok()) return mark.status();
  return CheckSince(*mark, stop);
}

}  // namespace accord::audit
