// The real accord-broker checks its own audit log (docs/audit.md §The broker's
// own integrity check): a record or stored hash edited in a stopped broker's
// database is found at start, or by the first background pass where the
// start check trusts what it read before; a stored hash edited on disk while
// the broker runs is found by the next background pass. Each time health
// turns NOT_SERVING, every call is refused with UNAVAILABLE naming the
// problem, the log names the first bad record, and nothing more is appended.
#include <filesystem>
#include <fstream>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "broker/audit/audit_db.h"
#include "broker/audit/audit_log.h"
#include "broker/audit/merkle.h"
#include "broker/audit/storage_layout.h"
#include "broker/audit/tiles.h"
#include "grpcpp/generic/generic_stub.h"
#include "rocksdb/table.h"
#include "tests/broker/audit/disk_editor.h"
#include "tests/integration/broker_fixture.h"

// RocksDB's own block checksum (table/format.h; exported by librocksdb but
// not in its public headers): what someone rewriting a table file in place
// recomputes so that RocksDB does not notice.
namespace rocksdb {
uint32_t ComputeBuiltinChecksumWithLastByte(ChecksumType type, const char* data, size_t size, char last_byte);
}  // namespace rocksdb

namespace accord::testing {
namespace {

using ::testing::HasSubstr;
using audit::testing::DiskEditor;

// The broker's table files, by name.
std::set<std::string> TableFiles(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".sst") out.insert(entry.path().filename().string());
  }
  return out;
}

class IntegrityTest : public BrokerTest {
 protected:
  void SetUp() override {
    extra_config_ = absl::StrCat("audit_check_interval_seconds: ", interval_seconds_, "\n");
    BrokerTest::SetUp();
  }

  // A few events, and enough audit queries that the log passes 256 records
  // (so that its first tile is complete and not read when the broker opens).
  uint64_t Fill() {
    for (int i = 0; i < 3; ++i) {
      TestEvent e;
      e.id = absl::StrCat("police-integrity-", i);
      absl::StatusOr<v1::ReceiptBody> r = Publish("police", e);
      EXPECT_TRUE(r.ok()) << r.status();
    }
    auto stub = v1::AuditService::NewStub(Client("auditor").channel());
    uint64_t size = 0;
    while (size < 300) {
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      v1::SignedTreeHead head;
      grpc::Status s = stub->GetSignedTreeHead(&ctx, v1::GetSignedTreeHeadRequest(), &head);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      v1::TreeHead th;
      th.ParseFromString(head.tree_head());
      size = th.tree_size();
    }
    return size;
  }

  // The size of the log in the stopped broker's database.
  uint64_t StoredSize() {
    auto db = audit::AuditDatabase::OpenReadOnly(DataDir());
    EXPECT_TRUE(db.ok()) << db.status();
    auto log = audit::AuditLog::Open((*db)->db(), (*db)->cfs(), std::nullopt);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? (*log)->size() : 0;
  }

  std::unique_ptr<agents::AgencyClient> UncheckedClient(const std::string& agency) {
    auto c = agents::AgencyClient::Create(agents::AgentIdentity{Partnership(), agency, broker_->address()});
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  // Health says NOT_SERVING, every kind of call is refused naming `problem`,
  // and the log says why.
  void ExpectRefusesToServe(const std::string& problem) {
    std::unique_ptr<agents::AgencyClient> police = UncheckedClient("police");
    ASSERT_NE(police, nullptr);
    EXPECT_EQ(HealthStatus(police->channel()), kNotServing);
    absl::Status directory = police->RefreshDirectory(absl::Seconds(10));
    EXPECT_EQ(directory.code(), absl::StatusCode::kUnavailable) << directory;
    EXPECT_THAT(std::string(directory.message()), HasSubstr("audit_integrity"));
    EXPECT_THAT(std::string(directory.message()), HasSubstr(problem));

    std::unique_ptr<agents::AgencyClient> auditor = UncheckedClient("auditor");
    auto stub = v1::AuditService::NewStub(auditor->channel());
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::SignedTreeHead head;
    grpc::Status s = stub->GetSignedTreeHead(&ctx, v1::GetSignedTreeHeadRequest(), &head);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_THAT(s.error_message(), HasSubstr(problem));

    const std::string log = broker_->Log();
    EXPECT_THAT(log, HasSubstr("audit log integrity check failed; refusing every call until restarted"));
    EXPECT_THAT(log, HasSubstr(problem));
    EXPECT_THAT(log, HasSubstr("health: NOT_SERVING"));
  }

  // Until no table file has come or gone for three seconds (at most 60).
  bool WaitForSteadyTableFiles() {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    std::set<std::string> files = TableFiles(DataDir());
    absl::Time since = absl::Now();
    while (absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(250));
      std::set<std::string> now = TableFiles(DataDir());
      if (now != files) {
        files = std::move(now);
        since = absl::Now();
      } else if (absl::Now() - since >= absl::Seconds(3)) {
        return true;
      }
    }
    return false;
  }

