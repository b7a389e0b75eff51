#include "broker/audit/offline_verify.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "broker/audit/audit_db.h"
#include "broker/audit/merkle.h"
#include "broker/audit/record_format.h"
#include "broker/audit/storage_layout.h"
#include "broker/audit/tiles.h"
#include "broker/audit/verifier.h"
#include "crypto/hash.h"
#include "crypto/signing.h"

namespace accord::audit {
namespace {

constexpr int kMaxLevels = 64;

std::string Short(std::string_view hash) { return crypto::Hex(hash.substr(0, 8)); }

// An order-independent digest of a set of keys: XOR of a keyed SipHash of
// each. The key is drawn afresh for every run, so whoever edited the index
// beforehand cannot make a different set collide.
class SetDigest {
 public:
  explicit SetDigest(const std::array<uint8_t, crypto_shorthash_siphashx24_KEYBYTES>& key) : key_(key) {}
  void Add(std::string_view item) {
    std::array<uint8_t, crypto_shorthash_siphashx24_BYTES> h;
    crypto_shorthash_siphashx24(h.data(), reinterpret_cast<const uint8_t*>(item.data()), item.size(),
                                key_.data());
    for (std::size_t i = 0; i < h.size(); ++i) acc_[i] ^= h[i];
    ++count_;
  }
  bool operator==(const SetDigest& o) const { return acc_ == o.acc_ && count_ == o.count_; }
  uint64_t count() const { return count_; }

 private:
  std::array<uint8_t, crypto_shorthash_siphashx24_KEYBYTES> key_;
  std::array<uint8_t, crypto_shorthash_siphashx24_BYTES> acc_{};
  uint64_t count_ = 0;
};

// One audit_index entry as a digest item: key and value, unambiguously.
std::string IndexItem(std::string_view key, std::string_view value) {
  std::string item = Be64(key.size());
  item.append(key);
  item.append(value);
  return item;
}

// "'c|case-1|'" for messages: an entry's prefix, without its leaf.
std::string EntryName(std::string_view key) {
  return std::string(key.substr(0, key.size() >= 8 ? key.size() - 8 : 0));
}

class LogChecker {
 public:
  LogChecker(rocksdb::DB* db, const AuditColumnFamilies& cfs, const VerifyOptions& options,
             std::map<uint64_t, v1::TreeHead> kept)
      : db_(db), cfs_(cfs), options_(options), kept_(std::move(kept)), key_id_(crypto::KeyIdOf(options.log_public_key)),
        snapshot_(db->GetSnapshot()) {
    read_.fill_cache = false;  // a whole-log scan must not evict what a live broker serves from
    read_.readahead_size = 4 << 20;
    read_.snapshot = snapshot_;
    randombytes_buf(digest_key_.data(), digest_key_.size());
  }
  ~LogChecker() {
    // Iterators pin the snapshot's data: release them first.
    heads_.reset();
    for (TileCursor& t : tiles_) t.it.reset();
    if (snapshot_ != nullptr) db_->ReleaseSnapshot(snapshot_);
  }
  LogChecker(const LogChecker&) = delete;
  LogChecker& operator=(const LogChecker&) = delete;

  absl::StatusOr<VerifyReport> Run();

 private:
  bool Fail(uint64_t index, std::string problem) {
    report_.finding = VerifyFinding{index, std::move(problem)};
    return false;
  }
  absl::Status FindLatestHead();
  // Positions the check at the signed head of size `from`: the right edge
  // from the tiles, checked against that head.
  bool StartAt(uint64_t from);
  // A read that failed: corruption is a finding about the stored log; any
  // other error means the check could not run (read_error_).
  bool FailRead(uint64_t index, const std::string& what, const rocksdb::Status& s);
  bool CheckLeaf(uint64_t i, rocksdb::Slice key, rocksdb::Slice value);
  // Compares a recomputed subtree hash of a stored level (0, 8, 16, ...)
  // with its tile; hashes of one level must come in index order.
  bool CheckStored(int level, uint64_t index, const Hash& h);
  Hash RootHash() const;
  bool CheckHeadsAt(uint64_t size);
  bool CheckHead(uint64_t size, rocksdb::Slice value, const Hash& root);
  bool CheckEnd(uint64_t n);
  absl::Status CheckIndex(uint64_t n);
  absl::Status LocateIndexDifference(uint64_t n);
  // The index entries record `i` implies (legacy per-leaf keys before
  // runs_from_, else the runs it ends), to `emit(key, value)`; End ends the
  // runs at an append boundary.
  template <typename Emit>
  void ExpectIndex(IndexRuns& runs, uint64_t i, const RecordFields& fields, Emit emit) {
    if (i < runs_from_) {
      for (const std::string& k : IndexKeys(fields, i)) emit(k, std::string());
    } else {
      runs.Add(i, fields, emit);
    }
  }
  absl::Status ReadRunsFrom();

