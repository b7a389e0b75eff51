// Properties over many trees (fixed seed): in a 10,000-record log on RocksDB,
// every inclusion proof for every leaf at random tree sizes and every
// consistency proof between random pairs of sizes verifies; a proof offered
// for a different leaf, size or head does not. Roots come from an
// independent in-test computation, not from the log.
#include <random>

#include <gtest/gtest.h>

#include "google/protobuf/stubs/logging.h"

#include "broker/audit/merkle.h"
#include "broker/audit/storage_layout.h"
#include "broker/audit/verifier.h"
#include "tests/broker/audit/test_log.h"
#include "tests/testing/temp_dir.h"

namespace accord::audit {
namespace {

using testing::SampleRecord;
using testing::TestLog;

constexpr uint64_t kMaxSize = 10000;

// roots[n] = MTH of the first n leaves, by RFC 6962's definition applied
// bottom-up: pair up the hashes of a level, carrying an odd one up unchanged.
std::string Root(const std::vector<std::string>& leaf_hashes, uint64_t n) {
  if (n == 0) return EmptyTreeHash();
  std::vector<std::string> level(leaf_hashes.begin(), leaf_hashes.begin() + static_cast<std::ptrdiff_t>(n));
  while (level.size() > 1) {
    std::vector<std::string> up;
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) up.push_back(NodeHash(level[i], level[i + 1]));
    if (level.size() % 2 == 1) up.push_back(level.back());
    level = std::move(up);
  }
  return level[0];
}

class PropertyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new accord::testing::TempDir();
    log_ = new TestLog(tmp_->Path("db"));
    log_->Fill(kMaxSize, 64, 20240601);
    for (uint64_t i = 0; i < kMaxSize; ++i) leaf_hashes_.push_back(LeafHash(*log_->log().LeafBytes(i)));
  }
  static void TearDownTestSuite() {
    delete log_;
    delete tmp_;
  }
  static accord::testing::TempDir* tmp_;
  static TestLog* log_;
  static std::vector<std::string> leaf_hashes_;
};
accord::testing::TempDir* PropertyTest::tmp_ = nullptr;
TestLog* PropertyTest::log_ = nullptr;
std::vector<std::string> PropertyTest::leaf_hashes_;

TEST_F(PropertyTest, EveryInclusionProofVerifiesAndNoOtherDoes) {
  std::mt19937_64 rng(6962);
  std::vector<uint64_t> sizes = {1, 2, 3, 1024, kMaxSize};
  for (int i = 0; i < 6; ++i) sizes.push_back(1 + rng() % kMaxSize);
  for (uint64_t n : sizes) {
    SCOPED_TRACE(::testing::Message() << "size " << n);
    const std::string root = Root(leaf_hashes_, n);
    ASSERT_EQ(*log_->log().RootHash(n), root);
    const std::string other_root = Root(leaf_hashes_, n == 1 ? 2 : n - 1);
    for (uint64_t i = 0; i < n; ++i) {
      absl::StatusOr<v1::InclusionProof> proof = log_->log().ProveInclusion(i, n);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_TRUE(VerifyInclusion(leaf_hashes_[i], *proof, root).ok()) << "leaf " << i;
      if (i % 7 != 0) continue;  // the negative cases on a sample keep the test quick
      ASSERT_FALSE(VerifyInclusion(leaf_hashes_[(i + 1) % kMaxSize], *proof, root).ok()) << "wrong leaf " << i;
      ASSERT_FALSE(VerifyInclusion(leaf_hashes_[i], *proof, other_root).ok()) << "wrong head " << i;
      v1::InclusionProof moved = *proof;
      moved.set_leaf_index(i ^ 1);
      if (moved.leaf_index() < n) {
        ASSERT_FALSE(VerifyInclusion(leaf_hashes_[i], moved, root).ok()) << "wrong index " << i;
      }
    }
  }
}

TEST_F(PropertyTest, ConsistencyProofsBetweenRandomSizesVerifyAndOthersDoNot) {
  std::mt19937_64 rng(9162);
  std::vector<std::string> roots(kMaxSize + 1);
  std::vector<bool> have(kMaxSize + 1, false);
  auto root = [&](uint64_t n) -> const std::string& {
    if (!have[n]) roots[n] = Root(leaf_hashes_, n), have[n] = true;
    return roots[n];
  };
  for (int trial = 0; trial < 400; ++trial) {
    uint64_t a = rng() % (kMaxSize + 1), b = rng() % (kMaxSize + 1);
    if (trial % 10 == 0) a = b;  // same size
    if (trial % 10 == 1) a = 0;  // from the empty tree
    if (a > b) std::swap(a, b);
    SCOPED_TRACE(::testing::Message() << a << " -> " << b);
    absl::StatusOr<v1::ConsistencyProof> proof = log_->log().ProveConsistency(a, b);
    ASSERT_TRUE(proof.ok()) << proof.status();
    ASSERT_TRUE(VerifyConsistency(*proof, root(a), root(b)).ok());
    if (b == 0) continue;
    // A different first or second head fails.
    const uint64_t other = a == 0 ? 1 : a - 1;
    if (other <= b && root(other) != root(a)) {
      ASSERT_FALSE(VerifyConsistency(*proof, root(other), root(b)).ok());
    }
    // (From the empty tree every tree is consistent, so only a != 0 binds the second root.)
    if (a != 0) {
      ASSERT_FALSE(VerifyConsistency(*proof, root(a), root(b - 1)).ok());
    }
    // (A proof's sizes only shape the path, and neighbouring sizes can share a
    // shape: sizes are bound to roots by the signed heads, not by the proof.)
    // A flipped bit in any hash fails.
    if (proof->hashes_size() > 0) {
      v1::ConsistencyProof flipped = *proof;
      const int at = static_cast<int>(rng() % static_cast<uint64_t>(proof->hashes_size()));
      (*flipped.mutable_hashes(at))[rng() % kHashSize] ^= static_cast<char>(1 << (rng() % 8));
      ASSERT_FALSE(VerifyConsistency(flipped, root(a), root(b)).ok());
    }
  }
}

