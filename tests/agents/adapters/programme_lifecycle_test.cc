// perpetrator_programme profile, the case lifecycle (issue 12): answers to
// referrals (accepted, declined with a reason, closed) in reply to the
// referral and addressed back to the referrer, the partner's contact details
// for the partner-support service, the safety-planning exchange, the
// participant's own consent, a new relationship, transfer, step-down,
// completion and de-selection, from deploy/samples/perpetrator_programme
// (lifecycle.jsonl as up2u, drive.jsonl as drive: the sender is the agent's
// agency, never a value in the export), and the rejects of
// bad/lifecycle-bad.jsonl.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/agents/adapters/sample_support.h"

namespace accord::agents {
namespace {

using namespace accord::agents::testing;  // NOLINT
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const Person kMeganRees{"Rees", "Megan", "1994-06-02"};

MapResult Up2u() { return MapSampleAs("perpetrator_programme", "up2u", "lifecycle/up2u.jsonl"); }
MapResult Drive() { return MapSampleAs("perpetrator_programme", "drive", "lifecycle/drive.jsonl"); }

std::vector<std::string> RelationNames(const MappedEvent& e) {
  std::vector<std::string> out;
  for (const v1::CaseRelation& r : e.header.relations()) {
    out.push_back(r.relation() + "=" + r.agency() + (r.ended() ? " (ended)" : ""));
  }
  return out;
}

TEST(ProgrammeLifecycleTest, MapsEverySampleLineAsTheAgentsOwnAgency) {
  MapResult up2u = Up2u();
  for (const Rejection& j : up2u.rejects) ADD_FAILURE() << j.line << ": " << j.reason;
  ASSERT_EQ(up2u.events.size(), 10u);
  ExpectSectionsIndexed(up2u);
  ExpectNoPersonalDataInHeaders(up2u, {"UP2U-F03", "UP2U-F05"});
  std::vector<v1::EventKind> kinds;
  for (const MappedEvent& e : up2u.events) kinds.push_back(e.header.kind());
  EXPECT_THAT(kinds, ElementsAre(v1::EVENT_KIND_REFERRAL_ACCEPTED, v1::EVENT_KIND_PARTNER_CONTACT_PROVIDED,
                                 v1::EVENT_KIND_CONSENT_RECORDED, v1::EVENT_KIND_SAFETY_PLANNING_EXCHANGE,
                                 v1::EVENT_KIND_REFERRAL_DECLINED, v1::EVENT_KIND_REFERRAL_CLOSED,
                                 v1::EVENT_KIND_NEW_RELATIONSHIP, v1::EVENT_KIND_PROGRAMME_TRANSFER,
                                 v1::EVENT_KIND_STEP_DOWN, v1::EVENT_KIND_PROGRAMME_COMPLETED));
  MapResult drive = Drive();
  for (const Rejection& j : drive.rejects) ADD_FAILURE() << j.line << ": " << j.reason;
  ASSERT_EQ(drive.events.size(), 3u);
  ExpectNoPersonalDataInHeaders(drive, {"DRV-CM02"});
  for (const MappedEvent& e : up2u.events) {
    EXPECT_EQ(e.header.sender(), "up2u");
    EXPECT_EQ(e.header.event_id().rfind("up2u-", 0), 0u);
  }
  for (const MappedEvent& e : drive.events) {
    EXPECT_EQ(e.header.sender(), "drive");
    EXPECT_EQ(e.header.event_id().rfind("drive-", 0), 0u);
  }
}

TEST(ProgrammeLifecycleTest, AcceptanceRepliesToTheReferralGoesBackToTheReferrerAndDeclaresTheProgramme) {
  MapResult up2u = Up2u();
  const MappedEvent* e = FindRecord(up2u, "up2u", "UP2U-RA-0231");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.in_reply_to(), EventIdFor(LinkageKey(), "probation", "NPS-REF-88120-01"));
  EXPECT_EQ(e->header.destination().agency(), "probation");
  EXPECT_EQ(e->header.about(), v1::SUBJECT_ROLE_PERPETRATOR);
  EXPECT_THAT(RelationNames(*e), ElementsAre("programme=up2u"));
  auto detail = Section<v1::ReferralOutcome>(*e, "detail");
  EXPECT_EQ(detail.outcome(), v1::ReferralOutcome::OUTCOME_ACCEPTED);
  EXPECT_EQ(detail.programme(), "up2u");
  EXPECT_EQ(Section<v1::Summary>(*e, "summary").headline(), "up2u: Referral accepted, starts 2025-03-24");

