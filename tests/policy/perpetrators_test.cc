// Perpetrators across cases, standing risk, patterns and schedules
// (docs/policy.md §Perpetrators across cases, §Patterns, §Schedules):
// `when.perpetrator`, `when.min_case_risk`, the `patterns` and `schedules`
// sections, and file:line errors for malformed ones.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "policy/evaluator.h"
#include "policy/lint.h"
#include "policy/loader.h"

namespace accord::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kPolicy[] = R"(version: 1
agencies:
  police: {kind: police}
  probation: {kind: probation}
  victim_services: {kind: victim_services}
  up2u: {kind: perpetrator_programme}
  drive: {kind: perpetrator_programme}
  marac_coordinator: {kind: marac_coordinator}
sections: [summary, risk]
rules:
  - id: incident-of-a-man-with-other-open-cases-to-probation
    effect: permit
    when: {senders: [police], events: [domestic_incident], perpetrator: {other_open_cases: true}}
    to: {agencies: [probation]}
    sections: [summary]
    basis: prevention_detection_of_crime
  - id: serial-perpetrator-incident-to-marac
    effect: permit
    when: {senders: [police], perpetrator: {incidents: 2, different_victims: 2, within_days: 365}}
    to: {agencies: [marac_coordinator]}
    sections: [summary, risk]
    basis: safeguarding_adults
  - id: high-risk-case-closure-to-police
    effect: permit
    when: {sender_kinds: [perpetrator_programme], events: [programme_completed, deselection], min_case_risk: high}
    to: {agencies: [police]}
    sections: [summary, risk]
    basis: safeguarding_adults
consent_authority: {}
relations:
  programme: {id: programme-by-itself, declared_by: {kinds: [perpetrator_programme]}, self: true, scope: perpetrator}
  partner_support: {id: partner-support-by-idva, declared_by: {kinds: [victim_services]}, self: true}
patterns:
  - id: serial-perpetrator
    description: two or more victims within a year
    perpetrator: {incidents: 2, different_victims: 2, within_days: 365}
    notify: {kinds: [marac_coordinator], agencies: [drive], relations: [programme]}
  - id: three-open-cases
    perpetrator: {other_open_cases: 2}
    notify: {agencies: [police]}
schedules:
  - id: partner-feedback
    description: feedback from the partner after the programme starts
    started_by: {events: [referral_accepted], sender_kinds: [perpetrator_programme]}
    steps:
      - {label: 2 months, after_days: 61}
      - {label: 6 months, after_days: 183}
      - {label: 1 year, after_days: 365}
      - {label: 18 months, after_days: 548}
      - {label: 2 years, after_days: 730}
    notify: {relations: [partner_support]}
  - id: marac-review
    started_by: {events: [marac_listing, deselection]}
    steps: [{label: review, after_days: 28}]
    notify: {kinds: [marac_coordinator]}
)";

const absl::Time kNow = absl::FromUnixSeconds(1750000000);

std::shared_ptr<const Policy> Load(const std::string& text) {
  auto loaded = ParsePolicy(text, "perpetrators.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  if (!loaded.ok()) return nullptr;
  EXPECT_TRUE(loaded->warnings.empty()) << loaded->warnings[0].message;
  return loaded->policy;
}

v1::EventHeader Incident(const std::string& victim, const std::string& perpetrator = "p-dan",
                         v1::EventKind kind = v1::EVENT_KIND_DOMESTIC_INCIDENT, const std::string& sender = "police") {
  v1::EventHeader h;
  h.set_sender(sender);
  h.set_kind(kind);
  h.set_case_ref("case-" + victim);
  h.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow));
  h.add_sections()->set_name("summary");
  h.add_sections()->set_name("risk");
  if (!victim.empty()) {
    v1::SubjectRef* v = h.add_subjects();
    v->set_role(v1::SUBJECT_ROLE_VICTIM);
    v->set_ref(victim);
  }
  if (!perpetrator.empty()) {
    v1::SubjectRef* p = h.add_subjects();
    p->set_role(v1::SUBJECT_ROLE_PERPETRATOR);
    p->set_ref(perpetrator);
  }
  return h;
}