  rocksdb::DB* db_;
  AuditColumnFamilies cfs_;
  const VerifyOptions& options_;
  std::map<uint64_t, v1::TreeHead> kept_;
  const std::string key_id_;
  const rocksdb::Snapshot* snapshot_;  // every read sees this one state
  rocksdb::ReadOptions read_;
  VerifyReport report_;
  absl::Status read_error_;

  uint64_t latest_size_ = 0;  // size of the last stored head (0: none)
  std::vector<Hash> stack_;   // right-edge complete subtrees, largest first
  struct TileCursor {
    std::unique_ptr<rocksdb::Iterator> it;  // at the tile being checked
    rocksdb::Slice hashes;                  // its value, valid until it moves
  };
  std::array<TileCursor, kMaxTileLevels> tiles_;
  std::unique_ptr<rocksdb::Iterator> heads_;
  uint64_t next_check_ = 0;            // the next size with a stored or kept head
  uint64_t last_head_size_ = 0;        // last stored head that matched
  uint64_t last_kept_size_ = 0;        // last kept head that matched
  absl::Time last_head_time_ = absl::InfinitePast();
  std::array<uint8_t, crypto_shorthash_siphashx24_KEYBYTES> digest_key_;
  std::unique_ptr<SetDigest> expected_index_;
  IndexRuns expected_runs_;
  uint64_t runs_from_ = UINT64_MAX;  // audit_meta's index_runs_from; absent: no runs
  absl::Time start_;
};

absl::Status LogChecker::ReadRunsFrom() {
  if (cfs_.meta == nullptr) return absl::OkStatus();  // a database from before audit_meta
  std::string value;
  rocksdb::Status s = db_->Get(read_, cfs_.meta, kIndexRunsFromKey, &value);
  if (s.IsNotFound()) return absl::OkStatus();
  if (!s.ok()) return absl::UnavailableError(absl::StrCat("cannot read audit_meta: ", s.ToString()));
  std::optional<uint64_t> from = ReadBe64(value);
  if (!from) {
    report_.finding = VerifyFinding{0, "audit_meta's index_runs_from is malformed: the who-saw index cannot be checked"};
    return absl::OkStatus();
  }
  runs_from_ = *from;
  return absl::OkStatus();
}

absl::Status LogChecker::FindLatestHead() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_, cfs_.heads));
  it->SeekToLast();
  if (!it->status().ok()) return absl::UnavailableError(absl::StrCat("cannot read audit_heads: ", it->status().ToString()));
  if (!it->Valid()) return absl::OkStatus();
  v1::SignedTreeHead sth;
  v1::TreeHead th;
  if (sth.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())) &&
      th.ParseFromString(sth.tree_head())) {
    report_.latest_head = th;
  }
  latest_size_ = ReadBe64(it->key().ToStringView()).value_or(0);
  return absl::OkStatus();
}

Hash LogChecker::RootHash() const {
  if (stack_.empty()) {
    Hash empty;
    const std::string h = EmptyTreeHash();
    std::copy(h.begin(), h.end(), empty.begin());
    return empty;
  }
  Hash root = stack_.back();
  for (std::size_t i = stack_.size() - 1; i-- > 0;) root = NodeHashOf(stack_[i], root);
  return root;
}