  int interval_seconds_ = 0;  // set before SetUp
};

TEST_F(IntegrityTest, RecordEditedInAStoppedBrokerIsFoundAtStart) {
  const uint64_t size = Fill();
  ASSERT_EQ(broker_->Terminate(), 0);
  const uint64_t stored = StoredSize();
  ASSERT_GE(stored, size);
  DiskEditor(DataDir()).ChangeRecord(200);
  StartBroker();
  ExpectRefusesToServe("at record 200: record 200 was changed");
  ASSERT_EQ(broker_->Terminate(), 0);
  EXPECT_EQ(StoredSize(), stored) << "a broker that found its log edited appends nothing";
}

TEST_F(IntegrityTest, RecordRewrittenWithItsHashesIsFoundAtStart) {
  Fill();
  ASSERT_EQ(broker_->Terminate(), 0);
  {
    DiskEditor disk(DataDir());
    disk.ChangeRecord(200);
    disk.RehashNodes(StoredSize());
  }
  StartBroker();
  ExpectRefusesToServe("are not the records that were signed");
}

TEST_F(IntegrityTest, StoredHashEditedInAStoppedBrokerIsFoundAtStart) {
  Fill();
  ASSERT_EQ(broker_->Terminate(), 0);
  {
    DiskEditor disk(DataDir());
    std::string tile = disk.Get(disk.cfs().tiles, audit::TileKey(0, 0));  // leaf hashes of records 0..255
    tile[123 * audit::kHashSize] ^= 0x01;
    disk.Put(disk.cfs().tiles, audit::TileKey(0, 0), tile);
  }
  StartBroker();
  ExpectRefusesToServe("at record 123: record 123 was changed");
}

TEST_F(IntegrityTest, IntactLogIsCheckedAtStartAndServes) {
  Fill();
  ASSERT_EQ(broker_->Terminate(), 0);
  StartBroker();
  EXPECT_EQ(HealthStatus(Client("police").channel()), kServing);
  EXPECT_THAT(broker_->Log(), HasSubstr("msg=\"audit log checked at start\""));
  TestEvent e;
  e.id = "police-after-restart";
  EXPECT_TRUE(Publish("police", e).ok());
}

TEST_F(IntegrityTest, CheckIntervalOutOfRangeIsRefusedWithFileAndLine) {
  ASSERT_EQ(broker_->Terminate(), 0);
  for (const char* bad : {"-1", "604801", "hourly"}) {
    std::string config = ReadAll(ConfigPath());
    config = config.substr(0, config.find("audit_check_interval_seconds:"));
    const std::string path = tmp_.Path("bad.yaml");
    std::ofstream(path) << config << "audit_check_interval_seconds: " << bad << "\n";
    absl::StatusOr<std::unique_ptr<BrokerProcess>> b = BrokerProcess::Start(path, tmp_.Path("bad.log"));
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_THAT(std::string(b.status().message()), HasSubstr("bad.yaml:")) << bad;
    EXPECT_THAT(std::string(b.status().message()), HasSubstr("audit_check_interval_seconds")) << bad;
  }
}

class BackgroundIntegrityTest : public IntegrityTest {
 protected:
  void SetUp() override {
    interval_seconds_ = 1;
    IntegrityTest::SetUp();
  }
};

TEST_F(BackgroundIntegrityTest, IntactLogPassesEveryBackgroundCheck) {
  Fill();
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  auto passes = [&] {
    const std::string log = broker_->Log();
    int n = 0;
    for (std::size_t at = 0; (at = log.find("msg=\"audit log checked\"", at)) != std::string::npos; ++at) ++n;
    return n;
  };
  while (passes() < 3 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(200));
  EXPECT_GE(passes(), 3) << broker_->Log();
  EXPECT_EQ(HealthStatus(Client("police").channel()), kServing);
  TestEvent e;
  e.id = "police-beside-the-check";
  EXPECT_TRUE(Publish("police", e).ok());
}