policy::Incident Past(int days_ago, const std::string& victim, v1::EventKind kind = v1::EVENT_KIND_DOMESTIC_INCIDENT) {
  return {kNow - absl::Hours(24) * days_ago, "case-" + victim, {victim}, kind};
}

CaseContext With(std::vector<policy::Incident> incidents, int other_open_cases = 0) {
  CaseContext ctx;
  ctx.now = kNow;
  ctx.perpetrators.push_back({"p-dan", other_open_cases, std::move(incidents)});
  return ctx;
}

class PerpetratorsTest : public ::testing::Test {
 protected:
  void SetUp() override { policy_ = Load(kPolicy); }
  Evaluator E() const { return Evaluator(policy_); }

  std::set<std::string> Receivers(const v1::EventHeader& h, const CaseContext& ctx) const {
    std::set<std::string> out;
    const v1::Decision d = E().Evaluate(h, ctx, [](const std::string&, const std::string&) {
      return v1::CONSENT_STATE_UNSPECIFIED;
    });
    for (const v1::RecipientDecision& r : d.recipients()) out.insert(r.recipient());
    return out;
  }

  std::shared_ptr<const Policy> policy_;
};

TEST_F(PerpetratorsTest, OtherOpenCases) {
  EXPECT_EQ(Receivers(Incident("v-megan"), With({}, 1)), (std::set<std::string>{"probation"}));
  EXPECT_EQ(Receivers(Incident("v-megan"), With({}, 0)), (std::set<std::string>{}));
  EXPECT_EQ(Receivers(Incident("v-megan"), CaseContext{}), (std::set<std::string>{}))
      << "nothing known of him: no other case";
}

TEST_F(PerpetratorsTest, SerialPerpetratorCountsDifferentVictimsWithinTheWindow) {
  const std::set<std::string> marac{"marac_coordinator"};
  EXPECT_EQ(Receivers(Incident("v-megan"), With({Past(100, "v-carys")})), marac)
      << "a second victim within a year, this event being the second incident";
  EXPECT_EQ(Receivers(Incident("v-carys"), With({Past(100, "v-carys")})), (std::set<std::string>{}))
      << "two incidents, one victim";
  EXPECT_EQ(Receivers(Incident("v-megan"), With({Past(400, "v-carys")})), (std::set<std::string>{}))
      << "the first victim's incident is older than the window";
  EXPECT_EQ(Receivers(Incident("v-megan"), With({Past(20, "v-carys", v1::EVENT_KIND_CONSENT_RECORDED)})),
            (std::set<std::string>{}))
      << "a consent record is not an incident";
  EXPECT_EQ(Receivers(Incident("v-megan", "p-other"), With({Past(100, "v-carys")})), (std::set<std::string>{}))
      << "another man's history is not his";
  EXPECT_EQ(Receivers(Incident(""), With({Past(100, "v-carys"), Past(50, "v-megan")})), marac)
      << "the history alone meets it, also for an event naming no victim";
  v1::EventHeader undated = Incident("v-megan");
  undated.clear_occurred_at();
  EXPECT_EQ(Receivers(undated, With({Past(100, "v-carys")})), marac)
      << "an event without occurred_at happened when the broker judges it, not in 1970";
}

TEST_F(PerpetratorsTest, AnEventTheHistoryAlreadyHoldsCountsOnce) {
  const v1::EventHeader h = Incident("v-megan");
  policy::Incident same{kNow, "case-v-megan", {"v-megan"}, v1::EVENT_KIND_DOMESTIC_INCIDENT};
  std::string text = kPolicy;
  const std::string two = "perpetrator: {incidents: 2, different_victims: 2, within_days: 365}\n    notify";
  text.replace(text.find(two), two.size(), "perpetrator: {incidents: 3, different_victims: 2, within_days: 365}\n    notify");
  auto loaded = ParsePolicy(text, "three.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const Evaluator e(loaded->policy);
  EXPECT_TRUE(e.PatternsMatched(h, With({Past(100, "v-carys"), same})).empty())
      << "the broker passes the history with this event in it: two incidents, not three";
  EXPECT_EQ(e.PatternsMatched(h, With({Past(100, "v-carys"), Past(10, "v-carys")})).size(), 1u);

  // An event dated after the broker accepted it is recorded at the time of
  // acceptance: still the same incident.
  v1::EventHeader late = h;
  late.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow) + 120);
  EXPECT_TRUE(e.PatternsMatched(late, With({Past(100, "v-carys"), same})).empty());
}