bool LogChecker::FailRead(uint64_t index, const std::string& what, const rocksdb::Status& s) {
  if (s.IsCorruption()) {
    return Fail(index, absl::StrCat(what, " cannot be read: RocksDB finds its stored block corrupt (", s.ToString(),
                                    "); the database files were altered or damaged"));
  }
  read_error_ = absl::UnavailableError(absl::StrCat("cannot read ", what, ": ", s.ToString()));
  return false;
}

bool LogChecker::StartAt(uint64_t from) {
  if (latest_size_ < from) {
    return Fail(latest_size_, absl::StrCat("the log's latest signed head is for size ", latest_size_,
                                           " but size ", from, " was verified earlier: records ", latest_size_,
                                           "..", from - 1, " were removed together with their heads"));
  }
  auto fetch = [this](int t, uint64_t i) -> absl::StatusOr<std::string> {
    std::string value;
    rocksdb::Status s = db_->Get(read_, cfs_.tiles, TileKey(t, i), &value);
    if (s.IsNotFound()) return absl::NotFoundError("no tile");
    if (!s.ok()) return absl::DataLossError(s.ToString());
    return value;
  };
  uint64_t offset = 0;
  for (int level = kMaxLevels - 1; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((from & width) == 0) continue;
    absl::StatusOr<std::string> h = SubtreeHashFromTiles(fetch, level, offset >> level);
    if (!h.ok() || h->size() != kHashSize) {
      return Fail(offset, absl::StrCat("the stored hash of records ", offset, "..", offset + width - 1,
                                       ", verified earlier, cannot be read: ", h.status().message()));
    }
    Hash& top = stack_.emplace_back();
    std::copy(h->begin(), h->end(), top.begin());
    offset += width;
  }
  heads_->Seek(HeadKey(from));
  if (!heads_->Valid() || heads_->key() != rocksdb::Slice(HeadKey(from))) {
    if (!heads_->status().ok()) return FailRead(from, absl::StrCat("the head for size ", from), heads_->status());
    return Fail(from, absl::StrCat("the signed head for size ", from, ", verified earlier, is missing"));
  }
  absl::StatusOr<HeadFields> head = ReadHeadFields(heads_->value().ToStringView());
  if (!head.ok()) return Fail(from, absl::StrCat("the signed head stored for size ", from, " does not parse"));
  if (!options_.from_root.empty() && head->root_hash != options_.from_root) {
    return Fail(from, absl::StrCat("the head for size ", from, " says root ", Short(head->root_hash),
                                   "... but the head verified earlier for that size said ",
                                   Short(options_.from_root), "...: the log's heads were replaced"));
  }
  if (head->root_hash != AsView(RootHash())) {
    return Fail(from, absl::StrCat("the stored hashes of the first ", from, " records (verified earlier) hash to ",
                                   Short(AsView(RootHash())), "... but the head signed for size ", from, " says ",
                                   Short(head->root_hash), "...: records or hashes before ", from,
                                   " were changed since"));
  }
  return CheckHeadsAt(from);  // key id, time and signature of that head
}

