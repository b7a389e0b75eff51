// The semantic rules of DESIGN.md §6, one test each, including adversarial ones.
#include "policy/evaluator.h"

#include <gtest/gtest.h>

#include "policy/loader.h"

namespace accord::policy {
namespace {

constexpr char kPolicy[] = R"(version: 1
agencies:
  police: {kind: police}
  victim_services: {kind: victim_services}
  childrens_services: {kind: childrens_services}
  perpetrator_programme: {kind: perpetrator_programme}
  probation: {kind: probation}
  auditor: {kind: auditor}
sections: [summary, risk, victim_contact, override_justification]
rules:
  - id: high-risk
    effect: permit
    when: {senders: [police], events: [domestic_incident], min_risk: high}
    to: {agencies: [victim_services, perpetrator_programme]}
    sections: [summary, risk, victim_contact]
    basis: safeguarding_adults
  - id: consent-idva
    effect: permit
    when: {senders: [police], events: [domestic_incident]}
    to: {agencies: [victim_services]}
    sections: [summary]
    basis: consent
    consent: {purpose: victim_support}
  - id: children
    effect: permit
    when: {senders: [police], flags_all: [children_in_household]}
    to: {kinds: [childrens_services]}
    sections: [summary, risk]
    basis: safeguarding_children
  - id: to-referrer
    effect: permit
    when: {senders: [perpetrator_programme], events: [session_attendance]}
    to: {relations: [referrer]}
    sections: [summary]
    basis: public_task
  - id: notify-probation
    effect: notify
    when: {senders: [police]}
    to: {agencies: [probation]}
  - id: never-contact-to-programme
    effect: forbid
    to: {kinds: [perpetrator_programme]}
    sections: [victim_contact]
overrides:
  - id: child-override
    invokers: [perpetrator_programme]
    reasons: [risk_to_child]
    to: {agencies: [childrens_services, police]}
    sections: [summary, risk, victim_contact]
    basis: safeguarding_children
    justification_section: override_justification
)";

class EvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = ParsePolicy(kPolicy, "test");
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_TRUE(loaded->warnings.empty());
    evaluator_ = std::make_unique<Evaluator>(loaded->policy);
  }

  v1::EventHeader Incident(v1::RiskLevel level) {
    v1::EventHeader h;
    h.set_sender("police");
    h.set_kind(v1::EVENT_KIND_DOMESTIC_INCIDENT);
    h.mutable_risk()->set_level(level);
    v1::SubjectRef* v = h.add_subjects();
    v->set_ref("victim-ref");
    v->set_role(v1::SUBJECT_ROLE_VICTIM);
    for (const char* s : {"summary", "risk", "victim_contact"}) h.add_sections()->set_name(s);
    return h;
  }

  v1::Decision Eval(const v1::EventHeader& h, v1::ConsentState consent = v1::CONSENT_STATE_UNSPECIFIED,
                    CaseContext ctx = {}) {
    return evaluator_->Evaluate(h, ctx, [consent](const std::string& ref, const std::string& purpose) {
      return ref == "victim-ref" && purpose == "victim_support" ? consent : v1::CONSENT_STATE_UNSPECIFIED;
    });
  }

  static std::set<std::string> Sections(const v1::Decision& d, const std::string& agency) {
    std::set<std::string> out;
    for (const auto& r : d.recipients()) {
      if (r.recipient() == agency) {
        for (const auto& g : r.grants()) out.insert(g.section());
      }
    }
    return out;
  }

  static const v1::Withholding* Withheld(const v1::Decision& d, const std::string& agency, const std::string& section) {
    for (const auto& w : d.withheld()) {
      if (w.recipient() == agency && w.section() == section) return &w;
    }
    return nullptr;
  }

  std::unique_ptr<Evaluator> evaluator_;
};

TEST_F(EvaluatorTest, DefaultDenyNamesNoRule) {
  v1::Decision d = Eval(Incident(v1::RISK_LEVEL_STANDARD));
  EXPECT_TRUE(Sections(d, "victim_services").empty());
  EXPECT_TRUE(Sections(d, "perpetrator_programme").empty());
  const v1::Withholding* summary = Withheld(d, "perpetrator_programme", "summary");
  ASSERT_NE(summary, nullptr) << d.DebugString();
  EXPECT_EQ(summary->rule_id(), kDefaultDeny);
  // Even where nothing would have released it, a forbid is named as the reason.
  const v1::Withholding* contact = Withheld(d, "perpetrator_programme", "victim_contact");
  ASSERT_NE(contact, nullptr);
  EXPECT_EQ(contact->rule_id(), "never-contact-to-programme");
}

TEST_F(EvaluatorTest, EmptyPolicyDeniesEverything) {
  auto empty = ParsePolicy("version: 1\nagencies: {police: {kind: police}, probation: {kind: probation}}\nsections: [summary]\n", "e");
  ASSERT_TRUE(empty.ok());
  Evaluator e(empty->policy);
  v1::EventHeader h = Incident(v1::RISK_LEVEL_VERY_HIGH);
  v1::Decision d = e.Evaluate(h, {}, [](const std::string&, const std::string&) { return v1::CONSENT_STATE_GIVEN; });
  EXPECT_EQ(d.recipients_size(), 0);
  EXPECT_GT(d.withheld_size(), 0);
}

