// Addressing (docs/policy.md §Destination and about): a referral reaches the
// agency it is addressed to and no other; rules can match on whom an event is
// about and where it is addressed; an ended relation is no target.
#include <set>

#include <gtest/gtest.h>

#include "policy/evaluator.h"
#include "policy/lint.h"
#include "policy/loader.h"

namespace accord::policy {
namespace {

constexpr char kPolicy[] = R"(version: 1
agencies:
  probation: {kind: probation}
  childrens_services: {kind: childrens_services}
  marac_coordinator: {kind: marac_coordinator}
  up2u: {kind: perpetrator_programme}
  drive: {kind: perpetrator_programme}
  victim_services: {kind: victim_services}
sections: [summary, detail]
rules:
  - id: referral-to-up2u
    effect: permit
    when: {sender_kinds: [probation, childrens_services], events: [referral], about: [perpetrator], destinations: [up2u]}
    to: {destination: true}
    sections: [summary, detail]
    basis: public_task
  - id: referral-to-drive-only-from-marac
    effect: permit
    when: {senders: [marac_coordinator], events: [referral], about: [perpetrator], destination_kinds: [perpetrator_programme]}
    to: {destination: true}
    sections: [summary, detail]
    basis: public_task
  - id: victims-referral-to-its-destination
    effect: permit
    when: {events: [referral], about: [victim]}
    to: {destination: true}
    sections: [summary]
    basis: consent
    consent: {purpose: onward_referral}
  - id: never-a-victims-referral-to-a-programme
    effect: forbid
    when: {events: [referral], about: [victim]}
    to: {kinds: [perpetrator_programme]}
  - id: progress-to-programme-relation
    effect: permit
    when: {senders: [probation], events: [supervision_update]}
    to: {relations: [programme]}
    sections: [summary]
    basis: public_task
consent_authority: {}
relations:
  programme: {id: programme-by-itself, declared_by: {kinds: [perpetrator_programme]}, self: true, scope: perpetrator}
)";

class AddressingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = ParsePolicy(kPolicy, "addressing.yaml");
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_TRUE(loaded->warnings.empty()) << loaded->warnings[0].message;
    evaluator_ = std::make_unique<Evaluator>(loaded->policy);
  }

  static v1::EventHeader Referral(const std::string& from, const std::string& to, v1::SubjectRole about) {
    v1::EventHeader h;
    h.set_sender(from);
    h.set_kind(v1::EVENT_KIND_REFERRAL);
    h.set_about(about);
    if (!to.empty()) h.mutable_destination()->set_agency(to);
    v1::SubjectRef* v = h.add_subjects();
    v->set_ref("her-ref");
    v->set_role(v1::SUBJECT_ROLE_VICTIM);
    for (const char* s : {"summary", "detail"}) h.add_sections()->set_name(s);
    return h;
  }

  std::set<std::string> Receivers(const v1::EventHeader& h, const CaseContext& ctx = {}) const {
    std::set<std::string> out;
    const v1::Decision d = evaluator_->Evaluate(h, ctx, [](const std::string&, const std::string&) {
      return v1::CONSENT_STATE_GIVEN;
    });
    for (const auto& r : d.recipients()) {
      if (r.grants_size() > 0) out.insert(r.recipient());
    }
    return out;
  }

  std::unique_ptr<Evaluator> evaluator_;
};

TEST_F(AddressingTest, AReferralReachesItsDestinationAndNoOtherProgramme) {
  EXPECT_EQ(Receivers(Referral("probation", "up2u", v1::SUBJECT_ROLE_PERPETRATOR)), (std::set<std::string>{"up2u"}));
  EXPECT_EQ(Receivers(Referral("marac_coordinator", "drive", v1::SUBJECT_ROLE_PERPETRATOR)),
            (std::set<std::string>{"drive"}));
}

TEST_F(AddressingTest, WhenDestinationsDecidesWhichRuleApplies) {
  EXPECT_TRUE(Receivers(Referral("childrens_services", "drive", v1::SUBJECT_ROLE_PERPETRATOR)).empty())
      << "Drive takes its cases from MARAC only";
  EXPECT_TRUE(Receivers(Referral("probation", "", v1::SUBJECT_ROLE_PERPETRATOR)).empty()) << "no destination";
  EXPECT_TRUE(Receivers(Referral("probation", "nobody_we_know", v1::SUBJECT_ROLE_PERPETRATOR)).empty());
}

TEST_F(AddressingTest, AboutMatchesOnlyTheRoleItNames) {
  EXPECT_TRUE(Receivers(Referral("probation", "up2u", v1::SUBJECT_ROLE_UNSPECIFIED)).empty());
  EXPECT_TRUE(Receivers(Referral("probation", "up2u", v1::SUBJECT_ROLE_CHILD)).empty());
  EXPECT_EQ(Receivers(Referral("probation", "childrens_services", v1::SUBJECT_ROLE_VICTIM)),
            (std::set<std::string>{"childrens_services"}));
}

TEST_F(AddressingTest, AReferralAboutTheVictimNeverReachesAProgrammeEvenWhenAddressedToIt) {
  EXPECT_TRUE(Receivers(Referral("victim_services", "up2u", v1::SUBJECT_ROLE_VICTIM)).empty());
}

TEST_F(AddressingTest, TheSenderIsNeverItsOwnDestination) {
  EXPECT_TRUE(Receivers(Referral("probation", "probation", v1::SUBJECT_ROLE_VICTIM)).empty());
}

TEST_F(AddressingTest, AnEndedRelationIsNoTarget) {
  v1::EventHeader h;
  h.set_sender("probation");
  h.set_kind(v1::EVENT_KIND_SUPERVISION_UPDATE);
  h.add_sections()->set_name("summary");
  CaseContext ctx;
  ctx.relations["programme"] = {"up2u", "drive"};
  EXPECT_EQ(Receivers(h, ctx), (std::set<std::string>{"up2u", "drive"}));
  v1::CaseRelation* ended = h.add_relations();
  ended->set_relation("programme");
  ended->set_agency("up2u");
  ended->set_ended(true);
  EXPECT_EQ(Receivers(h, ctx), (std::set<std::string>{"drive"})) << "the case still holds it until this event";
  EXPECT_EQ(Receivers(h), (std::set<std::string>{})) << "an ended relation in the header is no declaration";
}

TEST_F(AddressingTest, LintKnowsADestinationIsARecipient) {
  auto loaded = ParsePolicy(kPolicy, "addressing.yaml");
  ASSERT_TRUE(loaded.ok());
  for (const Diagnostic& d : Lint(*loaded->policy)) {
    EXPECT_EQ(d.message.find("names no known recipient"), std::string::npos) << d.message;
  }
}

TEST_F(AddressingTest, MalformedAddressingIsAnError) {
  std::string text = kPolicy;
  text.replace(text.find("to: {destination: true}"), std::string("to: {destination: true}").size(),
               "to: {destination: yes please}");
  auto bad = ParsePolicy(text, "a.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("must be true or false"), std::string::npos) << bad.status();
  text = kPolicy;
  text.replace(text.find("about: [perpetrator]"), std::string("about: [perpetrator]").size(), "about: [offender]");
  bad = ParsePolicy(text, "a.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("a.yaml:13:"), std::string::npos) << bad.status();
  EXPECT_NE(bad.status().message().find("'offender'"), std::string::npos) << bad.status();
}

}  // namespace
}  // namespace accord::policy
