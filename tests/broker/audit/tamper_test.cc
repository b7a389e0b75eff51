// Tampering with a real audit log on disk: every edit, deletion, reordering,
// truncation and rewrite of history is detected by the offline verifier and
// by consistency checks against a head the auditor kept, naming where.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "broker/audit/audit_db.h"
#include "broker/audit/merkle.h"
#include "broker/audit/merkle_tree.h"
#include "broker/audit/offline_verify.h"
#include "broker/audit/storage_layout.h"
#include "broker/audit/tiles.h"
#include "broker/audit/verifier.h"
#include "crypto/hash.h"
#include "tests/broker/audit/disk_editor.h"
#include "tests/broker/audit/test_log.h"
#include "tests/testing/temp_dir.h"

namespace accord::audit {
namespace {

using ::testing::HasSubstr;
using testing::SampleRecord;
using testing::TestLog;

constexpr uint64_t kKeptSize = 600;  // the auditor kept the head for this size
constexpr uint64_t kSize = 1000;

using Disk = testing::DiskEditor;  // direct access, as someone with the disk would have

class TamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestLog log(dir_);
    log.Fill(kKeptSize, 9, 1);
    kept_ = *log.log().SignedHeadAt(kKeptSize);
    log.Fill(kSize, 9, 2);
    public_key_ = log.key().public_key();
    key_seed_ = std::string(log.key().Seed().view());
    ASSERT_TRUE(Verify().ok()) << Verify().finding->problem;
  }

  std::vector<uint64_t> HeadSizes() {
    auto db = AuditDatabase::OpenReadOnly(dir_);
    EXPECT_TRUE(db.ok());
    std::vector<uint64_t> sizes;
    std::unique_ptr<rocksdb::Iterator> it((*db)->db()->NewIterator(rocksdb::ReadOptions(), (*db)->cfs().heads));
    for (it->SeekToFirst(); it->Valid(); it->Next()) sizes.push_back(*ReadBe64(it->key().ToStringView()));
    return sizes;
  }

  VerifyReport Verify(bool with_kept_head = false) {
    VerifyOptions options;
    options.log_public_key = public_key_;
    if (with_kept_head) options.kept_heads.push_back(kept_);
    absl::StatusOr<VerifyReport> report = VerifyDataDirectory(dir_, options);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *std::move(report) : VerifyReport{};
  }

  // Verification fails, first at `index`, saying `what`.
  void ExpectFinding(const VerifyReport& r, uint64_t index, const std::string& what) {
    ASSERT_FALSE(r.ok()) << "tampering went unnoticed";
    EXPECT_EQ(r.finding->index, index) << r.finding->problem;
    EXPECT_THAT(r.finding->problem, HasSubstr(what));
  }

  accord::testing::TempDir tmp_;
  const std::string dir_ = tmp_.Path("broker-data");
  v1::SignedTreeHead kept_;
  std::string public_key_;
  std::string key_seed_;
};

TEST_F(TamperTest, IntactLogVerifiesWithProgress) {
  VerifyOptions options;
  options.log_public_key = public_key_;
  options.kept_heads.push_back(kept_);
  options.all_signatures = true;
  options.progress_every = 256;
  std::vector<uint64_t> progress;
  std::vector<uint64_t> index_progress;
  options.progress = [&](const VerifyProgress& p) {
    if (p.phase == VerifyProgress::Phase::kIndex) {
      index_progress.push_back(p.done);
      return;
    }
    progress.push_back(p.done);
    EXPECT_EQ(p.expected, kSize);
  };
  absl::StatusOr<VerifyReport> r = VerifyDataDirectory(dir_, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok()) << r->finding->problem;
  EXPECT_EQ(r->records, kSize);
  EXPECT_GT(r->heads, 100u) << "one head per append";
  EXPECT_EQ(r->signatures, r->heads);
  EXPECT_GT(r->index_entries, 6 * kSize);
  EXPECT_EQ(r->latest_head->tree_size(), kSize);
  EXPECT_EQ(r->root, r->latest_head->root_hash());
  EXPECT_EQ(progress, (std::vector<uint64_t>{256, 512, 768}));
  EXPECT_EQ(index_progress.size(), r->index_entries / 256);
}

