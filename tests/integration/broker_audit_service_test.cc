// The AuditService of the real accord-broker over mutual TLS, as an outside
// auditor uses it (docs/protocol.md §9): leaves by range as the exact stored
// bytes, heads by size and the list of sizes, who-saw rows that carry the
// bytes they are proved against; auditors only, and every request audited
// with exactly one AUDIT_QUERY record.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "broker/audit/answer_checks.h"
#include "broker/audit/audit_answers.h"
#include "broker/audit/merkle.h"
#include "broker/audit/verifier.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "tests/integration/broker_fixture.h"

namespace accord::testing {
namespace {

using ::testing::HasSubstr;

class AuditServiceTest : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    for (int i = 0; i < 3; ++i) {
      TestEvent e;
      e.id = absl::StrCat("police-audit-", i);
      absl::StatusOr<v1::ReceiptBody> r = Publish("police", e);
      ASSERT_TRUE(r.ok()) << r.status();
    }
    auto key = crypto::ReadSigningPublicKey(crypto::PartnershipPaths(Partnership()).LogPublicKey());
    ASSERT_TRUE(key.ok());
    log_key_ = *key;
  }

  std::unique_ptr<v1::AuditService::Stub> Stub(const std::string& agency = "auditor") {
    return v1::AuditService::NewStub(Client(agency).channel());
  }
  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return ctx;
  }
  absl::StatusOr<v1::GetLeavesResponse> Leaves(uint64_t start, uint32_t count, const std::string& agency = "auditor") {
    v1::GetLeavesRequest r;
    r.set_start_index(start);
    r.set_count(count);
    v1::GetLeavesResponse out;
    grpc::Status s = Stub(agency)->GetLeaves(Ctx().get(), r, &out);
    if (!s.ok()) return agents::FromGrpc(s, "GetLeaves");
    return out;
  }
  absl::StatusOr<v1::SignedTreeHead> Head(uint64_t size = 0, const std::string& agency = "auditor") {
    v1::GetSignedTreeHeadRequest r;
    r.set_tree_size(size);
    v1::SignedTreeHead out;
    grpc::Status s = Stub(agency)->GetSignedTreeHead(Ctx().get(), r, &out);
    if (!s.ok()) return agents::FromGrpc(s, "GetSignedTreeHead");
    return out;
  }
  absl::StatusOr<v1::ListTreeHeadSizesResponse> Sizes(uint64_t after, uint32_t max, bool heads,
                                                      const std::string& agency = "auditor") {
    v1::ListTreeHeadSizesRequest r;
    r.set_after_size(after);
    r.set_max_sizes(max);
    r.set_include_heads(heads);
    v1::ListTreeHeadSizesResponse out;
    grpc::Status s = Stub(agency)->ListTreeHeadSizes(Ctx().get(), r, &out);
    if (!s.ok()) return agents::FromGrpc(s, "ListTreeHeadSizes");
    return out;
  }
  uint64_t LatestSize() {
    absl::StatusOr<v1::SignedTreeHead> h = Head();
    EXPECT_TRUE(h.ok()) << h.status();
    return h.ok() ? audit::TreeSizeOf(*h) : 0;
  }

  std::string log_key_;
};

TEST_F(AuditServiceTest, LeavesByRangeAreTheStoredBytesProvedByTheHead) {
  absl::StatusOr<v1::GetLeavesResponse> got = Leaves(0, 1000);
  ASSERT_TRUE(got.ok()) << got.status();
  absl::StatusOr<v1::TreeHead> head = audit::VerifySignedTreeHead(got->head(), log_key_);
  ASSERT_TRUE(head.ok()) << head.status();
  ASSERT_EQ(static_cast<uint64_t>(got->leaves_size()), head->tree_size()) << "the whole log, its own record included";
  for (uint64_t i : {uint64_t{0}, uint64_t{5}, head->tree_size() - 1}) {
    const std::string& leaf = got->leaves(static_cast<int>(i));
    v1::GetInclusionProofRequest r;
    r.set_leaf_index(i);
    r.set_tree_size(head->tree_size());
    v1::GetInclusionProofResponse proof;
    ASSERT_TRUE(Stub()->GetInclusionProof(Ctx().get(), r, &proof).ok());
    EXPECT_EQ(proof.leaf(), leaf) << "leaf " << i;
    EXPECT_TRUE(audit::VerifyInclusion(audit::LeafHash(leaf), proof.proof(), head->root_hash()).ok()) << i;
    v1::AuditRecord record;
    ASSERT_TRUE(record.ParseFromString(leaf));
    EXPECT_EQ(record.sequence(), i);
  }
  v1::AuditRecord last;
  ASSERT_TRUE(last.ParseFromString(got->leaves(got->leaves_size() - 1)));
  EXPECT_EQ(last.action(), v1::AUDIT_ACTION_AUDIT_QUERY);
  EXPECT_EQ(last.actor_agency(), "auditor");
  EXPECT_EQ(last.reason(), "leaves from 0, 1000 asked");
}

