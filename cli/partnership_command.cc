// accord partnership init DIR --agencies a,b,... [--id ID] [--days N] [--broker-host H]...
#include <cstdio>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/partnership.h"

namespace accord::cli {
namespace {

const std::vector<FlagSpec> kInitFlags = {
    {"agencies", true, "comma-separated agency ids, each a kind or id:kind (required)"},
    {"id", true, "partnership id (default: the directory name)"},
    {"days", true, "validity of keys and certificates in days (default 365)"},
    {"broker-host", true, "DNS name or IP for the broker certificate; repeatable "
                          "(default localhost and 127.0.0.1)"},
};

constexpr char kUsage[] =
    "usage: accord partnership init DIR --agencies police,probation,...\n"
    "\n"
    "Creates a new partnership in DIR: administrator key, CA and TLS certificates,\n"
    "each agency's signing and encryption keys, the signed directory, the linkage\n"
    "key and the broker's log key, plus DIR/README.md saying which file goes to whom.\n"
    "Refuses to touch an existing partnership; on any failure nothing is left behind.\n"
    "\n";

int Init(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, kInitFlags);
  if (!args.ok()) {
    std::cerr << "accord partnership init: " << args.status().message() << "\n";
    return 2;
  }
  if (args->help()) {
    std::cout << kUsage << FlagHelp(kInitFlags);
    return 0;
  }
  if (args->positionals().size() != 1 || !args->Has("agencies")) {
    std::cerr << kUsage << FlagHelp(kInitFlags);
    return 2;
  }
  PartnershipOptions options;
  options.dir = args->positionals()[0];
  options.partnership_id = args->GetOr("id", "");
  absl::StatusOr<std::vector<AgencySpec>> agencies = ParseAgencies(*args->Get("agencies"));
  if (!agencies.ok()) {
    std::cerr << "accord partnership init: " << agencies.status().message() << "\n";
    return 2;
  }
  options.agencies = *agencies;
  if (auto days = args->Get("days")) {
    int n = 0;
    if (!absl::SimpleAtoi(*days, &n) || n < 1 || n > 3650) {
      std::cerr << "accord partnership init: --days must be a whole number from 1 to 3650\n";
      return 2;
    }
    options.validity = absl::Hours(24) * n;
  }
  if (args->Has("broker-host")) options.broker_hosts = args->GetAll("broker-host");
  std::cout << "Creating partnership in " << options.dir << " for " << options.agencies.size()
            << " agencies ...\n";
  if (absl::Status s = InitPartnership(options); !s.ok()) {
    std::cerr << "accord partnership init: " << s.message() << "\n";
    return 2;
  }
  std::cout << "Done. Read " << options.dir << "/README.md for which file goes to whom.\n";
  return 0;
}

}  // namespace

int RunPartnershipCommand(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    std::cout << kUsage << FlagHelp(kInitFlags);
    return argv.empty() ? 2 : 0;
  }
  if (argv[0] == "init") return Init({argv.begin() + 1, argv.end()});
  std::cerr << "accord partnership: unknown command '" << argv[0] << "' (try: init)\n";
  return 2;
}

}  // namespace accord::cli
