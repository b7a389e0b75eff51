#include "agents/sdk/inbox_writer.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "accord/v1/events.pb.h"

namespace accord::agents {
namespace {

namespace fs = std::filesystem;

TEST(InboxWriterTest, WritesEachEventOnceAsJson) {
  fs::path dir = fs::temp_directory_path() / ("accord-inbox-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  InboxWriter writer(dir.string());
  ASSERT_TRUE(writer.Init().ok());
  crypto::OpenedEvent event;
  event.header.set_event_id("police:INC-1");
  event.header.set_kind(v1::EVENT_KIND_DOMESTIC_INCIDENT);
  v1::Summary summary;
  summary.set_headline("Incident");
  event.sections.push_back(
      {"summary", "accord.v1.Summary", crypto::SecretBytes(summary.SerializeAsString())});
  event.not_for_me = {"victim_contact"};
  v1::Delivery delivery;
  delivery.set_queue_sequence(7);
  EXPECT_TRUE(*writer.Write(delivery, event));
  EXPECT_FALSE(*writer.Write(delivery, event)) << "a redelivery is not written twice";
  std::ifstream in(dir / InboxWriter::FileNameFor("police:INC-1"));
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("\"headline\":\"Incident\""), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("\"withheld\": [\"victim_contact\"]"), std::string::npos);
  EXPECT_NE(text.str().find("\"queue_sequence\": 7"), std::string::npos);
  EXPECT_NE(InboxWriter::FileNameFor("a:b"), InboxWriter::FileNameFor("a/b"));
  ASSERT_TRUE(writer.Quarantine(delivery, absl::UnauthenticatedError("bad signature")).ok());
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "quarantine"), {}), 1);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace accord::agents