bool LogChecker::CheckStored(int level, uint64_t index, const Hash& h) {
  const int t = level / kTileHeight;
  TileCursor& tile = tiles_[static_cast<std::size_t>(t)];
  const uint64_t tile_index = index / kTileWidth;
  const std::size_t pos = static_cast<std::size_t>(index % kTileWidth);
  const uint64_t first = index << level;
  auto what = [&] {
    return level == 0 ? absl::StrCat("record ", index)
                      : absl::StrCat("records ", first, "..", first + (uint64_t{1} << level) - 1);
  };
  if (pos == 0 || tile.it == nullptr) {  // the first hash of the next tile of this level, or of the check
    const std::string key = TileKey(t, tile_index);
    if (tile.it == nullptr) {
      tile.it.reset(db_->NewIterator(read_, cfs_.tiles));
      tile.it->Seek(key);
    } else {
      tile.it->Next();
    }
    if (!tile.it->Valid() && !tile.it->status().ok()) {
      return FailRead(first, absl::StrCat("the stored hash of ", what(), " (tile ", t, "/", tile_index, ")"),
                      tile.it->status());
    }
    if (!tile.it->Valid() || tile.it->key() != rocksdb::Slice(key)) {
      return Fail(first, absl::StrCat("the stored hash of ", what(), " (level ", level, ", index ", index,
                                      ") is missing: its tile ", t, "/", tile_index,
                                      " is not stored; the log's hashes were removed or rewritten"));
    }
    tile.hashes = tile.it->value();
    if (tile.hashes.size() % kHashSize != 0 || tile.hashes.size() > kFullTileBytes) {
      return Fail(first, absl::StrCat("tile ", t, "/", tile_index, ", which stores the hash of ", what(), ", has ",
                                      tile.hashes.size(), " bytes: not up to ", kTileWidth, " whole hashes"));
    }
  }
  if (tile.hashes.size() < (pos + 1) * kHashSize) {
    return Fail(first, absl::StrCat("the stored hash of ", what(), " (level ", level, ", index ", index,
                                    ") is missing: tile ", t, "/", tile_index, " ends before it"));
  }
  const std::string_view stored = tile.hashes.ToStringView().substr(pos * kHashSize, kHashSize);
  if (std::memcmp(stored.data(), h.data(), kHashSize) != 0) {
    return Fail(first, level == 0 ? absl::StrCat("record ", index, " was changed: its hash is ", Short(AsView(h)),
                                                 "... but the hash stored when it was appended is ",
                                                 Short(stored), "...")
                                  : absl::StrCat("the stored hash of ", what(), " (level ", level,
                                                 ") does not match the records"));
  }
  return true;
}

bool LogChecker::CheckLeaf(uint64_t i, rocksdb::Slice key, rocksdb::Slice value) {
  if (i >= latest_size_) {
    return Fail(i, latest_size_ == 0
                       ? std::string("the log holds records but no signed tree head")
                       : absl::StrCat("record ", i, " and any after it are not covered by a signed head (the "
                                      "latest is for size ", latest_size_, "): appended without the log key"));
  }
  const std::optional<uint64_t> k = ReadBe64(key.ToStringView());
  if (!k) {
    return Fail(i, absl::StrCat("audit_leaves holds a malformed key ", crypto::Hex(key.ToStringView()),
                                " where record ", i, " should be"));
  }
  if (*k != i) {
    return Fail(i, absl::StrCat("record ", i, " is missing: the stored records jump from ",
                                i == 0 ? std::string("the start") : absl::StrCat(i - 1), " to ", *k));
  }
  const std::string_view leaf = value.ToStringView();
  // The index check needs every indexed field; otherwise the sequence will do.
  std::optional<RecordFields> fields;
  uint64_t sequence = 0;
  if (expected_index_) {
    absl::StatusOr<RecordFields> all = ReadRecordFields(leaf);
    if (all.ok()) {
      sequence = all->sequence;
      fields = *std::move(all);
    }
  } else if (absl::StatusOr<uint64_t> only = ReadRecordSequence(leaf); only.ok()) {
    sequence = *only;
    fields.emplace();
  }
  if (!fields) return Fail(i, absl::StrCat("record ", i, " is not a valid AuditRecord encoding"));
  if (sequence != i) {
    return Fail(i, absl::StrCat("record ", i, " carries sequence number ", sequence,
                                ": records were reordered, renumbered or replaced"));
  }
  Hash h = LeafHashOf(leaf);
  if (!CheckStored(0, i, h)) return false;
  int level = 0;
  for (uint64_t at = i; (at & 1) == 1; at >>= 1) {
    h = NodeHashOf(stack_.back(), h);
    stack_.pop_back();
    if (++level % kTileHeight == 0 && !CheckStored(level, at >> 1, h)) return false;
  }
  stack_.push_back(h);
  if (expected_index_) {
    ExpectIndex(expected_runs_, i, *fields,
                [this](const std::string& entry, const std::string& v) { expected_index_->Add(IndexItem(entry, v)); });
  }
  return CheckHeadsAt(i + 1);
}

