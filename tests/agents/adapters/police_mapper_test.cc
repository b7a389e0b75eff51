// police profile: PPN incidents with DASH, justice outcomes, orders and
// breaches from deploy/samples/police, and the rejects in its bad/ folder.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "agents/adapters/dash.h"
#include "tests/agents/adapters/sample_support.h"
#include "tests/testing/temp_dir.h"

namespace accord::agents {
namespace {

using namespace accord::agents::testing;  // NOLINT
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

TEST(PoliceMapperTest, MapsEverySampleRow) {
  MapResult incidents = MapSample("police", "incidents.csv");
  MapResult justice = MapSample("police", "justice.csv");
  EXPECT_EQ(incidents.events.size(), 3u);
  EXPECT_EQ(justice.events.size(), 6u);
  for (const MapResult* r : {&incidents, &justice}) {
    for (const Rejection& j : r->rejects) ADD_FAILURE() << j.file << ":" << j.line << ": " << j.reason;
    ExpectSectionsIndexed(*r);
    ExpectNoPersonalDataInHeaders(*r, {"4512", "2207", "3381", "5120"});
    for (const MappedEvent& e : r->events) EXPECT_EQ(e.header.sender(), "police");
  }
  EXPECT_EQ(incidents.events[0].source, "incidents.csv:2");
  EXPECT_EQ(incidents.events[1].source, "incidents.csv:5");  // the first record spans lines 2-4
}

TEST(PoliceMapperTest, HighRiskIncidentWithChildrenPresent) {
  MapResult result = MapSample("police", "incidents.csv");
  const MappedEvent* e = FindRecord(result, "police", "PPN-250303-0417");
  ASSERT_NE(e, nullptr);
  const v1::EventHeader& h = e->header;
  EXPECT_EQ(h.kind(), v1::EVENT_KIND_DOMESTIC_INCIDENT);
  EXPECT_EQ(h.risk().level(), v1::RISK_LEVEL_HIGH);
  EXPECT_EQ(h.risk().tool(), v1::RISK_TOOL_DASH);
  EXPECT_EQ(h.risk().score(), 17);
  EXPECT_THAT(h.flags(),
              IsSupersetOf({v1::FLAG_CHILDREN_PRESENT, v1::FLAG_CHILDREN_IN_HOUSEHOLD, v1::FLAG_STRANGULATION,
                            v1::FLAG_SEPARATION, v1::FLAG_ESCALATION, v1::FLAG_STALKING}));
  EXPECT_FALSE(HasFlag(*e, v1::FLAG_PREGNANCY));
  EXPECT_FALSE(HasFlag(*e, v1::FLAG_WEAPONS));
  EXPECT_EQ(SubjectRef(*e, v1::SUBJECT_ROLE_VICTIM), kCarys.ref());
  EXPECT_EQ(SubjectRef(*e, v1::SUBJECT_ROLE_PERPETRATOR), kDaniel.ref());
  std::vector<std::string> children;
  for (const v1::SubjectRef& s : h.subjects()) {
    if (s.role() == v1::SUBJECT_ROLE_CHILD) children.push_back(s.ref());
  }
  EXPECT_THAT(children, ElementsAre(kFfion.ref(), kOsian.ref()));
  EXPECT_EQ(h.case_ref(), "case-" + kCarys.ref().substr(0, 16));
  EXPECT_EQ(h.actor().role(), "police_officer");
  EXPECT_EQ(h.actor().staff_ref(), StaffRefFor(LinkageKey(), "police", "4512"));
  EXPECT_EQ(h.occurred_at().seconds(), 1741045200);  // 2025-03-03T23:40:00Z
  EXPECT_THAT(SectionNames(*e),
              ElementsAre("summary", "risk", "detail", "children", "health", "victim_contact"));

  auto summary = Section<v1::Summary>(*e, "summary");
  EXPECT_EQ(summary.headline(),
            "Domestic incident (home): DASH 17/27, high risk; children present; arrest made");
  auto risk = Section<v1::RiskDetail>(*e, "risk");
  EXPECT_EQ(risk.score(), 17);
  EXPECT_EQ(risk.answers().size(), 27u);
  EXPECT_TRUE(risk.answers().at("q18_strangulation"));
  EXPECT_FALSE(risk.answers().at("q16_weapons"));
  EXPECT_THAT(risk.factors(), ::testing::Contains("strangulation"));
  auto detail = Section<v1::DomesticIncident>(*e, "detail");
  EXPECT_EQ(detail.incident_ref(), "SWP-INC-250303-0417");
  EXPECT_THAT(detail.offences(),
              ElementsAre("Assault occasioning actual bodily harm (s.47 OAPA 1861)", "Criminal damage"));
  EXPECT_TRUE(detail.arrest_made());
  EXPECT_TRUE(detail.children_present());
  EXPECT_EQ(detail.officer_collar_ref(), h.actor().staff_ref());
  EXPECT_THAT(detail.narrative(),
              HasSubstr("999 call made by the older child.\nVictim stated: \"He put his hands"));
  auto kids = Section<v1::ChildrenDetail>(*e, "children");
  ASSERT_EQ(kids.children_size(), 2);
  EXPECT_EQ(kids.children(0).age_years(), 9);
  EXPECT_EQ(kids.children(1).age_years(), 6);
  EXPECT_TRUE(kids.children(0).present_at_incident());
  auto contact = Section<v1::VictimContact>(*e, "victim_contact");
  EXPECT_EQ(contact.address(), "14 Heol y Felin, Cardiff CF14 2AB");
  EXPECT_EQ(contact.safe_contact_method(), "Call; if no answer, do not leave a message");
  EXPECT_TRUE(Section<v1::HealthDetail>(*e, "health").substance_misuse());
}

TEST(PoliceMapperTest, StandardIncidentWithoutChildren) {
  MapResult result = MapSample("police", "incidents.csv");
  const MappedEvent* e = FindRecord(result, "police", "PPN-250308-0112");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.risk().level(), v1::RISK_LEVEL_STANDARD);
  EXPECT_EQ(e->header.risk().score(), 4);
  EXPECT_TRUE(e->header.flags().empty());
  EXPECT_THAT(SectionNames(*e), ElementsAre("summary", "risk", "detail", "victim_contact"));
  EXPECT_EQ(Section<v1::RiskDetail>(*e, "risk").answers().size(), 25u);  // two not answered
}

TEST(PoliceMapperTest, JusticeOutcomesOrdersAndBreaches) {
  MapResult result = MapSample("police", "justice.csv");
  const MappedEvent* bail = FindRecord(result, "police", "BAIL-250304-0031");
  const MappedEvent* reoffence = FindRecord(result, "police", "ARR-250402-0009");
  const MappedEvent* breach = FindRecord(result, "police", "BRCH-250320-0019");
  ASSERT_TRUE(bail && reoffence && breach);
  EXPECT_EQ(bail->header.kind(), v1::EVENT_KIND_PROTECTIVE_ORDER);
  auto order = Section<v1::ProtectiveOrder>(*bail, "detail");
  EXPECT_EQ(order.order_type(), "bail");
  EXPECT_EQ(order.conditions_size(), 3);
  EXPECT_EQ(order.ends_at().seconds() - order.starts_at().seconds(), 28 * 86400 - 7 * 3600 - 20 * 60);
  EXPECT_EQ(reoffence->header.kind(), v1::EVENT_KIND_CRIMINAL_JUSTICE_OUTCOME);
  EXPECT_EQ(reoffence->header.risk().level(), v1::RISK_LEVEL_VERY_HIGH);
  EXPECT_EQ(Section<v1::CriminalJusticeOutcome>(*reoffence, "detail").stage(),
            v1::CriminalJusticeOutcome::STAGE_REOFFENCE);
  EXPECT_EQ(Section<v1::Summary>(*reoffence, "summary").headline(),
            "Re-offence: Assault by beating (s.39 CJA 1988); Breach of pre-charge bail conditions");
  EXPECT_EQ(reoffence->header.case_ref(), "case-" + kCarys.ref().substr(0, 16));
  EXPECT_EQ(breach->header.kind(), v1::EVENT_KIND_ORDER_BREACH);
  EXPECT_TRUE(Section<v1::OrderBreach>(*breach, "detail").arrest_made());
  EXPECT_TRUE(HasFlag(*breach, v1::FLAG_CHILDREN_IN_HOUSEHOLD));
}

TEST(PoliceMapperTest, MappingIsDeterministicAndIdsDependOnAgencyAndKey) {
  MapResult a = MapSample("police", "incidents.csv");
  MapResult b = MapSample("police", "incidents.csv");
  ASSERT_EQ(a.events.size(), b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    EXPECT_EQ(a.events[i].header.SerializeAsString(), b.events[i].header.SerializeAsString());
    ASSERT_EQ(a.events[i].sections.size(), b.events[i].sections.size());
    for (std::size_t s = 0; s < a.events[i].sections.size(); ++s) {
      EXPECT_EQ(a.events[i].sections[s].plaintext, b.events[i].sections[s].plaintext);
    }
  }
  EXPECT_EQ(a.events[0].header.event_id(), EventIdFor(LinkageKey(), "police", "PPN-250303-0417"));
  EXPECT_THAT(a.events[0].header.event_id(), ::testing::StartsWith("police-"));
  EXPECT_EQ(a.events[0].header.event_id().size(), std::string("police-").size() + 32);
  EXPECT_NE(EventIdFor(LinkageKey(), "police", "PPN-250303-0417"),
            EventIdFor(LinkageKey(), "probation", "PPN-250303-0417"));
  EXPECT_NE(EventIdFor(LinkageKey(), "police", "PPN-250303-0417"),
            EventIdFor(crypto::SecretBytes(std::string(32, '\x43')), "police", "PPN-250303-0417"));
  // The record id itself never reaches the header.
  for (const MappedEvent& e : a.events) {
    EXPECT_EQ(e.header.SerializeAsString().find("PPN-"), std::string::npos);
  }
}

TEST(PoliceMapperTest, BadSamplesAreRejectedWithReasons) {
  MapResult result = MapSample("police", "bad/incidents-bad.csv");
  EXPECT_TRUE(result.events.empty());
  const std::vector<std::pair<int, std::string>> expected = {
      {2, "officer_collar_number is required"},
      {3, "occurred_at '03/03/2025 23:40' is not an RFC 3339 date and time"},
      {4, "dash_score '30' is not a whole number from 0 to 27"},
      {5, "dash_score 12 does not match dash_answers, which have 17 yes answers"},
      {6, "risk_level 'severe' is not one of: standard, medium, high, very_high"},
      {7, "risk_level 'medium' is below high although DASH score 17 meets the high-risk threshold (14+)"},
      {8, "record_type 'incidnet' is not one of: incident, justice_outcome, order, order_breach"},
      {9, "has 19 fields, the header has 20"},
      {10, "victim_dob '1991-02-30' is not a real date written YYYY-MM-DD"},
      {11, "cj_stage is filled but not used by record_type 'incident'"},
      {12, "unparsable CSV: field 20: quoted field is never closed"},
  };
  EXPECT_EQ(result.rejects.size(), expected.size());
  for (const auto& [line, reason] : expected) {
    const Rejection* r = RejectOn(result, line);
    ASSERT_NE(r, nullptr) << "line " << line << " not rejected";
    EXPECT_THAT(r->reason, HasSubstr(reason)) << "line " << line;
    EXPECT_EQ(r->file, "incidents-bad.csv");
    EXPECT_FALSE(r->raw.empty());
  }
}

TEST(PoliceMapperTest, RowsNamingMorePeopleThanAnEventMayHoldAreRejected) {
  accord::testing::TempDir tmp;
  std::string children;
  for (int i = 0; i < 15; ++i) absl::StrAppend(&children, i ? ";" : "", "Price|Child", i, "|2010-01-01");
  const std::string path = tmp.Path("many.csv");
  std::ofstream(path) << "record_id,record_type,occurred_at,officer_collar_number,victim_family_name,"
                         "victim_given_name,victim_dob,perpetrator_family_name,perpetrator_given_name,"
                         "perpetrator_dob,children,cj_stage\n"
                      << "R1,justice_outcome,2025-04-02T02:15:00Z,4512,Morgan,Carys,1991-03-14,Price,Daniel,"
                         "1988-07-22,"
                      << children << ",arrest\n";
  auto mapper = MakeMapper("police");
  ASSERT_TRUE(mapper.ok());
  auto result = (*mapper)->MapFile(path, {"police", &LinkageKey()});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->rejects.size(), 1u);
  EXPECT_EQ(result->rejects[0].reason, "the row names 17 people; an event may name at most 16");
}

