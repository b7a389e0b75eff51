// The broker's configuration file: duplicate keys, oversized or hostile YAML
// and integers that do not fit their setting are refused with file:line, never
// silently truncated or dropped.
#include "broker/config.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"

namespace accord::broker {
namespace {

class BrokerConfigTest : public ::testing::Test {
 protected:
  // A valid config with `extra` appended.
  absl::StatusOr<BrokerConfig> Load(const std::string& extra) {
    const std::string path = dir_.Path("broker.yaml");
    std::ofstream(path) << "data: data\npartnership: p\npolicy: policy.yaml\n" << extra;
    return LoadBrokerConfig(path);
  }
  void ExpectRefused(const std::string& extra, const std::string& where, const std::string& what) {
    absl::StatusOr<BrokerConfig> c = Load(extra);
    ASSERT_FALSE(c.ok()) << extra;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find(dir_.Path("broker.yaml") + where), std::string::npos)
        << c.status() << " (want " << where << ")";
    EXPECT_NE(c.status().message().find(what), std::string::npos) << c.status() << " (want " << what << ")";
  }

  accord::testing::TempDir dir_;
};

TEST_F(BrokerConfigTest, AValidConfigLoads) {
  absl::StatusOr<BrokerConfig> c =
      Load("admin_agencies: [marac_coordinator]\nlimits:\n  max_sections: 32\n  max_envelope_bytes: 262144\n"
           "meetings:\n  - id: daily\n    members: [police]\n    window_hours: 48\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->limits.max_sections, 32);
  EXPECT_EQ(c->limits.max_envelope_bytes, 262144u);
  EXPECT_EQ(c->limits.max_subjects, 16) << "unset limits keep their defaults";
  ASSERT_EQ(c->meetings.size(), 1u);
  EXPECT_EQ(c->meetings[0].window_hours, 48u);
  EXPECT_EQ(c->admin_agencies, std::vector<std::string>{"marac_coordinator"});
}

TEST_F(BrokerConfigTest, ASecondAdminAgenciesKeyIsRefused) {
  // yaml-cpp would keep one of the two lists and drop the other.
  ExpectRefused("admin_agencies: [marac_coordinator]\nadmin_agencies: [perpetrator_programme]\n", ":5:1",
                "duplicate key 'admin_agencies' (first at line 4)");
  ExpectRefused("limits:\n  max_sections: 8\n  max_sections: 64\n", ":6:3", "duplicate key 'max_sections'");
  ExpectRefused("meetings:\n  - id: m\n    members: [police]\n    id: n\n", ":7:5", "duplicate key 'id'");
}

TEST_F(BrokerConfigTest, IntegersThatDoNotFitAreRefused) {
  // The finding: 4294967296 became 0.
  ExpectRefused("limits:\n  max_sections: 4294967296\n", ":5:17",
                "limits.max_sections must be a whole number from 1 to 64 (got '4294967296')");
  ExpectRefused("limits:\n  max_sections: 0\n", ":5:17", "limits.max_sections must be a whole number from 1");
  ExpectRefused("limits:\n  max_wraps: -3\n", ":5:14", "limits.max_wraps must be a whole number");
  ExpectRefused("limits:\n  max_subjects: sixteen\n", ":5:17", "not 'sixteen'");
  ExpectRefused("limits:\n  max_envelope_bytes: 18446744073709551617\n", ":5:23", "limits.max_envelope_bytes");
  ExpectRefused("limits:\n  max_envelope_bytes: 134217728\n", ":5:23", "from 1024 to 67108864");
  ExpectRefused("limits:\n  max_header_bytes: 1.5\n", ":5:21", "limits.max_header_bytes");
  ExpectRefused("limits:\n  max_signing_age_hours: 1000000\n", ":5:26", "limits.max_signing_age_hours");
  ExpectRefused("limits:\n  max_event_id_length: 0x80\n", ":5:24", "not '0x80'");
  ExpectRefused("limits:\n  max_pack_events: [1]\n", ":5:20", "limits.max_pack_events");
  ExpectRefused("limits:\n  max_envelope_bytes: 2048\n  max_header_bytes: 4096\n", ":5:3",
                "max_header_bytes (4096) may not exceed limits.max_envelope_bytes (2048)");
  ExpectRefused("meetings:\n  - id: m\n    members: [police]\n    window_hours: 4294967368\n", ":7:19",
                "window_hours of meeting 'm' must be a whole number from 1 to 8784");
  ExpectRefused("meetings:\n  - id: m\n    members: [police]\n    window_hours: -72\n", ":7:19", "window_hours");
}

TEST_F(BrokerConfigTest, HostileYamlIsRefused) {
  std::string bomb = "meetings:\n  - id: m\n    members: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  bomb += "    name: {";
  for (int i = 1; i <= 7; ++i) {
    bomb += (i > 1 ? ", " : "") + std::string("l") + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += (j ? ", *a" : "*a") + std::to_string(i - 1);
    bomb += "]";
  }
  bomb += "}\n";
  ExpectRefused(bomb, ":7:", "expands to more than");
  ExpectRefused("---\nlisten: 127.0.0.1:0\n", ":4:", "more than one YAML document");
  const std::string big = dir_.Path("big.yaml");
  { std::ofstream(big) << "data: d\npartnership: p\npolicy: p\n#" << std::string(2u << 20, 'x') << "\n"; }
  absl::StatusOr<BrokerConfig> c = LoadBrokerConfig(big);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("allowed for this file"), std::string::npos) << c.status();
  EXPECT_EQ(LoadBrokerConfig(dir_.Path("missing.yaml")).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace accord::broker