bool LogChecker::CheckHead(uint64_t size, rocksdb::Slice value, const Hash& root) {
  absl::StatusOr<HeadFields> head = ReadHeadFields(value.ToStringView());
  if (!head.ok()) {
    return Fail(last_head_size_, absl::StrCat("the signed head stored for size ", size, " does not parse"));
  }
  ++report_.heads;
  if (head->tree_size != size) {
    return Fail(last_head_size_, absl::StrCat("the signed head stored for size ", size, " is for size ",
                                              head->tree_size));
  }
  if (head->log_key_id != key_id_) {
    return Fail(last_head_size_, absl::StrCat("the head for size ", size, " names log key ",
                                              std::string(head->log_key_id), ", not the partnership's log key ",
                                              key_id_));
  }
  if (head->root_hash != AsView(root)) {
    return Fail(last_head_size_,
                absl::StrCat("records ", last_head_size_, "..", size - 1,
                             " are not the records that were signed: the root of the first ", size,
                             " records is ", Short(AsView(root)), "... but the head signed for size ", size,
                             " says ", Short(head->root_hash), "... (all earlier heads match)"));
  }
  const absl::Time t = absl::FromUnixSeconds(head->seconds) + absl::Nanoseconds(head->nanos);
  if (t < last_head_time_) {
    return Fail(last_head_size_, absl::StrCat("the head for size ", size, " is dated ", FormatRfc3339(t),
                                              ", before the previous head (", FormatRfc3339(last_head_time_), ")"));
  }
  if (options_.all_signatures || size == latest_size_ || size == options_.from_size) {
    ++report_.signatures;
    if (!crypto::VerifySignature(options_.log_public_key, crypto::kTreeHeadType, head->tree_head, head->signature)
             .ok()) {
      return Fail(last_head_size_, absl::StrCat("the head for size ", size,
                                                " is not signed by the log key: it was forged or altered"));
    }
  }
  last_head_time_ = t;
  last_head_size_ = size;
  return true;
}

bool LogChecker::CheckHeadsAt(uint64_t size) {
  if (size < next_check_) return true;  // no stored or kept head for this size
  std::optional<Hash> root;  // computed once, if a head needs it
  while (heads_->Valid()) {
    const std::optional<uint64_t> k = ReadBe64(heads_->key().ToStringView());
    if (!k) {
      return Fail(last_head_size_, absl::StrCat("audit_heads holds a malformed key ",
                                                crypto::Hex(heads_->key().ToStringView())));
    }
    if (*k > size) break;
    if (*k < size) {
      return Fail(*k, absl::StrCat("a signed head is stored for size ", *k, " out of order"));
    }
    if (!root) root = RootHash();
    if (!CheckHead(size, heads_->value(), *root)) return false;
    heads_->Next();
    // An append ends here: so do its index runs.
    if (expected_index_) {
      expected_runs_.End(size, [this](const std::string& key, const std::string& v) {
        expected_index_->Add(IndexItem(key, v));
      });
    }
  }
  if (auto kept = kept_.find(size); kept != kept_.end()) {
    if (!root) root = RootHash();
    if (kept->second.root_hash() != AsView(*root)) {
      return Fail(last_kept_size_,
                  absl::StrCat("the log's history differs from a head you kept: the first ", size,
                               " records hash to ", Short(AsView(*root)), "... but your head for size ", size,
                               " (signed ", FormatRfc3339(FromTimestamp(kept->second.timestamp())), ") says ",
                               Short(kept->second.root_hash()), "...; a record in ", last_kept_size_, "..",
                               size - 1, " was changed, removed or replaced after you kept it"));
    }
    last_kept_size_ = size;
  }
  const uint64_t next_stored =
      heads_->Valid() ? ReadBe64(heads_->key().ToStringView()).value_or(0) : UINT64_MAX;
  const auto next_kept = kept_.upper_bound(size);
  next_check_ = std::min(next_stored, next_kept == kept_.end() ? UINT64_MAX : next_kept->first);
  return true;
}

