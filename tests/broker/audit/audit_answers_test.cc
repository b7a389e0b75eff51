// The AuditService's answers from a real log (audit_answers.h) and what a
// client checks in them (answer_checks.h, stream_verify.h): leaves by range
// as the exact stored bytes, head sizes by page, who-saw rows that carry the
// bytes they are proved against, and a whole log recomputed from answers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "broker/audit/answer_checks.h"
#include "broker/audit/audit_answers.h"
#include "broker/audit/merkle.h"
#include "broker/audit/stream_verify.h"
#include "tests/broker/audit/test_log.h"
#include "tests/testing/temp_dir.h"

namespace accord::audit {
namespace {

using ::testing::HasSubstr;
using testing::SampleRecord;
using testing::SubjectRef;
using testing::TestLog;

constexpr uint64_t kSize = 700;

class AuditAnswersTest : public ::testing::Test {
 protected:
  void SetUp() override { log_.Fill(kSize, 7, 1); }

  v1::GetLeavesRequest Leaves(uint64_t start, uint32_t count) {
    v1::GetLeavesRequest r;
    r.set_start_index(start);
    r.set_count(count);
    return r;
  }
  std::vector<v1::SignedTreeHead> AllHeads() {
    std::vector<v1::SignedTreeHead> out;
    v1::ListTreeHeadSizesRequest r;
    r.set_include_heads(true);
    for (;;) {
      absl::StatusOr<v1::ListTreeHeadSizesResponse> page = AnswerListTreeHeadSizes(log_.log(), r);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return out;
      for (const v1::SignedTreeHead& h : page->heads()) out.push_back(h);
      if (!page->more()) return out;
      r.set_after_size(page->tree_sizes(page->tree_sizes_size() - 1));
    }
  }
  absl::StatusOr<LeafStreamVerifier> Stream(const std::vector<v1::SignedTreeHead>& kept = {}) {
    StreamVerifyOptions options;
    options.log_public_key = log_.key().public_key();
    options.kept_heads = kept;
    return LeafStreamVerifier::Create(options, *log_.log().LatestSignedHead(), AllHeads());
  }
  v1::WhoSawResponse WhoSaw() {
    v1::WhoSawQuery q;
    q.set_subject_ref(SubjectRef(5));
    absl::StatusOr<v1::WhoSawResponse> r = AnswerWhoSaw(log_.log(), q);
    EXPECT_TRUE(r.ok()) << r.status();
    EXPECT_GE(r->rows_size(), 5);
    return *r;
  }

  accord::testing::TempDir tmp_;
  TestLog log_{tmp_.Path("log")};
};

TEST_F(AuditAnswersTest, LeavesAreTheStoredBytesWithTheHeadThatCoversThem) {
  absl::StatusOr<v1::GetLeavesResponse> r = AnswerGetLeaves(log_.log(), Leaves(250, 10));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->start_index(), 250u);
  ASSERT_EQ(r->leaves_size(), 10);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(r->leaves(i), *log_.log().LeafBytes(250 + i));
  EXPECT_EQ(TreeSizeOf(r->head()), kSize);
  EXPECT_EQ(r->head().SerializeAsString(), log_.log().LatestSignedHead()->SerializeAsString());
}

TEST_F(AuditAnswersTest, LeafRangesAreBounded) {
  auto code = [&](uint64_t start, uint32_t count) { return AnswerGetLeaves(log_.log(), Leaves(start, count)).status(); };
  EXPECT_EQ(code(0, 0).code(), absl::StatusCode::kInvalidArgument);
  absl::Status too_many = code(0, kMaxLeavesPerRequest + 1);
  EXPECT_EQ(too_many.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(too_many.message()), HasSubstr("1 to 1000 leaves per request; asked for 1001"));
  absl::Status beyond = code(kSize, 1);
  EXPECT_EQ(beyond.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(std::string(beyond.message()), HasSubstr("leaf 700 is beyond the log: its latest signed head is for size 700"));
  EXPECT_EQ(code(kSize + 5000, 3).code(), absl::StatusCode::kOutOfRange);
  // A range running past the end stops at it.
  absl::StatusOr<v1::GetLeavesResponse> tail = AnswerGetLeaves(log_.log(), Leaves(kSize - 3, 1000));
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->leaves_size(), 3);
  absl::StatusOr<v1::GetLeavesResponse> all = AnswerGetLeaves(log_.log(), Leaves(0, 1000));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->leaves_size(), static_cast<int>(kSize));