TEST_F(AuditServiceTest, LeafRangesAreBounded) {
  const uint64_t size = LatestSize();
  absl::StatusOr<v1::GetLeavesResponse> none = Leaves(0, 0);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(none.status().message()), HasSubstr("1 to 1000 leaves per request; asked for 0"));
  absl::StatusOr<v1::GetLeavesResponse> many = Leaves(0, 1001);
  EXPECT_EQ(many.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(many.status().message()), HasSubstr("asked for 1001"));
  absl::StatusOr<v1::GetLeavesResponse> beyond = Leaves(size + 100, 10);
  EXPECT_EQ(beyond.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(std::string(beyond.status().message()),
              HasSubstr(absl::StrCat("leaf ", size + 100, " is beyond the log: its latest signed head is for size")));
  // A range that runs past the end stops there; the newest leaf is the request's own record.
  absl::StatusOr<v1::GetLeavesResponse> tail = Leaves(size - 2, 1000);
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(static_cast<uint64_t>(tail->leaves_size()), audit::TreeSizeOf(tail->head()) - (size - 2));
  EXPECT_GE(tail->leaves_size(), 3);
}

TEST_F(AuditServiceTest, HeadsBySizeAndTheListOfSizes) {
  std::vector<uint64_t> sizes;
  std::vector<v1::SignedTreeHead> heads;
  uint64_t after = 0;
  for (int page = 0; page < 1000; ++page) {
    absl::StatusOr<v1::ListTreeHeadSizesResponse> got = Sizes(after, 3, true);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->heads_size(), got->tree_sizes_size());
    EXPECT_LE(got->tree_sizes_size(), 3);
    for (int i = 0; i < got->tree_sizes_size(); ++i) {
      EXPECT_GT(got->tree_sizes(i), after);
      after = got->tree_sizes(i);
      sizes.push_back(after);
      heads.push_back(got->heads(i));
    }
    if (!got->more()) break;
  }
  ASSERT_GE(sizes.size(), 5u);
  for (std::size_t i = 0; i < heads.size(); ++i) {
    absl::StatusOr<v1::TreeHead> th = audit::VerifySignedTreeHead(heads[i], log_key_);
    ASSERT_TRUE(th.ok()) << th.status();
    EXPECT_EQ(th->tree_size(), sizes[i]);
  }
  absl::StatusOr<v1::SignedTreeHead> at = Head(sizes[2]);
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_EQ(at->SerializeAsString(), heads[2].SerializeAsString());
  // The sizes without a head: between two appends of several records.
  uint64_t missing = 0;
  for (std::size_t i = 1; i < sizes.size() && missing == 0; ++i) {
    if (sizes[i] > sizes[i - 1] + 1) missing = sizes[i - 1] + 1;
  }
  ASSERT_NE(missing, 0u);
  EXPECT_EQ(Head(missing).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Head(sizes.back() + 1000).status().code(), absl::StatusCode::kOutOfRange);
  absl::StatusOr<v1::ListTreeHeadSizesResponse> plain = Sizes(0, 10000, false);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->heads_size(), 0);
  EXPECT_EQ(Sizes(0, 10001, false).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Sizes(0, 1001, true).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuditServiceTest, OnlyAuditorsMayAsk) {
  for (const std::string agency : {"police", "perpetrator_programme"}) {
    EXPECT_EQ(Leaves(0, 10, agency).status().code(), absl::StatusCode::kPermissionDenied) << agency;
    EXPECT_EQ(Head(1, agency).status().code(), absl::StatusCode::kPermissionDenied) << agency;
    absl::StatusOr<v1::ListTreeHeadSizesResponse> sizes = Sizes(0, 10, true, agency);
    EXPECT_EQ(sizes.status().code(), absl::StatusCode::kPermissionDenied) << agency;
    EXPECT_THAT(std::string(sizes.status().message()), HasSubstr("audit queries are for auditor agencies"));
  }
}

