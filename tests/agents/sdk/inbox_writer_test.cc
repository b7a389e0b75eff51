#include "agents/sdk/inbox_writer.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "accord/v1/events.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

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

// The outbox file is JSON that any parser reads back to the text as sent:
// names in any script, quotes and backslashes, in ids, section names and
// section contents alike.
TEST(InboxWriterTest, KeepsTextAsSentInEveryField) {
  const std::string text = "Siân Ó Súilleabháin, Ольга Шевченко, Tŵr 🙂 \"O'Brien\" \\ <b>";
  crypto::OpenedEvent event;
  event.header.set_event_id("police-Siân");
  event.header.set_case_ref("CASE-Ș");
  v1::Summary summary;
  summary.set_headline(text);
  event.sections.push_back({"crynodeb_ŵ", "accord.v1.Summary", crypto::SecretBytes(summary.SerializeAsString())});
  event.not_for_me = {"victim_contact_Ș"};
  v1::Delivery delivery;
  delivery.set_queue_sequence(3);
  google::protobuf::Struct json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(InboxWriter::ToJson(delivery, event), &json).ok());
  const auto& f = json.fields();
  EXPECT_EQ(f.at("event_id").string_value(), "police-Siân");
  EXPECT_EQ(f.at("header").struct_value().fields().at("case_ref").string_value(), "CASE-Ș");
  const auto& sections = f.at("sections").struct_value().fields();
  ASSERT_EQ(sections.count("crynodeb_ŵ"), 1u);
  EXPECT_EQ(sections.at("crynodeb_ŵ").struct_value().fields().at("headline").string_value(), text);
  EXPECT_EQ(f.at("withheld").list_value().values(0).string_value(), "victim_contact_Ș");
  EXPECT_NE(InboxWriter::ToJson(delivery, event).find("Siân Ó Súilleabháin"), std::string::npos)
      << "UTF-8 is written as it is, not escaped";
}

}  // namespace
}  // namespace accord::agents