  TestLog empty(tmp_.Path("empty"));
  EXPECT_EQ(AnswerGetLeaves(empty.log(), Leaves(0, 1)).status().code(), absl::StatusCode::kOutOfRange);
}

TEST_F(AuditAnswersTest, LargeLeavesComeInSeveralAnswers) {
  std::vector<v1::AuditRecord> big;
  for (int i = 0; i < 12; ++i) {
    big.push_back(SampleRecord(kSize + i));
    big.back().set_reason(std::string(512 << 10, 'r'));  // 0.5 MiB each
  }
  ASSERT_TRUE(log_.Append(std::move(big)).ok());
  absl::StatusOr<v1::GetLeavesResponse> r = AnswerGetLeaves(log_.log(), Leaves(kSize - 1, 1000));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_LT(r->leaves_size(), 10) << "stops once the answer passes 4 MiB";
  EXPECT_GE(r->leaves_size(), 2);
  std::size_t bytes = 0;
  for (const std::string& l : r->leaves()) bytes += l.size();
  EXPECT_LE(bytes, kMaxLeavesBytes);
}

TEST_F(AuditAnswersTest, HeadSizesComeInPagesWithTheirHeads) {
  v1::ListTreeHeadSizesRequest r;
  r.set_max_sizes(10);
  std::vector<uint64_t> sizes;
  for (;;) {
    absl::StatusOr<v1::ListTreeHeadSizesResponse> page = AnswerListTreeHeadSizes(log_.log(), r);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->tree_sizes_size(), 10);
    EXPECT_EQ(page->heads_size(), 0);
    sizes.insert(sizes.end(), page->tree_sizes().begin(), page->tree_sizes().end());
    if (!page->more()) break;
    r.set_after_size(sizes.back());
  }
  std::vector<uint64_t> expected;
  for (uint64_t s = 1; s <= kSize; ++s) {
    if (log_.log().SignedHeadAt(s).ok()) expected.push_back(s);
  }
  EXPECT_EQ(sizes, expected);
  EXPECT_EQ(sizes.back(), kSize);

  std::vector<v1::SignedTreeHead> heads = AllHeads();
  ASSERT_EQ(heads.size(), expected.size());
  for (std::size_t i = 0; i < heads.size(); ++i) {
    EXPECT_EQ(heads[i].SerializeAsString(), log_.log().SignedHeadAt(expected[i])->SerializeAsString());
  }
  r.set_after_size(kSize);
  EXPECT_EQ(AnswerListTreeHeadSizes(log_.log(), r)->tree_sizes_size(), 0);
  r.set_max_sizes(kMaxHeadSizesPerPage + 1);
  EXPECT_EQ(AnswerListTreeHeadSizes(log_.log(), r).status().code(), absl::StatusCode::kInvalidArgument);
  r.set_max_sizes(kMaxHeadsPerPage + 1);
  r.set_include_heads(true);
  EXPECT_EQ(AnswerListTreeHeadSizes(log_.log(), r).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuditAnswersTest, HeadAtASize) {
  v1::GetSignedTreeHeadRequest r;
  EXPECT_EQ(TreeSizeOf(*AnswerSignedTreeHead(log_.log(), r)), kSize);
  const uint64_t some = TreeSizeOf(AllHeads()[3]);
  r.set_tree_size(some);
  EXPECT_EQ(TreeSizeOf(*AnswerSignedTreeHead(log_.log(), r)), some);
  r.set_tree_size(kSize + 1);
  EXPECT_EQ(AnswerSignedTreeHead(log_.log(), r).status().code(), absl::StatusCode::kOutOfRange);
}