bool LogChecker::CheckEnd(uint64_t n) {
  if (heads_->Valid()) {
    const uint64_t size = ReadBe64(heads_->key().ToStringView()).value_or(0);
    return Fail(n, absl::StrCat("the log is truncated: it holds ", n, " records but a signed head covers ",
                                size, " (records ", n, "..", size - 1, " are missing)"));
  }
  if (!kept_.empty() && kept_.rbegin()->first > n) {
    return Fail(n, absl::StrCat("the log holds ", n, " records but you kept a head for size ",
                                kept_.rbegin()->first, ": records ", n, "..", kept_.rbegin()->first - 1,
                                " were removed (truncated or rolled back)"));
  }
  if (n < latest_size_) {
    return Fail(n, absl::StrCat("the log is truncated: it holds ", n, " records but the latest signed head covers ",
                                latest_size_));
  }
  // Subtree hashes past the end betray records cut off together with their heads.
  for (int t = 0; t < kMaxTileLevels; ++t) {
    const uint64_t hashes = n >> (kTileHeight * t);  // complete subtrees at level 8t
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_, cfs_.tiles));
    it->Seek(TileKey(t, hashes / kTileWidth));
    if (!it->Valid() || it->key().size() != kTileKeySize || static_cast<uint8_t>(it->key()[0]) != t) continue;
    const uint64_t tile_index = ReadBe64(it->key().ToStringView().substr(1)).value_or(0);
    uint64_t extra = tile_index * kTileWidth;  // the first stored hash beyond the records
    if (tile_index == hashes / kTileWidth) {
      extra = hashes;
      if (it->value().size() <= (hashes % kTileWidth) * kHashSize) {
        it->Next();
        if (!it->Valid() || it->key().size() != kTileKeySize || static_cast<uint8_t>(it->key()[0]) != t) continue;
        extra = ReadBe64(it->key().ToStringView().substr(1)).value_or(0) * kTileWidth;
      }
    }
    const uint64_t from = extra << (kTileHeight * t);
    return Fail(n, absl::StrCat("the log holds ", n, " records but a subtree hash for records ", from,
                                ".. is stored: records after ", n == 0 ? 0 : n - 1, " were removed"));
  }
  return true;
}

absl::Status LogChecker::CheckIndex(uint64_t n) {
  SetDigest found(digest_key_);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_, cfs_.index));
  expected_runs_.End(n, [this](const std::string& k, const std::string& v) { expected_index_->Add(IndexItem(k, v)); });
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    found.Add(IndexItem(it->key().ToStringView(), it->value().ToStringView()));
    if (options_.progress && found.count() % options_.progress_every == 0) {
      options_.progress({VerifyProgress::Phase::kIndex, found.count(), expected_index_->count(),
                         absl::Now() - start_});
    }
  }
  if (!it->status().ok()) return absl::UnavailableError(absl::StrCat("cannot read audit_index: ", it->status().ToString()));
  report_.index_entries = found.count();
  if (found == *expected_index_) return absl::OkStatus();
  return LocateIndexDifference(n);
}

