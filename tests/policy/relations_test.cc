// The relations section (docs/policy.md §Relations): who may declare which
// relation, self, scope, the events that end or imply one, default deny, and
// file:line errors for a malformed section.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "policy/evaluator.h"
#include "policy/lint.h"
#include "policy/loader.h"
#include "policy/scenario.h"

namespace accord::policy {
namespace {

using ::testing::HasSubstr;

constexpr char kPolicy[] = R"(version: 1
agencies:
  police: {kind: police}
  probation: {kind: probation}
  childrens_services: {kind: childrens_services}
  victim_services: {kind: victim_services}
  up2u: {kind: perpetrator_programme}
  drive: {kind: perpetrator_programme}
  marac_coordinator: {kind: marac_coordinator}
sections: [summary]
rules:
  - id: progress-to-referrer
    effect: permit
    when: {sender_kinds: [perpetrator_programme]}
    to: {relations: [referrer, partner_support]}
    sections: [summary]
    basis: public_task
consent_authority: {}
relations:
  programme:
    id: programme-by-itself
    description: only a programme, about itself
    declared_by: {kinds: [perpetrator_programme]}
    self: true
    scope: perpetrator
    ends_on: {events: [programme_completed, deselection]}
    implied_by: {events: [referral_accepted]}
  referrer:
    id: referrer-is-the-referral-sender
    declared_by: {senders_of: [referral]}
    self: true
    implied_by: {events: [referral]}
    ends_on: {events: [referral_closed]}
  partner_support:
    id: partner-support-by-idva
    declared_by: {kinds: [victim_services]}
    self: true
  lead_professional:
    id: lead-professional
    declared_by: {agencies: [childrens_services]}
)";

std::shared_ptr<const Policy> Load(const std::string& text) {
  auto loaded = ParsePolicy(text, "relations.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  if (!loaded.ok()) return nullptr;
  EXPECT_TRUE(loaded->warnings.empty()) << loaded->warnings[0].message;
  return loaded->policy;
}

v1::EventHeader Header(const std::string& sender, v1::EventKind kind, bool with_perpetrator = true) {
  v1::EventHeader h;
  h.set_sender(sender);
  h.set_kind(kind);
  h.set_case_ref("case-1");
  v1::SubjectRef* v = h.add_subjects();
  v->set_role(v1::SUBJECT_ROLE_VICTIM);
  v->set_ref("v-1");
  if (with_perpetrator) {
    v1::SubjectRef* p = h.add_subjects();
    p->set_role(v1::SUBJECT_ROLE_PERPETRATOR);
    p->set_ref("p-1");
  }
  return h;
}

v1::CaseRelation Rel(const std::string& relation, const std::string& agency, bool ended = false) {
  v1::CaseRelation r;
  r.set_relation(relation);
  r.set_agency(agency);
  r.set_ended(ended);
  return r;
}

std::vector<std::pair<std::string, std::string>> Pairs(const std::vector<v1::CaseRelation>& rs) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const v1::CaseRelation& r : rs) out.emplace_back(r.relation(), r.agency() + (r.ended() ? " ended" : ""));
  return out;
}

class RelationsTest : public ::testing::Test {
 protected:
  void SetUp() override { policy_ = Load(kPolicy); }
  Evaluator E() const { return Evaluator(policy_); }
  std::shared_ptr<const Policy> policy_;
};

TEST_F(RelationsTest, OnlyTheNamedAgenciesMayDeclare) {
  const RelationDecision ok = E().MayDeclareRelation(Header("up2u", v1::EVENT_KIND_REFERRAL_ACCEPTED),
                                                     Rel("programme", "up2u"));
  EXPECT_TRUE(ok.allowed) << ok.reason;
  EXPECT_EQ(ok.rule_id, "programme-by-itself");

  const RelationDecision wrong = E().MayDeclareRelation(Header("victim_services", v1::EVENT_KIND_SAFETY_PLAN_UPDATE),
                                                        Rel("programme", "victim_services"));
  EXPECT_FALSE(wrong.allowed);
  EXPECT_EQ(wrong.rule_id, "programme-by-itself");
  EXPECT_EQ(wrong.reason,
            "relation 'programme' may be declared only by an agency of kind perpetrator_programme; "
            "'victim_services' declared it on a safety_plan_update");

  const RelationDecision by_id = E().MayDeclareRelation(Header("police", v1::EVENT_KIND_CHILD_PROTECTION_STATUS),
                                                        Rel("lead_professional", "childrens_services"));
  EXPECT_FALSE(by_id.allowed);
  EXPECT_THAT(by_id.reason, HasSubstr("may be declared only by childrens_services; 'police' declared it"));
  EXPECT_TRUE(E().MayDeclareRelation(Header("childrens_services", v1::EVENT_KIND_CHILD_PROTECTION_STATUS),
                                     Rel("lead_professional", "childrens_services"))
                  .allowed);
}

