#include "broker/audit/audit_log.h"

#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "broker/audit/merkle.h"
#include "broker/audit/record_format.h"
#include "broker/audit/storage_layout.h"
#include "crypto/hash.h"
#include "rocksdb/table.h"

namespace accord::audit {
namespace {

absl::Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", s.ToString()));
}

}  // namespace

std::vector<std::string> AuditColumnFamilyNames() {
  return {"audit_leaves", "audit_tiles", "audit_index", "audit_heads", kAuditMetaFamily};
}

rocksdb::BlockBasedTableOptions SharedCacheTableOptions(const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::BlockBasedTableOptions table;
  if (cache == nullptr) return table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  return table;
}

rocksdb::ColumnFamilyOptions AuditColumnFamilyOptions(const std::string& name,
                                                      const rocksdb::ColumnFamilyOptions& base,
                                                      const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions options = base;
  rocksdb::BlockBasedTableOptions table = SharedCacheTableOptions(cache);
  if (name == "audit_leaves") {
    table.block_size = 64 << 10;
    options.compression = rocksdb::kLZ4Compression;
  } else if (name == "audit_tiles") {
    options.compression = rocksdb::kNoCompression;
  }
  if (cache != nullptr || name == "audit_leaves") {
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  }
  return options;
}

absl::Status CheckAuditLayout(const std::vector<std::string>& names, const std::string& dir) {
  if (std::find(names.begin(), names.end(), "audit_nodes") != names.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, " holds an audit log in the per-node layout (column family audit_nodes) that this version "
             "no longer reads; it stores subtree hashes in tiles (docs/audit.md §Storage). Verify it with "
             "the accord release that wrote it, then start a new data directory"));
  }
  return absl::OkStatus();
}

AuditLog::AuditLog(rocksdb::DB* db, AuditColumnFamilies cfs, std::optional<crypto::SigningKey> key)
    : db_(db), cfs_(cfs), log_key_(std::move(key)) {}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(rocksdb::DB* db, AuditColumnFamilies cfs,
                                                         std::optional<crypto::SigningKey> log_key,
                                                         OnDamage on_damage) {
  if (db == nullptr || cfs.leaves == nullptr || cfs.tiles == nullptr || cfs.index == nullptr ||
      cfs.heads == nullptr) {
    return absl::InvalidArgumentError("AuditLog::Open needs the database and all four column families");
  }
  auto log = std::unique_ptr<AuditLog>(new AuditLog(db, cfs, std::move(log_key)));
  if (absl::Status s = log->Load(); !s.ok()) {
    if (on_damage == OnDamage::kFail || !absl::IsDataLoss(s)) return s;
    log = std::unique_ptr<AuditLog>(new AuditLog(db, cfs, std::move(log->log_key_)));  // nothing half-loaded
    log->RefuseAppends(absl::StrCat("the broker refuses to extend its audit log: it is damaged: ", s.message()));
  }
  return log;
}

