// The `accord audit` commands as an auditor runs them: the built binary on a
// real broker database, with exit codes 0 (ok), 1 (verification failed) and
// 2 (bad usage or input).

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "broker/audit/storage_layout.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "tests/broker/audit/test_log.h"
#include "tests/testing/sanitizer_report.h"
#include "tests/testing/accord_cli.h"
#include "tests/testing/temp_dir.h"

namespace accord::audit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using accord::testing::CliResult;

CliResult Accord(const std::vector<std::string>& args) { return accord::testing::RunAccord(args); }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// Replaces one hex digit on the line starting with `prefix`.
std::string FlipHexOnLine(std::string text, const std::string& prefix) {
  const std::size_t line = text.find("\n" + prefix + " ");
  EXPECT_NE(line, std::string::npos) << prefix;
  const std::size_t at = line + prefix.size() + 12;
  text[at] = text[at] == '0' ? '1' : '0';
  return text;
}

class AuditCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(tmp_.Path("partnership/public"));
    {
      testing::TestLog log(data_);
      log.Fill(100, 6, 1);  // a head at 100
      std::vector<v1::AuditRecord> ten;
      for (uint64_t i = 100; i < 110; ++i) ten.push_back(testing::SampleRecord(i));
      ASSERT_TRUE(log.Append(std::move(ten)).ok());  // none at 101..109
      log.Fill(300, 6, 2);  // ... and one at 300
      ASSERT_TRUE(crypto::WriteSigningPublicKey(log_pub_, log.key().public_key()).ok());
      seed_ = std::string(log.key().Seed().view());
    }
    // Another partnership's log key, for the wrong-key cases.
    auto other = crypto::SigningKey::Generate();
    ASSERT_TRUE(crypto::WriteSigningPublicKey(other_pub_, other->public_key()).ok());
  }

  accord::testing::TempDir tmp_;
  const std::string data_ = tmp_.Path("broker-data");
  const std::string partnership_ = tmp_.Path("partnership");
  const std::string log_pub_ = crypto::PartnershipPaths(partnership_).LogPublicKey();
  const std::string other_pub_ = tmp_.Path("other-log.pub");
  std::string seed_;  // the log key's, for a key holder rewriting history
};

TEST_F(AuditCliTest, HelpAndBadUsage) {
  EXPECT_EQ(Accord({"audit", "--help"}).code, 0);
  for (const char* cmd : {"verify", "who-saw", "prove", "check-proof", "head"}) {
    CliResult r = Accord({"audit", cmd, "--help"});
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_THAT(r.output, HasSubstr(absl::StrCat("usage: accord audit ", cmd))) << cmd;
  }
  EXPECT_EQ(Accord({"audit"}).code, 2);
  EXPECT_EQ(Accord({"audit", "rewrite"}).code, 2);
  EXPECT_EQ(Accord({"audit", "verify"}).code, 2);
  EXPECT_EQ(Accord({"audit", "verify", "--data", data_, "--bogus"}).code, 2);
  CliResult r = Accord({"audit", "verify", "--data", data_});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("--partnership PDIR or --log-key FILE"));
  r = Accord({"audit", "verify", "--data", tmp_.Path("nothing-here"), "--partnership", partnership_});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("not a RocksDB data directory"));
  EXPECT_EQ(Accord({"audit", "prove", "--data", data_, "--leaf", "1", "--from-size", "100", "--out", "-"}).code, 2);
  r = Accord({"audit", "prove", "--data", data_, "--leaf", "1", "--size", "105", "--out", "-"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("no signed tree head for size 105"));
  r = Accord({"audit", "who-saw", "--data", data_, "--action", "peeked"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("unknown audit action 'peeked'"));
  EXPECT_EQ(Accord({"audit", "who-saw", "--data", data_, "--from", "yesterday"}).code, 2);
}

TEST_F(AuditCliTest, VerifyPassesThenNamesTheTamperedRecord) {
  CliResult r = Accord({"audit", "verify", "--data", data_, "--partnership", partnership_});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("audit log verified: 300 records"));
  EXPECT_THAT(r.output, HasSubstr("latest head  size 300"));
  EXPECT_THAT(r.output, HasSubstr("entries match the records"));
  EXPECT_EQ(Accord({"audit", "verify", "--data", data_, "--log-key", other_pub_}).code, 1);
  {
    auto db = AuditDatabase::OpenForWriting(data_);
    ASSERT_TRUE(db.ok());
    std::string record;
    ASSERT_TRUE((*db)->db()->Get(rocksdb::ReadOptions(), (*db)->cfs().leaves, LeafKey(17), &record).ok());
    record.back() ^= 1;
    ASSERT_TRUE((*db)->db()->Put(rocksdb::WriteOptions(), (*db)->cfs().leaves, LeafKey(17), record).ok());
  }
  r = Accord({"audit", "verify", "--data", data_, "--partnership", partnership_});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.output, HasSubstr("FAILED verification at record 17"));
  EXPECT_THAT(r.output, HasSubstr("record 17 was changed"));
}