  // Drive answers the MARAC's referral in the same way: the same profile,
  // its own agency.
  MapResult drive = Drive();
  const MappedEvent* d = FindRecord(drive, "drive", "DRV-RA-0231");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->header.in_reply_to(), EventIdFor(LinkageKey(), "marac_coordinator", "MARAC-D-250313-01"));
  EXPECT_EQ(d->header.destination().agency(), "marac_coordinator");
  EXPECT_THAT(RelationNames(*d), ElementsAre("programme=drive"));
  EXPECT_EQ(d->header.risk().tool(), v1::RISK_TOOL_B_SAFER);
}

TEST(ProgrammeLifecycleTest, DeclineAndCloseCarryTheirReasonAndDeclareNothing) {
  MapResult up2u = Up2u();
  const MappedEvent* declined = FindRecord(up2u, "up2u", "UP2U-RD-0918");
  ASSERT_NE(declined, nullptr);
  EXPECT_EQ(declined->header.destination().agency(), "probation");
  EXPECT_TRUE(HasFlag(*declined, v1::FLAG_FALSE_COMPLIANCE));
  EXPECT_TRUE(declined->header.relations().empty());
  auto detail = Section<v1::ReferralOutcome>(*declined, "detail");
  EXPECT_EQ(detail.outcome(), v1::ReferralOutcome::OUTCOME_DECLINED);
  EXPECT_EQ(detail.decline_reason(), "false_compliance");
  EXPECT_EQ(Section<v1::Summary>(*declined, "summary").headline(), "up2u: Referral declined (false_compliance)");

  const MappedEvent* closed = FindRecord(up2u, "up2u", "UP2U-RC-0533");
  ASSERT_NE(closed, nullptr);
  EXPECT_EQ(closed->header.in_reply_to(), EventIdFor(LinkageKey(), "childrens_services", "CS-REF-5120-01"));
  EXPECT_EQ(closed->header.destination().agency(), "childrens_services");
  EXPECT_TRUE(closed->header.relations().empty());
  EXPECT_EQ(Section<v1::CaseClosure>(*closed, "detail").reason(), "Moved out of the area before the assessment");
}

TEST(ProgrammeLifecycleTest, PartnerContactGoesToThePartnerSupportServiceInVictimContactOnly) {
  MapResult up2u = Up2u();
  const MappedEvent* e = FindRecord(up2u, "up2u", "UP2U-PC-0231");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.destination().agency(), "victim_services");
  EXPECT_EQ(e->header.about(), v1::SUBJECT_ROLE_VICTIM);
  EXPECT_EQ(SubjectRef(*e, v1::SUBJECT_ROLE_VICTIM), kCarys.ref());
  // The programme does not declare partner_support: the service does.
  EXPECT_TRUE(e->header.relations().empty());
  EXPECT_THAT(SectionNames(*e), ElementsAre("summary", "children", "victim_contact"));
  auto contact = Section<v1::VictimContact>(*e, "victim_contact");
  EXPECT_EQ(contact.phone(), "07700 900321");
  EXPECT_EQ(contact.safe_times(), "10:00-12:00");
  for (const crypto::PlainSection& s : e->sections) {
    if (s.name != "victim_contact") EXPECT_EQ(s.plaintext.find("07700"), std::string::npos) << s.name;
  }
  // No other lifecycle record carries where she is.
  for (const MappedEvent& other : up2u.events) {
    if (&other == e) continue;
    for (const std::string& name : SectionNames(other)) EXPECT_NE(name.rfind("victim_contact", 0), 0u) << other.source;
  }
}

TEST(ProgrammeLifecycleTest, SafetyPlanningExchangeIsAddressedToThePartnerSupportWorker) {
  MapResult up2u = Up2u();
  const MappedEvent* e = FindRecord(up2u, "up2u", "UP2U-SP-0231-01");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.kind(), v1::EVENT_KIND_SAFETY_PLANNING_EXCHANGE);
  EXPECT_EQ(e->header.destination().agency(), "victim_services");
  EXPECT_EQ(e->header.risk().level(), v1::RISK_LEVEL_HIGH);
  auto detail = Section<v1::SafetyPlanUpdate>(*e, "detail");
  EXPECT_THAT(detail.measures(), ElementsAre("minimising the strangulation", "jealousy about her new job"));
  // UTF-8 text kept as written.
  EXPECT_EQ(detail.notes(), "Attended 1 of 1 sessions\nWeekly safety-planning meeting – y cyfarfod wythnosol");
  EXPECT_EQ(Section<v1::Summary>(*e, "summary").headline(), "up2u: Safety-planning exchange SPM-0231-01 on 2025-03-26");
}