TEST_F(TamperTest, ChangedByteIsNamed) {
  {
    Disk disk(dir_);
    std::string record = disk.Get(disk.cfs().leaves, LeafKey(417));
    record.back() ^= 0x01;  // inside policy_hash: still a well-formed record
    disk.Put(disk.cfs().leaves, LeafKey(417), record);
  }
  ExpectFinding(Verify(), 417, "record 417 was changed");
}

TEST_F(TamperTest, ChangedByteWithRehashedTreeIsCaughtByTheSignedHeads) {
  uint64_t head_before = 0, head_after = 0;
  {
    Disk disk(dir_);
    std::string record = disk.Get(disk.cfs().leaves, LeafKey(417));
    record.back() ^= 0x01;
    disk.Put(disk.cfs().leaves, LeafKey(417), record);
    disk.RehashNodes(kSize);
  }
  // The finding names the records between the last head that still matches
  // and the first that does not.
  for (uint64_t size : HeadSizes()) {
    if (size <= 417) head_before = size;
    if (size > 417 && head_after == 0) head_after = size;
  }
  ExpectFinding(Verify(), head_before,
                absl::StrCat("records ", head_before, "..", head_after - 1, " are not the records that were signed"));
  // The head kept at 600 disagrees too.
  ExpectFinding(Verify(/*with_kept_head=*/true), head_before, "are not the records that were signed");
}

TEST_F(TamperTest, EditedStoredHashesAreNamed) {
  {
    Disk disk(dir_);
    std::string tile = disk.Get(disk.cfs().tiles, TileKey(0, 1));  // leaf hashes of records 256..511
    tile[44 * kHashSize] ^= 0x01;
    disk.Put(disk.cfs().tiles, TileKey(0, 1), tile);
  }
  ExpectFinding(Verify(), 300, "record 300 was changed");
  {
    Disk disk(dir_);
    disk.RehashNodes(kSize);
    std::string tile = disk.Get(disk.cfs().tiles, TileKey(1, 0));  // hashes of records 0..255, 256..511, ...
    ASSERT_EQ(tile.size(), (kSize / 256) * kHashSize);
    tile[kHashSize + 5] ^= 0x01;
    disk.Put(disk.cfs().tiles, TileKey(1, 0), tile);
  }
  ExpectFinding(Verify(), 256, "the stored hash of records 256..511 (level 8) does not match the records");
  {
    Disk disk(dir_);
    disk.RehashNodes(kSize);
    std::string tile = disk.Get(disk.cfs().tiles, TileKey(0, 2));  // records 512..767
    disk.Put(disk.cfs().tiles, TileKey(0, 2), tile.substr(0, 10 * kHashSize));
  }
  ExpectFinding(Verify(), 522, "the stored hash of record 522 (level 0, index 522) is missing");
  {
    Disk disk(dir_);
    disk.RehashNodes(kSize);
    std::string tile = disk.Get(disk.cfs().tiles, TileKey(0, kSize / 256));  // the partial last tile
    disk.Put(disk.cfs().tiles, TileKey(0, kSize / 256), tile + std::string(kHashSize, 'x'));
  }
  ExpectFinding(Verify(), kSize, "a subtree hash for records 1000.. is stored");
  {
    Disk disk(dir_);
    disk.RehashNodes(kSize);
  }
  EXPECT_TRUE(Verify().ok()) << "rehashing the unedited records restores the tiles exactly";
}

TEST_F(TamperTest, UnparsableRecordIsNamed) {
  {
    Disk disk(dir_);
    disk.Put(disk.cfs().leaves, LeafKey(12), std::string("\xff\xff\xff", 3));
  }
  ExpectFinding(Verify(), 12, "record 12 is not a valid AuditRecord");
}