// Only after the digests differ: first every entry the records imply, in
// leaf order, must be stored with its value (else the first record hidden is
// named); then every stored entry must be one of them (else the first entry
// no record implies is named).
absl::Status LogChecker::LocateIndexDifference(uint64_t n) {
  std::optional<VerifyFinding> first;
  auto note = [&](uint64_t at, std::string problem) {
    if (!first || at < first->index) first = VerifyFinding{at, std::move(problem)};
  };
  // Keyed 64-bit hashes of the expected run entries; legacy entries are
  // checked against their record instead.
  std::vector<uint64_t> expected_runs;
  auto short_hash = [this](const std::string& item) {
    uint64_t h = 0;
    crypto_shorthash(reinterpret_cast<uint8_t*>(&h), reinterpret_cast<const uint8_t*>(item.data()), item.size(),
                     digest_key_.data());
    return h;
  };
  absl::Status read_error;
  auto expect = [&](const std::string& key, const std::string& value) {
    const uint64_t from = LeafOfIndexKey(key).value_or(0);
    const uint64_t count = RunCount(value).value_or(1);
    if (!value.empty()) expected_runs.push_back(short_hash(IndexItem(key, value)));
    std::string stored;
    rocksdb::Status s = db_->Get(read_, cfs_.index, key, &stored);
    if (s.IsNotFound()) {
      note(from, absl::StrCat(count == 1 ? absl::StrCat("record ", from, " is")
                                         : absl::StrCat("records ", from, "..", from + count - 1, " are"),
                              " hidden from who-saw queries: ", count == 1 ? "its" : "their", " index entry '",
                              EntryName(key), "' is missing"));
      return;
    }
    if (!s.ok()) {
      if (read_error.ok()) read_error = absl::UnavailableError(absl::StrCat("cannot read audit_index: ", s.ToString()));
      return;
    }
    if (stored == value) return;
    const std::optional<uint64_t> says = RunCount(stored);
    if (stored.empty() != value.empty()) {
      note(from, absl::StrCat("the who-saw index entry '", EntryName(key), "' from record ", from,
                              " is not in the layout the log keeps for it (",
                              value.empty() ? "one entry per record" : "runs of records", ")"));
    } else if (says && *says < count) {
      note(from + *says, absl::StrCat("record ", from + *says, " is hidden from who-saw queries: the index entry '",
                                      EntryName(key), "' from record ", from, " covers ", *says, " records, not ",
                                      count));
    } else {
      note(from, absl::StrCat("the who-saw index entry '", EntryName(key), "' from record ", from, " claims ",
                              says ? absl::StrCat(*says) : std::string("a malformed number of"),
                              " records where the records imply ", count));
    }
  };
  {
    std::unique_ptr<rocksdb::Iterator> leaves(db_->NewIterator(read_, cfs_.leaves));
    std::unique_ptr<rocksdb::Iterator> heads(db_->NewIterator(read_, cfs_.heads));
    IndexRuns runs;
    uint64_t i = 0;
    heads->SeekToFirst();
    for (leaves->SeekToFirst(); leaves->Valid() && i < n; leaves->Next(), ++i) {
      absl::StatusOr<RecordFields> fields = ReadRecordFields(leaves->value().ToStringView());
      if (fields.ok()) ExpectIndex(runs, i, *fields, expect);
      while (heads->Valid() && ReadBe64(heads->key().ToStringView()).value_or(UINT64_MAX) <= i + 1) {
        if (ReadBe64(heads->key().ToStringView()) == i + 1) runs.End(i + 1, expect);
        heads->Next();
      }
    }
    runs.End(n, expect);
  }
  if (!read_error.ok()) return read_error;
  if (first) {
    report_.finding = *first;
    return absl::OkStatus();
  }
  std::sort(expected_runs.begin(), expected_runs.end());
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_, cfs_.index));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string key = it->key().ToString();
    const std::string value = it->value().ToString();
    const std::optional<uint64_t> leaf = LeafOfIndexKey(key);
    bool belongs = false;
    if (leaf && *leaf < n && value.empty() && *leaf < runs_from_) {
      std::string bytes;
      if (db_->Get(read_, cfs_.leaves, LeafKey(*leaf), &bytes).ok()) {
        absl::StatusOr<RecordFields> fields = ReadRecordFields(bytes);
        if (fields.ok()) {
          const std::vector<std::string> keys = IndexKeys(*fields, *leaf);
          belongs = std::find(keys.begin(), keys.end(), key) != keys.end();
        }
      }
    } else if (leaf && !value.empty()) {
      belongs = std::binary_search(expected_runs.begin(), expected_runs.end(), short_hash(IndexItem(key, value)));
    }
    if (!belongs) {
      const uint64_t at = leaf.value_or(n);
      note(at, absl::StrCat("the who-saw index holds an entry '", crypto::Hex(EntryName(key)), "' (hex) for record ",
                            at, " that the records do not imply"));
    }
  }
  report_.finding = first.value_or(VerifyFinding{0, "the who-saw index does not match the records"});
  return absl::OkStatus();
}