TEST(ProgrammeLifecycleTest, TheParticipantsOwnConsentIsAStatementAboutHim) {
  MapResult up2u = Up2u();
  const MappedEvent* e = FindRecord(up2u, "up2u", "UP2U-PCON-0231");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->header.consent_statement().subject_ref(), kDaniel.ref());
  EXPECT_EQ(e->header.consent_statement().purpose(), "programme_information_sharing");
  EXPECT_EQ(e->header.consent_statement().state(), v1::CONSENT_STATE_GIVEN);
  EXPECT_EQ(e->header.about(), v1::SUBJECT_ROLE_PERPETRATOR);
}

TEST(ProgrammeLifecycleTest, ANewPartnerOpensHerOwnCaseLinkedByHisPseudonym) {
  MapResult up2u = Up2u();
  const MappedEvent* e = FindRecord(up2u, "up2u", "UP2U-NR-0231");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(SubjectRef(*e, v1::SUBJECT_ROLE_VICTIM), kMeganRees.ref());
  EXPECT_EQ(SubjectRef(*e, v1::SUBJECT_ROLE_PERPETRATOR), kDaniel.ref());
  EXPECT_EQ(e->header.case_ref(), "case-" + kMeganRees.ref().substr(0, 16));
  EXPECT_EQ(e->header.about(), v1::SUBJECT_ROLE_PERPETRATOR);
  EXPECT_EQ(e->header.SerializeAsString().find("Rees"), std::string::npos);
}

TEST(ProgrammeLifecycleTest, TransferStepDownCompletionAndDeselection) {
  MapResult up2u = Up2u();
  const MappedEvent* transfer = FindRecord(up2u, "up2u", "UP2U-TR-0231");
  ASSERT_NE(transfer, nullptr);
  EXPECT_EQ(transfer->header.destination().agency(), "drive");
  EXPECT_EQ(transfer->header.about(), v1::SUBJECT_ROLE_PERPETRATOR);
  EXPECT_EQ(Section<v1::Summary>(*transfer, "summary").headline(),
            "up2u: Transfer to drive; held here until 2025-07-02");
  const MappedEvent* step = FindRecord(up2u, "up2u", "UP2U-SD-0412");
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(Section<v1::CaseClosure>(*step, "detail").step_down_to(), "Up2U healthy relationships group");
  const MappedEvent* done = FindRecord(up2u, "up2u", "UP2U-CMP-0412");
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->header.risk().level(), v1::RISK_LEVEL_MEDIUM);
  EXPECT_EQ(Section<v1::CaseClosure>(*done, "detail").reason(), "completed");
  EXPECT_THAT(Section<v1::Summary>(*done, "summary").text(), HasSubstr("Onward referrals: GP: alcohol service"));
  // The programme does not end its relation itself: the policy says which
  // events end it (not disengagement, for Drive).
  EXPECT_TRUE(done->header.relations().empty());

  MapResult drive = Drive();
  const MappedEvent* deselected = FindRecord(drive, "drive", "DRV-DS-0231");
  ASSERT_NE(deselected, nullptr);
  EXPECT_EQ(deselected->header.kind(), v1::EVENT_KIND_DESELECTION);
  EXPECT_EQ(deselected->header.risk().level(), v1::RISK_LEVEL_HIGH);
  EXPECT_EQ(Section<v1::Disengagement>(*deselected, "detail").reason(),
            "No engagement after repeated attempts over twelve weeks");
  EXPECT_EQ(Section<v1::Summary>(*deselected, "summary").headline(),
            "drive: De-selected: No engagement after repeated attempts over twelve weeks; case management: "
            "probation; risk high");
}