TEST_F(RelationsTest, PartnerSupportIsTheIdvaServicesAndNotTheProgrammes) {
  const RelationDecision programme = E().MayDeclareRelation(Header("up2u", v1::EVENT_KIND_PARTNER_CONTACT_PROVIDED),
                                                            Rel("partner_support", "victim_services"));
  EXPECT_FALSE(programme.allowed);
  EXPECT_EQ(programme.reason,
            "relation 'partner_support' may be declared only by an agency of kind victim_services; 'up2u' "
            "declared it on a partner_contact_provided");
  EXPECT_TRUE(E().MayDeclareRelation(Header("victim_services", v1::EVENT_KIND_PARTNER_SUPPORT_STATUS),
                                     Rel("partner_support", "victim_services"))
                  .allowed);
}

TEST_F(RelationsTest, SelfMeansTheDeclarerNamesItself) {
  const RelationDecision other = E().MayDeclareRelation(Header("up2u", v1::EVENT_KIND_REFERRAL_ACCEPTED),
                                                        Rel("programme", "drive"));
  EXPECT_FALSE(other.allowed);
  EXPECT_EQ(other.reason, "relation 'programme' must name the agency that declares it: 'up2u' named 'drive'");
  // Not self: children's services may name any agency of the policy, but not one outside it.
  const RelationDecision unknown = E().MayDeclareRelation(
      Header("childrens_services", v1::EVENT_KIND_CHILD_PROTECTION_STATUS), Rel("lead_professional", "school"));
  EXPECT_FALSE(unknown.allowed);
  EXPECT_THAT(unknown.reason, HasSubstr("names agency 'school', which is not in the policy"));
}

TEST_F(RelationsTest, SendersOfAReferralAreItsReferrerOnTheReferralOnly) {
  EXPECT_TRUE(
      E().MayDeclareRelation(Header("probation", v1::EVENT_KIND_REFERRAL), Rel("referrer", "probation")).allowed);
  const RelationDecision later =
      E().MayDeclareRelation(Header("probation", v1::EVENT_KIND_SUPERVISION_UPDATE), Rel("referrer", "probation"));
  EXPECT_FALSE(later.allowed);
  EXPECT_THAT(later.reason, HasSubstr("may be declared only by the sender of a referral; 'probation' declared it on "
                                      "a supervision_update"));
  EXPECT_FALSE(E().MayDeclareRelation(Header("probation", v1::EVENT_KIND_REFERRAL), Rel("referrer", "police")).allowed)
      << "self: a referral names its own sender as referrer";
}

TEST_F(RelationsTest, EndingNeedsTheSameRightAsDeclaring) {
  const RelationDecision ended = E().MayDeclareRelation(Header("up2u", v1::EVENT_KIND_RELATION_ENDED, false),
                                                        Rel("programme", "up2u", true));
  EXPECT_TRUE(ended.allowed) << "ending a perpetrator-scoped relation needs no perpetrator in the event";
  const RelationDecision not_theirs = E().MayDeclareRelation(Header("police", v1::EVENT_KIND_RELATION_ENDED),
                                                             Rel("programme", "up2u", true));
  EXPECT_FALSE(not_theirs.allowed);
  EXPECT_THAT(not_theirs.reason, HasSubstr("may be ended only by an agency of kind perpetrator_programme; 'police' "
                                           "ended it"));
}

TEST_F(RelationsTest, PerpetratorScopedRelationsNeedAPerpetrator) {
  EXPECT_EQ(E().ScopeOf("programme"), RelationScope::kPerpetrator);
  EXPECT_EQ(E().ScopeOf("referrer"), RelationScope::kCase);
  EXPECT_EQ(E().ScopeOf("not-a-relation"), RelationScope::kCase);
  const RelationDecision d = E().MayDeclareRelation(Header("up2u", v1::EVENT_KIND_REFERRAL_ACCEPTED, false),
                                                    Rel("programme", "up2u"));
  EXPECT_FALSE(d.allowed);
  EXPECT_THAT(d.reason, HasSubstr("belongs to the perpetrator, but the event names no perpetrator subject"));
}