TEST_F(AuditAnswersTest, WhoSawRowsCarryTheirLeafBytesAndCheckOut) {
  v1::WhoSawResponse response = WhoSaw();
  for (const v1::WhoSawRow& row : response.rows()) EXPECT_EQ(row.leaf(), *log_.log().LeafBytes(row.leaf_index()));
  absl::StatusOr<CheckedWhoSaw> checked = CheckWhoSawResponse(response, log_.key().public_key());
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(checked->head.tree_size(), kSize);
  ASSERT_EQ(checked->rows.size(), static_cast<std::size_t>(response.rows_size()));
  for (const v1::WhoSawRow& row : checked->rows) EXPECT_EQ(row.record().sequence(), row.leaf_index());
}

TEST_F(AuditAnswersTest, WhoSawRowWithAlteredLeafBytesFailsOnTheClient) {
  v1::WhoSawResponse response = WhoSaw();
  // A broker (or anyone on the way) changes who received the record.
  v1::WhoSawRow* row = response.mutable_rows(2);
  v1::AuditRecord forged = row->record();
  forged.set_recipient("someone_else");
  row->set_leaf(forged.SerializeAsString());
  *row->mutable_record() = forged;
  absl::StatusOr<CheckedWhoSaw> checked = CheckWhoSawResponse(response, log_.key().public_key());
  EXPECT_EQ(checked.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(checked.status().message()),
              HasSubstr(absl::StrCat("who-saw row 3 (leaf ", row->leaf_index(), "): inclusion proof")));
}

TEST_F(AuditAnswersTest, WhoSawRecordFieldIsNotTrustedOnlyTheLeaf) {
  v1::WhoSawResponse response = WhoSaw();
  response.mutable_rows(0)->mutable_record()->set_recipient("someone_else");  // leaf untouched
  absl::StatusOr<CheckedWhoSaw> checked = CheckWhoSawResponse(response, log_.key().public_key());
  ASSERT_TRUE(checked.ok()) << checked.status();
  v1::AuditRecord stored;
  ASSERT_TRUE(stored.ParseFromString(response.rows(0).leaf()));
  EXPECT_EQ(checked->rows[0].record().recipient(), stored.recipient());
  EXPECT_NE(checked->rows[0].record().recipient(), "someone_else");
}

TEST_F(AuditAnswersTest, WhoSawAnswersThatCannotBeCheckedAreRefused) {
  const std::string key = log_.key().public_key();
  v1::WhoSawResponse no_leaf = WhoSaw();
  no_leaf.mutable_rows(1)->clear_leaf();  // an older broker
  EXPECT_EQ(CheckWhoSawResponse(no_leaf, key).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(CheckWhoSawResponse(no_leaf, key).status().message()), HasSubstr("carries no leaf bytes"));

  v1::WhoSawResponse other_size = WhoSaw();
  other_size.mutable_rows(0)->mutable_proof()->set_tree_size(kSize - 1);
  EXPECT_EQ(CheckWhoSawResponse(other_size, key).status().code(), absl::StatusCode::kInvalidArgument);

  v1::WhoSawResponse swapped = WhoSaw();
  swapped.mutable_rows(0)->set_leaf(swapped.rows(1).leaf());
  EXPECT_EQ(CheckWhoSawResponse(swapped, key).status().code(), absl::StatusCode::kUnauthenticated);

  TestLog other(tmp_.Path("other"));
  EXPECT_EQ(CheckWhoSawResponse(WhoSaw(), other.key().public_key()).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AuditAnswersTest, StreamVerifierRecomputesTheLogFromAnswers) {
  absl::StatusOr<LeafStreamVerifier> v = Stream({*log_.log().SignedHeadAt(TreeSizeOf(AllHeads()[5]))});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->target(), kSize);
  for (uint64_t i = 0; i < kSize; ++i) ASSERT_TRUE(v->Add(*log_.log().LeafBytes(i))) << v->Finish().finding->problem;
  VerifyReport r = v->Finish();
  EXPECT_TRUE(r.ok()) << r.finding->problem;
  EXPECT_EQ(r.records, kSize);
  EXPECT_EQ(r.heads, AllHeads().size());
  EXPECT_EQ(r.signatures, 1u);
  EXPECT_EQ(r.root, *log_.log().RootHash(kSize));
}