TEST_F(AuditCliTest, InclusionProofRoundTripAndTamperedProofFails) {
  const std::string proof = tmp_.Path("record-42.proof");
  CliResult r = Accord({"audit", "prove", "--data", data_, "--leaf", "42", "--out", proof});
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("inclusion proof for record 42 in the log of size 300"));
  r = Accord({"audit", "check-proof", proof, "--log-key", log_pub_});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("OK: record 42 is in the audit log of size 300"));
  EXPECT_THAT(r.output, HasSubstr("#42 "));

  // Against the older head too.
  r = Accord({"audit", "prove", "--data", data_, "--leaf", "42", "--size", "100", "--out", proof + ".100"});
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(Accord({"audit", "check-proof", proof + ".100", "--log-key", log_pub_}).code, 0);

  const std::string text = ReadAll(proof);
  for (const char* line : {"leaf", "hash", "head"}) {
    WriteAll(proof + ".bad", FlipHexOnLine(text, line));
    r = Accord({"audit", "check-proof", proof + ".bad", "--log-key", log_pub_});
    EXPECT_EQ(r.code, 1) << "tampered " << line << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("does NOT verify")) << line;
  }
  // The notes are not trusted: editing them changes nothing that is checked.
  WriteAll(proof + ".notes", absl::StrReplaceAll(text, {{"# record: #42", "# record: #43"}}));
  r = Accord({"audit", "check-proof", proof + ".notes", "--log-key", log_pub_});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.output, HasSubstr("record #42 "));
  r = Accord({"audit", "check-proof", proof, "--log-key", other_pub_});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.output, HasSubstr("not valid for this log key"));
  WriteAll(proof + ".junk", "hello\n");
  EXPECT_EQ(Accord({"audit", "check-proof", proof + ".junk", "--log-key", log_pub_}).code, 2);
}

TEST_F(AuditCliTest, ConsistencyProofAndKeptHeads) {
  const std::string head = tmp_.Path("head-100");
  CliResult r = Accord({"audit", "head", "--data", data_, "--size", "100", "--out", head});
  ASSERT_EQ(r.code, 0) << r.output;
  r = Accord({"audit", "check-proof", head, "--log-key", log_pub_});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("head   size 100"));

  const std::string proof = tmp_.Path("100-to-300.proof");
  r = Accord({"audit", "prove", "--data", data_, "--from-size", "100", "--out", proof});
  ASSERT_EQ(r.code, 0) << r.output;
  r = Accord({"audit", "check-proof", proof, "--partnership", partnership_});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("the log of size 100 is contained unchanged in the log of size 300"));
  WriteAll(proof + ".bad", FlipHexOnLine(ReadAll(proof), "hash"));
  EXPECT_EQ(Accord({"audit", "check-proof", proof + ".bad", "--log-key", log_pub_}).code, 1);

  r = Accord({"audit", "verify", "--data", data_, "--partnership", partnership_, "--kept-head", head,
              "--kept-head", proof, "--all-signatures", "--quiet"});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("kept heads   3 agree with the log"));
}

TEST_F(AuditCliTest, WhoSawFormats) {
  const std::string subject = testing::SubjectRef(5);
  CliResult table = Accord({"audit", "who-saw", "--data", data_, "--subject", subject});
  ASSERT_EQ(table.code, 0) << table.output;
  EXPECT_THAT(table.output, HasSubstr("LEAF"));
  // Subject 5 is on records 5, 36, 67, ...; of those the who-saw actions.
  EXPECT_THAT(table.output, HasSubstr("\n5 "));
  EXPECT_THAT(table.output, HasSubstr("\n36 "));
  EXPECT_THAT(table.output, Not(HasSubstr("\n6 ")));
  EXPECT_THAT(table.output, HasSubstr("Proofs are against the head of size 300"));

  CliResult csv = Accord({"audit", "who-saw", "--data", data_, "--subject", subject, "--format", "csv",
                       "--action", "withheld", "--action", "routed"});
  ASSERT_EQ(csv.code, 0) << csv.output;
  EXPECT_THAT(csv.output, HasSubstr("leaf_index,time,action,"));
  EXPECT_THAT(csv.output, HasSubstr("\r\n98,"));  // 98 = 5 + 3*31, withheld (98 % 8 == 2 is routed)
  CliResult json = Accord({"audit", "who-saw", "--data", data_, "--case", "case-4", "--agency", "police",
                        "--from", "2026-05-28T20:00:00Z", "--format", "json", "--limit", "2"});
  ASSERT_EQ(json.code, 0) << json.output;
  EXPECT_THAT(json.output, HasSubstr("\"tree_size\":300"));
  EXPECT_THAT(json.output, HasSubstr("\"leaf_index\""));
  EXPECT_THAT(json.output, HasSubstr("\"proof\""));
}

