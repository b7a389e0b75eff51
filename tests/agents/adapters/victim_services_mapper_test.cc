// victim_services (IDVA) profile: consent records, safety-plan updates with
// the victim's new contact details, and DASH assessments from
// deploy/samples/victim_services, and the rejects in its bad/ folder.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/agents/adapters/sample_support.h"

namespace accord::agents {
namespace {

using namespace accord::agents::testing;  // NOLINT
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(VictimServicesMapperTest, MapsEverySampleRow) {
  MapResult result = MapSample("victim_services", "idva.csv");
  EXPECT_EQ(result.events.size(), 8u);
  for (const Rejection& j : result.rejects) ADD_FAILURE() << j.line << ": " << j.reason;
  ExpectSectionsIndexed(result);
  ExpectNoPersonalDataInHeaders(result, {"IDVA-07", "IDVA-11"});
  // The victim's new address is only ever inside a section.
  for (const MappedEvent& e : result.events) {
    EXPECT_EQ(e.header.SerializeAsString().find("Llanfair"), std::string::npos);
  }
}

TEST(VictimServicesMapperTest, ConsentIsAStatementTheBrokerCanApply) {
  MapResult result = MapSample("victim_services", "idva.csv");
  const MappedEvent* e = FindRecord(result, "victim_services", "IDVA-C-5521-02");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.kind(), v1::EVENT_KIND_CONSENT_RECORDED);
  EXPECT_EQ(e->header.actor().role(), "idva");
  EXPECT_EQ(e->header.consent_statement().subject_ref(), kCarys.ref());
  EXPECT_EQ(e->header.consent_statement().purpose(), "police_safety_marker");
  EXPECT_EQ(e->header.consent_statement().state(), v1::CONSENT_STATE_GIVEN);
  auto detail = Section<v1::ConsentRecorded>(*e, "detail");
  EXPECT_EQ(detail.how_recorded(), "verbal");
  const MappedEvent* refused = FindRecord(result, "victim_services", "IDVA-C-5633-01");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->header.consent_statement().state(), v1::CONSENT_STATE_REFUSED);
}

TEST(VictimServicesMapperTest, SafetyPlanCarriesTheNewAddressInVictimContactOnly) {
  MapResult result = MapSample("victim_services", "idva.csv");
  const MappedEvent* e = FindRecord(result, "victim_services", "IDVA-SP-5521-01");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.kind(), v1::EVENT_KIND_SAFETY_PLAN_UPDATE);
  EXPECT_THAT(SectionNames(*e), ElementsAre("summary", "detail", "children", "victim_contact"));
  auto contact = Section<v1::VictimContact>(*e, "victim_contact");
  EXPECT_EQ(contact.address(), "Flat 3, 27 Clos Llanfair, Cardiff CF5 1QT");
  EXPECT_EQ(contact.phone(), "07700 900321");
  EXPECT_EQ(contact.safe_times(), "10:00-12:00");
  auto plan = Section<v1::SafetyPlanUpdate>(*e, "detail");
  EXPECT_EQ(plan.measures_size(), 4);
  for (const crypto::PlainSection& s : e->sections) {
    if (s.name != "victim_contact") {
      EXPECT_EQ(s.plaintext.find("Llanfair"), std::string::npos) << s.name;
    }
  }
  // The consent it relies on names the consent event by its deterministic id.
  EXPECT_EQ(e->header.consent().purpose(), "police_safety_marker");
  EXPECT_EQ(e->header.consent().subject_ref(), kCarys.ref());
  EXPECT_EQ(e->header.consent().consent_event_id(),
            FindRecord(result, "victim_services", "IDVA-C-5521-02")->header.event_id());
}

TEST(VictimServicesMapperTest, IdvaDashAssessment) {
  MapResult result = MapSample("victim_services", "idva.csv");
  const MappedEvent* e = FindRecord(result, "victim_services", "IDVA-RA-5521-01");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.kind(), v1::EVENT_KIND_RISK_ASSESSMENT);
  EXPECT_EQ(e->header.risk().level(), v1::RISK_LEVEL_HIGH);
  EXPECT_EQ(e->header.risk().score(), 18);
  EXPECT_TRUE(HasFlag(*e, v1::FLAG_STRANGULATION));
  auto detail = Section<v1::RiskAssessment>(*e, "detail");
  EXPECT_EQ(detail.assessment().score(), 18);
  EXPECT_TRUE(detail.assessment().answers().at("q19_sexual_abuse"));
  EXPECT_EQ(detail.assessment().assessor_role(), "idva");
}

TEST(VictimServicesMapperTest, BadSamplesAreRejectedWithReasons) {
  MapResult result = MapSample("victim_services", "bad/idva-bad.csv");
  EXPECT_TRUE(result.events.empty());
  const std::vector<std::pair<int, std::string>> expected = {
      {2, "consent_state 'maybe' is not one of: given, refused, withdrawn, not_sought, lacks_capacity"},
      {3, "consent_record_id and consent_purpose go together"},
      {4, "victim: family name contains '|'"},
      {5, "consent_purpose 'Victim Support' is not an identifier"},
      {6, "a safety_plan record needs safety_measures, notes or new victim contact details"},
      {7, "dash_answers 'YYYY' is not 27 characters of Y, N or U"},
  };
  ExpectRejects(result, expected);
}

}  // namespace
}  // namespace accord::agents
