#include "cli/agency_flags.h"

namespace accord::cli {

std::vector<FlagSpec> AgencyFlags() {
  return {
      {"as", true, "your agency id (its keys are read from the partnership folder)"},
      {"partnership", true, "partnership folder (default ./partnership)"},
      {"broker", true, "broker address host:port (default localhost:7443)"},
  };
}

absl::StatusOr<std::unique_ptr<agents::AgencyClient>> ConnectAgency(const Args& args) {
  absl::StatusOr<std::unique_ptr<agents::AgencyClient>> client = agents::AgencyClient::Create(
      {args.GetOr("partnership", "partnership"), args.GetOr("as", ""),
       args.GetOr("broker", "localhost:7443")});
  if (!client.ok()) return client.status();
  if (auto s = (*client)->RefreshDirectory(absl::Seconds(10)); !s.ok()) return s;
  return client;
}

}  // namespace accord::cli
