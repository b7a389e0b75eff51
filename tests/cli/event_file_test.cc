// Event files for `accord send`: duplicate keys (which would silently drop a
// section or a field), hostile YAML and integers beyond their field are
// refused with the file and line.
#include "cli/event_file.h"

#include <fstream>

#include <gtest/gtest.h>

#include "crypto/pseudonym.h"
#include "accord/v1/events.pb.h"
#include "crypto/hash.h"
#include "tests/testing/temp_dir.h"

namespace accord::cli {
namespace {

constexpr char kEvent[] = R"(event_id: police-demo-0001
kind: domestic_incident
case: CASE-1
risk: {level: high, tool: dash, score: 17}
subjects:
  - {role: victim, family: Morgan, given: Carys, dob: 1991-03-14}
sections:
  summary: {type: Summary, headline: High-risk incident}
)";

class EventFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitSodium().ok());
    // Links the section messages into this binary's descriptor pool, as the
    // accord tool's other commands do.
    v1::Summary summary;
    v1::DomesticIncident incident;
  }
  absl::StatusOr<EventFile> Load(const std::string& text) {
    const std::string path = dir_.Path("event.yaml");
    std::ofstream(path) << text;
    return LoadEventFile(path, "police", key_);
  }
  void ExpectRefused(const std::string& text, const std::string& what) {
    absl::StatusOr<EventFile> e = Load(text);
    ASSERT_FALSE(e.ok()) << text;
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(e.status().message().find(dir_.Path("event.yaml")), std::string::npos) << e.status();
    EXPECT_NE(e.status().message().find(what), std::string::npos) << e.status() << " (want " << what << ")";
  }

  accord::testing::TempDir dir_;
  crypto::SecretBytes key_ = crypto::GenerateLinkageKey();
};

TEST_F(EventFileTest, AValidEventLoads) {
  absl::StatusOr<EventFile> e = Load(kEvent);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->header.risk().score(), 17);
  ASSERT_EQ(e->sections.size(), 1u);
}

TEST_F(EventFileTest, DuplicateKeysAreRefused) {
  ExpectRefused(std::string(kEvent) + "  summary: {type: Summary, headline: Second}\n",
                ":9:3: duplicate key 'summary' (first at line 8)");
  ExpectRefused(std::string(kEvent) + "kind: risk_alert\n", ":9:1: duplicate key 'kind' (first at line 2)");
  ExpectRefused(std::string(kEvent) + "  victim_contact: {type: VictimContact, address: a, address: b}\n",
                ":9:53: duplicate key 'address' (first at line 9)");
}

TEST_F(EventFileTest, IntegersBeyondTheirFieldAreRefused) {
  std::string overflow = kEvent;
  overflow.replace(overflow.find("score: 17"), 9, "score: 4294967313");
  ExpectRefused(overflow, "line 4: score must be a whole number from 0 to 1000 (got '4294967313')");
  std::string negative = kEvent;
  negative.replace(negative.find("score: 17"), 9, "score: -1");
  ExpectRefused(negative, "line 4: score must be a whole number");
  std::string text = kEvent;
  text.replace(text.find("score: 17"), 9, "score: high");
  ExpectRefused(text, "not 'high'");
  // Section fields go through protobuf's JSON parser, which range-checks too.
  ExpectRefused(std::string(kEvent) + "  detail: {type: DomesticIncident, dash_score: 4294967313}\n",
                "section 'detail'");
}

TEST_F(EventFileTest, HostileYamlIsRefused) {
  std::string bomb = std::string(kEvent) + "  detail: {type: DomesticIncident, x0: &a0 [l, l, l, l, l, l, l, l, l, l]";
  for (int i = 1; i <= 7; ++i) {
    bomb += ", x" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += (j ? ", *a" : "*a") + std::to_string(i - 1);
    bomb += "]";
  }
  ExpectRefused(bomb + "}\n", "expands to more than");
  ExpectRefused(std::string(kEvent) + "---\n" + kEvent, "more than one YAML document");
}

}  // namespace
}  // namespace accord::cli
