// accord-agent's configuration: duplicate keys, hostile YAML and integers that
// do not fit are refused with file:line.
#include "agents/agent/agent_config.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"

namespace accord::agents {
namespace {

constexpr char kConfig[] =
    "agency: police\npartnership: ../p\nbroker: localhost:7443\ninbox: in\noutbox: out\ndata: data\n";

class AgentConfigTest : public ::testing::Test {
 protected:
  absl::StatusOr<AgentConfig> Load(const std::string& text) {
    const std::string path = dir_.Path("agent.yaml");
    std::ofstream(path) << text;
    return LoadAgentConfig(path);
  }
  void ExpectRefused(const std::string& text, const std::string& what) {
    absl::StatusOr<AgentConfig> c = Load(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find(dir_.Path("agent.yaml") + what), std::string::npos)
        << c.status() << " (want " << what << ")";
  }

  accord::testing::TempDir dir_;
};

TEST_F(AgentConfigTest, AValidConfigLoads) {
  absl::StatusOr<AgentConfig> c = Load(std::string(kConfig) + "poll_interval_ms: 200\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->agency, "police");
  EXPECT_EQ(c->poll_interval, absl::Milliseconds(200));
}

TEST_F(AgentConfigTest, DuplicateKeysAreRefused) {
  // The second `agency:` would otherwise be ignored: the agent would speak
  // for whichever yaml-cpp found first.
  ExpectRefused(std::string(kConfig) + "agency: perpetrator_programme\n",
                ":7:1: duplicate key 'agency' (first at line 1)");
}

TEST_F(AgentConfigTest, PollIntervalMustFit) {
  ExpectRefused(std::string(kConfig) + "poll_interval_ms: 4294967306\n",
                ":7:19: poll_interval_ms must be a whole number from 10 to 600000 (got '4294967306')");
  ExpectRefused(std::string(kConfig) + "poll_interval_ms: -500\n", ":7:19: poll_interval_ms");
  ExpectRefused(std::string(kConfig) + "poll_interval_ms: 5\n", ":7:19: poll_interval_ms");
  ExpectRefused(std::string(kConfig) + "poll_interval_ms: 1s\n", ":7:19: poll_interval_ms must be a whole number from 10 to 600000, not '1s'");
}

TEST_F(AgentConfigTest, HostileYamlIsRefused) {
  ExpectRefused(std::string(kConfig) + "---\n" + kConfig, ":7:1: more than one YAML document");
  ExpectRefused(std::string(kConfig) + "profile: [" + std::string(100, '[') + "\n", ":7:");
}

}  // namespace
}  // namespace accord::agents
