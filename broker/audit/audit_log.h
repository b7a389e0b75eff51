// The broker's append-only audit log (DESIGN.md §7, docs/audit.md): an RFC 6962
// Merkle tree whose leaves are serialized v1::AuditRecord messages, stored in
// RocksDB column families owned by this class. Appends are staged into the
// caller's WriteBatch so that a record is durable exactly when the action it
// records is; the in-memory tree state advances only on Commit().
//
// Thread safety: const methods may be called concurrently with each other and
// with one writer; Stage/Commit/Abort must be serialised by the caller (the
// broker holds its write mutex around Stage -> DB::Write(sync) -> Commit).
#ifndef ACCORD_BROKER_AUDIT_AUDIT_LOG_H_
#define ACCORD_BROKER_AUDIT_AUDIT_LOG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "accord/v1/audit.pb.h"
#include "broker/audit/merkle_tree.h"
#include "broker/audit/tiles.h"
#include "crypto/signing.h"
#include "rocksdb/db.h"
#include "rocksdb/cache.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace accord::audit {

// Column families the log needs in the broker's database. The broker creates
// them (with its own) when opening the database; tools open them read-only.
struct AuditColumnFamilies {
  rocksdb::ColumnFamilyHandle* leaves = nullptr;  // be64(index) -> serialized AuditRecord
  rocksdb::ColumnFamilyHandle* tiles = nullptr;   // u8(tile level) be64(tile index) -> <= 256 hashes (tiles.h)
  rocksdb::ColumnFamilyHandle* index = nullptr;   // secondary indexes -> empty
  rocksdb::ColumnFamilyHandle* heads = nullptr;   // be64(tree_size) -> serialized SignedTreeHead
  // The broker's own notes about the log (integrity_check.h); not part of the
  // tree. May be null where a tool opened a database from before it existed.
  rocksdb::ColumnFamilyHandle* meta = nullptr;
};
// "audit_leaves", "audit_tiles", "audit_index", "audit_heads", "audit_meta".
std::vector<std::string> AuditColumnFamilyNames();
inline constexpr char kAuditMetaFamily[] = "audit_meta";
// The options an audit column family is created with, on top of `base`:
// records in 64 KiB LZ4 blocks (a third of the space of the default 4 KiB
// Snappy blocks, and read at half the cost per record when verifying), tiles
// uncompressed (hashes do not compress).
// With `cache`, every family's blocks, index and filter blocks included, are
// charged to that one cache (the broker shares one across all its column
// families: RSS bounded by one capacity, not one 8 MB default per family).
rocksdb::ColumnFamilyOptions AuditColumnFamilyOptions(const std::string& name,
                                                      const rocksdb::ColumnFamilyOptions& base,
                                                      const std::shared_ptr<rocksdb::Cache>& cache = nullptr);
// Table options whose data, index and filter blocks all live in `cache` (L0's
// index and filter blocks pinned there); the default table options if null.
rocksdb::BlockBasedTableOptions SharedCacheTableOptions(const std::shared_ptr<rocksdb::Cache>& cache);
// FAILED_PRECONDITION naming the problem if a database with column families
// `names` holds an audit log in a layout this version cannot read (the
// per-node `audit_nodes` layout of before tiles).
absl::Status CheckAuditLayout(const std::vector<std::string>& names, const std::string& dir);

// The actions a WhoSawQuery with no `actions` means: ROUTED, DELIVERED,
// ACKNOWLEDGED, MEETING_PACK_PULLED and NOTIFIED.
std::vector<v1::AuditAction> DefaultWhoSawActions();

// The result of staging records: their leaf indices and the signed head of the
// tree that includes them (already written into the batch).
struct StagedAppend {
  uint64_t first_index = 0;
  uint64_t count = 0;
  v1::SignedTreeHead head;
};

class AuditLog {
 public:
  // `db` and the handles must outlive the log. `log_key` signs tree heads; a
  // log opened without a key (tools, verification) cannot Stage. Loads the
  // tree size, the right-edge subtree hashes and the rightmost tiles; does
  // not rescan the log.
  // DATA_LOSS if the latest head, the records and the stored hashes disagree
  // (run `accord audit verify`); FAILED_PRECONDITION if the heads are signed
  // by a different key than `log_key`. With kRefuseAppends, a log found so
  // damaged opens anyway, empty and refusing appends (AppendsRefused()), so
  // that the broker can come up, find the first bad record and say so.
  enum class OnDamage { kFail, kRefuseAppends };
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(
      rocksdb::DB* db, AuditColumnFamilies cfs,
      std::optional<crypto::SigningKey> log_key, OnDamage on_damage = OnDamage::kFail);

  // Assigns consecutive leaf indices to `records` (setting each record's
  // `sequence`, and `time` when unset), and adds to `batch` the leaves, the
  // tiles their subtree hashes extend, the index entries and a signed head for
  // the resulting tree. Nothing is visible until Commit(staged). Fails
  // (FAILED_PRECONDITION) if another staging is outstanding or the log has no
  // key, INVALID_ARGUMENT for no records or a record without an action; on
  // failure `batch` holds only what the caller had put in it.
  absl::StatusOr<StagedAppend> Stage(std::vector<v1::AuditRecord> records,
                                     rocksdb::WriteBatch* batch, absl::Time now);
  // Call after `batch` was written; advances the in-memory tree. Commit and
  // Abort ignore anything but the outstanding staging.
  void Commit(const StagedAppend& staged);
  // Call if the batch was not written; the next Stage reuses the indices.
  void Abort(const StagedAppend& staged);