TEST_F(RelationsTest, DefaultDenyForRelationsThePolicyDoesNotName) {
  const RelationDecision d =
      E().MayDeclareRelation(Header("police", v1::EVENT_KIND_DOMESTIC_INCIDENT), Rel("investigator", "police"));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule_id, kDefaultDeny);
  EXPECT_THAT(d.reason, HasSubstr("'investigator' is not in the policy's relations section"));

  auto without = ParsePolicy("version: 1\nagencies: {police: {kind: police}}\nsections: [summary]\n", "none.yaml");
  ASSERT_TRUE(without.ok());
  const RelationDecision none = Evaluator(without->policy)
                                    .MayDeclareRelation(Header("police", v1::EVENT_KIND_REFERRAL), Rel("referrer", "police"));
  EXPECT_FALSE(none.allowed);
  EXPECT_EQ(none.rule_id, kDefaultDeny);
  EXPECT_THAT(none.reason, HasSubstr("no relations section"));
  bool warned = false;
  for (const Diagnostic& w : Lint(*without->policy)) warned |= w.message.find("no relations section") != std::string::npos;
  EXPECT_TRUE(warned);
  EXPECT_TRUE(Evaluator(without->policy).RelationsEndedBy(Header("police", v1::EVENT_KIND_REFERRAL)).empty());
}

TEST_F(RelationsTest, EventsEndTheirSendersRelation) {
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(Pairs(E().RelationsEndedBy(Header("drive", v1::EVENT_KIND_DESELECTION))), (P{{"programme", "drive ended"}}));
  EXPECT_EQ(Pairs(E().RelationsEndedBy(Header("probation", v1::EVENT_KIND_REFERRAL_CLOSED))),
            (P{{"referrer", "probation ended"}}));
  EXPECT_TRUE(E().RelationsEndedBy(Header("drive", v1::EVENT_KIND_DISENGAGEMENT)).empty())
      << "disengagement does not end Drive's relation (seed 002: disrupt activities continue)";
  EXPECT_TRUE(E().RelationsEndedBy(Header("nobody", v1::EVENT_KIND_DESELECTION)).empty());
}

TEST_F(RelationsTest, EventsImplyRelationsTheirSenderMayDeclare) {
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(Pairs(E().RelationsImpliedBy(Header("probation", v1::EVENT_KIND_REFERRAL))), (P{{"referrer", "probation"}}));
  EXPECT_EQ(Pairs(E().RelationsImpliedBy(Header("up2u", v1::EVENT_KIND_REFERRAL_ACCEPTED))), (P{{"programme", "up2u"}}));
  EXPECT_TRUE(E().RelationsImpliedBy(Header("victim_services", v1::EVENT_KIND_REFERRAL_ACCEPTED)).empty())
      << "only a programme's acceptance implies its programme relation";
  EXPECT_TRUE(E().RelationsImpliedBy(Header("up2u", v1::EVENT_KIND_REFERRAL_ACCEPTED, false)).empty())
      << "no perpetrator to hold it";
}

TEST_F(RelationsTest, LintNamesRelationsNobodyMayDeclare) {
  std::string text = kPolicy;
  text.replace(text.find("to: {relations: [referrer, partner_support]}"),
               std::string("to: {relations: [referrer, partner_support]}").size(),
               "to: {relations: [referer, partner_support]}");
  auto loaded = ParsePolicy(text, "relations.yaml");
  ASSERT_TRUE(loaded.ok());
  std::vector<Diagnostic> lint = Lint(*loaded->policy);
  ASSERT_EQ(lint.size(), 1u);
  EXPECT_THAT(lint[0].message, HasSubstr("rule 'progress-to-referrer' sends to relation 'referer', which the relations "
                                         "section does not name"));
  EXPECT_EQ(lint[0].at.line, 12);
  EXPECT_TRUE(Lint(*policy_).empty()) << Lint(*policy_)[0].message;
}

TEST_F(RelationsTest, TheSectionIsPartOfThePolicyHash) {
  std::string text = kPolicy;
  text.replace(text.find("scope: perpetrator"), std::string("scope: perpetrator").size(), "scope: case");
  EXPECT_NE(Load(text)->version(), policy_->version());
}

TEST_F(RelationsTest, PolicyTestCasesFailOnARelationTheBrokerWouldRefuse) {
  const std::string path = ::testing::TempDir() + "/relations.cases.yaml";
  std::ofstream(path) << R"(cases:
  - name: the programme declares partner support
    event: {kind: session_attendance, sender: up2u, subjects: {perpetrator: p}, sections: [summary],
            relations: {partner_support: victim_services}}
    expect: {probation: nothing}
  - name: expected refused
    event: {kind: session_attendance, sender: up2u, subjects: {perpetrator: p}, sections: [summary],
            relations: {partner_support: victim_services}}
    relations: refused
  - name: expected refused but allowed
    event: {kind: partner_support_status, sender: victim_services, sections: [summary],
            relations: {partner_support: victim_services}}
    relations: refused
)";
  absl::StatusOr<std::vector<TestCase>> cases = ParseTestFile(path);
  ASSERT_TRUE(cases.ok()) << cases.status();
  ASSERT_EQ(cases->size(), 3u);
  const CaseResult unexpected = RunCase(E(), (*cases)[0]);
  ASSERT_EQ(unexpected.failures.size(), 1u);
  EXPECT_EQ(unexpected.failures[0],
            "the broker would refuse the event: relation partner_support=victim_services (rule "
            "'partner-support-by-idva': relation 'partner_support' may be declared only by an agency of kind "
            "victim_services; 'up2u' declared it on a session_attendance)");
  EXPECT_TRUE(RunCase(E(), (*cases)[1]).failures.empty());
  const CaseResult allowed = RunCase(E(), (*cases)[2]);
  ASSERT_EQ(allowed.failures.size(), 1u);
  EXPECT_THAT(allowed.failures[0], HasSubstr("expected the event's relations to be refused"));
}

