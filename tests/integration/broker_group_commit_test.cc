// Concurrent publishes through the real broker over mutual TLS, committed in
// groups (docs/architecture.md §Inside the broker): every receipt's head is
// signed by the log key and proves the publish's own EVENT_RECEIVED record,
// receipts of one batch carry the same head, and the records are in the order
// of the event sequence numbers.
#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "broker/audit/merkle.h"
#include "broker/audit/verifier.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "tests/integration/broker_fixture.h"

namespace accord::testing {
namespace {

TEST_F(BrokerTest, ConcurrentPublishesFromSeveralAgenciesGetVerifiableReceiptsWithRecordsInSequenceOrder) {
  const std::vector<std::string> senders = {"police", "probation", "childrens_services", "victim_services"};
  for (const std::string& s : senders) Client(s);
  Client("auditor");
  constexpr int kThreadsPerAgency = 3;
  constexpr int kPerThread = 8;
  std::mutex mu;
  std::vector<v1::ReceiptBody> receipts;
  std::vector<absl::Status> errors;
  std::vector<std::thread> threads;
  for (const std::string& sender : senders) {
    for (int t = 0; t < kThreadsPerAgency; ++t) {
      threads.emplace_back([&, sender, t] {
        for (int i = 0; i < kPerThread; ++i) {
          TestEvent e;
          e.id = absl::StrCat(sender, "-group-", t, "-", i);
          e.kind = v1::EVENT_KIND_REFERRAL;
          e.case_ref = absl::StrCat("case-", sender, "-", i % 3);
          e.sections = {"summary", "detail"};
          absl::StatusOr<v1::ReceiptBody> r = Publish(sender, e);
          std::lock_guard<std::mutex> lock(mu);
          if (r.ok()) {
            receipts.push_back(*r);
          } else {
            errors.push_back(r.status());
          }
        }
      });
    }
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(errors.empty()) << errors.front();
  const size_t n = senders.size() * kThreadsPerAgency * kPerThread;
  ASSERT_EQ(receipts.size(), n);

  std::sort(receipts.begin(), receipts.end(),
            [](const v1::ReceiptBody& a, const v1::ReceiptBody& b) { return a.sequence() < b.sequence(); });
  const std::string log_pub =
      *crypto::ReadSigningPublicKey(crypto::PartnershipPaths(Partnership()).LogPublicKey());
  auto audit_stub = v1::AuditService::NewStub(Client("auditor").channel());
  std::map<uint64_t, std::string> head_of_size;  // one head per batch
  for (size_t i = 0; i < receipts.size(); ++i) {
    const v1::ReceiptBody& r = receipts[i];
    SCOPED_TRACE(r.event_id());
    EXPECT_EQ(r.sequence(), i + 1) << "every publish has its own sequence number, none skipped";
    if (i > 0) {
      EXPECT_GT(r.audit_leaf_index(), receipts[i - 1].audit_leaf_index()) << "records in sequence order";
    }
    absl::StatusOr<v1::TreeHead> head = audit::VerifySignedTreeHead(r.tree_head(), log_pub);
    ASSERT_TRUE(head.ok()) << head.status();
    ASSERT_LT(r.audit_leaf_index(), head->tree_size());
    auto [it, fresh] = head_of_size.emplace(head->tree_size(), r.tree_head().SerializeAsString());
    EXPECT_EQ(it->second, r.tree_head().SerializeAsString()) << "receipts of one batch carry one head";
    // The receipt's leaf, proved in the receipt's head.
    grpc::ClientContext ctx;
    v1::GetInclusionProofRequest req;
    req.set_leaf_index(r.audit_leaf_index());
    req.set_tree_size(head->tree_size());
    v1::GetInclusionProofResponse resp;
    grpc::Status s = audit_stub->GetInclusionProof(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    v1::AuditRecord record;
    ASSERT_TRUE(record.ParseFromString(resp.leaf()));
    EXPECT_EQ(record.action(), v1::AUDIT_ACTION_EVENT_RECEIVED);
    EXPECT_EQ(record.event_id(), r.event_id());
    absl::Status proved = audit::VerifyInclusion(audit::LeafHash(resp.leaf()), resp.proof(), head->root_hash());
    EXPECT_TRUE(proved.ok()) << proved;
  }
  // How many writes the publishes took (not asserted: it depends on timing).
  RecordProperty("publishes", static_cast<int>(n));
  RecordProperty("batches", static_cast<int>(head_of_size.size()));
  std::cout << n << " publishes in " << head_of_size.size() << " batches\n";

  DropClients();
  EXPECT_EQ(broker_->Terminate(), 0) << "clean shutdown on SIGTERM";
  const std::string cmd = absl::StrCat(AccordBinary(), " audit verify --data ", DataDir(), " --partnership ",
                                       Partnership(), " > ", tmp_.Path("verify.out"), " 2>&1");
  EXPECT_EQ(std::system(cmd.c_str()), 0) << "accord audit verify failed: " << ReadAll(tmp_.Path("verify.out"));
}

}  // namespace
}  // namespace accord::testing