TEST(PoliceMapperTest, ARepeatedRecordIdIsRejectedAndTheFirstKept) {
  accord::testing::TempDir tmp;
  const std::string path = tmp.Path("repeat.csv");
  const std::string row =
      ",order,2025-03-04T16:20:00Z,4512,Morgan,Carys,1991-03-14,Price,Daniel,1988-07-22,bail\n";
  std::ofstream(path) << "record_id,record_type,occurred_at,officer_collar_number,victim_family_name,"
                         "victim_given_name,victim_dob,perpetrator_family_name,perpetrator_given_name,"
                         "perpetrator_dob,order_type\n"
                      << "B-1" << row << "B-2" << row << "B-1" << row;
  auto mapper = MakeMapper("police");
  ASSERT_TRUE(mapper.ok());
  auto result = (*mapper)->MapFile(path, {"police", &LinkageKey()});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->events.size(), 2u);
  ASSERT_EQ(result->rejects.size(), 1u);
  EXPECT_EQ(result->rejects[0].line, 4);
  EXPECT_EQ(result->rejects[0].reason, "record_id 'B-1' was already used on line 2");
}

TEST(PoliceMapperTest, AnotherAgencysExportIsRefusedWhole) {
  auto mapper = MakeMapper("police");
  ASSERT_TRUE(mapper.ok());
  auto result = (*mapper)->MapFile(kSamples + "probation/supervision.csv", {"police", &LinkageKey()});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("unknown column 'offender_manager_id'"));
}

