#include "agents/meeting/pack_view.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "accord/v1/events.pb.h"
#include "google/protobuf/descriptor.h"

namespace accord::agents {
namespace {

std::string Lower(std::string s, const std::string& prefix) {
  if (s.rfind(prefix, 0) == 0) s = s.substr(prefix.size());
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return c == '_' ? ' ' : static_cast<char>(std::tolower(c));
  });
  return s;
}

absl::Time EventTime(const v1::EventHeader& h) { return absl::FromUnixSeconds(h.occurred_at().seconds()); }

std::string When(absl::Time t) { return absl::FormatTime("%Y-%m-%d %H:%M", t, absl::UTCTimeZone()); }

const google::protobuf::Message* Find(const PackEvent& e, const std::string& name) {
  for (const PackSection& s : e.sections) {
    if (s.name == name && s.message) return s.message.get();
  }
  return nullptr;
}

// One line of what an event says, from its summary if we may read it.
std::string Headline(const PackEvent& e) {
  if (!e.error.ok()) return absl::StrCat("NOT VERIFIED: ", e.error.message());
  if (const auto* m = Find(e, "summary")) {
    const auto* summary = dynamic_cast<const v1::Summary*>(m);
    if (summary != nullptr) {
      return summary->text().empty() ? summary->headline()
                                     : absl::StrCat(summary->headline(), " — ", summary->text());
    }
  }
  if (e.notification_only) return "(notification only: this event exists; no content shared with you)";
  return "(summary withheld from your agency)";
}

std::string Withheld(const PackEvent& e) {
  if (e.withheld.empty()) return "";
  return absl::StrCat("withheld from you: ", absl::StrJoin(e.withheld, ", "));
}

// What the meeting should act on: actions agreed at a meeting (owner named)
// and actions an agency recommends in a risk alert, where the pack's agency
// may read the event's detail.
struct ActionLine {
  std::string text;
  std::string by;  // "owner: <agency>" or "recommended by <agency>, <when>"
};

std::vector<ActionLine> Actions(const PackCaseView& c) {
  std::vector<ActionLine> out;
  for (const PackEvent& e : c.events) {
    const auto* m = e.error.ok() ? Find(e, "detail") : nullptr;
    if (const auto* a = dynamic_cast<const v1::MeetingAction*>(m)) {
      out.push_back({a->action(), absl::StrCat("owner: ", a->owner_agency())});
    } else if (const auto* alert = dynamic_cast<const v1::RiskAlert*>(m);
               alert != nullptr && !alert->recommended_action().empty()) {
      out.push_back({alert->recommended_action(),
                     absl::StrCat("recommended by ", e.header.sender(), ", ", When(EventTime(e.header)))});
    }
  }
  return out;
}

std::string Html(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

std::string Md(const std::string& s) {
  return absl::StrReplaceAll(s, {{"|", "\\|"}, {"\n", " "}, {"<", "&lt;"}});
}

std::string TrendArrow(const std::string& trend) {
  if (trend == "up") return "rising ↑";
  if (trend == "down") return "falling ↓";
  if (trend == "same") return "unchanged →";
  return "first assessment";
}

}  // namespace

std::string KindLabel(v1::EventKind kind) { return Lower(v1::EventKind_Name(kind), "EVENT_KIND_"); }
std::string RiskLabel(v1::RiskLevel level) {
  return level == v1::RISK_LEVEL_UNSPECIFIED ? "not assessed" : Lower(v1::RiskLevel_Name(level), "RISK_LEVEL_");
}
std::string ToolLabel(v1::RiskTool tool) {
  if (tool == v1::RISK_TOOL_UNSPECIFIED) return "";
  std::string s = v1::RiskTool_Name(tool).substr(10);
  return tool == v1::RISK_TOOL_PROFESSIONAL_JUDGEMENT ? "professional judgement"
                                                      : absl::StrReplaceAll(s, {{"_", "-"}});
}