TEST_F(TamperTest, DeletedRecordIsNamed) {
  {
    Disk disk(dir_);
    disk.Delete(disk.cfs().leaves, LeafKey(300));
  }
  ExpectFinding(Verify(), 300, "record 300 is missing: the stored records jump from 299 to 301");
}

TEST_F(TamperTest, DeletedFirstRecordIsNamed) {
  {
    Disk disk(dir_);
    disk.Delete(disk.cfs().leaves, LeafKey(0));
  }
  ExpectFinding(Verify(), 0, "record 0 is missing");
}

TEST_F(TamperTest, ReorderedRecordsAreNamed) {
  {
    Disk disk(dir_);
    const std::string a = disk.Get(disk.cfs().leaves, LeafKey(200));
    const std::string b = disk.Get(disk.cfs().leaves, LeafKey(201));
    disk.Put(disk.cfs().leaves, LeafKey(200), b);
    disk.Put(disk.cfs().leaves, LeafKey(201), a);
  }
  ExpectFinding(Verify(), 200, "record 200 carries sequence number 201");
}

TEST_F(TamperTest, RenumberedReorderingIsStillCaught) {
  // Swap two records and fix up their sequence numbers: the hashes give it away.
  {
    Disk disk(dir_);
    v1::AuditRecord a, b;
    ASSERT_TRUE(a.ParseFromString(disk.Get(disk.cfs().leaves, LeafKey(200))));
    ASSERT_TRUE(b.ParseFromString(disk.Get(disk.cfs().leaves, LeafKey(201))));
    a.set_sequence(201);
    b.set_sequence(200);
    disk.Put(disk.cfs().leaves, LeafKey(200), b.SerializeAsString());
    disk.Put(disk.cfs().leaves, LeafKey(201), a.SerializeAsString());
  }
  ExpectFinding(Verify(), 200, "record 200 was changed");
}

TEST_F(TamperTest, TruncatedTailIsNamed) {
  {
    Disk disk(dir_);
    disk.DeleteIf(disk.cfs().leaves, [](std::string_view k) { return *ReadBe64(k) >= 900; });
  }
  ExpectFinding(Verify(), 900, "the log is truncated: it holds 900 records but a signed head covers");
}

TEST_F(TamperTest, CleanTruncationIsCaughtByAKeptHead) {
  // Cut everything after a head, heads and hashes included: the database is
  // self-consistent again, but not with the head the auditor kept.
  uint64_t cut = 0;
  for (uint64_t size : HeadSizes()) {
    if (size <= 500) cut = size;
  }
  {
    Disk disk(dir_);
    disk.DeleteIf(disk.cfs().leaves, [&](std::string_view k) { return *ReadBe64(k) >= cut; });
    disk.DeleteIf(disk.cfs().heads, [&](std::string_view k) { return *ReadBe64(k) > cut; });
    disk.DeleteIf(disk.cfs().index, [&](std::string_view k) { return *LeafOfIndexKey(k) >= cut; });
    disk.RehashNodes(cut);  // the subtree hashes of exactly the records kept
  }
  EXPECT_TRUE(Verify().ok()) << "a cleanly cut log is self-consistent; only a kept head can tell";
  ExpectFinding(Verify(/*with_kept_head=*/true), cut,
                absl::StrCat("the log holds ", cut, " records but you kept a head for size ", kKeptSize));
}

TEST_F(TamperTest, TruncationLeavingSubtreeHashesIsNamed) {
  uint64_t cut = 0;
  for (uint64_t size : HeadSizes()) {
    if (size <= 500) cut = size;
  }
  {
    Disk disk(dir_);
    disk.DeleteIf(disk.cfs().leaves, [&](std::string_view k) { return *ReadBe64(k) >= cut; });
    disk.DeleteIf(disk.cfs().heads, [&](std::string_view k) { return *ReadBe64(k) > cut; });
    disk.DeleteIf(disk.cfs().index, [&](std::string_view k) { return *LeafOfIndexKey(k) >= cut; });
  }
  ExpectFinding(Verify(), cut, "records after");
}