  uint64_t size() const;
  // For 0 <= tree_size <= size(); the empty tree's root is SHA-256("").
  absl::StatusOr<std::string> RootHash(uint64_t tree_size) const;      // 32 bytes
  // The head of the committed tree (NOT_FOUND while the log is empty).
  absl::StatusOr<v1::SignedTreeHead> LatestSignedHead() const;
  // Heads exist for every size the log had after a Commit (NOT_FOUND otherwise).
  absl::StatusOr<v1::SignedTreeHead> SignedHeadAt(uint64_t tree_size) const;
  absl::StatusOr<std::string> LeafBytes(uint64_t index) const;         // serialized record
  // Leaves start, start+1, ... as stored: `count` of them, fewer at the end of
  // the log or once they pass `max_bytes` (always at least one). OUT_OF_RANGE
  // if start >= size(); DATA_LOSS if a record is missing.
  absl::StatusOr<std::vector<std::string>> LeafRange(uint64_t start, uint64_t count,
                                                     std::size_t max_bytes) const;
  // The sizes above `after` (up to size()) that have signed heads, ascending,
  // at most `max`, with the heads themselves if `with_heads`.
  struct HeadPage {
    std::vector<uint64_t> sizes;
    std::vector<v1::SignedTreeHead> heads;
    bool more = false;  // sizes beyond the last one returned exist
  };
  absl::StatusOr<HeadPage> HeadsAfter(uint64_t after, std::size_t max, bool with_heads) const;
  // RFC 6962 §2.1.1 audit path for index < tree_size <= size(), leaf to root.
  absl::StatusOr<v1::InclusionProof> ProveInclusion(uint64_t index, uint64_t tree_size) const;
  // RFC 6962 §2.1.2 proof for 0 <= first <= second <= size(); empty when
  // first is 0 or equals second.
  absl::StatusOr<v1::ConsistencyProof> ProveConsistency(uint64_t first, uint64_t second) const;

  // Who-saw and general queries through the indexes (no log scan). Fields left
  // empty in `query` are not constrained (no actions: DefaultWhoSawActions();
  // times are [from, to)); rows come in leaf order, at most `query.limit()`
  // (0: 1000), each with an inclusion proof for `tree_size` (0: current size).
  absl::StatusOr<std::vector<v1::WhoSawRow>> Query(const v1::WhoSawQuery& query,
                                                   uint64_t tree_size = 0) const;

  // Makes every later Stage fail with UNAVAILABLE naming `reason`: what the
  // broker does once the stored log no longer matches its signed heads, since
  // a new head would sign over the altered records. Const because it adds
  // nothing to the log: the integrity checker has read access only.
  void RefuseAppends(std::string reason) const;
  // OK, or UNAVAILABLE with the reason appends are refused.
  absl::Status AppendsRefused() const;

  // The database and column families the log reads, for readers that scan
  // the whole log (the integrity checker).
  rocksdb::DB* db() const { return db_; }
  const AuditColumnFamilies& column_families() const { return cfs_; }

 private:
  AuditLog(rocksdb::DB* db, AuditColumnFamilies cfs, std::optional<crypto::SigningKey> key);
  absl::Status Load();
  // Hash of the complete subtree of 2^level leaves starting at index << level,
  // from the stored tiles.
  absl::StatusOr<std::string> NodeAt(int level, uint64_t index) const;
  absl::StatusOr<std::string> TileAt(int tile_level, uint64_t tile_index) const;

  rocksdb::DB* db_;
  AuditColumnFamilies cfs_;
  std::optional<crypto::SigningKey> log_key_;
  mutable absl::Mutex mu_;
  uint64_t size_ ABSL_GUARDED_BY(mu_) = 0;
  bool staging_ ABSL_GUARDED_BY(mu_) = false;
  // The right edge of the committed tree, and of the staged one.
  CompactRange edge_ ABSL_GUARDED_BY(mu_);
  CompactRange staged_edge_ ABSL_GUARDED_BY(mu_);
  // The rightmost tiles of the committed tree, and of the staged one.
  TileWriter tiles_ ABSL_GUARDED_BY(mu_);
  TileWriter staged_tiles_ ABSL_GUARDED_BY(mu_);
  std::optional<v1::SignedTreeHead> head_ ABSL_GUARDED_BY(mu_);  // for size_ (none when empty)
  v1::SignedTreeHead staged_head_ ABSL_GUARDED_BY(mu_);
  absl::Time staged_head_time_ ABSL_GUARDED_BY(mu_);
  absl::Time head_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();  // heads never go back in time
  mutable std::optional<std::string> refused_ ABSL_GUARDED_BY(mu_);  // RefuseAppends
  // From this leaf on the index holds runs (storage_layout.h); nullopt until
  // the first append of a log whose audit_meta does not say yet, which then
  // stores it.
  std::optional<uint64_t> runs_from_ ABSL_GUARDED_BY(mu_);
  bool staged_runs_from_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace accord::audit

#endif  // ACCORD_BROKER_AUDIT_AUDIT_LOG_H_
