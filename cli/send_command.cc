// accord send --as AGENCY EVENT.yaml: seal and publish one event by hand.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agents/sdk/agency_client.h"
#include "cli/agency_flags.h"
#include "cli/commands.h"
#include "cli/event_file.h"

namespace accord::cli {
namespace {

const std::vector<FlagSpec> kFlags = [] {
  std::vector<FlagSpec> flags = AgencyFlags();
  flags.push_back({"dry-run", false, "show the share plan, publish nothing"});
  return flags;
}();

constexpr char kUsage[] =
    "usage: accord send --as AGENCY [options] EVENT.yaml\n\n"
    "Asks the broker who may receive which sections of the event under the\n"
    "current policy, prints that plan, seals the sections for exactly those\n"
    "recipients and publishes. Event file format: docs/adapters.md.\n\n";

void PrintPlan(const v1::SharePlan& plan) {
  std::cout << "Share plan under policy " << plan.policy_version().substr(0, 12) << ":\n";
  for (const v1::RecipientPlan& r : plan.recipients()) {
    std::vector<std::string> grants;
    for (const v1::SectionGrant& g : r.decision().grants()) {
      grants.push_back(absl::StrCat(g.section(), " (", g.rule_id(), ")"));
    }
    std::cout << "  -> " << r.decision().recipient() << ": "
              << (r.decision().notification_only() ? "notified only, no sections"
                                                   : absl::StrJoin(grants, ", "))
              << (r.decision().via_override() ? "  [safeguarding override]" : "") << "\n";
  }
  for (const v1::Withholding& w : plan.withheld()) {
    std::cout << "  x  " << w.recipient() << ": " << (w.section().empty() ? "everything" : w.section())
              << " withheld by " << w.rule_id() << (w.reason().empty() ? "" : ": ") << w.reason()
              << "\n";
  }
}

}  // namespace

int RunSendCommand(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, kFlags);
  if (!args.ok() || args->help() || !args->Has("as") || args->positionals().size() != 1) {
    if (!args.ok()) std::cerr << "accord send: " << args.status().message() << "\n";
    (args.ok() && args->help() ? std::cout : std::cerr) << kUsage << FlagHelp(kFlags);
    return args.ok() && args->help() ? 0 : 2;
  }
  const std::string agency = *args->Get("as");
  absl::StatusOr<std::unique_ptr<agents::AgencyClient>> client = ConnectAgency(*args);
  if (!client.ok()) {
    std::cerr << "accord send: " << client.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<EventFile> event =
      LoadEventFile(args->positionals()[0], agency, (*client)->linkage_key());
  if (!event.ok()) {
    std::cerr << "accord send: " << event.status().message() << "\n";
    return 2;
  }
  v1::SharePlan plan;
  absl::StatusOr<v1::Envelope> envelope =
      (*client)->PlanAndSeal(event->header, event->sections, absl::Seconds(10), &plan);
  if (!envelope.ok()) {
    std::cerr << "accord send: " << envelope.status().message() << "\n";
    return 1;
  }
  PrintPlan(plan);
  if (args->Has("dry-run")) return 0;
  absl::StatusOr<v1::ReceiptBody> receipt = (*client)->Publish(*envelope, absl::Seconds(10));
  if (!receipt.ok()) {
    std::cerr << "accord send: " << receipt.status().message() << "\n";
    return 1;
  }
  std::cout << "Published " << receipt->event_id() << ": broker sequence " << receipt->sequence()
            << ", audit leaf " << receipt->audit_leaf_index() << (receipt->duplicate() ? " (duplicate)" : "")
            << "\n";
  return 0;
}

}  // namespace accord::cli