absl::Status AuditLog::Load() {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<rocksdb::Iterator> heads(db_->NewIterator(rocksdb::ReadOptions(), cfs_.heads));
  heads->SeekToLast();
  if (!heads->status().ok()) return FromRocks(heads->status(), "cannot read audit_heads");
  std::unique_ptr<rocksdb::Iterator> leaves(db_->NewIterator(rocksdb::ReadOptions(), cfs_.leaves));
  leaves->SeekToLast();
  if (!leaves->status().ok()) return FromRocks(leaves->status(), "cannot read audit_leaves");

  if (cfs_.meta != nullptr) {
    std::string from;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cfs_.meta, kIndexRunsFromKey, &from);
    if (s.ok()) {
      runs_from_ = ReadBe64(from);
      if (!runs_from_) return absl::DataLossError("audit_meta holds a malformed index_runs_from; run `accord audit verify`");
    } else if (!s.IsNotFound()) {
      return FromRocks(s, "cannot read audit_meta");
    }
  }
  uint64_t stored_leaves = 0;
  if (leaves->Valid()) {
    std::optional<uint64_t> last = ReadBe64(leaves->key().ToStringView());
    if (!last) return absl::DataLossError("audit_leaves holds a malformed key; run `accord audit verify`");
    stored_leaves = *last + 1;
  }
  if (!heads->Valid()) {
    if (stored_leaves != 0) {
      return absl::DataLossError(absl::StrCat("audit log holds ", stored_leaves,
                                              " records but no signed tree head; run `accord audit verify`"));
    }
    return absl::OkStatus();
  }
  v1::SignedTreeHead sth;
  v1::TreeHead th;
  if (!sth.ParseFromArray(heads->value().data(), static_cast<int>(heads->value().size())) ||
      !th.ParseFromString(sth.tree_head())) {
    return absl::DataLossError("the latest signed tree head in audit_heads does not parse");
  }
  if (th.tree_size() != stored_leaves || ReadBe64(heads->key().ToStringView()) != th.tree_size()) {
    return absl::DataLossError(absl::StrCat("the latest signed tree head is for ", th.tree_size(),
                                            " records but audit_leaves holds ", stored_leaves,
                                            "; run `accord audit verify`"));
  }
  if (log_key_ && th.log_key_id() != log_key_->key_id()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the log's heads are signed by key ", th.log_key_id(), " but the broker's log key is ",
                     log_key_->key_id(), "; log key rotation is not supported"));
  }
  absl::StatusOr<CompactRange> edge =
      CompactRange::Load([this](int level, uint64_t index) { return NodeAt(level, index); }, th.tree_size());
  if (!edge.ok()) return edge.status();
  absl::StatusOr<TileWriter> tiles =
      TileWriter::Load([this](int t, uint64_t i) { return TileAt(t, i); }, th.tree_size());
  if (!tiles.ok()) return tiles.status();
  if (edge->Root() != th.root_hash()) {
    return absl::DataLossError(absl::StrCat("the stored subtree hashes do not match the latest signed head (size ",
                                            th.tree_size(), "); run `accord audit verify`"));
  }
  size_ = th.tree_size();
  edge_ = *std::move(edge);
  tiles_ = *std::move(tiles);
  head_ = std::move(sth);
  head_time_ = FromTimestamp(th.timestamp());
  return absl::OkStatus();
}

absl::StatusOr<StagedAppend> AuditLog::Stage(std::vector<v1::AuditRecord> records,
                                             rocksdb::WriteBatch* batch, absl::Time now) {
  if (!log_key_) return absl::FailedPreconditionError("audit log opened without a log key cannot append");
  if (records.empty()) return absl::InvalidArgumentError("no audit records to append");
  if (batch == nullptr) return absl::InvalidArgumentError("no write batch");
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (records[i].action() == v1::AUDIT_ACTION_UNSPECIFIED || !v1::AuditAction_IsValid(records[i].action())) {
      return absl::InvalidArgumentError(absl::StrCat("audit record ", i, " has no valid action"));
    }
  }
  absl::MutexLock lock(&mu_);
  if (refused_) return absl::UnavailableError(*refused_);
  if (staging_) return absl::FailedPreconditionError("another audit append is staged but not committed");

  CompactRange edge = edge_;
  TileWriter tiles = tiles_;
  // A failure part-way rolls `batch` back to what the caller had put in it.
  batch->SetSavePoint();
  bool staged_ok = false;
  auto rollback = absl::MakeCleanup([&] {
    if (!staged_ok) batch->RollbackToSavePoint().PermitUncheckedError();
  });
  rocksdb::Status s;
  auto put = [&](rocksdb::ColumnFamilyHandle* cf, const std::string& k, const std::string& v) {
    if (s.ok()) s = batch->Put(cf, k, v);
  };
  auto put_tile = [&](const std::string& k, const std::string& v) { put(cfs_.tiles, k, v); };
  absl::Status tiled;
  if (cfs_.meta == nullptr) return absl::FailedPreconditionError("audit log opened without audit_meta cannot append");
  // The first append of a log that predates index runs marks where they start.
  const bool store_runs_from = !runs_from_.has_value();
  if (store_runs_from) put(cfs_.meta, kIndexRunsFromKey, Be64(size_));
  IndexRuns runs;
  auto put_run = [&](const std::string& k, const std::string& v) { put(cfs_.index, k, v); };
  for (std::size_t i = 0; i < records.size(); ++i) {
    const uint64_t index = size_ + i;
    v1::AuditRecord& record = records[i];
    record.set_sequence(index);
    if (!record.has_time()) *record.mutable_time() = ToTimestamp(now);
    std::string leaf;
    if (!record.SerializeToString(&leaf)) return absl::InternalError("cannot serialize audit record");
    absl::StatusOr<RecordFields> fields = ReadRecordFields(leaf);
    if (!fields.ok()) return fields.status();
    runs.Add(index, *fields, put_run);
    edge.Append(LeafHash(leaf), [&](int level, uint64_t at, const std::string& hash) {
      if (tiled.ok()) tiled = tiles.Add(level, at, hash, put_tile);
    });
    put(cfs_.leaves, LeafKey(index), leaf);
  }
  if (!tiled.ok()) return tiled;
  runs.End(size_ + records.size(), put_run);
  tiles.Flush(put_tile);
  if (!s.ok()) return FromRocks(s, "cannot stage audit records");
  const uint64_t new_size = size_ + records.size();
  const absl::Time head_time = std::max(now, head_time_);
  v1::TreeHead th;
  th.set_tree_size(new_size);
  th.set_root_hash(edge.Root());
  *th.mutable_timestamp() = ToTimestamp(head_time);
  th.set_log_key_id(log_key_->key_id());
  StagedAppend staged;
  staged.first_index = size_;
  staged.count = records.size();
  staged.head.set_tree_head(th.SerializeAsString());
  staged.head.set_signature(log_key_->Sign(crypto::kTreeHeadType, staged.head.tree_head()));
  put(cfs_.heads, HeadKey(new_size), staged.head.SerializeAsString());
  if (!s.ok()) return FromRocks(s, "cannot stage signed tree head");
  if (s = batch->PopSavePoint(); !s.ok()) return FromRocks(s, "cannot stage audit batch");
  staged_ok = true;
  staging_ = true;
  staged_edge_ = std::move(edge);
  staged_tiles_ = std::move(tiles);
  staged_head_ = staged.head;
  staged_head_time_ = head_time;
  staged_runs_from_ = store_runs_from;
  return staged;
}