TEST_F(AuditCliTest, CheckProofAgainstAKeptHead) {
  const std::string kept = tmp_.Path("kept-100.head");
  ASSERT_EQ(Accord({"audit", "head", "--data", data_, "--size", "100", "--out", kept}).code, 0);
  const std::string proof = tmp_.Path("100-to-300.proof");
  ASSERT_EQ(Accord({"audit", "prove", "--data", data_, "--from-size", "100", "--out", proof}).code, 0);
  CliResult r = Accord({"audit", "check-proof", proof, "--log-key", log_pub_, "--head", kept});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("1 head(s) you kept agree with it"));

  // A proof from another size does not say anything about the kept head.
  const std::string later = tmp_.Path("300.head");
  ASSERT_EQ(Accord({"audit", "head", "--data", data_, "--out", later}).code, 0);
  r = Accord({"audit", "check-proof", later, "--log-key", log_pub_, "--head", kept});
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("accord audit prove --from-size 100"));
  r = Accord({"audit", "check-proof", proof, "--log-key", log_pub_, "--head", proof});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("is not a head file"));

  // The key holder rebuilt the log: its proof from size 100 starts from a
  // validly signed head that is not the one kept.
  const std::string rebuilt = tmp_.Path("rebuilt");
  {
    testing::TestLog log(rebuilt, *crypto::SigningKey::FromSeed(seed_));
    std::vector<v1::AuditRecord> records;
    for (uint64_t i = 0; i < 100; ++i) {
      records.push_back(testing::SampleRecord(i));
      if (i == 7) records.back().set_recipient("someone_else");
    }
    ASSERT_TRUE(log.Append(std::move(records)).ok());
    log.Fill(300, 6, 2);
  }
  const std::string forked = tmp_.Path("forked.proof");
  ASSERT_EQ(Accord({"audit", "prove", "--data", rebuilt, "--from-size", "100", "--out", forked}).code, 0);
  EXPECT_EQ(Accord({"audit", "check-proof", forked, "--log-key", log_pub_}).code, 0) << "valid on its own";
  r = Accord({"audit", "check-proof", forked, "--log-key", log_pub_, "--head", kept});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("the log's history differs from the head you kept for size 100"));
}

TEST_F(AuditCliTest, WhoSawChecksEachRowWithTheLogKey) {
  const std::string subject = testing::SubjectRef(5);
  CliResult r = Accord({"audit", "who-saw", "--data", data_, "--subject", subject, "--partnership", partnership_});
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Proofs are against the head of size 300 (root "));
  EXPECT_THAT(r.output, HasSubstr(", each checked."));
  r = Accord({"audit", "who-saw", "--data", data_, "--subject", subject});
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("not checked: give --partnership or --log-key"));
  // Record 36 (subject 5, routed) edited in the database: its row no longer checks out.
  {
    auto db = AuditDatabase::OpenForWriting(data_);
    ASSERT_TRUE(db.ok());
    std::string record;
    ASSERT_TRUE((*db)->db()->Get(rocksdb::ReadOptions(), (*db)->cfs().leaves, LeafKey(36), &record).ok());
    record.back() ^= 1;
    ASSERT_TRUE((*db)->db()->Put(rocksdb::WriteOptions(), (*db)->cfs().leaves, LeafKey(36), record).ok());
  }
  r = Accord({"audit", "who-saw", "--data", data_, "--subject", subject, "--log-key", log_pub_});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("does NOT verify: who-saw row 2 (leaf 36): inclusion proof"));
}

TEST_F(AuditCliTest, NeedsOneLog) {
  CliResult r = Accord({"audit", "head", "--out", "-", "--partnership", partnership_, "--data", data_,
                     "--broker", "localhost:1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("--data DIR (the broker's data directory) or --broker HOST:PORT"));
  r = Accord({"audit", "head", "--out", "-", "--broker", "localhost:1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("--broker needs --as AGENCY"));
  r = Accord({"audit", "verify", "--broker", "localhost:1", "--as", "auditor", "--partnership", partnership_,
              "--skip-index"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("--skip-index is for --data"));
}

}  // namespace
}  // namespace accord::audit