TEST_F(AuditServiceTest, EachRequestWritesExactlyOneAuditQueryRecord) {
  const uint64_t first = LatestSize();  // its own record is the last leaf
  struct Call {
    std::string reason;
    std::function<bool()> run;
  };
  const std::string victim = Pseudonym("Jones|Sarah|1990-04-01");
  std::vector<Call> calls = {
      {"leaves from 0, 1000 asked", [&] { return Leaves(0, 1000).ok(); }},
      {"tree head sizes after 0, with the heads", [&] { return Sizes(0, 1000, true).ok(); }},
      {absl::StrCat("signed tree head for size ", first), [&] { return Head(first).ok(); }},
      {"inclusion proof for leaf 3",
       [&] {
         v1::GetInclusionProofRequest r;
         r.set_leaf_index(3);
         v1::GetInclusionProofResponse out;
         return Stub()->GetInclusionProof(Ctx().get(), r, &out).ok();
       }},
      {absl::StrCat("consistency proof ", first, " -> 0"),
       [&] {
         v1::GetConsistencyProofRequest r;
         r.set_first_size(first);
         v1::GetConsistencyProofResponse out;
         return Stub()->GetConsistencyProof(Ctx().get(), r, &out).ok();
       }},
      {absl::StrCat("who-saw subject=", victim),
       [&] {
         v1::WhoSawQuery q;
         q.set_subject_ref(victim);
         return WhoSaw(q).ok();
       }},
  };
  uint64_t before = first;
  for (const Call& call : calls) {
    ASSERT_TRUE(call.run()) << call.reason;
    const uint64_t after = LatestSize();
    EXPECT_EQ(after, before + 2) << call.reason << ": its record and the head request's";
    absl::StatusOr<v1::GetLeavesResponse> got = Leaves(before, 2);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->leaves_size(), 2);
    v1::AuditRecord record;
    ASSERT_TRUE(record.ParseFromString(got->leaves(0)));
    EXPECT_EQ(record.action(), v1::AUDIT_ACTION_AUDIT_QUERY) << call.reason;
    EXPECT_EQ(record.actor_agency(), "auditor");
    EXPECT_EQ(record.reason(), call.reason);
    before = after + 1;  // and the record of that GetLeaves
  }
}

TEST_F(AuditServiceTest, WhoSawRowsCarryTheBytesTheyAreProvedAgainst) {
  v1::WhoSawQuery q;
  q.set_event_id("police-audit-1");
  absl::StatusOr<v1::WhoSawResponse> response = WhoSaw(q);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_GE(response->rows_size(), 2);
  for (const v1::WhoSawRow& row : response->rows()) {
    absl::StatusOr<v1::GetLeavesResponse> stored = Leaves(row.leaf_index(), 1);
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(row.leaf(), stored->leaves(0)) << "row " << row.leaf_index() << " carries the stored bytes";
  }
  absl::StatusOr<audit::CheckedWhoSaw> checked = audit::CheckWhoSawResponse(*response, log_key_);
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(checked->rows.size(), static_cast<std::size_t>(response->rows_size()));
  for (const v1::WhoSawRow& row : checked->rows) EXPECT_EQ(row.record().event_id(), "police-audit-1");

  // The same answer with one row's bytes altered on the way does not check out.
  v1::WhoSawResponse altered = *response;
  std::string leaf = altered.rows(1).leaf();
  leaf[leaf.size() / 2] ^= 0x01;
  altered.mutable_rows(1)->set_leaf(leaf);
  absl::StatusOr<audit::CheckedWhoSaw> bad = audit::CheckWhoSawResponse(altered, log_key_);
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("who-saw row 2"));
}

}  // namespace
}  // namespace accord::testing
