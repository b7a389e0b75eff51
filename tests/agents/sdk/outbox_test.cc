// The outbox loses nothing across restarts, keeps order, and never duplicates.
#include "agents/sdk/outbox.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"

namespace accord::agents {
namespace {

namespace fs = std::filesystem;

class OutboxTest : public ::testing::Test {
 protected:

  OutgoingEvent Event(const std::string& id) {
    OutgoingEvent e;
    e.header.set_event_id(id);
    e.header.set_case_ref("CASE-1");
    e.sections.push_back({"summary", "accord.v1.Summary", "plain " + id});
    e.source = "incidents.csv:" + id;
    return e;
  }

  accord::testing::TempDir tmp_;
  const fs::path dir_ = tmp_.path() / "outbox";
};

TEST_F(OutboxTest, KeepsOrderAndSurvivesReopen) {
  {
    auto outbox = Outbox::Open(dir_.string());
    ASSERT_TRUE(outbox.ok()) << outbox.status();
    EXPECT_EQ(*(*outbox)->AddAll({Event("a"), Event("b"), Event("c")}), 3);
  }
  auto outbox = Outbox::Open(dir_.string());
  ASSERT_TRUE(outbox.ok());
  EXPECT_EQ(*(*outbox)->PendingCount(), 3u);
  auto next = (*outbox)->Next();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ((*next)->header().event_id(), "a");
  EXPECT_EQ((*next)->sections(0).plaintext(), "plain a");
  ASSERT_TRUE((*outbox)->MarkSent((*next)->seq(), v1::Receipt()).ok());
  EXPECT_EQ((*(*outbox)->Next())->header().event_id(), "b");
  // New events after a restart still go after the old ones.
  EXPECT_EQ(*(*outbox)->AddAll({Event("d")}), 1);
  std::vector<std::string> order;
  while (auto n = *(*outbox)->Next()) {
    order.push_back(n->header().event_id());
    ASSERT_TRUE((*outbox)->MarkSent(n->seq(), v1::Receipt()).ok());
  }
  EXPECT_EQ(order, (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ((*outbox)->Sent()->size(), 4u);
}

TEST_F(OutboxTest, SameEventIdIsNeverQueuedTwice) {
  auto outbox = *Outbox::Open(dir_.string());
  EXPECT_EQ(*outbox->AddAll({Event("a"), Event("a")}), 1);
  EXPECT_EQ(*outbox->AddAll({Event("a"), Event("b")}), 1);
  auto a = *outbox->Next();
  ASSERT_TRUE(outbox->MarkSent(a->seq(), v1::Receipt()).ok());
  // Re-reading an export after it was sent adds nothing either.
  EXPECT_EQ(*outbox->AddAll({Event("a")}), 0);
  EXPECT_EQ(*outbox->PendingCount(), 1u);
}

TEST_F(OutboxTest, SealedBytesAreKeptForRetriesAndCanBeCleared) {
  {
    auto outbox = *Outbox::Open(dir_.string());
    ASSERT_EQ(*outbox->AddAll({Event("a")}), 1);
    v1::Envelope sealed;
    sealed.set_header("header bytes");
    sealed.set_signature("sig");
    ASSERT_TRUE(outbox->RecordSealed((*outbox->Next())->seq(), sealed).ok());
  }
  auto outbox = *Outbox::Open(dir_.string());
  auto record = *outbox->Next();
  ASSERT_TRUE(record->has_sealed());
  EXPECT_EQ(record->sealed().header(), "header bytes");
  ASSERT_TRUE(outbox->ClearSealed(record->seq(), "policy changed").ok());
  record = *outbox->Next();
  EXPECT_FALSE(record->has_sealed());
  EXPECT_EQ(record->attempts(), 1u);
  EXPECT_EQ(record->last_error(), "policy changed");
  EXPECT_EQ(record->sections_size(), 1);
}

TEST_F(OutboxTest, SentRecordsDropPlaintext) {
  auto outbox = *Outbox::Open(dir_.string());
  ASSERT_EQ(*outbox->AddAll({Event("a")}), 1);
  v1::Receipt receipt;
  receipt.set_body("receipt");
  ASSERT_TRUE(outbox->MarkSent((*outbox->Next())->seq(), receipt).ok());
  auto sent = *outbox->Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].sections_size(), 0);
  EXPECT_EQ(sent[0].receipt().body(), "receipt");
  EXPECT_EQ(outbox->MarkSent(sent[0].seq(), receipt).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace accord::agents