TEST_F(TamperTest, RecordsAppendedWithoutTheKeyAreNamed) {
  {
    Disk disk(dir_);
    v1::AuditRecord extra = SampleRecord(kSize);
    extra.set_sequence(kSize);
    disk.Put(disk.cfs().leaves, LeafKey(kSize), extra.SerializeAsString());
    disk.RehashNodes(kSize + 1);
  }
  ExpectFinding(Verify(), kSize, "not covered by a signed head");
}

TEST_F(TamperTest, ForgedHeadIsNamed) {
  {
    Disk disk(dir_);
    v1::SignedTreeHead latest;
    ASSERT_TRUE(latest.ParseFromString(disk.Get(disk.cfs().heads, HeadKey(kSize))));
    latest.mutable_signature()->front() ^= 0x01;
    disk.Put(disk.cfs().heads, HeadKey(kSize), latest.SerializeAsString());
  }
  VerifyReport r = Verify();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.finding->problem, HasSubstr("head for size 1000 is not signed by the log key"));
}

TEST_F(TamperTest, RebuiltHistoryIsCaughtByAKeptHeadAndConsistency) {
  // Whoever holds the log key rebuilds the log with record 10 different.
  const std::string rebuilt = tmp_.Path("rebuilt");  // (a second TempDir would be the same folder)
  {
    TestLog log(rebuilt, *crypto::SigningKey::FromSeed(key_seed_));
    std::vector<v1::AuditRecord> records;
    for (uint64_t i = 0; i < kSize; ++i) {
      records.push_back(SampleRecord(i));
      if (i == 10) records.back().set_recipient("someone_else");
    }
    ASSERT_TRUE(log.Append(std::move(records)).ok());
    // A consistency proof from the rebuilt log does not connect to the kept head.
    v1::TreeHead kept = *VerifySignedTreeHead(kept_, public_key_);
    v1::TreeHead now = *VerifySignedTreeHead(*log.log().LatestSignedHead(), public_key_);
    absl::Status s = VerifyConsistency(*log.log().ProveConsistency(kKeptSize, kSize), kept.root_hash(), now.root_hash());
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("history was changed"));
  }
  VerifyOptions options;
  options.log_public_key = public_key_;
  absl::StatusOr<VerifyReport> alone = VerifyDataDirectory(rebuilt, options);
  ASSERT_TRUE(alone.ok());
  EXPECT_TRUE(alone->ok()) << "a rebuilt log is self-consistent; only a kept head can tell";
  options.kept_heads.push_back(kept_);
  absl::StatusOr<VerifyReport> r = VerifyDataDirectory(rebuilt, options);
  ASSERT_TRUE(r.ok());
  ExpectFinding(*r, 0, "the log's history differs from a head you kept: the first 600 records hash to");
}

TEST_F(TamperTest, LogSignedByAnotherKeyIsNamed) {
  {
    TestLog log(tmp_.Path("other"));
    log.Fill(50);
  }
  VerifyOptions options;
  options.log_public_key = public_key_;
  absl::StatusOr<VerifyReport> r = VerifyDataDirectory(tmp_.Path("other"), options);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->ok());
  EXPECT_THAT(r->finding->problem, HasSubstr("not the partnership's log key"));
}

TEST_F(TamperTest, HiddenAndInventedIndexEntriesAreNamed) {
  {
    Disk disk(dir_);
    disk.DeleteIf(disk.cfs().index, [](std::string_view k) { return k[0] == 's' && *LeafOfIndexKey(k) == 123; });
  }
  ExpectFinding(Verify(), 123, "record 123 is hidden from who-saw queries");
  {
    Disk disk(dir_);
    // Subjects repeat every 31 records: record 123's is a run of one.
    disk.Put(disk.cfs().index, SubjectPrefix(testing::SampleRecord(123).subjects(0).ref()) + Be64(123), RunValue(1));
  }
  ASSERT_TRUE(Verify().ok()) << Verify().finding->problem;
  {
    Disk disk(dir_);
    disk.Put(disk.cfs().index, AgencyPrefix("police") + Be64(124), RunValue(1));
  }
  ExpectFinding(Verify(), 124, "index holds an entry");
}