absl::StatusOr<VerifyReport> LogChecker::Run() {
  start_ = absl::Now();
  if (absl::Status s = FindLatestHead(); !s.ok()) return s;
  if (options_.check_index) {
    if (absl::Status s = ReadRunsFrom(); !s.ok()) return s;
    if (report_.finding) return std::move(report_);
    expected_index_ = std::make_unique<SetDigest>(digest_key_);
  }
  stack_.reserve(kMaxLevels);
  heads_.reset(db_->NewIterator(read_, cfs_.heads));
  std::unique_ptr<rocksdb::Iterator> leaves(db_->NewIterator(read_, cfs_.leaves));
  uint64_t n = options_.from_size;
  report_.first_record = n;
  bool ok = true;
  if (n == 0) {
    heads_->SeekToFirst();
    ok = CheckHeadsAt(0);
  } else {
    ok = StartAt(n);
  }
  if (!read_error_.ok()) return read_error_;
  uint64_t until_progress = options_.progress_every;  // a countdown: no division per record
  constexpr uint64_t kStopEvery = 4096;
  uint64_t until_stop_poll = kStopEvery;
  leaves->Seek(LeafKey(n));
  for (; ok && leaves->Valid(); leaves->Next()) {
    ok = CheckLeaf(n, leaves->key(), leaves->value());
    if (!ok) break;
    ++n;
    if (--until_progress == 0) {
      until_progress = options_.progress_every;
      if (options_.progress) {
        options_.progress({VerifyProgress::Phase::kRecords, n, latest_size_, absl::Now() - start_});
      }
    }
    if (--until_stop_poll == 0) {
      until_stop_poll = kStopEvery;
      if (options_.stop && options_.stop()) return absl::CancelledError(absl::StrCat("audit check stopped at record ", n));
    }
  }
  if (!read_error_.ok()) return read_error_;
  if (ok && !leaves->status().ok()) ok = FailRead(n, absl::StrCat("record ", n), leaves->status());
  if (ok && !heads_->status().ok()) ok = FailRead(n, "a signed head after record " + absl::StrCat(n), heads_->status());
  if (!read_error_.ok()) return read_error_;
  report_.records = n;
  report_.root = ToString(RootHash());
  if (ok) ok = CheckEnd(n);
  if (ok && options_.check_index) {
    if (absl::Status s = CheckIndex(n); !s.ok()) return s;
  }
  report_.elapsed = absl::Now() - start_;
  return std::move(report_);
}

}  // namespace

absl::StatusOr<VerifyReport> VerifyAuditLog(rocksdb::DB* db, const AuditColumnFamilies& cfs,
                                            const VerifyOptions& options) {
  if (absl::Status s = crypto::InitSodium(); !s.ok()) return s;
  if (options.log_public_key.size() != crypto_sign_PUBLICKEYBYTES) {
    return absl::InvalidArgumentError(absl::StrCat("log public key has ", options.log_public_key.size(),
                                                   " bytes, not ", crypto_sign_PUBLICKEYBYTES));
  }
  if (options.progress_every == 0) return absl::InvalidArgumentError("progress_every must be positive");
  if (options.from_size > 0 && (options.check_index || !options.kept_heads.empty())) {
    return absl::InvalidArgumentError("a check from a verified size covers neither the index nor kept heads");
  }
  std::map<uint64_t, v1::TreeHead> kept;
  for (std::size_t i = 0; i < options.kept_heads.size(); ++i) {
    absl::StatusOr<v1::TreeHead> head = VerifySignedTreeHead(options.kept_heads[i], options.log_public_key);
    if (!head.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("kept head ", i + 1, ": ", head.status().message()));
    }
    auto [it, inserted] = kept.emplace(head->tree_size(), *head);
    if (!inserted && it->second.root_hash() != head->root_hash()) {
      // Two validly signed heads for one size with different roots: the key
      // holder forked the log. No database can be consistent with both.
      VerifyReport forked;
      forked.finding = VerifyFinding{
          head->tree_size(), absl::StrCat("two heads you kept for size ", head->tree_size(),
                                          " have different roots, both signed by the log key: the log was forked")};
      return forked;
    }
  }
  LogChecker checker(db, cfs, options, std::move(kept));
  return checker.Run();
}

absl::StatusOr<VerifyReport> VerifyDataDirectory(const std::string& data_dir, const VerifyOptions& options) {
  absl::StatusOr<std::unique_ptr<AuditDatabase>> db = AuditDatabase::OpenReadOnly(data_dir);
  if (!db.ok()) return db.status();
  return VerifyAuditLog((*db)->db(), (*db)->cfs(), options);
}

}  // namespace accord::audit
