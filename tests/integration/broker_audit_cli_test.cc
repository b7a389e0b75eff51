// `accord audit verify|who-saw|prove|head|check-proof` as an outside auditor
// runs them: against the real accord-broker over mutual TLS (--broker, as the
// auditor agency), then against the stopped broker's database (--data), with
// the same answers; check-proof holds proofs to a head kept earlier.

#include <cstdio>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/integration/broker_fixture.h"
#include "tests/testing/accord_cli.h"

namespace accord::testing {
namespace {

using ::testing::HasSubstr;

class AuditCliRemoteTest : public BrokerTest {
 protected:
  // stdout alone in `out` (what the command prints), all of it in `output`.
  CliResult Accord(const std::vector<std::string>& args) { return RunAccord(args, tmp_.Path("accord.stderr")); }
  // The same command against the running broker or the database.
  CliResult Remote(std::vector<std::string> args) {
    args.insert(args.end(), {"--broker", broker_->address(), "--as", "auditor", "--partnership", Partnership()});
    return Accord(args);
  }
  CliResult Local(std::vector<std::string> args) {
    args.insert(args.end(), {"--data", DataDir(), "--partnership", Partnership()});
    return Accord(args);
  }
  void PublishSome(int from, int to) {
    for (int i = from; i < to; ++i) {
      TestEvent e;
      e.id = absl::StrCat("police-cli-", i);
      e.case_ref = absl::StrCat("case-", i % 3);
      absl::StatusOr<v1::ReceiptBody> r = Publish("police", e);
      ASSERT_TRUE(r.ok()) << r.status();
    }
  }
  // The rows of a who-saw table, without the footer naming the head.
  static std::string Rows(const std::string& table) { return table.substr(0, table.find("Proofs are against")); }
  // "size N" from a `prove`/`head` confirmation line.
  static uint64_t SizeIn(const std::string& line) {
    const std::size_t at = line.find("size ");
    return at == std::string::npos ? 0 : std::stoull(line.substr(at + 5));
  }
};

TEST_F(AuditCliRemoteTest, SameAnswersFromTheBrokerAndFromItsDatabase) {
  PublishSome(0, 3);
  const std::string kept = tmp_.Path("kept.head");
  CliResult r = Remote({"audit", "head", "--out", kept});
  ASSERT_EQ(r.code, 0) << r.output;
  const uint64_t kept_size = SizeIn(r.out);
  ASSERT_GT(kept_size, 0u);
  PublishSome(3, 8);

  // Against the running broker.
  CliResult verify = Remote({"audit", "verify", "--kept-head", kept});
  ASSERT_EQ(verify.code, 0) << verify.output;
  EXPECT_THAT(verify.out, HasSubstr("audit log verified: "));
  EXPECT_THAT(verify.out, HasSubstr("kept heads   1 agree with the log"));
  EXPECT_THAT(verify.output, HasSubstr("signed heads fetched from the broker"));
  EXPECT_THAT(verify.output, HasSubstr(" records (100%)"));
  const std::string subject = Pseudonym("Jones|Sarah|1990-04-01");
  CliResult who = Remote({"audit", "who-saw", "--subject", subject});
  ASSERT_EQ(who.code, 0) << who.output;
  EXPECT_THAT(who.out, HasSubstr(", each checked."));
  EXPECT_THAT(who.out, HasSubstr("police-cli-7"));
  CliResult head = Remote({"audit", "head", "--out", tmp_.Path("remote.head")});
  ASSERT_EQ(head.code, 0) << head.output;
  const uint64_t size = SizeIn(head.out);
  const std::string size_flag = absl::StrCat(size);
  CliResult leaf = Remote({"audit", "prove", "--leaf", "5", "--size", size_flag, "--out", tmp_.Path("remote-5.proof")});
  ASSERT_EQ(leaf.code, 0) << leaf.output;
  EXPECT_THAT(leaf.out, HasSubstr(absl::StrCat("inclusion proof for record 5 in the log of size ", size)));
  CliResult cons = Remote({"audit", "prove", "--from-size", absl::StrCat(kept_size), "--to-size", size_flag, "--out",
                        tmp_.Path("remote-c.proof")});
  ASSERT_EQ(cons.code, 0) << cons.output;
  CliResult at = Remote({"audit", "head", "--size", size_flag, "--out", tmp_.Path("remote-at.head")});
  ASSERT_EQ(at.code, 0) << at.output;
  CliResult checked = Accord({"audit", "check-proof", tmp_.Path("remote-c.proof"), "--partnership", Partnership(),
                           "--head", kept});
  EXPECT_EQ(checked.code, 0) << checked.output;
  EXPECT_THAT(checked.out, HasSubstr(absl::StrCat("the log of size ", kept_size,
                                                  " is contained unchanged in the log of size ", size)));
  EXPECT_THAT(checked.out, HasSubstr("1 head(s) you kept agree with it"));

  // The same against the stopped broker's database.
  ASSERT_EQ(broker_->Terminate(), 0);
  CliResult local_verify = Local({"audit", "verify", "--kept-head", kept, "--quiet"});
  ASSERT_EQ(local_verify.code, 0) << local_verify.output;
  CliResult local_who = Local({"audit", "who-saw", "--subject", subject});
  ASSERT_EQ(local_who.code, 0) << local_who.output;
  EXPECT_EQ(Rows(local_who.out), Rows(who.out));
  EXPECT_THAT(local_who.out, HasSubstr(", each checked."));
  ASSERT_EQ(Local({"audit", "prove", "--leaf", "5", "--size", size_flag, "--out", tmp_.Path("local-5.proof")}).code, 0);
  EXPECT_EQ(ReadAll(tmp_.Path("local-5.proof")), ReadAll(tmp_.Path("remote-5.proof")));
  ASSERT_EQ(Local({"audit", "prove", "--from-size", absl::StrCat(kept_size), "--to-size", size_flag, "--out",
                   tmp_.Path("local-c.proof")})
                .code,
            0);
  EXPECT_EQ(ReadAll(tmp_.Path("local-c.proof")), ReadAll(tmp_.Path("remote-c.proof")));
  ASSERT_EQ(Local({"audit", "head", "--size", size_flag, "--out", tmp_.Path("local-at.head")}).code, 0);
  EXPECT_EQ(ReadAll(tmp_.Path("local-at.head")), ReadAll(tmp_.Path("remote-at.head")));
  EXPECT_EQ(ReadAll(tmp_.Path("local-at.head")), ReadAll(tmp_.Path("remote.head")));
  CliResult local_checked = Accord({"audit", "check-proof", tmp_.Path("local-c.proof"), "--partnership", Partnership(),
                                 "--head", kept});
  EXPECT_EQ(local_checked.code, 0) << local_checked.output;
  EXPECT_EQ(local_checked.out, checked.out);
}

TEST_F(AuditCliRemoteTest, OnlyAnAuditorAgencyMayAsk) {
  CliResult r = Accord({"audit", "head", "--out", "-", "--broker", broker_->address(), "--as", "police",
                     "--partnership", Partnership()});
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("audit queries are for auditor agencies; 'police' is not one"));
}

}  // namespace
}  // namespace accord::testing
