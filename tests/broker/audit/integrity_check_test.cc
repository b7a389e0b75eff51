// The broker's own integrity check of its audit log (integrity_check.h,
// background_check.h) on a real RocksDB log: what a start reads, what it
// remembers, that every kind of edit is found and named, that a log found
// edited refuses appends, and that the background check finds an edit made
// while the log is open and being appended to.
#include <atomic>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/synchronization/mutex.h"
#include "broker/audit/background_check.h"
#include "broker/audit/integrity_check.h"
#include "broker/audit/storage_layout.h"
#include "broker/audit/tiles.h"
#include "tests/broker/audit/disk_editor.h"
#include "tests/broker/audit/test_log.h"
#include "tests/testing/temp_dir.h"

namespace accord::audit {
namespace {

using ::testing::HasSubstr;
using testing::DiskEditor;
using testing::SampleRecord;
using testing::TestLog;

constexpr uint64_t kMarked = 600;  // what a first check verified
constexpr uint64_t kSize = 1000;

class IntegrityCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = std::make_unique<TestLog>(tmp_.Path("log"));
    log_->Fill(kMarked, 9, 1);
    absl::StatusOr<CheckedRange> first = Checker().CheckSinceMarker();
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_EQ(first->tree_size, kMarked);
    log_->Fill(kSize, 9, 2);
  }

  IntegrityChecker Checker() { return IntegrityChecker(log_->log(), log_->key().public_key()); }
  DiskEditor Disk() { return DiskEditor(log_->db().db(), log_->db().cfs()); }

  // The check fails naming `what`, and the log then refuses to grow.
  void ExpectFound(const absl::StatusOr<CheckedRange>& r, const std::string& what) {
    ASSERT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << (r.ok() ? "edit not found" : r.status().ToString());
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(what));
    absl::StatusOr<StagedAppend> more = log_->Append({SampleRecord(kSize)});
    EXPECT_EQ(more.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(std::string(more.status().message()), HasSubstr("refuses to extend its audit log"));
    absl::StatusOr<VerifiedMark> mark = Checker().Marker();
    ASSERT_TRUE(mark.ok());
    EXPECT_EQ(mark->tree_size, 0u) << "the next start must read the whole log";
  }

  accord::testing::TempDir tmp_;
  std::unique_ptr<TestLog> log_;
};

TEST_F(IntegrityCheckTest, StartReadsWhatIsNewAndRemembersIt) {
  absl::StatusOr<VerifiedMark> before = Checker().Marker();
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->tree_size, kMarked);
  EXPECT_EQ(before->root_hash, *log_->log().RootHash(kMarked));

  absl::StatusOr<CheckedRange> r = Checker().CheckSinceMarker();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->from, kMarked);
  EXPECT_EQ(r->tree_size, kSize);
  absl::StatusOr<VerifiedMark> after = Checker().Marker();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->tree_size, kSize);
  EXPECT_EQ(after->root_hash, *log_->log().RootHash(kSize));

  r = Checker().CheckSinceMarker();  // nothing new: only the head at the marker
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->from, kSize);
}

TEST_F(IntegrityCheckTest, EmptyLogPassesAndSavesNoMarker) {
  TestLog empty(tmp_.Path("empty"));
  IntegrityChecker checker(empty.log(), empty.key().public_key());
  absl::StatusOr<CheckedRange> r = checker.CheckSinceMarker();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->tree_size, 0u);
  EXPECT_EQ(checker.Marker()->tree_size, 0u);
}

TEST_F(IntegrityCheckTest, RecordChangedSinceTheMarkerIsFoundAtStart) {
  Disk().ChangeRecord(700);
  ExpectFound(Checker().CheckSinceMarker(), "at record 700: record 700 was changed");
}

TEST_F(IntegrityCheckTest, RecordChangedAndRehashedIsFoundByTheSignedHeads) {
  DiskEditor disk = Disk();
  disk.ChangeRecord(700);
  disk.RehashNodes(kSize);
  ExpectFound(Checker().CheckSinceMarker(), "are not the records that were signed");
}

TEST_F(IntegrityCheckTest, StoredHashChangedSinceTheMarkerIsFound) {
  DiskEditor disk = Disk();
  std::string tile = disk.Get(disk.cfs().tiles, TileKey(0, 2));  // leaf hashes of records 512..767
  tile[(650 - 512) * kHashSize] ^= 0x01;
  disk.Put(disk.cfs().tiles, TileKey(0, 2), tile);
  ExpectFound(Checker().CheckSinceMarker(), "record 650 was changed");
}

TEST_F(IntegrityCheckTest, HashesBeforeTheMarkerThatNoLongerMatchItsHeadAreFound) {
  // The right edge at the marker comes from these tiles; a rewrite of them
  // (say, to hide an earlier edit) no longer leads to the head verified then.
  DiskEditor disk = Disk();
  disk.ChangeRecord(100);
  disk.RehashNodes(kSize);
  ExpectFound(Checker().CheckSinceMarker(), "the stored hashes of the first 600 records (verified earlier)");
}

TEST_F(IntegrityCheckTest, RecordChangedBeforeTheMarkerNeedsTheFullCheck) {
  // The start check trusts what it verified before (the tiles still match
  // the head at the marker); the whole-log check in the background does not.
  Disk().ChangeRecord(100);
  absl::StatusOr<CheckedRange> start = Checker().CheckSinceMarker();
  ASSERT_TRUE(start.ok()) << start.status();
  EXPECT_EQ(start->from, kMarked);
  ExpectFound(Checker().CheckAll(), "at record 100: record 100 was changed");
}