TEST_F(EvaluatorTest, PermitGrantsWithRuleAndBasis) {
  v1::Decision d = Eval(Incident(v1::RISK_LEVEL_HIGH));
  EXPECT_EQ(Sections(d, "victim_services"), (std::set<std::string>{"summary", "risk", "victim_contact"}));
  for (const auto& r : d.recipients()) {
    for (const auto& g : r.grants()) {
      EXPECT_FALSE(g.rule_id().empty());
      EXPECT_NE(g.basis(), v1::LAWFUL_BASIS_UNSPECIFIED);
    }
  }
  EXPECT_EQ(d.policy_version(), evaluator_->policy().version());
}

TEST_F(EvaluatorTest, ForbidBeatsPermitOnTheSameSection) {
  v1::Decision d = Eval(Incident(v1::RISK_LEVEL_HIGH));
  EXPECT_EQ(Sections(d, "perpetrator_programme"), (std::set<std::string>{"summary", "risk"}));
  const v1::Withholding* w = Withheld(d, "perpetrator_programme", "victim_contact");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->rule_id(), "never-contact-to-programme");
}

TEST_F(EvaluatorTest, ConsentRuleNeedsGivenConsent) {
  EXPECT_EQ(Sections(Eval(Incident(v1::RISK_LEVEL_STANDARD), v1::CONSENT_STATE_GIVEN), "victim_services"),
            (std::set<std::string>{"summary"}));
  for (auto state : {v1::CONSENT_STATE_REFUSED, v1::CONSENT_STATE_WITHDRAWN, v1::CONSENT_STATE_NOT_SOUGHT,
                     v1::CONSENT_STATE_LACKS_CAPACITY, v1::CONSENT_STATE_UNSPECIFIED}) {
    v1::Decision d = Eval(Incident(v1::RISK_LEVEL_STANDARD), state);
    EXPECT_TRUE(Sections(d, "victim_services").empty()) << v1::ConsentState_Name(state);
    const v1::Withholding* w = Withheld(d, "victim_services", "summary");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->rule_id(), "consent-idva");
    EXPECT_NE(w->reason().find("victim_support"), std::string::npos) << w->reason();
  }
}

TEST_F(EvaluatorTest, UnknownConsentStateIsNotConsent) {
  v1::Decision d = Eval(Incident(v1::RISK_LEVEL_STANDARD), static_cast<v1::ConsentState>(99));
  EXPECT_TRUE(Sections(d, "victim_services").empty());
}

TEST_F(EvaluatorTest, WithdrawnConsentDoesNotStopSafeguarding) {
  v1::Decision d = Eval(Incident(v1::RISK_LEVEL_HIGH), v1::CONSENT_STATE_WITHDRAWN);
  EXPECT_EQ(Sections(d, "victim_services"), (std::set<std::string>{"summary", "risk", "victim_contact"}));
}

TEST_F(EvaluatorTest, ConsentRuleWithoutTheSubjectDoesNotApply) {
  v1::EventHeader h = Incident(v1::RISK_LEVEL_STANDARD);
  h.clear_subjects();
  EXPECT_TRUE(Sections(Eval(h, v1::CONSENT_STATE_GIVEN), "victim_services").empty());
}

TEST_F(EvaluatorTest, FlagsAndRelationsSelectRecipients) {
  v1::EventHeader h = Incident(v1::RISK_LEVEL_STANDARD);
  h.add_flags(v1::FLAG_CHILDREN_IN_HOUSEHOLD);
  EXPECT_EQ(Sections(Eval(h), "childrens_services"), (std::set<std::string>{"summary", "risk"}));
  v1::EventHeader attendance;
  attendance.set_sender("perpetrator_programme");
  attendance.set_kind(v1::EVENT_KIND_SESSION_ATTENDANCE);
  attendance.add_sections()->set_name("summary");
  EXPECT_TRUE(Sections(Eval(attendance), "probation").empty());
  CaseContext ctx;
  ctx.relations["referrer"] = {"probation"};
  EXPECT_EQ(Sections(Eval(attendance, v1::CONSENT_STATE_UNSPECIFIED, ctx), "probation"),
            (std::set<std::string>{"summary"}));
}

TEST_F(EvaluatorTest, NotifyRuleGivesNotificationOnlyWhenNothingElse) {
  v1::Decision d = Eval(Incident(v1::RISK_LEVEL_HIGH));
  bool notified = false;
  for (const auto& r : d.recipients()) {
    if (r.recipient() == "probation") {
      notified = r.notification_only();
      EXPECT_EQ(r.grants_size(), 0);
      EXPECT_EQ(r.notify_rule_ids(0), "notify-probation");
    }
  }
  EXPECT_TRUE(notified);
}

