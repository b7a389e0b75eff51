// kill -9 during streams of concurrent publishes: every publish that got a receipt
// survives and is delivered, the audit log verifies offline, and the tree head
// after the restart is consistent with the last one a sender was given.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <cstdlib>
#include <thread>

#include <filesystem>
#include <fstream>
#include <future>

#include "absl/strings/str_cat.h"
#include "grpcpp/generic/generic_stub.h"
#include "broker/audit/verifier.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "tests/integration/broker_fixture.h"

namespace accord::testing {
namespace {

TEST_F(BrokerTest, KillNineLosesNothingThatWasAcknowledged) {
  agents::AgencyClient& police = Client("police");
  Client("probation");
  struct Sent {
    v1::Envelope envelope;
    v1::ReceiptBody receipt;
  };
  std::vector<Sent> receipted;
  std::vector<v1::Envelope> unreceipted;
  std::atomic<bool> stop{false};
  std::mutex mu;
  // Many publishers at once, so that the kill falls among group-committed
  // batches of several publishes.
  constexpr int kPublishers = 12;
  std::vector<std::thread> publishers;
  for (int t = 0; t < kPublishers; ++t) {
    publishers.emplace_back([&, t] {
      for (int i = 0; !stop && i < 2000; ++i) {
        TestEvent e;
        e.id = absl::StrCat("police-crash-", t, "-", i);
        e.case_ref = absl::StrCat("case-", i % 7);
        absl::StatusOr<v1::Envelope> env = police.PlanAndSeal(Header("police", e), Sections(e), absl::Seconds(2));
        if (!env.ok()) break;  // the broker is gone
        absl::StatusOr<v1::ReceiptBody> r = police.Publish(*env, absl::Seconds(2));
        std::lock_guard<std::mutex> lock(mu);
        if (r.ok()) {
          receipted.push_back({*env, *r});
        } else {
          unreceipted.push_back(*env);
          break;
        }
      }
    });
  }
  // Let a good number of publishes through, then kill the broker mid-stream.
  for (int i = 0; i < 600; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (receipted.size() >= 80) break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  broker_->Kill9();
  stop = true;
  for (std::thread& t : publishers) t.join();
  ASSERT_GE(receipted.size(), 5u) << "the broker accepted too little before the kill";
  // The largest head any sender was given.
  v1::SignedTreeHead old_head;
  uint64_t old_size = 0;
  for (const Sent& s : receipted) {
    v1::TreeHead th;
    th.ParseFromString(s.receipt.tree_head().tree_head());
    if (th.tree_size() > old_size) {
      old_size = th.tree_size();
      old_head = s.receipt.tree_head();
    }
  }

  StartBroker();
  agents::AgencyClient& police2 = Client("police");
  // Every receipted publish is there: re-publishing returns its original receipt.
  for (const Sent& s : receipted) {
    absl::StatusOr<v1::ReceiptBody> again = police2.Publish(s.envelope, absl::Seconds(10));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(again->duplicate());
    EXPECT_EQ(again->sequence(), s.receipt.sequence());
  }
  // ...and delivered: probation receives every one of them.
  std::set<std::string> want;
  for (const Sent& s : receipted) want.insert(s.receipt.event_id());
  std::set<std::string> got;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!std::includes(got.begin(), got.end(), want.begin(), want.end()) && absl::Now() < deadline) {
    std::vector<v1::Delivery> batch = Receive("probation", 500, absl::Seconds(2));
    for (const v1::Delivery& d : batch) {
      v1::EventHeader h;
      h.ParseFromString(d.envelope().header());
      got.insert(h.event_id());
    }
    if (!batch.empty()) ASSERT_TRUE(Ack("probation", batch.back().queue_sequence()).ok());
  }
  EXPECT_TRUE(std::includes(got.begin(), got.end(), want.begin(), want.end()))
      << "received " << got.size() << " of " << want.size() << " receipted events";

  // The new head is consistent with the head the last receipt carried.
  const std::string log_pub =
      *crypto::ReadSigningPublicKey(crypto::PartnershipPaths(Partnership()).LogPublicKey());
  absl::StatusOr<v1::TreeHead> before = audit::VerifySignedTreeHead(old_head, log_pub);
  ASSERT_TRUE(before.ok()) << before.status();
  auto stub = v1::AuditService::NewStub(Client("auditor").channel());
  grpc::ClientContext ctx;
  v1::GetConsistencyProofRequest req;
  req.set_first_size(before->tree_size());
  v1::GetConsistencyProofResponse resp;
  ASSERT_TRUE(stub->GetConsistencyProof(&ctx, req, &resp).ok());
  absl::StatusOr<v1::TreeHead> after = audit::VerifySignedTreeHead(resp.head(), log_pub);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_GT(after->tree_size(), before->tree_size());
  absl::Status consistent = audit::VerifyConsistency(resp.proof(), before->root_hash(), after->root_hash());
  EXPECT_TRUE(consistent.ok()) << consistent;

  // Offline verification of the whole database passes.
  DropClients();
  EXPECT_EQ(broker_->Terminate(), 0) << "clean shutdown on SIGTERM";
  const std::string cmd = absl::StrCat(AccordBinary(), " audit verify --data ", DataDir(), " --partnership ",
                                       Partnership(), " > ", tmp_.Path("verify.out"), " 2>&1");
  EXPECT_EQ(std::system(cmd.c_str()), 0) << "accord audit verify failed";
}

TEST_F(BrokerTest, RestartsQuicklyOnAnExistingDatabaseAndReloadsPolicyOnSighup) {
  TestEvent e;
  e.id = "police-restart-1";
  ASSERT_TRUE(Publish("police", e).ok());
  DropClients();
  EXPECT_EQ(broker_->Terminate(), 0);
  const absl::Time t0 = absl::Now();
  StartBroker();
  std::cerr << "restart took " << absl::FormatDuration(absl::Now() - t0) << "\n";
  e.id = "police-restart-2";
  ASSERT_TRUE(Publish("police", e).ok());
  // Standard health checking answers SERVING (HealthCheckResponse{status: 1}).
  grpc::GenericStub generic(Client("police").channel());
  grpc::ClientContext hctx;
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&hctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) { done.set_value(s); });
  grpc::Status health = done.get_future().get();
  ASSERT_TRUE(health.ok()) << health.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
  broker_->Signal(SIGHUP);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (broker_->Log().find("msg=\"policy reloaded\"") == std::string::npos && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_NE(broker_->Log().find("msg=\"policy reloaded\""), std::string::npos);
  v1::WhoSawQuery q;
  q.add_actions(v1::AUDIT_ACTION_POLICY_LOADED);
  absl::StatusOr<v1::WhoSawResponse> rows = WhoSaw(q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_GE(rows->rows_size(), 2) << "start-up load and the reload are audited";
  EXPECT_EQ(rows->rows(rows->rows_size() - 1).record().reason().rfind("reload", 0), 0u);
}

TEST_F(BrokerTest, AnInvalidPolicyReloadLeavesTheOldPolicyActive) {
  auto plan_version = [&] {
    TestEvent e;
    e.id = "police-probe";
    v1::SharePlan plan;
    EXPECT_TRUE(Client("police").PlanAndSeal(Header("police", e), Sections(e), absl::Seconds(10), &plan).ok());
    return plan.policy_version();
  };
  const std::string before = plan_version();
  std::ofstream(PolicyPath(), std::ios::trunc) << "version: 1\nrules: [this is not a rule\n";
  broker_->Signal(SIGHUP);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (broker_->Log().find("policy reload rejected") == std::string::npos && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_NE(broker_->Log().find("policy reload rejected"), std::string::npos);
  EXPECT_EQ(plan_version(), before) << "the old policy is still in force";
  TestEvent e;
  e.id = "police-after-bad-reload";
  EXPECT_TRUE(Publish("police", e).ok());

  // The admin call: only configured admin agencies, and it reports the error.
  auto reload = [&](const std::string& agency) {
    auto stub = v1::AdminService::NewStub(Client(agency).channel());
    grpc::ClientContext ctx;
    v1::ReloadPolicyResponse resp;
    return stub->ReloadPolicy(&ctx, v1::ReloadPolicyRequest(), &resp);
  };
  EXPECT_EQ(reload("police").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(reload("marac_coordinator").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::filesystem::copy_file(ACCORD_SOURCE_DIR "/tests/policies/one-programme.yaml", PolicyPath(),
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_TRUE(reload("marac_coordinator").ok());
  EXPECT_EQ(plan_version(), before) << "same file, same canonical hash";
}

}  // namespace
}  // namespace accord::testing