TEST_F(IntegrityCheckTest, TruncationBelowTheMarkerIsFound) {
  // Cut cleanly after a head below the marker, every trace removed: the log is
  // self-consistent, but the broker remembers it had verified more.
  ASSERT_TRUE(Checker().CheckSinceMarker().ok());  // the marker is now at kSize
  uint64_t cut = 0;
  for (uint64_t size = 1; size < 800; ++size) {
    if (log_->log().SignedHeadAt(size).ok()) cut = size;
  }
  log_->Close();
  {
    DiskEditor disk(tmp_.Path("log"));
    disk.DeleteIf(disk.cfs().leaves, [&](std::string_view k) { return *ReadBe64(k) >= cut; });
    disk.DeleteIf(disk.cfs().heads, [&](std::string_view k) { return *ReadBe64(k) > cut; });
    disk.DeleteIf(disk.cfs().index, [&](std::string_view k) { return *LeafOfIndexKey(k) >= cut; });
    disk.RehashNodes(cut);
  }
  log_->Open();
  ExpectFound(Checker().CheckSinceMarker(),
              absl::StrCat("latest signed head is for size ", cut, " but size ", kSize, " was verified earlier"));
}

TEST_F(IntegrityCheckTest, ReplacedHeadAtTheMarkerIsFound) {
  // Whoever holds the log key rewrites the history before the marker and
  // re-signs every head: the head at the marker differs from the one verified.
  const std::string seed(log_->key().Seed().view());
  TestLog rebuilt(tmp_.Path("rebuilt"), *crypto::SigningKey::FromSeed(seed));
  std::vector<v1::AuditRecord> records;
  for (uint64_t i = 0; i < kMarked; ++i) {
    records.push_back(SampleRecord(i));
    if (i == 10) records.back().set_recipient("someone_else");
  }
  ASSERT_TRUE(rebuilt.Append(std::move(records)).ok());
  VerifiedMark mark{kMarked, *log_->log().RootHash(kMarked)};
  IntegrityChecker checker(rebuilt.log(), rebuilt.key().public_key());
  absl::StatusOr<CheckedRange> r = checker.CheckSince(mark);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("the log's heads were replaced"));
}

TEST_F(IntegrityCheckTest, MalformedMarkerMeansAFullCheck) {
  DiskEditor disk = Disk();
  ASSERT_NE(log_->db().cfs().meta, nullptr);
  disk.Put(log_->db().cfs().meta, "verified", "junk");
  EXPECT_EQ(Checker().Marker().status().code(), absl::StatusCode::kDataLoss);
  absl::StatusOr<CheckedRange> r = Checker().CheckSinceMarker();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->from, 0u);
  EXPECT_EQ(Checker().Marker()->tree_size, kSize);
}

TEST_F(IntegrityCheckTest, FullCheckReadsASnapshotWhileRecordsAreAppended) {
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (uint64_t i = 0; i < 200 && !done; ++i) {
      ASSERT_TRUE(log_->Append({SampleRecord(log_->log().size()), SampleRecord(log_->log().size() + 1)}).ok());
    }
  });
  for (int pass = 0; pass < 5; ++pass) {
    absl::StatusOr<CheckedRange> r = Checker().CheckAll();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_GE(r->tree_size, kSize);
  }
  done = true;
  writer.join();
}

TEST_F(IntegrityCheckTest, StopEndsAPassEarly) {
  log_->Fill(20000, 200, 3);
  absl::StatusOr<CheckedRange> r = Checker().CheckAll([] { return true; });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
}

// The background check, first pass at once: passes while the log is intact
// and being appended to; an edit made while it runs is found in a later pass.
TEST_F(IntegrityCheckTest, BackgroundCheckFindsAnEditMadeWhileRunning) {
  struct Seen {
    absl::Mutex mu;
    int passes ABSL_GUARDED_BY(mu) = 0;
    std::optional<absl::Status> found ABSL_GUARDED_BY(mu);
    // Waits (a generous bound, so a broken check fails rather than hangs).
    bool Await(const std::function<bool()>& what) {
      absl::MutexLock lock(&mu);
      return mu.AwaitWithTimeout(absl::Condition(&what), absl::Seconds(60));
    }
  } seen;
  BackgroundIntegrityCheck::Listener listener;
  listener.passed = [&](const CheckedRange&) {
    absl::MutexLock lock(&seen.mu);
    ++seen.passes;
  };
  listener.found = [&](const absl::Status& s) {
    absl::MutexLock lock(&seen.mu);
    seen.found = s;
  };
  listener.failed = [&](const absl::Status& s) { ADD_FAILURE() << s; };
  BackgroundIntegrityCheck check(log_->log(), log_->key().public_key(), absl::Milliseconds(20), listener);
  ASSERT_TRUE(seen.Await([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return seen.passes >= 2; }));
  log_->Fill(kSize + 100, 5, 4);  // appends go on beside it
  int before = 0;
  {
    absl::MutexLock lock(&seen.mu);
    before = seen.passes;
  }
  ASSERT_TRUE(seen.Await([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return seen.passes > before; }));
  Disk().ChangeRecord(321);
  ASSERT_TRUE(seen.Await([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return seen.found.has_value(); }));
  {
    absl::MutexLock lock(&seen.mu);
    EXPECT_EQ(seen.found->code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(seen.found->message()), HasSubstr("record 321 was changed"));
  }
  EXPECT_EQ(log_->Append({SampleRecord(log_->log().size())}).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace accord::audit