TEST_F(BackgroundIntegrityTest, RecordEditedBeforeTheMarkerIsFoundByTheFirstPass) {
  Fill();
  // A restart moves the marker past every record (the start check reads them).
  ASSERT_EQ(broker_->Terminate(), 0);
  StartBroker();
  ASSERT_EQ(broker_->Terminate(), 0);
  DiskEditor(DataDir()).ChangeRecord(150);  // its stored hash left alone
  StartBroker();
  std::unique_ptr<agents::AgencyClient> police = UncheckedClient("police");
  ASSERT_TRUE(WaitForHealth(police->channel(), kNotServing, absl::Seconds(60))) << broker_->Log();
  ExpectRefusesToServe("at record 150: record 150 was changed");
}

// Someone with write access to the files of a running broker rewrites a stored
// hash inside a table file, fixing RocksDB's block checksum so that RocksDB
// itself reads it without complaint.
TEST_F(BackgroundIntegrityTest, HashEditedOnDiskWhileRunningIsFoundByTheNextPass) {
  Fill();
  // A clean stop writes everything to table files; the edited block must not
  // be in the running broker's block cache, hence records 0..255 (tile 0/0,
  // complete, read only by proofs of those records).
  ASSERT_EQ(broker_->Terminate(), 0);
  std::string leaf_hash;
  {
    auto db = audit::AuditDatabase::OpenReadOnly(DataDir());
    ASSERT_TRUE(db.ok());
    auto log = audit::AuditLog::Open((*db)->db(), (*db)->cfs(), std::nullopt);
    ASSERT_TRUE(log.ok());
    leaf_hash = audit::LeafHash(*(*log)->LeafBytes(77));
  }
  StartBroker();
  ASSERT_EQ(HealthStatus(Client("police").channel()), kServing);
  // RocksDB rewrites the table files of the start-up flush once, soon after
  // it opens (bottommost-file compaction): edit the files that stay.
  ASSERT_TRUE(WaitForSteadyTableFiles()) << "RocksDB kept replacing its table files";

  // Find the table file and the block that hold the hash.
  std::string file, bytes;
  for (const auto& entry : std::filesystem::directory_iterator(DataDir())) {
    if (entry.path().extension() != ".sst") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), {});
    if (content.find(leaf_hash) != std::string::npos) {
      ASSERT_TRUE(file.empty()) << "the hash is in two table files";
      file = entry.path().string();
      bytes = std::move(content);
    }
  }
  ASSERT_FALSE(file.empty()) << "no table file holds the hash of record 77";
  const std::size_t at = bytes.find(leaf_hash);
  // Data blocks run back to back from offset 0: contents, a compression-type
  // byte (0: none) and the four-byte checksum of contents and type.
  auto checksum = [&](std::size_t begin, std::size_t end) {
    return rocksdb::ComputeBuiltinChecksumWithLastByte(rocksdb::kXXH3, bytes.data() + begin, end - begin, '\0');
  };
  auto stored = [&](std::size_t trailer) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[trailer + 1 + static_cast<std::size_t>(i)]);
    return v;
  };
  std::size_t begin = 0, end = 0;
  for (bool found = false; !found;) {
    bool block = false;
    for (end = begin + 1; end + 5 <= bytes.size(); ++end) {
      if (bytes[end] == '\0' && stored(end) == checksum(begin, end)) {
        block = true;
        break;
      }
    }
    ASSERT_TRUE(block) << "no block boundary found after offset " << begin;
    if (at >= begin && at + leaf_hash.size() <= end) {
      found = true;
    } else {
      begin = end + 5;
      ASSERT_LT(begin, at) << "the hash is not inside one data block";
    }
  }
  bytes[at + 5] ^= 0x01;
  const uint32_t fixed = checksum(begin, end);
  for (int i = 0; i < 4; ++i) bytes[end + 1 + static_cast<std::size_t>(i)] = static_cast<char>((fixed >> (8 * i)) & 0xff);
  {
    std::fstream out(file, std::ios::binary | std::ios::in | std::ios::out);  // the same file, in place
    out.seekp(static_cast<std::streamoff>(at + 5));
    out.put(bytes[at + 5]);
    out.seekp(static_cast<std::streamoff>(end + 1));
    out.write(bytes.data() + end + 1, 4);
    ASSERT_TRUE(out.good());
  }
  std::unique_ptr<agents::AgencyClient> police = UncheckedClient("police");
  ASSERT_TRUE(WaitForHealth(police->channel(), kNotServing, absl::Seconds(60))) << broker_->Log();
  ExpectRefusesToServe("at record 77: record 77 was changed");
}

}  // namespace
}  // namespace accord::testing