TEST(ProgrammeLifecycleTest, BadLinesAreRejectedWithReasons) {
  MapResult result = MapSampleAs("perpetrator_programme", "up2u", "bad/lifecycle-bad.jsonl");
  EXPECT_TRUE(result.events.empty());
  ExpectRejects(
      result,
      {
          {1, "in_reply_to is required"},
          {2, "referral_source is not used on a referral_accepted record"},
          {3, "decline_reason 'too_busy' is not one of: false_compliance, increasing_risk"},
          {4, "risk_level is required"},
          {5, "referrer 'police' is not the agency whose referral this answers ('probation'"},
          {6, "in_reply_to 'probation/NPS-REF 88120' is not an Accord event id"},
          {7, "partner_support is required"},
          {8, "a partner_contact record needs the partner's contact details"},
          {9, "victim_address is not allowed on this record"},
          {10, "risk_level is below previous_risk_level: a completion never lowers the case's risk"},
          {11, "case_management_by is required when the reassessed risk is high"},
          {12, "case_management_by 'Probation Service' is not an identifier"},
          {13, "transfer_to is required"},
          {14, "new_partner_* and partner_* are both given"},
      });
}

TEST(ProgrammeLifecycleTest, HisOwnHealthNeedsAreHealthOfThePerpetratorAndHersHaveNoColumn) {
  const std::string who =
      R"("facilitator_id": "UP2U-F03", "participant_family_name": "Price", "participant_given_name": "Daniel", )"
      R"("participant_dob": "1988-07-22", "partner_family_name": "Morgan", "partner_given_name": "Carys", )"
      R"("partner_dob": "1991-03-14")";
  MapResult result = MapText(
      "perpetrator_programme", "up2u", "assessment-health.jsonl",
      R"({"record_id": "A-1", "record_type": "assessment", "occurred_at": "2025-03-20T15:00:00Z", )" + who +
          R"(, "suitable": true, "substance_misuse": true, "health_notes": "Drinks daily; agrees to GP referral"})"
          "\n" R"({"record_id": "A-2", "record_type": "assessment", "occurred_at": "2025-03-20T15:00:00Z", )" +
          who + R"(, "suitable": true, "victim_health_notes": "Her depression"})" "\n");
  ASSERT_EQ(result.events.size(), 1u);
  EXPECT_THAT(SectionNames(result.events[0]), ElementsAre("summary", "detail", "health@perpetrator"));
  EXPECT_TRUE(Section<v1::HealthDetail>(result.events[0], "health@perpetrator").substance_misuse());
  ExpectRejects(result, {{2, "unknown field 'victim_health_notes'"}});
}

// Checks that depend on which agency runs the profile (the bad sample file
// above must be bad for any agency: the end-to-end run maps it as
// perpetrator_programme).
TEST(ProgrammeLifecycleTest, AnAnswerNeverRepliesToItsOwnEventNorHandsCaseManagementToItself) {
  const std::string who =
      R"("facilitator_id": "UP2U-F03", "participant_family_name": "Price", "participant_given_name": "Daniel", )"
      R"("participant_dob": "1988-07-22", "partner_family_name": "Morgan", "partner_given_name": "Carys", )"
      R"("partner_dob": "1991-03-14")";
  const std::string text =
      R"({"record_id": "B-1", "record_type": "referral_closed", "occurred_at": "2025-04-03T12:00:00Z", )" + who +
      R"(, "in_reply_to": "up2u-0123456789abcdef0123456789abcdef", "close_reason": "Withdrawn"})" "\n"
      R"({"record_id": "B-2", "record_type": "referral_closed", "occurred_at": "2025-04-03T12:00:00Z", )" + who +
      R"(, "in_reply_to_record": "up2u:UP2U-R-0231", "close_reason": "Withdrawn"})" "\n"
      R"({"record_id": "B-3", "record_type": "deselection", "occurred_at": "2025-10-15T16:00:00Z", )" + who +
      R"(, "deselection_reason": "No engagement", "risk_level": "very_high", "case_management_by": "up2u"})" "\n";
  MapResult up2u = MapText("perpetrator_programme", "up2u", "own.jsonl", text);
  EXPECT_TRUE(up2u.events.empty());
  ExpectRejects(up2u, {{1, "in_reply_to 'up2u-0123456789abcdef0123456789abcdef' is one of this agency's own events"},
                       {2, "in_reply_to_record 'up2u:UP2U-R-0231' is one of this agency's own records"},
                       {3, "case_management_by is this programme"}});
  // The same lines from drive answer up2u's events and name up2u: not its own.
  MapResult drive = MapText("perpetrator_programme", "drive", "own.jsonl", text);
  EXPECT_EQ(drive.events.size(), 3u);
  for (const Rejection& j : drive.rejects) ADD_FAILURE() << j.line << ": " << j.reason;
}

}  // namespace
}  // namespace accord::agents
