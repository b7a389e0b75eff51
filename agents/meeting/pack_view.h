// What one agency sees of a meeting pack, after verifying and opening it, and
// its rendering as Markdown and printable HTML (DESIGN.md §8). Withheld
// sections are shown as withheld, never left out.
#ifndef ACCORD_AGENTS_MEETING_PACK_VIEW_H_
#define ACCORD_AGENTS_MEETING_PACK_VIEW_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "accord/v1/broker.pb.h"
#include "crypto/envelope.h"

namespace accord::agents {

struct PackSection {
  std::string name;
  std::string content_type;
  std::shared_ptr<google::protobuf::Message> message;  // null if it did not parse
};

struct PackEvent {
  v1::EventHeader header;
  bool notification_only = false;
  std::vector<PackSection> sections;
  std::vector<std::string> withheld;
  absl::Status error;  // verification failed: nothing of it is shown but the reason
};

struct PackCaseView {
  std::string case_ref;
  v1::RiskLevel risk_level = v1::RISK_LEVEL_UNSPECIFIED;
  double priority_score = 0;
  std::string score_explanation;
  std::vector<PackEvent> events;  // oldest first
};

struct PackView {
  std::string meeting_id;
  std::string agency;
  absl::Time since;
  absl::Time until;
  std::vector<PackCaseView> cases;  // priority order, as the broker sent them
};

// Builds a PackEvent from an opened event (sections decoded by content type).
PackEvent ToPackEvent(const v1::Delivery& delivery, const crypto::OpenedEvent& opened);
// A verified broker notice (a serial pattern, a reminder): shown as an event
// from "broker" whose summary is the notice's reason.
PackEvent NoticePackEvent(const v1::NoticeBody& notice);

// Latest risk per agency in a case and how it moved: "new", "up", "down", "same".
struct RiskPoint {
  std::string agency;
  v1::RiskLevel level = v1::RISK_LEVEL_UNSPECIFIED;
  v1::RiskTool tool = v1::RISK_TOOL_UNSPECIFIED;
  int32_t score = 0;
  absl::Time at;
  std::string trend;
};
std::vector<RiskPoint> JoinedUpRisk(const PackCaseView& c);

std::string RenderMarkdown(const PackView& pack);
std::string RenderHtml(const PackView& pack);

// Display names: "domestic incident", "high", "DASH".
std::string KindLabel(v1::EventKind kind);
std::string RiskLabel(v1::RiskLevel level);
std::string ToolLabel(v1::RiskTool tool);

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_MEETING_PACK_VIEW_H_
