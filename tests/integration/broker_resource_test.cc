// Resource exhaustion against the real broker process: connections that
// never start TLS, and a storage write error (the process out of file
// descriptors) that must turn health to NOT_SERVING and heal by itself once
// the cause is gone, without a restart and without losing an event.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpcpp/generic/generic_stub.h"
#include "tests/integration/broker_fixture.h"

namespace accord::testing {
namespace {

constexpr rlim_t kBrokerSoft = 1024;  // the usual default soft limit
constexpr rlim_t kBrokerHard = 4096;
constexpr int kIdleConnections = 1100;

int OpenTcp(const std::string& address) {
  std::vector<std::string> hp = absl::StrSplit(address, ':');
  int port = 0;
  if (hp.size() != 2 || !absl::SimpleAtoi(hp[1], &port)) return -1;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, hp[0].c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True once the peer has closed `fd` (EOF or reset), within `wait`.
bool ClosedByPeer(int fd, absl::Duration wait) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(wait))) <= 0) return false;
  char c;
  return ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

class IdleConnectionTest : public BrokerTest {
 protected:
  void SetUp() override {
    rlimit own{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &own), 0);
    if (own.rlim_max < kBrokerHard) GTEST_SKIP() << "needs a hard open-file limit of " << kBrokerHard;
    own.rlim_cur = own.rlim_max;  // the test itself holds 1100 sockets
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &own), 0);
    process_options_.open_files_soft = kBrokerSoft;
    process_options_.open_files_hard = kBrokerHard;
    extra_limits_ = "  handshake_timeout_seconds: 2\n";
    BrokerTest::SetUp();
  }
  void TearDown() override {
    for (int fd : idle_) ::close(fd);
    BrokerTest::TearDown();
  }
  std::vector<int> idle_;
};

TEST_F(IdleConnectionTest, ConnectionsThatNeverStartTlsDoNotStopTheBroker) {
  ASSERT_TRUE(Publish("police", TestEvent{"police-before-1"}).ok());
  for (int i = 0; i < kIdleConnections; ++i) {
    const int fd = OpenTcp(broker_->address());
    ASSERT_GE(fd, 0) << "connection " << i;
    idle_.push_back(fd);
  }
  // More idle connections than the usual soft limit of 1024: the broker raised
  // its own limit, so a new agency connection is still accepted and served,
  // and the store can still open files.
  absl::Status directory = Client("probation").RefreshDirectory(absl::Seconds(10));
  EXPECT_TRUE(directory.ok()) << directory;
  EXPECT_EQ(Receive("probation", 1, absl::Seconds(10)).size(), 1u);
  EXPECT_TRUE(Publish("police", TestEvent{"police-during-1"}).ok());
  EXPECT_EQ(HealthStatus(Client("police").channel()), kServing);
  // Handshakes that do not complete are closed (here after 2 s).
  int closed = 0;
  for (int fd : idle_) closed += ClosedByPeer(fd, absl::Seconds(15)) ? 1 : 0;
  EXPECT_EQ(closed, kIdleConnections) << "every idle connection was closed by the broker";
  EXPECT_NE(broker_->Log().find("soft=4096 was=1024"), std::string::npos) << broker_->Log();
}

class StorageErrorTest : public BrokerTest {
 protected:
  void SetUp() override {
    // See the file: a sanitized broker without descriptors makes false vptr
    // reports. No effect on an unsanitized build.
    process_options_.environment.push_back(
        "UBSAN_OPTIONS=suppressions=" ACCORD_SOURCE_DIR "/tests/sanitizer/ubsan_descriptors_exhausted.supp");
    BrokerTest::SetUp();
  }
};

// The broker's open descriptors right now.
int OpenDescriptors(pid_t pid) {
  int n = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/fd"))) {
    ++n;
  }
  return n;
}

TEST_F(StorageErrorTest, AWriteErrorTurnsHealthToNotServingAndHealsWhenTheCauseIsGone) {
  const std::shared_ptr<grpc::Channel> police = Client("police").channel();
  Client("probation");
  ASSERT_EQ(HealthStatus(police), kServing);
  // One publish before the starvation, so that the path is warm (its first
  // allocations and lazily opened files happen now).
  TestEvent warm;
  warm.id = "police-warm-0";
  ASSERT_TRUE(Publish("police", warm).ok());
  rlimit before{};
  ASSERT_EQ(::prlimit(broker_->pid(), RLIMIT_NOFILE, nullptr, &before), 0);
  // Leave the broker no descriptor to open: its next new file (the WAL
  // RocksDB switches to when a memtable fills) fails with EMFILE.
  rlimit starved = before;
  starved.rlim_cur = static_cast<rlim_t>(OpenDescriptors(broker_->pid()));
  ASSERT_EQ(::prlimit(broker_->pid(), RLIMIT_NOFILE, &starved, nullptr), 0);

  TestEvent big;
  big.sections = {"summary", "risk", "detail", "victim_contact", "big1", "big2"};
  int published = 0;
  absl::Status failure;
  for (int i = 0; i < 2000 && failure.ok(); ++i) {
    big.id = absl::StrCat("police-big-", i);
    absl::StatusOr<v1::ReceiptBody> r = Publish("police", big);
    if (r.ok()) {
      ++published;
    } else {
      failure = r.status();
    }
  }
  ASSERT_FALSE(failure.ok()) << "expected a write error within " << published << " publishes";
  EXPECT_EQ(failure.code(), absl::StatusCode::kUnavailable) << failure;
  EXPECT_TRUE(WaitForHealth(police, kNotServing, absl::Seconds(5))) << "health reports the write error";

  // The cause goes away: writes resume without a restart.
  ASSERT_EQ(::prlimit(broker_->pid(), RLIMIT_NOFILE, &before, nullptr), 0);
  EXPECT_TRUE(WaitForHealth(police, kServing, absl::Seconds(15))) << broker_->Log();
  absl::StatusOr<v1::ReceiptBody> retried = Publish("police", big);  // the id that failed
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_FALSE(retried->duplicate()) << "the failed publish had stored nothing";
  // Nothing accepted was lost: every receipted event is delivered.
  std::vector<v1::Delivery> got = Receive("probation", static_cast<size_t>(published) + 2, absl::Seconds(30));
  EXPECT_EQ(got.size(), static_cast<size_t>(published) + 2);
}

}  // namespace
}  // namespace accord::testing
