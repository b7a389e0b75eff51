// The SDK's Receiver (agents/sdk/receiver.h) against the real broker over
// mutual TLS: acknowledgements are cumulative and sent from an ack thread, and
// still everything processed, and nothing else, is acknowledged when Run
// returns.
#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agents/sdk/inbox_writer.h"
#include "agents/sdk/receiver.h"
#include "tests/integration/broker_fixture.h"

namespace accord::testing {
namespace {

namespace fs = std::filesystem;

class ReceiverTest : public BrokerTest {
 protected:
  // The broker's acknowledged position of `agency`'s queue (an Ack through 0
  // changes nothing and answers it).
  uint64_t AckedThrough(const std::string& agency) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::AckRequest req;
    req.set_through_sequence(0);
    v1::AckResponse resp;
    const grpc::Status s = Client(agency).exchange().Ack(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.acknowledged_through();
  }

  // Publishes `n` police incidents (each delivered to probation); their ids.
  std::vector<std::string> PublishIncidents(const std::string& prefix, int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      ids.push_back(absl::StrCat(prefix, "-", i));
      absl::StatusOr<v1::ReceiptBody> r = Publish("police", Incident(ids.back()));
      EXPECT_TRUE(r.ok()) << r.status();
    }
    return ids;
  }

  // Runs a Receiver for probation into `inbox` until `stop_after` deliveries
  // were reported (then cancels, as the agent does) or the stream fails.
  absl::Status RunUntil(const agents::InboxWriter& inbox, size_t stop_after,
                        std::vector<agents::ReceivedEvent>* reported) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    agents::Receiver receiver(&Client("probation"), &inbox);
    return receiver.Run(&ctx, [&](const agents::ReceivedEvent& e) {
      reported->push_back(e);
      if (reported->size() == stop_after) ctx.TryCancel();
    });
  }
};

TEST_F(ReceiverTest, EverythingProcessedIsAcknowledgedWhenRunReturnsOnCancel) {
  const std::vector<std::string> ids = PublishIncidents("police-recv", 30);
  agents::InboxWriter inbox(tmp_.Path("inbox-probation"));
  ASSERT_TRUE(inbox.Init().ok());
  std::vector<agents::ReceivedEvent> reported;
  // Cancelled right after the last delivery is reported: its ack is often
  // still pending then (30 deliveries read back to back keep the ack thread
  // busy), and Run sends and awaits it before returning. (A Run that dropped
  // the pending ack failed this in about half the runs: acked through 25 or 29
  // of 30.)
  absl::Status s = RunUntil(inbox, ids.size(), &reported);
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  ASSERT_EQ(reported.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(reported[i].event_id, ids[i]);
    EXPECT_TRUE(reported[i].rejected.ok()) << reported[i].rejected;
    EXPECT_TRUE(fs::exists(fs::path(tmp_.Path("inbox-probation")) / agents::InboxWriter::FileNameFor(ids[i])));
  }
  EXPECT_EQ(AckedThrough("probation"), reported.back().queue_sequence);
  EXPECT_TRUE(Receive("probation", 1, absl::Milliseconds(700)).empty()) << "nothing comes again";
}

TEST_F(ReceiverTest, DeliveriesArrivingWhileRunningAreAllAcknowledgedAtTheDeadline) {
  agents::InboxWriter inbox(tmp_.Path("inbox-probation"));
  ASSERT_TRUE(inbox.Init().ok());
  agents::AgencyClient& probation = Client("probation");
  Client("police");  // both connected before the receiving thread starts
  constexpr int kEvents = 20;
  std::vector<agents::ReceivedEvent> reported;
  absl::Status run;
  std::thread receiving([&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(6)));
    agents::Receiver receiver(&probation, &inbox);
    run = receiver.Run(&ctx, [&](const agents::ReceivedEvent& e) { reported.push_back(e); });
  });
  PublishIncidents("police-live", kEvents);
  receiving.join();
  // The stream ended by its deadline, after every delivery was processed.
  EXPECT_EQ(run.code(), absl::StatusCode::kDeadlineExceeded) << run;
  ASSERT_EQ(reported.size(), static_cast<size_t>(kEvents));
  for (size_t i = 1; i < reported.size(); ++i) {
    EXPECT_GT(reported[i].queue_sequence, reported[i - 1].queue_sequence) << "reported in queue order";
  }
  EXPECT_EQ(AckedThrough("probation"), reported.back().queue_sequence);
  EXPECT_TRUE(Receive("probation", 1, absl::Milliseconds(700)).empty());
}

TEST_F(ReceiverTest, ADeliveryWhoseWriteFailedIsNotAcknowledgedButWhatCameBeforeIs) {
  const std::vector<std::string> ids = PublishIncidents("police-fail", 4);
  const fs::path dir = tmp_.Path("inbox-probation");
  agents::InboxWriter inbox(dir.string());
  ASSERT_TRUE(inbox.Init().ok());
  // The third event's temporary file cannot be created (a directory is in its
  // place, which stops root too): its durable write fails.
  const fs::path blocker = dir / (agents::InboxWriter::FileNameFor(ids[2]) + ".tmp");
  fs::create_directory(blocker);
  std::vector<agents::ReceivedEvent> reported;
  absl::Status s = RunUntil(inbox, ids.size(), &reported);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  ASSERT_EQ(reported.size(), 2u) << "the failed delivery is not reported";
  EXPECT_EQ(AckedThrough("probation"), reported.back().queue_sequence);
  EXPECT_FALSE(fs::exists(dir / agents::InboxWriter::FileNameFor(ids[2])));
  std::vector<v1::Delivery> again = Receive("probation", 3, absl::Milliseconds(1500));
  ASSERT_EQ(again.size(), 2u) << "the failed delivery and the one after it come again";
  EXPECT_EQ(again[0].queue_sequence(), reported.back().queue_sequence + 1);

  // Once the case system can take it, the next run writes and acknowledges the rest.
  fs::remove(blocker);
  std::vector<agents::ReceivedEvent> rest;
  s = RunUntil(inbox, 2, &rest);
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].event_id, ids[2]);
  EXPECT_EQ(rest[1].event_id, ids[3]);
  EXPECT_EQ(AckedThrough("probation"), rest.back().queue_sequence);
  EXPECT_TRUE(Receive("probation", 1, absl::Milliseconds(700)).empty());
}

}  // namespace
}  // namespace accord::testing