TEST(PoliceMapperTest, HealthIsSplitByWhoseItIsAndANewRelationshipJoinsTheNewPartnersCase) {
  MapResult result = MapSample("police", "lifecycle/incidents.csv");
  for (const Rejection& j : result.rejects) ADD_FAILURE() << j.line << ": " << j.reason;
  ASSERT_EQ(result.events.size(), 2u);
  ExpectSectionsIndexed(result);
  ExpectNoPersonalDataInHeaders(result, {"4512"});
  const Person megan{"Rees", "Megan", "1994-06-02"};
  const MappedEvent* incident = FindRecord(result, "police", "PPN-250602-0733");
  ASSERT_NE(incident, nullptr);
  // Her health and his are separate sections, so that a policy can send his
  // own needs to the programme working with him and never hers.
  EXPECT_THAT(SectionNames(*incident), ElementsAre("summary", "risk", "detail", "health@victim", "health@perpetrator"));
  auto hers = Section<v1::HealthDetail>(*incident, "health@victim");
  EXPECT_TRUE(hers.mental_health_concern());
  EXPECT_FALSE(hers.substance_misuse());
  EXPECT_EQ(hers.text(), "Low mood since the relationship began");
  auto his = Section<v1::HealthDetail>(*incident, "health@perpetrator");
  EXPECT_TRUE(his.substance_misuse());
  EXPECT_EQ(his.text(), "Drinking heavily according to the victim");
  EXPECT_THAT(Section<v1::DomesticIncident>(*incident, "detail").narrative(), HasSubstr("mae e'n genfigennus"));

  const MappedEvent* e = FindRecord(result, "police", "PPN-250528-0691");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.kind(), v1::EVENT_KIND_NEW_RELATIONSHIP);
  EXPECT_EQ(e->header.about(), v1::SUBJECT_ROLE_PERPETRATOR);
  EXPECT_EQ(SubjectRef(*e, v1::SUBJECT_ROLE_VICTIM), megan.ref());
  EXPECT_EQ(SubjectRef(*e, v1::SUBJECT_ROLE_PERPETRATOR), kDaniel.ref());
  EXPECT_EQ(e->header.case_ref(), "case-" + megan.ref().substr(0, 16));
  EXPECT_EQ(e->header.case_ref(), incident->header.case_ref());
  EXPECT_EQ(Section<v1::Summary>(*e, "summary").headline(), "New relationship: the perpetrator has a new partner");
}

}  // namespace
}  // namespace accord::agents