TEST_F(PerpetratorsTest, StandingRiskIsTheCasesAndNeverLowerThanTheEvents) {
  v1::EventHeader completed = Incident("v-carys", "p-dan", v1::EVENT_KIND_PROGRAMME_COMPLETED, "up2u");
  completed.mutable_risk()->set_level(v1::RISK_LEVEL_MEDIUM);
  CaseContext ctx;
  ctx.standing_risk = v1::RISK_LEVEL_HIGH;
  EXPECT_EQ(Receivers(completed, ctx), (std::set<std::string>{"police"})) << "completion at medium, case high";
  ctx.standing_risk = v1::RISK_LEVEL_MEDIUM;
  EXPECT_EQ(Receivers(completed, ctx), (std::set<std::string>{}));
  completed.mutable_risk()->set_level(v1::RISK_LEVEL_VERY_HIGH);
  EXPECT_EQ(Receivers(completed, ctx), (std::set<std::string>{"police"})) << "the event's own risk counts if higher";
}

TEST_F(PerpetratorsTest, PatternsNameTheirPerpetratorReasonAndRecipients) {
  CaseContext ctx = With({Past(100, "v-carys")});
  ctx.relations["programme"] = {"up2u"};
  const std::vector<PatternMatch> m = E().PatternsMatched(Incident("v-megan"), ctx);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].pattern_id, "serial-perpetrator");
  EXPECT_EQ(m[0].perpetrator_ref, "p-dan");
  EXPECT_EQ(m[0].reason, "2 incidents with 2 different victims within 365 days");
  EXPECT_THAT(m[0].recipients, ElementsAre("up2u", "drive", "marac_coordinator")) << "policy order";
  EXPECT_TRUE(E().PatternsMatched(Incident("v-carys"), ctx).empty());

  CaseContext two = With({}, 2);
  two.perpetrators.push_back({"p-other", 3, {}});
  const std::vector<PatternMatch> open = E().PatternsMatched(Incident("v-x"), two);
  ASSERT_EQ(open.size(), 2u) << "one match per perpetrator";
  EXPECT_EQ(open[0].perpetrator_ref, "p-dan");
  EXPECT_EQ(open[0].reason, "subject of 2 other open cases");
  EXPECT_EQ(open[1].perpetrator_ref, "p-other");
  EXPECT_THAT(open[1].recipients, ElementsAre("police"));
}

TEST_F(PerpetratorsTest, SchedulesStartOnTheirEventsAndSenders) {
  const std::vector<ScheduleStart> s =
      E().SchedulesStartedBy(Incident("v-carys", "p-dan", v1::EVENT_KIND_REFERRAL_ACCEPTED, "up2u"));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].schedule_id, "partner-feedback");
  std::vector<std::string> labels;
  std::vector<int64_t> days;
  for (const ScheduleStep& step : s[0].steps) {
    labels.push_back(step.label);
    days.push_back(absl::ToInt64Hours(step.after) / 24);
  }
  EXPECT_THAT(labels, ElementsAre("2 months", "6 months", "1 year", "18 months", "2 years"));
  EXPECT_THAT(days, ElementsAre(61, 183, 365, 548, 730));
  EXPECT_TRUE(
      E().SchedulesStartedBy(Incident("v-carys", "p-dan", v1::EVENT_KIND_REFERRAL_ACCEPTED, "victim_services")).empty())
      << "only a programme's acceptance starts it";
  EXPECT_TRUE(E().SchedulesStartedBy(Incident("v-carys")).empty());
  const std::vector<ScheduleStart> any =
      E().SchedulesStartedBy(Incident("v-carys", "p-dan", v1::EVENT_KIND_DESELECTION, "drive"));
  ASSERT_EQ(any.size(), 1u);
  EXPECT_EQ(any[0].schedule_id, "marac-review");
}

