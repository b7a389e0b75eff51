// The rendered pack shows withheld sections as withheld, joins risk up per
// agency with its trend, keeps the broker's priority order, and escapes text.
#include "agents/meeting/pack_view.h"

#include <gtest/gtest.h>

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

TEST(PackViewTest, EmptyPackSaysSo) {
  PackView pack = Pack();
  pack.cases.clear();
  EXPECT_NE(RenderMarkdown(pack).find("No case has changed"), std::string::npos);
}

}  // namespace
}  // namespace accord::agents
