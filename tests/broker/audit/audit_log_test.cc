// The audit log on a real RocksDB: appends through the caller's batch, what
// survives a restart, signed heads, proofs and who-saw queries.
#include "broker/audit/audit_log.h"

#include <atomic>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "broker/audit/merkle.h"
#include "broker/audit/offline_verify.h"
#include "broker/audit/storage_layout.h"
#include "broker/audit/verifier.h"
#include "tests/broker/audit/disk_editor.h"
#include "tests/broker/audit/test_log.h"
#include "tests/testing/temp_dir.h"

namespace accord::audit {
namespace {

using testing::SampleRecord;
using testing::SubjectRef;
using testing::TestLog;

// The root of the records as stored, recomputed by the literal RFC recursion.
std::string NaiveRoot(AuditLog& log, uint64_t lo, uint64_t hi) {
  if (hi == lo) return EmptyTreeHash();
  if (hi - lo == 1) return LeafHash(*log.LeafBytes(lo));
  uint64_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  return NodeHash(NaiveRoot(log, lo, lo + k), NaiveRoot(log, lo + k, hi));
}

class AuditLogTest : public ::testing::Test {
 protected:
  accord::testing::TempDir tmp_;
};

TEST_F(AuditLogTest, AppendsAcrossStageAndCommit) {
  TestLog t(tmp_.Path("db"));
  EXPECT_EQ(t.log().size(), 0u);
  EXPECT_EQ(*t.log().RootHash(0), EmptyTreeHash());
  EXPECT_EQ(t.log().LatestSignedHead().status().code(), absl::StatusCode::kNotFound);

  uint64_t expected = 0;
  for (uint64_t batch : {1, 3, 5, 1, 8, 2}) {
    std::vector<v1::AuditRecord> records;
    for (uint64_t i = 0; i < batch; ++i) records.push_back(SampleRecord(100 + expected + i));
    absl::StatusOr<StagedAppend> staged = t.Append(records, absl::FromUnixSeconds(testing::kStartSeconds + 5));
    ASSERT_TRUE(staged.ok()) << staged.status();
    EXPECT_EQ(staged->first_index, expected);
    EXPECT_EQ(staged->count, batch);
    expected += batch;
    EXPECT_EQ(t.log().size(), expected);
    // The head in the batch is the head of exactly this tree.
    absl::StatusOr<v1::TreeHead> head = VerifySignedTreeHead(staged->head, t.key().public_key());
    ASSERT_TRUE(head.ok()) << head.status();
    EXPECT_EQ(head->tree_size(), expected);
    EXPECT_EQ(head->root_hash(), NaiveRoot(t.log(), 0, expected));
    EXPECT_EQ(head->log_key_id(), t.key().key_id());
    EXPECT_EQ(t.log().SignedHeadAt(expected)->SerializeAsString(), staged->head.SerializeAsString());
    EXPECT_EQ(t.log().LatestSignedHead()->SerializeAsString(), staged->head.SerializeAsString());
  }
  // Each record got its leaf index as `sequence`, and kept its own time.
  for (uint64_t i = 0; i < expected; ++i) {
    v1::AuditRecord r;
    ASSERT_TRUE(r.ParseFromString(*t.log().LeafBytes(i)));
    EXPECT_EQ(r.sequence(), i);
    EXPECT_EQ(r.event_id(), SampleRecord(100 + i).event_id());
    EXPECT_EQ(r.time().seconds(), SampleRecord(100 + i).time().seconds());
  }
  for (uint64_t n = 0; n <= expected; ++n) EXPECT_EQ(*t.log().RootHash(n), NaiveRoot(t.log(), 0, n)) << n;
  EXPECT_EQ(t.log().SignedHeadAt(2).status().code(), absl::StatusCode::kNotFound) << "no append ended at 2";
  EXPECT_EQ(t.log().LeafBytes(expected).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(t.log().RootHash(expected + 1).status().code(), absl::StatusCode::kOutOfRange);
}

TEST_F(AuditLogTest, SetsTimeWhenUnsetAndKeepsHeadTimesMonotonic) {
  TestLog t(tmp_.Path("db"));
  v1::AuditRecord r = SampleRecord(0);
  r.clear_time();
  const absl::Time later = absl::FromUnixSeconds(testing::kStartSeconds + 3600);
  ASSERT_TRUE(t.Append({r}, later).ok());
  v1::AuditRecord stored;
  ASSERT_TRUE(stored.ParseFromString(*t.log().LeafBytes(0)));
  EXPECT_EQ(FromTimestamp(stored.time()), later);
  // A clock that steps back does not date a head before the previous one.
  auto staged = t.Append({SampleRecord(1)}, later - absl::Hours(1));
  ASSERT_TRUE(staged.ok());
  EXPECT_EQ(FromTimestamp(VerifySignedTreeHead(staged->head, t.key().public_key())->timestamp()), later);
}

TEST_F(AuditLogTest, AbortLeavesNothingVisible) {
  TestLog t(tmp_.Path("db"));
  t.Fill(5);
  const std::string root = *t.log().RootHash(5);

  rocksdb::WriteBatch batch;
  batch.Put("caller's own write", "kept");
  absl::StatusOr<StagedAppend> staged = t.log().Stage({SampleRecord(5), SampleRecord(6)}, &batch, absl::Now());
  ASSERT_TRUE(staged.ok());
  EXPECT_EQ(staged->first_index, 5u);
  EXPECT_EQ(t.log().size(), 5u) << "nothing is visible before Commit";
  // A second staging while one is outstanding is refused and leaves the batch alone.
  const uint32_t before = batch.Count();
  rocksdb::WriteBatch other;
  EXPECT_EQ(t.log().Stage({SampleRecord(7)}, &other, absl::Now()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(batch.Count(), before);
  EXPECT_EQ(other.Count(), 0u);
  t.log().Abort(*staged);  // the batch is never written

  EXPECT_EQ(t.log().size(), 5u);
  EXPECT_EQ(*t.log().RootHash(5), root);
  EXPECT_EQ(t.log().LeafBytes(5).status().code(), absl::StatusCode::kOutOfRange);
  std::string value;
  EXPECT_TRUE(t.db().db()->Get(rocksdb::ReadOptions(), t.db().cfs().leaves, LeafKey(5), &value).IsNotFound());
  EXPECT_TRUE(t.db().db()->Get(rocksdb::ReadOptions(), t.db().cfs().heads, HeadKey(7), &value).IsNotFound());

  // The next append reuses the indices.
  absl::StatusOr<StagedAppend> again = t.Append({SampleRecord(9)});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->first_index, 5u);
  EXPECT_EQ(t.log().size(), 6u);
  EXPECT_EQ(*t.log().RootHash(6), NaiveRoot(t.log(), 0, 6));
}

TEST_F(AuditLogTest, RejectsBadAppends) {
  TestLog t(tmp_.Path("db"));
  rocksdb::WriteBatch batch;
  EXPECT_EQ(t.log().Stage({}, &batch, absl::Now()).status().code(), absl::StatusCode::kInvalidArgument);
  v1::AuditRecord no_action = SampleRecord(0);
  no_action.clear_action();
  absl::Status s = t.log().Stage({SampleRecord(0), no_action}, &batch, absl::Now()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("record 1"), std::string::npos) << s;
  EXPECT_EQ(batch.Count(), 0u);

  // A log opened without the key (tools) cannot append.
  auto reader = AuditLog::Open(t.db().db(), t.db().cfs(), std::nullopt);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->Stage({SampleRecord(0)}, &batch, absl::Now()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(AuditLogTest, ReopenRestoresSizeRootAndHead) {
  auto key = crypto::SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  TestLog t(tmp_.Path("db"), TestLog::Copy(*key));
  t.Fill(77);
  const std::string root = *t.log().RootHash(77);
  const std::string head = t.log().LatestSignedHead()->SerializeAsString();
  t.Close();
  t.Open();
  EXPECT_EQ(t.log().size(), 77u);
  EXPECT_EQ(*t.log().RootHash(77), root);
  EXPECT_EQ(t.log().LatestSignedHead()->SerializeAsString(), head);
  t.Fill(100);
  EXPECT_EQ(*t.log().RootHash(100), NaiveRoot(t.log(), 0, 100));
  EXPECT_EQ(*t.log().RootHash(77), root);

  // Opened with a different log key, the log refuses rather than mix signers.
  t.Close();
  {
    auto db = AuditDatabase::OpenForWriting(tmp_.Path("db"));
    ASSERT_TRUE(db.ok());
    auto other = AuditLog::Open((*db)->db(), (*db)->cfs(), *crypto::SigningKey::Generate());
    EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(other.status().message().find("rotation"), std::string::npos);
  }
}

TEST_F(AuditLogTest, OpenRefusesAnInconsistentDatabase) {
  TestLog t(tmp_.Path("db"));
  t.Fill(20, 4);
  const uint64_t last = t.log().size();
  t.Close();
  {
    auto db = AuditDatabase::OpenForWriting(tmp_.Path("db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->db()->Delete(rocksdb::WriteOptions(), (*db)->cfs().heads, HeadKey(last)).ok());
    auto log = AuditLog::Open((*db)->db(), (*db)->cfs(), std::nullopt);
    EXPECT_EQ(log.status().code(), absl::StatusCode::kDataLoss) << log.status();
    // The broker opens it anyway, to say what is wrong, but never extends it.
    auto refusing = AuditLog::Open((*db)->db(), (*db)->cfs(), TestLog::Copy(t.key()),
                                   AuditLog::OnDamage::kRefuseAppends);
    ASSERT_TRUE(refusing.ok()) << refusing.status();
    EXPECT_EQ((*refusing)->AppendsRefused().code(), absl::StatusCode::kUnavailable);
    EXPECT_NE(std::string((*refusing)->AppendsRefused().message()).find("it is damaged"), std::string::npos);
    rocksdb::WriteBatch batch;
    EXPECT_EQ((*refusing)->Stage({SampleRecord(last)}, &batch, absl::Now()).status().code(),
              absl::StatusCode::kUnavailable);
    EXPECT_EQ(batch.Count(), 0);
  }
}

TEST_F(AuditLogTest, TheEarlierPerNodeLayoutIsRefusedByName) {
  testing::MakeOldLayoutDatabase(tmp_.Path("old"));
  for (bool read_only : {true, false}) {
    auto db = read_only ? AuditDatabase::OpenReadOnly(tmp_.Path("old"))
                        : AuditDatabase::OpenForWriting(tmp_.Path("old"));
    EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition) << db.status();
    EXPECT_NE(db.status().message().find("audit_nodes"), std::string::npos) << db.status();
  }
}

TEST_F(AuditLogTest, ProofsVerifyAgainstSignedHeads) {
  TestLog t(tmp_.Path("db"));
  std::vector<uint64_t> head_sizes;
  for (int round = 0; round < 12; ++round) {
    t.Fill(t.log().size() + 1 + static_cast<uint64_t>(round) * 3, 5, static_cast<uint64_t>(round));
    head_sizes.push_back(t.log().size());
  }
  const std::string pub = t.key().public_key();
  for (uint64_t size : head_sizes) {
    v1::TreeHead head = *VerifySignedTreeHead(*t.log().SignedHeadAt(size), pub);
    for (uint64_t i = 0; i < size; ++i) {
      auto proof = t.log().ProveInclusion(i, size);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_TRUE(VerifyInclusion(LeafHash(*t.log().LeafBytes(i)), *proof, head.root_hash()).ok())
          << "leaf " << i << " size " << size;
    }
    for (uint64_t first : head_sizes) {
      if (first > size) continue;
      v1::TreeHead first_head = *VerifySignedTreeHead(*t.log().SignedHeadAt(first), pub);
      auto proof = t.log().ProveConsistency(first, size);
      ASSERT_TRUE(proof.ok()) << proof.status();
      EXPECT_TRUE(VerifyConsistency(*proof, first_head.root_hash(), head.root_hash()).ok()) << first << "->" << size;
    }
  }
  EXPECT_EQ(t.log().ProveInclusion(3, t.log().size() + 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(t.log().ProveInclusion(5, 5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.log().ProveConsistency(6, 5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(t.log().ProveConsistency(0, 5)->hashes().empty());
}

// Rows for a query, as (leaf, action) pairs, each proof checked.
std::vector<uint64_t> Leaves(TestLog& t, const v1::WhoSawQuery& q, uint64_t tree_size = 0) {
  auto rows = t.log().Query(q, tree_size);
  EXPECT_TRUE(rows.ok()) << rows.status();
  if (!rows.ok()) return {};
  const std::string root = *t.log().RootHash(tree_size == 0 ? t.log().size() : tree_size);
  std::vector<uint64_t> out;
  for (const v1::WhoSawRow& row : *rows) {
    EXPECT_EQ(row.record().sequence(), row.leaf_index());
    EXPECT_TRUE(VerifyInclusion(LeafHash(row.record().SerializeAsString()), row.proof(), root).ok())
        << "row for leaf " << row.leaf_index();
    out.push_back(row.leaf_index());
  }
  return out;
}

// The same query answered by reading every record.
std::vector<uint64_t> Scan(TestLog& t, const std::function<bool(const v1::AuditRecord&)>& match,
                           uint64_t tree_size = 0) {
  std::vector<uint64_t> out;
  const uint64_t n = tree_size == 0 ? t.log().size() : tree_size;
  for (uint64_t i = 0; i < n; ++i) {
    v1::AuditRecord r;
    r.ParseFromString(*t.log().LeafBytes(i));
    if (match(r)) out.push_back(i);
  }
  return out;
}

bool WhoSawAction(const v1::AuditRecord& r) {
  for (v1::AuditAction a : DefaultWhoSawActions()) {
    if (r.action() == a) return true;
  }
  return false;
}

TEST_F(AuditLogTest, WhoSawQueriesUseTheIndexesAndAgreeWithAScan) {
  TestLog t(tmp_.Path("db"));
  t.Fill(400);
  v1::WhoSawQuery q;

  q.set_subject_ref(SubjectRef(7));
  std::vector<uint64_t> got = Leaves(t, q);
  EXPECT_FALSE(got.empty());
  EXPECT_EQ(got, Scan(t, [](const v1::AuditRecord& r) { return r.subjects(0).ref() == SubjectRef(7) && WhoSawAction(r); }));

  q.Clear();
  q.set_case_ref("case-3");
  q.set_agency("victim_services");
  EXPECT_EQ(Leaves(t, q), Scan(t, [](const v1::AuditRecord& r) {
              return r.case_ref() == "case-3" && (r.actor_agency() == "victim_services" || r.recipient() == "victim_services") &&
                     WhoSawAction(r);
            }));

  q.Clear();
  q.set_event_id("ev-12");
  q.add_actions(v1::AUDIT_ACTION_WITHHELD);
  q.add_actions(v1::AUDIT_ACTION_EVENT_RECEIVED);
  EXPECT_EQ(Leaves(t, q), (std::vector<uint64_t>{96, 99}));

  q.Clear();
  q.add_actions(v1::AUDIT_ACTION_ACKNOWLEDGED);
  *q.mutable_from() = ToTimestamp(absl::FromUnixSeconds(testing::kStartSeconds + 100 * 60));
  *q.mutable_to() = ToTimestamp(absl::FromUnixSeconds(testing::kStartSeconds + 141 * 60));
  EXPECT_EQ(Leaves(t, q), (std::vector<uint64_t>{101, 109, 117, 125, 133})) << "from inclusive, to exclusive";

  // Index keys of "case-1|x" start with those of "case-1": the filter on the
  // record still keeps them apart.
  v1::AuditRecord tricky = SampleRecord(401);
  tricky.set_case_ref("case-1|x");
  ASSERT_TRUE(t.Append({tricky}).ok());
  q.Clear();
  q.set_case_ref("case-1");
  got = Leaves(t, q);
  EXPECT_EQ(got, Scan(t, [](const v1::AuditRecord& r) { return r.case_ref() == "case-1" && WhoSawAction(r); }));
  EXPECT_FALSE(got.empty());
  q.set_case_ref("case-1|x");
  EXPECT_EQ(Leaves(t, q), std::vector<uint64_t>{400});

  // Limit and tree size.
  q.Clear();
  q.set_subject_ref(SubjectRef(7));
  got = Leaves(t, q);
  q.set_limit(3);
  EXPECT_EQ(Leaves(t, q), std::vector<uint64_t>(got.begin(), got.begin() + 3));
  q.set_limit(0);
  EXPECT_EQ(Leaves(t, q, 200), Scan(t, [](const v1::AuditRecord& r) { return r.subjects(0).ref() == SubjectRef(7) && WhoSawAction(r); }, 200));

  q.Clear();
  q.set_subject_ref("nobody");
  EXPECT_TRUE(Leaves(t, q).empty());
  q.Clear();
  *q.mutable_from() = ToTimestamp(absl::FromUnixSeconds(testing::kStartSeconds + 10));
  *q.mutable_to() = ToTimestamp(absl::FromUnixSeconds(testing::kStartSeconds));
  EXPECT_EQ(t.log().Query(q).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.log().Query(v1::WhoSawQuery(), 402).status().code(), absl::StatusCode::kOutOfRange);
}

TEST_F(AuditLogTest, IndexesConsentSubjectsAndBothAgencies) {
  TestLog t(tmp_.Path("db"));
  v1::AuditRecord consent;
  consent.set_action(v1::AUDIT_ACTION_CONSENT_RECORDED);
  consent.set_actor_agency("victim_services");
  consent.mutable_consent_statement()->set_subject_ref(SubjectRef(1));
  v1::AuditRecord routed = SampleRecord(1);
  routed.clear_subjects();
  routed.mutable_consent()->set_subject_ref(SubjectRef(2));
  routed.set_actor_agency("police");
  routed.set_recipient("probation");
  ASSERT_TRUE(t.Append({consent, routed}).ok());

  v1::WhoSawQuery q;
  q.set_subject_ref(SubjectRef(1));
  q.add_actions(v1::AUDIT_ACTION_CONSENT_RECORDED);
  EXPECT_EQ(Leaves(t, q), std::vector<uint64_t>{0});
  q.Clear();
  q.set_subject_ref(SubjectRef(2));
  EXPECT_EQ(Leaves(t, q), std::vector<uint64_t>{1});
  for (const char* agency : {"police", "probation"}) {
    q.Clear();
    q.set_agency(agency);
    EXPECT_EQ(Leaves(t, q), std::vector<uint64_t>{1}) << agency;
  }
}

// The broker's one WITHHELD record per event names the agencies refused in
// `withheld`: each is found by an agency query, an agency it does not name is
// not, and the offline verifier derives the same index entries.
TEST_F(AuditLogTest, IndexesEveryAgencyAWithheldRecordNames) {
  TestLog t(tmp_.Path("db"));
  v1::AuditRecord withheld = SampleRecord(3);
  withheld.clear_recipient();
  withheld.clear_reason();
  withheld.set_actor_agency("police");
  for (const char* to : {"perpetrator_programme", "childrens_services", "perpetrator_programme"}) {
    v1::Withholding* w = withheld.add_withheld();
    w->set_recipient(to);
    w->set_section("victim_contact");
    w->set_rule_id("never-victim-contact-to-programme");
  }
  ASSERT_TRUE(t.Append({SampleRecord(0), withheld}).ok());

  const std::string bytes = withheld.SerializeAsString();  // the fields point into it
  absl::StatusOr<RecordFields> f = ReadRecordFields(bytes);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_THAT(f->withheld_from, ::testing::ElementsAre("perpetrator_programme", "childrens_services",
                                                     "perpetrator_programme"));
  std::vector<std::string> agency_keys;
  for (const std::string& k : IndexKeys(*f, 1)) {
    if (k[0] == 'a') agency_keys.push_back(k.substr(2, k.size() - 11));
  }
  EXPECT_THAT(agency_keys, ::testing::ElementsAre("police", "perpetrator_programme", "childrens_services"))
      << "each agency once";

  v1::WhoSawQuery q;
  q.add_actions(v1::AUDIT_ACTION_WITHHELD);
  for (const char* agency : {"police", "perpetrator_programme", "childrens_services"}) {
    q.set_agency(agency);
    EXPECT_EQ(Leaves(t, q), std::vector<uint64_t>{1}) << agency;
  }
  q.set_agency("probation");
  EXPECT_TRUE(Leaves(t, q).empty()) << "probation was refused nothing";

  t.Close();
  VerifyOptions options;
  options.log_public_key = t.key().public_key();
  absl::StatusOr<VerifyReport> r = VerifyDataDirectory(tmp_.Path("db"), options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok()) << r->finding->problem;
}

// A log written before index runs (one empty-valued entry per record and
// index, no index_runs_from) still verifies and answers; the first append
// marks where runs start, and the mixed index verifies and answers too.
TEST_F(AuditLogTest, AnIndexFromBeforeRunsIsReadAndExtendedWithRuns) {
  const std::string dir = tmp_.Path("db");
  crypto::SigningKey key = *crypto::SigningKey::Generate();
  {
    TestLog t(dir, TestLog::Copy(key));
    t.Fill(200);
  }
  {  // Rewrite the index as the earlier release wrote it.
    testing::DiskEditor disk(dir);
    disk.DeleteIf(disk.cfs().index, [](std::string_view) { return true; });
    disk.Delete(disk.cfs().meta, kIndexRunsFromKey);
    for (uint64_t i = 0; i < 200; ++i) {
      const std::string leaf = disk.Get(disk.cfs().leaves, LeafKey(i));
      absl::StatusOr<RecordFields> f = ReadRecordFields(leaf);
      ASSERT_TRUE(f.ok());
      for (const std::string& k : IndexKeys(*f, i)) disk.Put(disk.cfs().index, k, "");
    }
  }
  VerifyOptions options;
  options.log_public_key = key.public_key();
  auto verify = [&] {
    absl::StatusOr<VerifyReport> r = VerifyDataDirectory(dir, options);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->ok()) << r->finding->problem;
  };
  verify();
  auto same_as_scan = [&](TestLog& t) {
    v1::WhoSawQuery q;
    q.set_case_ref("case-3");
    EXPECT_EQ(Leaves(t, q), Scan(t, [](const v1::AuditRecord& r) { return r.case_ref() == "case-3" && WhoSawAction(r); }));
    q.Clear();
    q.set_event_id("ev-24");  // records 192..199 and, after the append, none: events are per 8 leaves
    q.add_actions(v1::AUDIT_ACTION_EVENT_RECEIVED);
    q.add_actions(v1::AUDIT_ACTION_ROUTED);
    EXPECT_EQ(Leaves(t, q), Scan(t, [](const v1::AuditRecord& r) {
                return r.event_id() == "ev-24" && (r.action() == v1::AUDIT_ACTION_EVENT_RECEIVED ||
                                                   r.action() == v1::AUDIT_ACTION_ROUTED);
              }));
    q.Clear();
    q.set_agency("probation");
    q.set_limit(10000);
    EXPECT_EQ(Leaves(t, q), Scan(t, [](const v1::AuditRecord& r) {
                return (r.actor_agency() == "probation" || r.recipient() == "probation") && WhoSawAction(r);
              }));
  };
  {
    TestLog t(dir, TestLog::Copy(key));
    same_as_scan(t);
    t.Fill(320);  // runs from leaf 200 on
    same_as_scan(t);
  }
  {
    testing::DiskEditor disk(dir);
    EXPECT_EQ(ReadBe64(disk.Get(disk.cfs().meta, kIndexRunsFromKey)), 200u);
  }
  verify();
}

// One writer appends while readers take the latest head and prove against
// it: every proof they get verifies against the head they got.
TEST_F(AuditLogTest, ReadersRunConcurrentlyWithTheWriter) {
  TestLog t(tmp_.Path("db"));
  t.Fill(50);
  const std::string pub = t.key().public_key();
  std::atomic<bool> done{false};
  std::atomic<int> checked{0};
  auto reader = [&](uint64_t seed) {
    std::mt19937_64 rng(seed);
    while (!done.load()) {
      absl::StatusOr<v1::SignedTreeHead> sth = t.log().LatestSignedHead();
      ASSERT_TRUE(sth.ok());
      absl::StatusOr<v1::TreeHead> head = VerifySignedTreeHead(*sth, pub);
      ASSERT_TRUE(head.ok());
      const uint64_t n = head->tree_size();
      const uint64_t i = rng() % n;
      absl::StatusOr<v1::InclusionProof> proof = t.log().ProveInclusion(i, n);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_TRUE(VerifyInclusion(LeafHash(*t.log().LeafBytes(i)), *proof, head->root_hash()).ok());
      const uint64_t first = 1 + rng() % n;
      absl::StatusOr<v1::SignedTreeHead> earlier = t.log().SignedHeadAt(first);
      if (earlier.ok()) {
        v1::TreeHead e = *VerifySignedTreeHead(*earlier, pub);
        ASSERT_TRUE(VerifyConsistency(*t.log().ProveConsistency(first, n), e.root_hash(), head->root_hash()).ok());
      }
      ASSERT_EQ(*t.log().RootHash(n), head->root_hash());
      checked.fetch_add(1);
    }
  };
  std::thread r1(reader, 1), r2(reader, 2);
  t.Fill(600, 5, 3);
  done.store(true);
  r1.join();
  r2.join();
  EXPECT_GT(checked.load(), 10);
}

TEST_F(AuditLogTest, AnEmptyLogVerifies) {
  TestLog t(tmp_.Path("db"));
  VerifyOptions options;
  options.log_public_key = t.key().public_key();
  absl::StatusOr<VerifyReport> r = VerifyAuditLog(t.db().db(), t.db().cfs(), options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->records, 0u);
  EXPECT_EQ(r->root, EmptyTreeHash());
  EXPECT_FALSE(r->latest_head.has_value());
}

}  // namespace
}  // namespace accord::audit
