// bench/compare/growth's prefill tool works (not how fast): accord_prefill
// writes N events through the real publish path into a data directory whose
// audit log verifies offline, which holds N events with the recipients'
// queues acknowledged (or left undelivered), and which the real accord-broker
// then serves. Bad flags and a non-empty data directory are refused.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "broker/audit/offline_verify.h"
#include "broker/rocksdb_store.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "tests/integration/broker_fixture.h"
#include "tests/integration/tool_run.h"

namespace accord::testing {
namespace {

const std::string kPrefill = ACCORD_BINARY_DIR "/bench/compare/accord_prefill";
const std::vector<std::string> kRecipients = {"probation", "childrens_services", "victim_services",
                                              "marac_coordinator"};

ToolRun RunTool(const std::string& command) { return accord::testing::RunTool(command, "prefill"); }

class PrefillSmokeTest : public BrokerTest {
 protected:
  // The fixture's broker holds DataDir(); the tool writes elsewhere.
  void StopBroker() {
    DropClients();
    if (broker_ != nullptr) {
      EXPECT_EQ(broker_->Terminate(), 0);
    }
    broker_.reset();
  }
  std::string Command(const std::string& data, int events, const std::string& extra = "") const {
    return kPrefill + " --partnership " + Partnership() + " --policy " + PolicyPath() + " --data " + data +
           " --events " + std::to_string(events) + " --publishers 4 --progress 0.2" + extra;
  }
  void ExpectVerifies(const std::string& data, int64_t records) {
    audit::VerifyOptions o;
    absl::StatusOr<std::string> key = crypto::ReadSigningPublicKey(crypto::PartnershipPaths(Partnership()).LogPublicKey());
    if (!key.ok()) {
      FAIL() << key.status();
    }
    o.log_public_key = *key;
    o.all_signatures = true;
    absl::StatusOr<audit::VerifyReport> report = audit::VerifyDataDirectory(data, o);
    if (!report.ok()) {
      FAIL() << report.status();
    }
    if (!report->ok()) {
      ADD_FAILURE() << report->finding->problem << " at record " << report->finding->index;
    }
    if (records >= 0) {
      EXPECT_EQ(report->records, static_cast<uint64_t>(records));
    }
  }
};

TEST_F(PrefillSmokeTest, WritesNEventsWithAVerifiableLogAndAcknowledgedQueuesThatTheBrokerServes) {
  StopBroker();
  const std::string data = tmp_.Path("prefilled");
  const ToolRun r = RunTool(Command(data, 50));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.Int("events"), 50) << r.out;
  EXPECT_EQ(r.Int("recipients"), 4) << r.out;
  EXPECT_EQ(r.Int("unacknowledged_entries"), 0) << r.out;
  EXPECT_GT(r.Int("envelope_bytes"), 2000) << r.out;
  EXPECT_LT(r.Int("envelope_bytes"), 6000) << r.out;
  // Each event: RECEIVED, ROUTED to each recipient, then DELIVERED and ACKNOWLEDGED by each.
  EXPECT_GT(r.Int("audit_records"), 50 * (1 + 4 + 4 + 4)) << r.out;
  ExpectVerifies(data, r.Int("audit_records"));
  {
    absl::StatusOr<crypto::SigningKey> key = crypto::ReadSigningKey(crypto::PartnershipPaths(Partnership()).LogKey());
    ASSERT_TRUE(key.ok()) << key.status();
    absl::StatusOr<std::unique_ptr<broker::Store>> store = broker::OpenRocksDbStore(data, *std::move(key));
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->EventCount(), 50u);
    for (const std::string& a : kRecipients) {
      EXPECT_EQ((*store)->QueueHead(a), 50u) << a;
      EXPECT_EQ((*store)->AckedThrough(a), 50u) << a;
    }
  }
  // The real broker serves the directory: it starts (its audit check passes)
  // and accepts the next publish.
  std::filesystem::remove_all(DataDir());
  std::filesystem::rename(data, DataDir());
  StartBroker();
  EXPECT_NE(broker_->Log().find("events=50 "), std::string::npos) << broker_->Log();
  absl::StatusOr<v1::ReceiptBody> receipt = Publish("police", Incident("police:after-prefill"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  StopBroker();
  ExpectVerifies(DataDir(), -1);
}

TEST_F(PrefillSmokeTest, UndeliveredLeavesEveryQueueEntryUnacknowledged) {
  StopBroker();
  const std::string data = tmp_.Path("prefilled");
  const ToolRun r = RunTool(Command(data, 20, " --undelivered"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.Int("events"), 20) << r.out;
  EXPECT_EQ(r.Int("unacknowledged_entries"), 20 * 4) << r.out;
  ExpectVerifies(data, r.Int("audit_records"));
  absl::StatusOr<crypto::SigningKey> key = crypto::ReadSigningKey(crypto::PartnershipPaths(Partnership()).LogKey());
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<std::unique_ptr<broker::Store>> store = broker::OpenRocksDbStore(data, *std::move(key));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->EventCount(), 20u);
  for (const std::string& a : kRecipients) {
    EXPECT_EQ((*store)->QueueHead(a), 20u) << a;
    EXPECT_EQ((*store)->AckedThrough(a), 0u) << a;
  }
}

TEST_F(PrefillSmokeTest, BadFlagsAndANonEmptyDataDirectoryAreRefused) {
  // DataDir() holds the fixture's running broker's store.
  ToolRun r = RunTool(Command(DataDir(), 5));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("exists and is not empty"), std::string::npos) << r.out;
  r = RunTool(kPrefill + " --partnership " + Partnership() + " --data " + tmp_.Path("x"));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--partnership, --policy and --data are required"), std::string::npos) << r.out;
  r = RunTool(Command(tmp_.Path("x"), 0));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--events must be a number in [1, 1e+09]"), std::string::npos) << r.out;
  r = RunTool(kPrefill + " --help");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("--undelivered"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace accord::testing
