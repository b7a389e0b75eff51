// The rendered pack shows withheld sections as withheld, joins risk up per
// agency with its trend, keeps the broker's priority order, and escapes text.
#include "agents/meeting/pack_view.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "accord/v1/events.pb.h"

namespace accord::agents {
namespace {

PackEvent Event(const std::string& sender, v1::EventKind kind, v1::RiskLevel level, int64_t t,
                const std::string& headline, std::vector<std::string> withheld = {}) {
  PackEvent e;
  e.header.set_sender(sender);
  e.header.set_kind(kind);
  e.header.mutable_risk()->set_level(level);
  e.header.mutable_occurred_at()->set_seconds(t);
  if (!headline.empty()) {
    auto summary = std::make_shared<v1::Summary>();
    summary->set_headline(headline);
    e.sections.push_back({"summary", "accord.v1.Summary", summary});
  }
  e.withheld = std::move(withheld);
  return e;
}

PackView Pack() {
  PackView pack;
  pack.meeting_id = "daily-discussion";
  pack.agency = "probation";
  pack.since = absl::FromUnixSeconds(1'790'000'000);
  pack.until = absl::FromUnixSeconds(1'790'086'400);
  PackCaseView high;
  high.case_ref = "CASE-42";
  high.risk_level = v1::RISK_LEVEL_HIGH;
  high.priority_score = 87.5;
  high.events.push_back(Event("police", v1::EVENT_KIND_DOMESTIC_INCIDENT, v1::RISK_LEVEL_MEDIUM,
                              1'790'000'100, "Incident <script>", {"victim_contact"}));
  high.events.push_back(Event("police", v1::EVENT_KIND_RISK_ASSESSMENT, v1::RISK_LEVEL_HIGH,
                              1'790'000'200, "DASH reassessed"));
  high.events.push_back(Event("perpetrator_programme", v1::EVENT_KIND_RISK_ALERT,
                              v1::RISK_LEVEL_HIGH, 1'790'000'300, ""));
  high.events.back().header.mutable_override()->set_reason("risk_to_child");
  auto alert = std::make_shared<v1::RiskAlert>();
  alert->set_recommended_action("Joint visit with police <today>");
  high.events.back().sections.push_back({"detail", "accord.v1.RiskAlert", alert});
  high.events.push_back(Event("marac_coordinator", v1::EVENT_KIND_MEETING_ACTION, v1::RISK_LEVEL_UNSPECIFIED,
                              1'790'000'400, "Action agreed"));
  auto action = std::make_shared<v1::MeetingAction>();
  action->set_action("Refer to MARAC");
  action->set_owner_agency("police");
  high.events.back().sections.push_back({"detail", "accord.v1.MeetingAction", action});
  PackCaseView standard;
  standard.case_ref = "CASE-7";
  standard.risk_level = v1::RISK_LEVEL_STANDARD;
  standard.events.push_back(Event("victim_services", v1::EVENT_KIND_SAFETY_PLAN_UPDATE,
                                  v1::RISK_LEVEL_STANDARD, 1'790'000'050, "", {"summary"}));
  standard.events.back().notification_only = true;
  pack.cases = {high, standard};
  return pack;
}

TEST(PackViewTest, JoinedUpRiskShowsLatestPerAgencyAndTrend) {
  auto risk = JoinedUpRisk(Pack().cases[0]);
  ASSERT_EQ(risk.size(), 2u);
  EXPECT_EQ(risk[0].level, v1::RISK_LEVEL_HIGH);
  const RiskPoint& police = risk[0].agency == "police" ? risk[0] : risk[1];
  EXPECT_EQ(police.agency, "police");
  EXPECT_EQ(police.trend, "up");
  EXPECT_EQ(police.level, v1::RISK_LEVEL_HIGH);
}

TEST(PackViewTest, MarkdownKeepsOrderAndShowsWithheld) {
  const std::string md = RenderMarkdown(Pack());
  EXPECT_LT(md.find("Case CASE-42"), md.find("Case CASE-7"));
  EXPECT_NE(md.find("withheld from you: victim_contact"), std::string::npos);
  EXPECT_NE(md.find("(summary withheld from your agency)"), std::string::npos);
  EXPECT_NE(md.find("notification only"), std::string::npos);
  EXPECT_NE(md.find("safeguarding override"), std::string::npos);
  EXPECT_NE(md.find("rising ↑"), std::string::npos);
  EXPECT_EQ(md.find("<script>"), std::string::npos);
}

TEST(PackViewTest, HtmlEscapesAndIsPrintable) {
  const std::string html = RenderHtml(Pack());
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("Incident &lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  EXPECT_NE(html.find("withheld from you: victim_contact"), std::string::npos);
}

TEST(PackViewTest, ActionsListAgreedAndRecommendedActionsThatMayBeRead) {
  const std::string md = RenderMarkdown(Pack());
  EXPECT_NE(md.find("- Refer to MARAC — owner: police"), std::string::npos) << md;
  EXPECT_NE(md.find("- Joint visit with police &lt;today> — recommended by perpetrator_programme, 2026-09-21"),
            std::string::npos)
      << md;
  const std::string html = RenderHtml(Pack());
  EXPECT_NE(html.find("<li>Joint visit with police &lt;today&gt; — recommended by perpetrator_programme"),
            std::string::npos)
      << html;
  // A detail section the policy withholds is not in the event, so nothing of it shows.
  PackView withheld = Pack();
  auto& sections = withheld.cases[0].events[2].sections;
  sections.erase(std::remove_if(sections.begin(), sections.end(),
                                [](const PackSection& s) { return s.name == "detail"; }),
                 sections.end());
  withheld.cases[0].events[2].withheld = {"detail"};
  EXPECT_EQ(RenderMarkdown(withheld).find("Joint visit"), std::string::npos);
}

TEST(PackViewTest, EmptyPackSaysSo) {
  PackView pack = Pack();
  pack.cases.clear();
  EXPECT_NE(RenderMarkdown(pack).find("No case has changed"), std::string::npos);
}

}  // namespace
}  // namespace accord::agents
