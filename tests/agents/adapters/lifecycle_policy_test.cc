// Every lifecycle sample (deploy/samples/*/lifecycle, the MARAC list and
// probation's supervision export, with the programmes as up2u and drive)
// through the two-programme example policy
// (deploy/policies/cardiff-and-vale.yaml): the policy accepts every relation
// the adapters declare, knows every section they send, and never grants a
// programme the victim's whereabouts, her health or children's details.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "policy/evaluator.h"
#include "policy/loader.h"
#include "tests/agents/adapters/sample_support.h"

namespace accord::agents {
namespace {

using namespace accord::agents::testing;  // NOLINT

std::vector<MappedEvent> LifecycleEvents() {
  const std::vector<std::tuple<std::string, std::string, std::string>> files = {
      {"police", "police", "lifecycle/incidents.csv"},
      {"probation", "probation", "supervision.csv"},
      {"childrens_services", "childrens_services", "lifecycle/referrals.csv"},
      {"victim_services", "victim_services", "lifecycle/idva.csv"},
      {"perpetrator_programme", "up2u", "lifecycle/up2u.jsonl"},
      {"perpetrator_programme", "drive", "lifecycle/drive.jsonl"},
      {"marac_coordinator", "marac_coordinator", "marac-list.csv"}};
  std::vector<MappedEvent> all;
  for (const auto& [profile, agency, file] : files) {
    MapResult result = MapSampleAs(profile, agency, file);
    EXPECT_TRUE(result.rejects.empty()) << agency << "/" << file;
    EXPECT_FALSE(result.events.empty()) << agency << "/" << file;
    for (MappedEvent& e : result.events) all.push_back(std::move(e));
  }
  return all;
}

class LifecyclePolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded =
        policy::LoadPolicyFile(std::string(ACCORD_SOURCE_DIR) + "/deploy/policies/cardiff-and-vale.yaml");
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    policy_ = loaded->policy;
    events_ = LifecycleEvents();
  }
  std::shared_ptr<const policy::Policy> policy_;
  std::vector<MappedEvent> events_;
};

TEST_F(LifecyclePolicyTest, EveryRelationTheLifecycleSamplesDeclareIsAccepted) {
  const policy::Evaluator evaluator(policy_);
  int declared = 0;
  for (const MappedEvent& e : events_) {
    for (const v1::CaseRelation& rel : e.header.relations()) {
      ++declared;
      const policy::RelationDecision d = evaluator.MayDeclareRelation(e.header, rel);
      EXPECT_TRUE(d.allowed) << e.source << ": " << rel.relation() << "=" << rel.agency() << ": " << d.reason;
    }
  }
  EXPECT_GT(declared, 5);
}

TEST_F(LifecyclePolicyTest, NoProgrammeReceivesTheVictimsWhereaboutsHealthOrChildren) {
  const policy::Evaluator evaluator(policy_);
  int sensitive = 0;
  for (const MappedEvent& e : events_) {
    for (const v1::SectionRef& s : e.header.sections()) {
      sensitive += s.name() == "victim_contact" || s.name() == "health@victim" || s.name() == "children";
    }
    // With every relation a programme could hold, and every consent given.
    policy::CaseContext ctx;
    ctx.relations["programme"] = {"up2u", "drive"};
    ctx.relations["partner_support"] = {"victim_services"};
    const v1::Decision d = evaluator.Evaluate(
        e.header, ctx, [](const std::string&, const std::string&) { return v1::CONSENT_STATE_GIVEN; });
    for (const v1::RecipientDecision& r : d.recipients()) {
      if (r.recipient() != "up2u" && r.recipient() != "drive") continue;
      for (const v1::SectionGrant& g : r.grants()) {
        const std::string& s = g.section();
        EXPECT_TRUE(s != "victim_contact" && s != "health" && s != "health@victim" && s != "children" &&
                    s.rfind("children@", 0) != 0)
            << e.source << " grants " << s << " to " << r.recipient();
      }
    }
    for (const v1::Withholding& w : d.withheld()) {
      EXPECT_NE(w.reason(), "section is not named in the policy") << e.source << " " << w.section();
    }
  }
  EXPECT_GT(sensitive, 3);  // the check above is not vacuous
}

}  // namespace
}  // namespace accord::agents