void AuditLog::Commit(const StagedAppend& staged) {
  absl::MutexLock lock(&mu_);
  if (!staging_ || staged.first_index != size_) return;  // not the outstanding staging
  size_ += staged.count;
  edge_ = std::move(staged_edge_);
  tiles_ = std::move(staged_tiles_);
  head_ = staged_head_;
  head_time_ = staged_head_time_;
  if (staged_runs_from_) runs_from_ = staged.first_index;
  staging_ = false;
}

void AuditLog::Abort(const StagedAppend& staged) {
  absl::MutexLock lock(&mu_);
  if (!staging_ || staged.first_index != size_) return;
  staged_edge_ = CompactRange();
  staged_tiles_ = TileWriter();
  staging_ = false;
}

uint64_t AuditLog::size() const {
  absl::MutexLock lock(&mu_);
  return size_;
}

absl::StatusOr<std::string> AuditLog::TileAt(int tile_level, uint64_t tile_index) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cfs_.tiles, TileKey(tile_level, tile_index), &value);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("no tile ", tile_level, "/", tile_index));
  if (!s.ok()) return FromRocks(s, "cannot read audit_tiles");
  return value;
}

absl::StatusOr<std::string> AuditLog::NodeAt(int level, uint64_t index) const {
  return SubtreeHashFromTiles([this](int t, uint64_t i) { return TileAt(t, i); }, level, index);
}

absl::StatusOr<std::string> AuditLog::RootHash(uint64_t tree_size) const {
  {
    absl::MutexLock lock(&mu_);
    if (tree_size > size_) {
      return absl::OutOfRangeError(absl::StrCat("tree size ", tree_size, " is beyond the log's size ", size_));
    }
    if (tree_size == size_) return edge_.Root();
  }
  return TreeRoot([this](int level, uint64_t index) { return NodeAt(level, index); }, tree_size);
}

absl::StatusOr<v1::SignedTreeHead> AuditLog::LatestSignedHead() const {
  absl::MutexLock lock(&mu_);
  if (!head_) return absl::NotFoundError("the audit log is empty: no signed tree head yet");
  return *head_;
}

absl::StatusOr<v1::SignedTreeHead> AuditLog::SignedHeadAt(uint64_t tree_size) const {
  if (tree_size > size()) {
    return absl::OutOfRangeError(absl::StrCat("tree size ", tree_size, " is beyond the log's size ", size()));
  }
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cfs_.heads, HeadKey(tree_size), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("no signed tree head for size ", tree_size,
                                            " (heads exist only for sizes the log had after an append)"));
  }
  if (!s.ok()) return FromRocks(s, "cannot read audit_heads");
  v1::SignedTreeHead sth;
  if (!sth.ParseFromString(value)) {
    return absl::DataLossError(absl::StrCat("signed tree head for size ", tree_size, " does not parse"));
  }
  return sth;
}

