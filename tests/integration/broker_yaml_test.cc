// The real broker and hostile YAML: a policy whose forbid rules sit under a
// second `rules:` key (which yaml-cpp alone would silently drop) is refused at
// start, on SIGHUP and on the admin RELOAD, and the previous policy, forbids
// included, stays in force. Broker configs with duplicate keys or integers
// that do not fit refuse to start.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "accord/v1/broker.grpc.pb.h"
#include "tests/integration/broker_fixture.h"

namespace accord::testing {
namespace {

// The example policy with its forbid rules moved under a second `rules:` key.
std::string PolicyWithSecondRulesKey() {
  std::string text = ReadAll(ACCORD_SOURCE_DIR "/tests/policies/one-programme.yaml");
  const std::size_t forbids = text.find("  # --- What must never happen");
  EXPECT_NE(forbids, std::string::npos);
  text.insert(forbids, "rules:\n");
  return text;
}

class BrokerYamlTest : public BrokerTest {
 protected:
  // The children's-services strategy override would give the programme the
  // victim's contact details but for the forbid rule: the plan shows which
  // rules are in force.
  v1::SharePlan StrategyOverridePlan(const std::string& id) {
    TestEvent e;
    e.id = id;
    e.kind = v1::EVENT_KIND_SAFEGUARDING_CONCERN;
    e.sections = {"summary", "detail", "victim_contact", "override_justification"};
    v1::EventHeader h = Header("childrens_services", e);
    h.mutable_override()->set_reason("risk_to_child");
    h.mutable_override()->mutable_authorised_by()->set_role("team_manager");
    h.mutable_override()->mutable_authorised_by()->set_staff_ref("cs-12");
    h.mutable_override()->set_justification_section("override_justification");
    v1::SharePlan plan;
    absl::StatusOr<v1::Envelope> env =
        Client("childrens_services").PlanAndSeal(h, Sections(e), absl::Seconds(10), &plan);
    EXPECT_TRUE(env.ok()) << env.status();
    return plan;
  }

  static bool ProgrammeGetsVictimContact(const v1::SharePlan& plan) {
    for (const v1::RecipientDecision& r : plan.decision().recipients()) {
      if (r.recipient() != "perpetrator_programme") continue;
      for (const v1::SectionGrant& g : r.grants()) {
        if (g.section() == "victim_contact") return true;
      }
    }
    return false;
  }

  grpc::Status AdminReload() {
    auto stub = v1::AdminService::NewStub(Client("marac_coordinator").channel());
    grpc::ClientContext ctx;
    v1::ReloadPolicyResponse resp;
    return stub->ReloadPolicy(&ctx, v1::ReloadPolicyRequest(), &resp);
  }

  absl::StatusOr<std::unique_ptr<BrokerProcess>> StartWith(const std::string& name, const std::string& policy,
                                                          const std::string& extra) {
    const std::string path = tmp_.Path(name + "-broker.yaml");
    std::ofstream(path) << "listen: 127.0.0.1:0\n"
                        << "data: " << tmp_.Path(name + "-data") << "\n"
                        << "partnership: " << Partnership() << "\n"
                        << "policy: " << policy << "\n"
                        << extra;
    return BrokerProcess::Start(path, tmp_.Path(name + ".log"));
  }
};

TEST_F(BrokerYamlTest, APolicyWithASecondRulesKeyIsRefusedOnReloadAndTheForbidsStay) {
  const v1::SharePlan before = StrategyOverridePlan("childrens_services-probe-1");
  ASSERT_TRUE(before.decision().override_used());
  ASSERT_FALSE(ProgrammeGetsVictimContact(before));

  std::ofstream(PolicyPath(), std::ios::trunc) << PolicyWithSecondRulesKey();
  broker_->Signal(SIGHUP);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (broker_->Log().find("policy reload rejected") == std::string::npos && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  const std::string log = broker_->Log();
  EXPECT_NE(log.find("policy reload rejected"), std::string::npos) << log;
  EXPECT_NE(log.find("duplicate key 'rules'"), std::string::npos) << log;

  const grpc::Status admin = AdminReload();
  EXPECT_EQ(admin.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(admin.error_message().find("duplicate key 'rules'"), std::string::npos) << admin.error_message();

  const v1::SharePlan after = StrategyOverridePlan("childrens_services-probe-2");
  EXPECT_EQ(after.policy_version(), before.policy_version()) << "the old policy stays in force";
  EXPECT_FALSE(ProgrammeGetsVictimContact(after)) << "the forbid rules were dropped";
}

TEST_F(BrokerYamlTest, TheBrokerRefusesToStartWithAPolicyWithDuplicateKeys) {
  const std::string policy = tmp_.Path("dup-policy.yaml");
  std::ofstream(policy) << PolicyWithSecondRulesKey();
  absl::StatusOr<std::unique_ptr<BrokerProcess>> b = StartWith("dup-policy", policy, "");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("duplicate key 'rules'"), std::string::npos) << b.status();
}

TEST_F(BrokerYamlTest, TheBrokerRefusesToStartWithDuplicateKeysOrIntegersThatDoNotFit) {
  const std::string policy = ACCORD_SOURCE_DIR "/tests/policies/one-programme.yaml";
  absl::StatusOr<std::unique_ptr<BrokerProcess>> admins =
      StartWith("admins", policy, "admin_agencies: [marac_coordinator]\nadmin_agencies: [perpetrator_programme]\n");
  ASSERT_FALSE(admins.ok());
  EXPECT_NE(admins.status().message().find("duplicate key 'admin_agencies'"), std::string::npos) << admins.status();
  absl::StatusOr<std::unique_ptr<BrokerProcess>> overflow =
      StartWith("overflow", policy, "limits:\n  max_sections: 4294967296\n");
  ASSERT_FALSE(overflow.ok());
  EXPECT_NE(overflow.status().message().find("limits.max_sections must be a whole number from 1 to 64"),
            std::string::npos)
      << overflow.status();
}

}  // namespace
}  // namespace accord::testing