TEST_F(PerpetratorsTest, NoticeRecipientsResolveRelationsThroughTheCase) {
  CaseContext ctx;
  EXPECT_TRUE(E().NoticeRecipients("partner-feedback", ctx).empty()) << "no partner-support worker yet";
  ctx.relations["partner_support"] = {"victim_services", "not-in-policy"};
  EXPECT_THAT(E().NoticeRecipients("partner-feedback", ctx), ElementsAre("victim_services"));
  EXPECT_THAT(E().NoticeRecipients("marac-review", ctx), ElementsAre("marac_coordinator"));
  EXPECT_TRUE(E().NoticeRecipients("incident-of-a-man-with-other-open-cases-to-probation", ctx).empty())
      << "a rule id is neither a schedule nor a pattern";
  EXPECT_TRUE(E().NoticeRecipients("nothing", ctx).empty());
}

TEST_F(PerpetratorsTest, LintAndHash) {
  EXPECT_TRUE(Lint(*policy_).empty()) << Lint(*policy_)[0].message;
  std::string text = kPolicy;
  text.replace(text.find("after_days: 548"), std::string("after_days: 548").size(), "after_days: 549");
  EXPECT_NE(Load(text)->version(), policy_->version());
  std::string typo = kPolicy;
  typo.replace(typo.find("notify: {relations: [partner_support]}"),
               std::string("notify: {relations: [partner_support]}").size(), "notify: {relations: [partner_suport]}");
  auto loaded = ParsePolicy(typo, "t.yaml");
  ASSERT_TRUE(loaded.ok());
  bool warned = false;
  for (const Diagnostic& d : Lint(*loaded->policy)) {
    warned |= d.message.find("schedule 'partner-feedback' sends to relation 'partner_suport'") != std::string::npos;
  }
  EXPECT_TRUE(warned);
}