// The wire-format reader the indexes rely on agrees with a full protobuf parse.
TEST(RecordFieldsTest, AgreesWithProtobufOnValidAndMangledRecords) {
  google::protobuf::LogSilencer quiet;  // mangled strings are not UTF-8; protobuf would log each
  std::mt19937_64 rng(42);
  int compared = 0;
  for (uint64_t i = 0; i < 3000; ++i) {
    v1::AuditRecord r = SampleRecord(i);
    r.set_sequence(i);
    if (i % 3 == 0) r.mutable_consent()->set_subject_ref(testing::SubjectRef(1000 + static_cast<int>(i)));
    if (i % 5 == 0) r.mutable_consent_statement()->set_subject_ref(testing::SubjectRef(2000));
    std::string bytes = r.SerializeAsString();
    if (i % 4 == 2) bytes += std::string("\xfb\x07\x08\x01\xfc\x07", 6);  // an unknown group (field 127)
    if (i % 2 == 1) {
      for (int flips = 0; flips < 3; ++flips) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    v1::AuditRecord parsed;
    const bool proto_ok = parsed.ParseFromString(bytes);
    absl::StatusOr<RecordFields> f = ReadRecordFields(bytes);
    absl::StatusOr<uint64_t> sequence = ReadRecordSequence(bytes);
    if (proto_ok) {
      EXPECT_TRUE(f.ok()) << "the reader refuses a record protobuf accepts: " << i;
      ASSERT_TRUE(sequence.ok()) << "the sequence reader refuses a record protobuf accepts: " << i;
      EXPECT_EQ(*sequence, parsed.sequence());
    }
    if (!proto_ok || !f.ok()) continue;
    ++compared;
    EXPECT_EQ(f->sequence, parsed.sequence());
    EXPECT_EQ(f->action, parsed.action());
    EXPECT_EQ(f->time_micros, parsed.time().seconds() * 1000000 + parsed.time().nanos() / 1000);
    EXPECT_EQ(f->actor_agency, parsed.actor_agency());
    EXPECT_EQ(f->recipient, parsed.recipient());
    EXPECT_EQ(f->event_id, parsed.event_id());
    EXPECT_EQ(f->case_ref, parsed.case_ref());
    std::vector<std::string> subjects;
    for (const v1::SubjectRef& s : parsed.subjects()) {
      if (!s.ref().empty()) subjects.push_back(s.ref());
    }
    if (!parsed.consent().subject_ref().empty()) subjects.push_back(parsed.consent().subject_ref());
    if (!parsed.consent_statement().subject_ref().empty()) subjects.push_back(parsed.consent_statement().subject_ref());
    std::vector<std::string> got(f->subject_refs.begin(), f->subject_refs.end());
    got.erase(std::remove(got.begin(), got.end(), ""), got.end());
    EXPECT_EQ(got, subjects) << i;
  }
  EXPECT_GT(compared, 1500);
}

// The verifier's head reader agrees with parsing SignedTreeHead and TreeHead.
TEST(HeadFieldsTest, AgreesWithProtobufOnValidAndMangledHeads) {
  google::protobuf::LogSilencer quiet;
  std::mt19937_64 rng(7);
  int compared = 0;
  for (uint64_t i = 0; i < 3000; ++i) {
    v1::TreeHead th;
    th.set_tree_size(rng() >> (rng() % 64));
    th.set_root_hash(std::string(32, static_cast<char>(i)));
    th.mutable_timestamp()->set_seconds(static_cast<int64_t>(1'700'000'000 + i));
    th.mutable_timestamp()->set_nanos(static_cast<int32_t>(i * 1000));
    th.set_log_key_id("4484a55571deaf4f");
    std::string inner = th.SerializeAsString();
    if (i % 4 == 1) inner += std::string("\x08\x05", 2);  // tree_size again: the last value wins
    v1::SignedTreeHead sth;
    sth.set_tree_head(inner);
    sth.set_signature(std::string(64, 's'));
    std::string bytes = sth.SerializeAsString();
    if (i % 2 == 1) {
      for (int flips = 0; flips < 2; ++flips) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    v1::SignedTreeHead parsed;
    v1::TreeHead head;
    const bool proto_ok = parsed.ParseFromString(bytes) && head.ParseFromString(parsed.tree_head());
    absl::StatusOr<HeadFields> f = ReadHeadFields(bytes);
    if (proto_ok) {
      EXPECT_TRUE(f.ok()) << "the reader refuses a head protobuf accepts: " << i;
    }
    if (!proto_ok || !f.ok()) continue;
    ++compared;
    EXPECT_EQ(f->tree_head, parsed.tree_head());
    EXPECT_EQ(f->signature, parsed.signature());
    EXPECT_EQ(f->tree_size, head.tree_size());
    EXPECT_EQ(f->root_hash, head.root_hash());
    EXPECT_EQ(f->seconds, head.timestamp().seconds());
    EXPECT_EQ(f->nanos, head.timestamp().nanos());
    EXPECT_EQ(f->log_key_id, head.log_key_id());
  }
  EXPECT_GT(compared, 1500);
}

}  // namespace
}  // namespace accord::audit