PackEvent ToPackEvent(const v1::Delivery& delivery, const crypto::OpenedEvent& opened) {
  PackEvent e;
  e.header = opened.header;
  e.notification_only = delivery.notification_only();
  e.withheld = opened.not_for_me;
  for (const crypto::OpenedSection& s : opened.sections) {
    PackSection section{s.name, s.content_type, nullptr};
    const google::protobuf::Descriptor* d =
        s.content_type.rfind("accord.v1.", 0) == 0
            ? google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(s.content_type)
            : nullptr;
    if (d != nullptr) {
      std::shared_ptr<google::protobuf::Message> m(
          google::protobuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
      if (m->ParseFromArray(s.plaintext.data(), static_cast<int>(s.plaintext.size()))) {
        section.message = std::move(m);
      }
    }
    e.sections.push_back(std::move(section));
  }
  return e;
}

PackEvent NoticePackEvent(const v1::NoticeBody& notice) {
  PackEvent e;
  e.header.set_event_id(notice.notice_id());
  e.header.set_kind(notice.kind());
  e.header.set_sender("broker");
  e.header.set_case_ref(notice.case_ref());
  *e.header.mutable_subjects() = notice.subjects();
  *e.header.mutable_occurred_at() = notice.raised_at();
  e.notification_only = true;
  auto summary = std::make_shared<v1::Summary>();
  summary->set_headline(absl::StrCat("Broker notice: ", notice.reason()));
  std::string text = absl::StrCat("Raised by the partnership broker from event headers (policy rule '",
                                  notice.rule_id(), "').");
  if (!notice.schedule_step().empty()) absl::StrAppend(&text, " Step: ", notice.schedule_step(), ".");
  if (notice.related_case_refs_size() > 0) {
    absl::StrAppend(&text, " Related cases: ", absl::StrJoin(notice.related_case_refs(), ", "), ".");
  }
  summary->set_text(text);
  e.sections.push_back(PackSection{"summary", "accord.v1.Summary", std::move(summary)});
  return e;
}

std::vector<RiskPoint> JoinedUpRisk(const PackCaseView& c) {
  std::map<std::string, std::vector<const PackEvent*>> by_agency;
  for (const PackEvent& e : c.events) {
    if (e.error.ok() && e.header.risk().level() != v1::RISK_LEVEL_UNSPECIFIED) {
      by_agency[e.header.sender()].push_back(&e);
    }
  }
  std::vector<RiskPoint> out;
  for (auto& [agency, events] : by_agency) {
    std::stable_sort(events.begin(), events.end(), [](const PackEvent* a, const PackEvent* b) {
      return EventTime(a->header) < EventTime(b->header);
    });
    const PackEvent* latest = events.back();
    RiskPoint p{agency, latest->header.risk().level(), latest->header.risk().tool(),
                latest->header.risk().score(), EventTime(latest->header), "new"};
    if (events.size() > 1) {
      const v1::RiskLevel before = events[events.size() - 2]->header.risk().level();
      p.trend = p.level > before ? "up" : p.level < before ? "down" : "same";
    }
    out.push_back(p);
  }
  std::sort(out.begin(), out.end(), [](const RiskPoint& a, const RiskPoint& b) {
    return a.level != b.level ? a.level > b.level : a.at > b.at;
  });
  return out;
}

std::string RenderMarkdown(const PackView& pack) {
  std::string out = absl::StrCat("# Meeting pack: ", pack.meeting_id, "\n\n",
                                 "For **", pack.agency, "** only. Changes from ", When(pack.since),
                                 " to ", When(pack.until), " UTC. ", pack.cases.size(),
                                 " case(s), highest priority first.\n\n"
                                 "Sections marked *withheld* exist but the information-sharing "
                                 "policy does not release them to your agency.\n");
  int n = 0;
  for (const PackCaseView& c : pack.cases) {
    absl::StrAppend(&out, "\n## ", ++n, ". Case ", Md(c.case_ref), " — risk ", RiskLabel(c.risk_level),
                    "\n\nPriority score ", absl::StrFormat("%.1f", c.priority_score),
                    c.score_explanation.empty() ? "" : absl::StrCat(" (", Md(c.score_explanation), ")"),
                    "\n\n### Joined-up risk picture\n\n| agency | latest risk | tool / score | assessed | trend |\n|---|---|---|---|---|\n");
    for (const RiskPoint& r : JoinedUpRisk(c)) {
      absl::StrAppend(&out, "| ", r.agency, " | ", RiskLabel(r.level), " | ", ToolLabel(r.tool),
                      r.score ? absl::StrCat(" ", r.score) : "", " | ", When(r.at), " | ",
                      TrendArrow(r.trend), " |\n");
    }
    absl::StrAppend(&out, "\n### What changed\n\n| when | from | what | risk | details |\n|---|---|---|---|---|\n");
    for (const PackEvent& e : c.events) {
      std::string details = Md(Headline(e));
      if (const std::string w = Withheld(e); !w.empty()) absl::StrAppend(&details, " <br>*", w, "*");
      absl::StrAppend(&out, "| ", When(EventTime(e.header)), " | ", e.header.sender(), " | ",
                      KindLabel(e.header.kind()),
                      e.header.has_override() ? " (safeguarding override)" : "", " | ",
                      RiskLabel(e.header.risk().level()), " | ", details, " |\n");
    }
    const auto actions = Actions(c);
    if (!actions.empty()) {
      absl::StrAppend(&out, "\n### Actions\n\n");
      for (const ActionLine& a : actions) absl::StrAppend(&out, "- ", Md(a.text), " — ", Md(a.by), "\n");
    }
  }
  if (pack.cases.empty()) absl::StrAppend(&out, "\nNo case has changed since your last pack.\n");
  return out;
}

std::string RenderHtml(const PackView& pack) {
  std::string out = absl::StrCat(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Meeting pack ",
      Html(pack.meeting_id), " — ", Html(pack.agency), "</title>\n<style>\n"
      "body{font-family:system-ui,sans-serif;margin:2em;color:#111;max-width:60em}\n"
      "h1{font-size:1.5em;margin-bottom:0}.sub{color:#444}\n"
      "section.case{border-top:2px solid #333;margin-top:1.5em;page-break-inside:avoid}\n"
      "table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #999;"
      "padding:.25em .5em;text-align:left;vertical-align:top;font-size:.9em}\n"
      "th{background:#eee}.risk-high,.risk-very-high{font-weight:bold;color:#a00}\n"
      ".withheld{font-style:italic;color:#555}.override{color:#a00;font-weight:bold}\n"
      "@media print{body{margin:0}a{color:inherit}}\n</style></head><body>\n",
      "<h1>Meeting pack: ", Html(pack.meeting_id), "</h1>\n<p class=\"sub\">For <strong>",
      Html(pack.agency), "</strong> only. Changes from ", When(pack.since), " to ", When(pack.until),
      " UTC. ", pack.cases.size(), " case(s), highest priority first. <span class=\"withheld\">Withheld"
      "</span> means the section exists but the policy does not release it to your agency.</p>\n");
  int n = 0;
  for (const PackCaseView& c : pack.cases) {
    const std::string risk_class = absl::StrReplaceAll(RiskLabel(c.risk_level), {{" ", "-"}});
    absl::StrAppend(&out, "<section class=\"case\"><h2>", ++n, ". Case ", Html(c.case_ref),
                    " — <span class=\"risk-", risk_class, "\">risk ", Html(RiskLabel(c.risk_level)),
                    "</span></h2>\n<p>Priority score ", absl::StrFormat("%.1f", c.priority_score),
                    c.score_explanation.empty() ? "" : absl::StrCat(" (", Html(c.score_explanation), ")"),
                    "</p>\n<h3>Joined-up risk picture</h3>\n<table><tr><th>agency</th><th>latest risk</th>"
                    "<th>tool / score</th><th>assessed</th><th>trend</th></tr>\n");
    for (const RiskPoint& r : JoinedUpRisk(c)) {
      absl::StrAppend(&out, "<tr><td>", Html(r.agency), "</td><td class=\"risk-",
                      absl::StrReplaceAll(RiskLabel(r.level), {{" ", "-"}}), "\">", Html(RiskLabel(r.level)),
                      "</td><td>", Html(ToolLabel(r.tool)), r.score ? absl::StrCat(" ", r.score) : "",
                      "</td><td>", When(r.at), "</td><td>", TrendArrow(r.trend), "</td></tr>\n");
    }
    absl::StrAppend(&out, "</table>\n<h3>What changed</h3>\n<table><tr><th>when</th><th>from</th>"
                          "<th>what</th><th>risk</th><th>details</th></tr>\n");
    for (const PackEvent& e : c.events) {
      absl::StrAppend(&out, "<tr><td>", When(EventTime(e.header)), "</td><td>", Html(e.header.sender()),
                      "</td><td>", Html(KindLabel(e.header.kind())),
                      e.header.has_override() ? " <span class=\"override\">(safeguarding override)</span>" : "",
                      "</td><td>", Html(RiskLabel(e.header.risk().level())), "</td><td>", Html(Headline(e)));
      if (const std::string w = Withheld(e); !w.empty()) {
        absl::StrAppend(&out, "<br><span class=\"withheld\">", Html(w), "</span>");
      }
      absl::StrAppend(&out, "</td></tr>\n");
    }
    absl::StrAppend(&out, "</table>\n");
    const auto actions = Actions(c);
    if (!actions.empty()) {
      absl::StrAppend(&out, "<h3>Actions</h3><ul>\n");
      for (const ActionLine& a : actions) {
        absl::StrAppend(&out, "<li>", Html(a.text), " — ", Html(a.by), "</li>\n");
      }
      absl::StrAppend(&out, "</ul>\n");
    }
    absl::StrAppend(&out, "</section>\n");
  }
  if (pack.cases.empty()) absl::StrAppend(&out, "<p>No case has changed since your last pack.</p>\n");
  absl::StrAppend(&out, "</body></html>\n");
  return out;
}

}  // namespace accord::agents