TEST_F(AuditAnswersTest, StreamVerifierNamesAlteredAndReorderedLeaves) {
  {
    absl::StatusOr<LeafStreamVerifier> v = Stream();
    ASSERT_TRUE(v.ok());
    for (uint64_t i = 0; i < kSize && v->ok(); ++i) {
      std::string leaf = *log_.log().LeafBytes(i);
      if (i == 333) leaf.back() ^= 1;
      v->Add(leaf);
    }
    VerifyReport r = v->Finish();
    ASSERT_FALSE(r.ok());
    EXPECT_LE(r.finding->index, 333u);
    EXPECT_THAT(r.finding->problem, HasSubstr("are not the records that were signed"));
  }
  {
    absl::StatusOr<LeafStreamVerifier> v = Stream();
    ASSERT_TRUE(v.ok());
    for (uint64_t i = 0; i < kSize && v->ok(); ++i) v->Add(*log_.log().LeafBytes(i == 40 ? 41 : i == 41 ? 40 : i));
    VerifyReport r = v->Finish();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.finding->index, 40u);
    EXPECT_THAT(r.finding->problem, HasSubstr("record 40 carries sequence number 41"));
  }
  {
    absl::StatusOr<LeafStreamVerifier> v = Stream();
    ASSERT_TRUE(v.ok());
    for (uint64_t i = 0; i < 100; ++i) v->Add(*log_.log().LeafBytes(i));
    VerifyReport r = v->Finish();
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.finding->problem, HasSubstr("sent 100 records but its latest signed head covers 700"));
  }
}

TEST_F(AuditAnswersTest, StreamVerifierHoldsTheLogToKeptHeads) {
  // The key holder rebuilt the log with record 10 changed and re-signed it.
  TestLog rebuilt(tmp_.Path("rebuilt"), *crypto::SigningKey::FromSeed(log_.key().Seed().view()));
  std::vector<v1::AuditRecord> records;
  for (uint64_t i = 0; i < kSize; ++i) {
    records.push_back(SampleRecord(i));
    if (i == 10) records.back().set_recipient("someone_else");
  }
  ASSERT_TRUE(rebuilt.Append(std::move(records)).ok());
  StreamVerifyOptions options;
  options.log_public_key = log_.key().public_key();
  options.kept_heads = {*log_.log().LatestSignedHead()};
  absl::StatusOr<LeafStreamVerifier> v = LeafStreamVerifier::Create(options, *rebuilt.log().LatestSignedHead(), {});
  ASSERT_TRUE(v.ok());
  for (uint64_t i = 0; i < kSize && v->ok(); ++i) v->Add(*rebuilt.log().LeafBytes(i));
  VerifyReport r = v->Finish();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.finding->problem, HasSubstr("the log's history differs from a head you kept"));

  // A broker whose latest head is behind a head the auditor kept was rolled back.
  options.kept_heads = {*log_.log().LatestSignedHead()};
  const v1::SignedTreeHead older = AllHeads()[10];
  v = LeafStreamVerifier::Create(options, older, {});
  ASSERT_TRUE(v.ok());
  for (uint64_t i = 0; i < v->target(); ++i) v->Add(*log_.log().LeafBytes(i));
  r = v->Finish();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.finding->problem, HasSubstr("but you kept a head for size 700"));
}

TEST_F(AuditAnswersTest, StreamVerifierRefusesAForgedLatestHead) {
  v1::SignedTreeHead forged = *log_.log().LatestSignedHead();
  forged.mutable_signature()->front() ^= 1;
  StreamVerifyOptions options;
  options.log_public_key = log_.key().public_key();
  absl::StatusOr<LeafStreamVerifier> v = LeafStreamVerifier::Create(options, forged, {});
  ASSERT_TRUE(v.ok());
  for (uint64_t i = 0; i < kSize && v->ok(); ++i) v->Add(*log_.log().LeafBytes(i));
  VerifyReport r = v->Finish();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.finding->problem, HasSubstr("head for size 700 is not signed by the log key"));
}

}  // namespace
}  // namespace accord::audit