// A run entry names `count` consecutive records: shortening it hides the
// records it no longer covers, lengthening it claims records that do not
// imply it, and an entry in the per-leaf layout where runs are kept is not
// the record's entry.
TEST_F(TamperTest, AShortenedOrLengthenedIndexRunIsNamed) {
  // Records 8k..8k+7 share event "ev-k": find a run of that event of at least 2.
  std::string key, value;
  {
    Disk disk(dir_);
    std::unique_ptr<rocksdb::Iterator> it(disk.db()->NewIterator(rocksdb::ReadOptions(), disk.cfs().index));
    for (it->Seek("e|"); it->Valid() && it->key().starts_with("e|"); it->Next()) {
      if (RunCount(it->value().ToStringView()).value_or(0) >= 2 && *LeafOfIndexKey(it->key().ToStringView()) > 600) {
        key = it->key().ToString();
        value = it->value().ToString();
        break;
      }
    }
  }
  ASSERT_FALSE(key.empty()) << "the sample log has runs";
  const uint64_t first = *LeafOfIndexKey(key), count = *RunCount(value);
  const std::string name = key.substr(0, key.size() - 8);
  {
    Disk disk(dir_);
    disk.Put(disk.cfs().index, key, RunValue(count - 1));
  }
  ExpectFinding(Verify(), first + count - 1, absl::StrCat("record ", first + count - 1, " is hidden from who-saw queries: the index entry '", name));
  {
    Disk disk(dir_);
    disk.Put(disk.cfs().index, key, RunValue(count + 1));
  }
  ExpectFinding(Verify(), first, absl::StrCat("claims ", count + 1, " records where the records imply ", count));
  {
    Disk disk(dir_);
    disk.Put(disk.cfs().index, key, "");
  }
  ExpectFinding(Verify(), first, "is not in the layout");
  {
    Disk disk(dir_);
    disk.Put(disk.cfs().index, key, value);
  }
  EXPECT_TRUE(Verify().ok());
}

// A WITHHELD record lists the agencies refused; deleting the index entry of
// one of them would hide the refusal from a question about that agency.
TEST_F(TamperTest, AHiddenWithheldAgencyIsNamed) {
  {
    TestLog log(dir_, *crypto::SigningKey::FromSeed(key_seed_));
    v1::AuditRecord withheld = testing::SampleRecord(kSize);
    withheld.set_action(v1::AUDIT_ACTION_WITHHELD);
    withheld.clear_recipient();
    withheld.set_actor_agency("police");
    withheld.add_withheld()->set_recipient("probation");
    withheld.add_withheld()->set_recipient("perpetrator_programme");
    ASSERT_TRUE(log.Append({withheld}).ok());
  }
  ASSERT_TRUE(Verify().ok()) << Verify().finding->problem;
  {
    Disk disk(dir_);
    disk.DeleteIf(disk.cfs().index,
                  [](std::string_view k) { return k == AgencyPrefix("perpetrator_programme") + Be64(kSize); });
  }
  ExpectFinding(Verify(), kSize, "its index entry 'a|perpetrator_programme|' is missing");
}

TEST_F(TamperTest, KeptHeadWithABadSignatureIsRefused) {
  VerifyOptions options;
  options.log_public_key = public_key_;
  v1::SignedTreeHead bad = kept_;
  bad.mutable_signature()->back() ^= 1;
  options.kept_heads.push_back(bad);
  absl::StatusOr<VerifyReport> r = VerifyDataDirectory(dir_, options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("kept head 1"));
  EXPECT_EQ(VerifyDataDirectory(tmp_.Path("nowhere"), options).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace accord::audit