struct BadSection {
  std::string from, to;  // replace in kPolicy
  std::string at;        // "relations.yaml:L:C"
  std::string message;
};

TEST(RelationsParseTest, MalformedSectionsAreErrorsWithTheirPosition) {
  const std::vector<BadSection> cases = {
      {"  referrer:\n    id: referrer-is-the-referral-sender\n", "  Referrer:\n    id: referrer-is-the-referral-sender\n",
       "relations.yaml:28:3", "relation 'Referrer' is not an identifier"},
      {"    id: referrer-is-the-referral-sender\n", "", "relations.yaml:29:5",
       "relation 'referrer' is missing 'id'"},
      {"id: referrer-is-the-referral-sender", "id: programme-by-itself", "relations.yaml:29:9",
       "duplicate rule id 'programme-by-itself'"},
      {"    scope: perpetrator\n", "    scope: household\n", "relations.yaml:25:12",
       "scope 'household' of relation 'programme' is not case or perpetrator"},
      {"    self: true\n    scope", "    self: yes\n    scope", "relations.yaml:24:11",
       "relation 'programme' self must be true or false"},
      {"ends_on: {events: [programme_completed, deselection]}", "ends_on: {events: [programme_complete]}",
       "relations.yaml:26:24", "unknown event kind 'programme_complete' in relation 'programme' ends_on events"},
      {"ends_on: {events: [programme_completed, deselection]}", "ends_on: [deselection]", "relations.yaml:26:14",
       "relation 'programme' ends_on must be a mapping"},
      {"ends_on: {events: [programme_completed, deselection]}", "ends_on: {}", "relations.yaml:26:14",
       "relation 'programme' ends_on needs 'events'"},
      {"declared_by: {senders_of: [referral]}", "declared_by: {senders_of: [refferal]}", "relations.yaml:30:32",
       "unknown event kind 'refferal' in relation 'referrer' declared_by senders_of"},
      {"declared_by: {kinds: [victim_services]}", "declared_by: {kinds: [idva]}", "relations.yaml:36:27",
       "unknown agency kind 'idva'"},
      {"declared_by: {kinds: [victim_services]}", "declared_by: {kinds: [victim_services], by: [x]}",
       "relations.yaml:36:45", "unknown key 'by' in relation 'partner_support' declared_by"},
      {"    implied_by: {events: [referral]}\n", "    implied: {events: [referral]}\n", "relations.yaml:32:5",
       "unknown key 'implied' in relation 'referrer'"},
  };
  for (const BadSection& c : cases) {
    std::string text = kPolicy;
    const std::size_t at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    text.replace(at, c.from.size(), c.to);
    auto loaded = ParsePolicy(text, "relations.yaml");
    ASSERT_FALSE(loaded.ok()) << c.message;
    EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(c.at + ": ")) << loaded.status();
    EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(c.message)) << loaded.status();
  }
  const std::string text = kPolicy;
  auto list = ParsePolicy(text.substr(0, text.find("relations:\n")) + "relations: [programme]\n", "relations.yaml");
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(std::string(list.status().message()),
              HasSubstr("relations.yaml:19:12: 'relations' must map each relation name"));
}

TEST(RelationsParseTest, AnUnknownDeclarerIsAWarningAndARelationNobodyMayDeclareIsLinted) {
  auto loaded = ParsePolicy(std::string("version: 1\nagencies: {police: {kind: police}}\nsections: [summary]\n"
                                        "relations:\n  referrer: {id: r, declared_by: {agencies: [polise]}}\n"),
                            "r.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->warnings.size(), 1u);
  EXPECT_THAT(loaded->warnings[0].message, HasSubstr("unknown agency 'polise'"));
  bool linted = false;
  for (const Diagnostic& d : Lint(*loaded->policy)) linted |= d.message.find("'referrer' can never be declared") != std::string::npos;
  EXPECT_TRUE(linted);
  EXPECT_FALSE(Evaluator(loaded->policy)
                   .MayDeclareRelation(Header("police", v1::EVENT_KIND_REFERRAL), Rel("referrer", "police"))
                   .allowed);
}

}  // namespace
}  // namespace accord::policy