absl::StatusOr<std::string> AuditLog::LeafBytes(uint64_t index) const {
  if (index >= size()) {
    return absl::OutOfRangeError(absl::StrCat("leaf ", index, " is beyond the log's size ", size()));
  }
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cfs_.leaves, LeafKey(index), &value);
  if (s.IsNotFound()) return absl::DataLossError(absl::StrCat("audit record ", index, " is missing"));
  if (!s.ok()) return FromRocks(s, "cannot read audit_leaves");
  return value;
}

absl::StatusOr<std::vector<std::string>> AuditLog::LeafRange(uint64_t start, uint64_t count,
                                                             std::size_t max_bytes) const {
  const uint64_t n = size();
  if (start >= n) {
    return absl::OutOfRangeError(
        absl::StrCat("leaf ", start, " is beyond the log: it holds ", n, " records (leaves 0..",
                     n == 0 ? std::string("none") : absl::StrCat(n - 1), ")"));
  }
  const uint64_t end = start + std::min(count, n - start);
  std::vector<std::string> out;
  std::size_t bytes = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cfs_.leaves));
  it->Seek(LeafKey(start));
  for (uint64_t i = start; i < end && (out.empty() || bytes < max_bytes); ++i, it->Next()) {
    if (!it->Valid() || ReadBe64(it->key().ToStringView()) != i) {
      if (!it->status().ok()) return FromRocks(it->status(), "cannot read audit_leaves");
      return absl::DataLossError(absl::StrCat("audit record ", i, " is missing"));
    }
    if (!out.empty() && bytes + it->value().size() > max_bytes) break;
    bytes += it->value().size();
    out.push_back(it->value().ToString());
  }
  return out;
}

absl::StatusOr<AuditLog::HeadPage> AuditLog::HeadsAfter(uint64_t after, std::size_t max, bool with_heads) const {
  const uint64_t n = size();
  HeadPage page;
  if (after >= n || max == 0) return page;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cfs_.heads));
  for (it->Seek(HeadKey(after + 1)); it->Valid(); it->Next()) {
    const std::optional<uint64_t> size = ReadBe64(it->key().ToStringView());
    if (!size) return absl::DataLossError("audit_heads holds a malformed key; run `accord audit verify`");
    if (*size > n) break;  // written but not yet committed
    if (page.sizes.size() == max) {
      page.more = true;
      break;
    }
    page.sizes.push_back(*size);
    if (with_heads) {
      v1::SignedTreeHead& sth = page.heads.emplace_back();
      if (!sth.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError(absl::StrCat("signed tree head for size ", *size, " does not parse"));
      }
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "cannot read audit_heads");
  return page;
}

void AuditLog::RefuseAppends(std::string reason) const {
  absl::MutexLock lock(&mu_);
  if (!refused_) refused_ = std::move(reason);
}

absl::Status AuditLog::AppendsRefused() const {
  absl::MutexLock lock(&mu_);
  return refused_ ? absl::UnavailableError(*refused_) : absl::OkStatus();
}

absl::StatusOr<v1::InclusionProof> AuditLog::ProveInclusion(uint64_t index, uint64_t tree_size) const {
  if (tree_size > size()) {
    return absl::OutOfRangeError(absl::StrCat("tree size ", tree_size, " is beyond the log's size ", size()));
  }
  if (index >= tree_size) {
    return absl::InvalidArgumentError(absl::StrCat("leaf ", index, " is not in a tree of size ", tree_size));
  }
  absl::StatusOr<std::vector<std::string>> path =
      InclusionPath([this](int level, uint64_t at) { return NodeAt(level, at); }, index, tree_size);
  if (!path.ok()) return path.status();
  v1::InclusionProof proof;
  proof.set_leaf_index(index);
  proof.set_tree_size(tree_size);
  for (std::string& h : *path) proof.add_hashes(std::move(h));
  return proof;
}

absl::StatusOr<v1::ConsistencyProof> AuditLog::ProveConsistency(uint64_t first, uint64_t second) const {
  if (second > size()) {
    return absl::OutOfRangeError(absl::StrCat("tree size ", second, " is beyond the log's size ", size()));
  }
  if (first > second) {
    return absl::InvalidArgumentError(
        absl::StrCat("consistency from size ", first, " to the smaller size ", second));
  }
  absl::StatusOr<std::vector<std::string>> path =
      ConsistencyPath([this](int level, uint64_t at) { return NodeAt(level, at); }, first, second);
  if (!path.ok()) return path.status();
  v1::ConsistencyProof proof;
  proof.set_first_size(first);
  proof.set_second_size(second);
  for (std::string& h : *path) proof.add_hashes(std::move(h));
  return proof;
}

}  // namespace accord::audit