TEST_F(EvaluatorTest, SenderNeverReceivesAndUnknownSenderGetsNothing) {
  v1::Decision d = Eval(Incident(v1::RISK_LEVEL_HIGH));
  for (const auto& r : d.recipients()) EXPECT_NE(r.recipient(), "police");
  v1::EventHeader h = Incident(v1::RISK_LEVEL_HIGH);
  h.set_sender("mallory");
  EXPECT_EQ(Eval(h).recipients_size(), 0);
}

v1::EventHeader Alert(const std::string& role, const std::string& staff) {
  v1::EventHeader h;
  h.set_sender("perpetrator_programme");
  h.set_kind(v1::EVENT_KIND_RISK_ALERT);
  for (const char* s : {"summary", "risk", "victim_contact", "override_justification"}) h.add_sections()->set_name(s);
  h.mutable_override()->set_reason("risk_to_child");
  h.mutable_override()->mutable_authorised_by()->set_role(role);
  h.mutable_override()->mutable_authorised_by()->set_staff_ref(staff);
  h.mutable_override()->set_justification_section("override_justification");
  return h;
}

TEST_F(EvaluatorTest, ValidOverrideSharesAndSendsJustificationToAuditor) {
  v1::Decision d = Eval(Alert("programme_manager", "s-1"));
  EXPECT_TRUE(d.override_used());
  EXPECT_EQ(d.override_rule_id(), "child-override");
  EXPECT_EQ(Sections(d, "childrens_services"), (std::set<std::string>{"summary", "risk", "victim_contact"}));
  EXPECT_EQ(Sections(d, "auditor"), (std::set<std::string>{"override_justification"}));
}

TEST_F(EvaluatorTest, OverrideWithoutAuthoriserIsRefused) {
  for (auto h : {Alert("", "s-1"), Alert("programme_manager", "")}) {
    v1::Decision d = Eval(h);
    EXPECT_FALSE(d.override_used());
    EXPECT_TRUE(Sections(d, "childrens_services").empty());
    EXPECT_TRUE(Sections(d, "auditor").empty());
    bool refused = false;
    for (const auto& w : d.withheld()) {
      if (w.rule_id() == kOverrideRefused) {
        refused = true;
        EXPECT_NE(w.reason().find("authorising officer"), std::string::npos);
      }
    }
    EXPECT_TRUE(refused);
  }
}

TEST_F(EvaluatorTest, OverrideByAnAgencyNotAllowedIsRefused) {
  v1::EventHeader h = Alert("inspector", "1234");
  h.set_sender("police");
  v1::Decision d = Eval(h);
  EXPECT_FALSE(d.override_used());
  EXPECT_TRUE(Sections(d, "auditor").empty());
}

TEST_F(EvaluatorTest, ForbidBeatsOverride) {
  // The override targets police; make the programme also a target through a
  // second policy to show the forbid still wins.
  std::string text = kPolicy;
  text.replace(text.find("to: {agencies: [childrens_services, police]}"),
               std::string("to: {agencies: [childrens_services, police]}").size(),
               "to: {agencies: [childrens_services, police, perpetrator_programme]}");
  auto loaded = ParsePolicy(text, "t");
  ASSERT_TRUE(loaded.ok());
  Evaluator e(loaded->policy);
  v1::EventHeader h = Alert("programme_manager", "s-1");
  h.set_sender("childrens_services");
  std::string yaml = text;
  // childrens_services is not an invoker here, so use a policy where it is.
  yaml.replace(yaml.find("invokers: [perpetrator_programme]"), std::string("invokers: [perpetrator_programme]").size(),
               "invokers: [childrens_services]");
  auto loaded2 = ParsePolicy(yaml, "t2");
  ASSERT_TRUE(loaded2.ok());
  v1::Decision d = Evaluator(loaded2->policy).Evaluate(h, {}, [](const std::string&, const std::string&) {
    return v1::CONSENT_STATE_UNSPECIFIED;
  });
  EXPECT_TRUE(d.override_used());
  EXPECT_EQ(Sections(d, "perpetrator_programme"), (std::set<std::string>{"summary", "risk"}));
  EXPECT_EQ(Sections(d, "police"), (std::set<std::string>{"summary", "risk", "victim_contact"}));
}

TEST_F(EvaluatorTest, SameInputSameDecision) {
  v1::EventHeader h = Incident(v1::RISK_LEVEL_HIGH);
  h.add_flags(v1::FLAG_CHILDREN_IN_HOUSEHOLD);
  const std::string first = Eval(h, v1::CONSENT_STATE_GIVEN).SerializeAsString();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Eval(h, v1::CONSENT_STATE_GIVEN).SerializeAsString(), first);
}

TEST_F(EvaluatorTest, SectionsNotInThePolicyAreWithheldFromEveryone) {
  v1::EventHeader h = Incident(v1::RISK_LEVEL_HIGH);
  h.add_sections()->set_name("secret_extra");
  v1::Decision d = Eval(h);
  for (const auto& r : d.recipients()) {
    for (const auto& g : r.grants()) EXPECT_NE(g.section(), "secret_extra");
  }
  EXPECT_NE(Withheld(d, "*", "secret_extra"), nullptr);
}

}  // namespace
}  // namespace accord::policy
