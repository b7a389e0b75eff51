// bench/compare's instruments work (not how fast anything is): accord_load
// against the real accord-broker over mTLS reports as many verified receipts
// as publishes and delivers each to a subscriber; against floor_server it
// gets an answer for every publish; bad flags are refused with a message.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "tests/integration/broker_fixture.h"
#include "tests/integration/tool_run.h"

namespace accord::testing {
namespace {

const std::string kLoad = ACCORD_BINARY_DIR "/bench/compare/accord_load";
const std::string kFloor = ACCORD_BINARY_DIR "/bench/compare/floor_server";

ToolRun RunTool(const std::string& command) { return accord::testing::RunTool(command, "result"); }

using BenchCompareSmokeTest = BrokerTest;

TEST_F(BenchCompareSmokeTest, LoadGeneratorGetsAVerifiedReceiptForEveryPublishAndDeliversEach) {
  const ToolRun r = RunTool(kLoad + " --partnership " + Partnership() + " --address " + broker_->address() +
                        " --publishers 2 --warmup 0 --seconds 1 --subscribers 1 --drain 30 --server-pid " +
                        std::to_string(broker_->pid()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.Int("errors"), 0) << r.out;
  EXPECT_GT(r.Int("published"), 0) << r.out;
  // With no warm-up every publish falls in the window: each one has a receipt
  // whose log-key signature, event id and envelope digest the SDK verified.
  EXPECT_EQ(r.Int("receipts_verified"), r.Int("published")) << r.out;
  EXPECT_GT(r.Int("events"), 0) << r.out;
  EXPECT_EQ(r.Int("recipients"), 4) << r.out;  // the daily-discussion plan for this incident
  EXPECT_GE(r.Int("delivered"), r.Int("published")) << r.out;
  EXPECT_EQ(r.Int("undelivered"), 0) << r.out;
  EXPECT_EQ(r.Int("ack_errors"), 0) << r.out;
  EXPECT_NE(r.result.at("cpu_ms_per_event"), "-1.000") << r.out;
  const int64_t bytes = r.Int("envelope_bytes");
  EXPECT_GT(bytes, 2000) << r.out;
  EXPECT_LT(bytes, 6000) << r.out;
}

TEST_F(BenchCompareSmokeTest, FloorServerAnswersEveryPublishOverMutualTls) {
  const std::string log = tmp_.Path("floor.log");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    execl(kFloor.c_str(), kFloor.c_str(), "--data", tmp_.Path("floor-data").c_str(), "--mode", "group",
          "--partnership", Partnership().c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string address;
  for (int i = 0; i < 200 && address.empty(); ++i) {
    const std::string text = ReadAll(log);
    const size_t at = text.find("listening address=");
    if (at != std::string::npos) address = text.substr(at + 18, text.find(' ', at + 18) - at - 18);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(address.empty()) << ReadAll(log);
  const ToolRun r = RunTool(kLoad + " --target floor --partnership " + Partnership() + " --address " + address +
                        " --publishers 2 --warmup 0 --seconds 0.5");
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.Int("errors"), 0) << r.out;
  EXPECT_GT(r.Int("published"), 0) << r.out;
  EXPECT_EQ(r.Int("receipts_verified"), 0) << r.out;  // the floor signs nothing
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadAll(log);
}

TEST_F(BenchCompareSmokeTest, BadFlagsAreRefusedWithAMessage) {
  ToolRun r = RunTool(kLoad + " --partnership " + Partnership() + " --address " + broker_->address() +
                  " --publishers 0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--publishers must be a number in [1, 1024], got '0'"), std::string::npos) << r.out;
  r = RunTool(kLoad + " --partnership " + Partnership() + " --address " + broker_->address() +
              " --subscribers 1 --target floor");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--subscribers needs --target accord"), std::string::npos) << r.out;
  r = RunTool(kLoad + " --speed 3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("unknown flag --speed"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace accord::testing