TEST_F(PerpetratorsTest, AForbidWithAPerpetratorConditionShadowsNoUnconditionalPermit) {
  const std::string text = std::string(kPolicy).replace(std::string(kPolicy).find("consent_authority: {}"),
                                                        std::string("consent_authority: {}").size(),
                                                        "  - id: f\n    effect: forbid\n    when: {perpetrator: "
                                                        "{other_open_cases: 5}}\n    to: {agencies: [police]}\n"
                                                        "consent_authority: {}");
  auto loaded = ParsePolicy(text, "f.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  for (const Diagnostic& d : Lint(*loaded->policy)) EXPECT_THAT(d.message, ::testing::Not(HasSubstr("shadowed")));
}

struct Bad {
  std::string from, to;
  std::string at;
  std::string message;
};

TEST(PerpetratorsParseTest, MalformedConditionsPatternsAndSchedulesAreErrorsWithTheirPosition) {
  const std::vector<Bad> cases = {
      {"perpetrator: {other_open_cases: true}", "perpetrator: {other_open_cases: maybe}", "p.yaml:13:92",
       "other_open_cases (true or a number) must be a whole number from 1 to 1000"},
      {"perpetrator: {other_open_cases: true}", "perpetrator: {other_open_cases: false}", "p.yaml:13:92",
       "other_open_cases: false asks nothing"},
      {"perpetrator: {other_open_cases: true}", "perpetrator: {}", "p.yaml:13:73",
       "needs other_open_cases or incidents"},
      {"perpetrator: {other_open_cases: true}", "perpetrator: {victims: 2}", "p.yaml:13:74",
       "unknown key 'victims' in 'when' of rule 'incident-of-a-man-with-other-open-cases-to-probation' perpetrator"},
      {"perpetrator: {incidents: 2, different_victims: 2, within_days: 365}}",
       "perpetrator: {incidents: 2, different_victims: 2}}", "p.yaml:19:44", "counts incidents: it needs 'within_days'"},
      {"perpetrator: {incidents: 2, different_victims: 2, within_days: 365}}",
       "perpetrator: {incidents: 2, within_days: 0}}", "p.yaml:19:72", "within_days must be a whole number from 1 to 3650"},
      {"perpetrator: {incidents: 2, different_victims: 2, within_days: 365}}",
       "perpetrator: {different_victims: 2}}", "p.yaml:19:64", "different_victims needs 'incidents'"},
      {"perpetrator: {incidents: 2, different_victims: 2, within_days: 365}}",
       "perpetrator: {incidents: 2, within_days: 30, kinds: [domestic_incidnt]}}", "p.yaml:19:84",
       "unknown event kind 'domestic_incidnt'"},
      {"min_case_risk: high", "min_case_risk: severe", "p.yaml:25:110", "min_case_risk 'severe' is not one of"},
      {"    notify: {agencies: [police]}\n", "", "p.yaml:38:5", "pattern is missing 'notify'"},
      {"notify: {agencies: [police]}", "notify: {agencies: [police], destination: true}", "p.yaml:40:47",
       "a broker notice has no destination"},
      {"notify: {agencies: [police]}", "notify: {}", "p.yaml:40:13", "notify names no agencies, kinds or relations"},
      {"  - id: three-open-cases", "  - id: serial-perpetrator", "p.yaml:38:9", "duplicate rule id 'serial-perpetrator'"},
      {"{label: 18 months, after_days: 548}", "{label: 18 months, after_days: 300}", "p.yaml:49:40",
       "step '18 months' (300 days) must come after step '1 year' (365 days)"},
      {"{label: 18 months, after_days: 548}", "{label: 1 year, after_days: 548}", "p.yaml:49:17",
       "names step '1 year' twice"},
      {"{label: review, after_days: 28}", "{label: review, after_days: 28 days}", "p.yaml:54:41",
       "step 'review' after_days must be a whole number from 1 to 3650"},
      {"{label: review, after_days: 28}", "{label: review}", "p.yaml:54:13", "needs 'label' and 'after_days'"},
      {"steps: [{label: review, after_days: 28}]", "steps: []", "p.yaml:54:12", "steps must be a list"},
      {"started_by: {events: [marac_listing, deselection]}", "started_by: {events: [marac_listin]}", "p.yaml:53:27",
       "unknown event kind 'marac_listin' in schedule 'marac-review' started_by events"},
      {"started_by: {events: [marac_listing, deselection]}", "started_by: {senders: [police]}", "p.yaml:53:17",
       "started_by needs 'events'"},
      {"    started_by: {events: [marac_listing, deselection]}\n", "", "p.yaml:52:5", "schedule is missing 'started_by'"},
      {"  - id: marac-review", "  - id: marac-review\n    every: 1", "p.yaml:53:5", "unknown key 'every' in schedule"},
  };
  for (const Bad& c : cases) {
    std::string text = kPolicy;
    const std::size_t at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    text.replace(at, c.from.size(), c.to);
    auto loaded = ParsePolicy(text, "p.yaml");
    ASSERT_FALSE(loaded.ok()) << c.message;
    EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(c.at + ": ")) << loaded.status();
    EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(c.message)) << loaded.status();
  }
  const std::string text = kPolicy;
  auto map = ParsePolicy(text.substr(0, text.find("patterns:\n")) + "patterns: {serial: x}\n", "p.yaml");
  ASSERT_FALSE(map.ok());
  EXPECT_THAT(std::string(map.status().message()), HasSubstr("p.yaml:33:11: 'patterns' must be a list"));
  auto schedules = ParsePolicy(text.substr(0, text.find("schedules:\n")) + "schedules: 1\n", "p.yaml");
  ASSERT_FALSE(schedules.ok());
  EXPECT_THAT(std::string(schedules.status().message()), HasSubstr("'schedules' must be a list"));
}

}  // namespace
}  // namespace accord::policy
