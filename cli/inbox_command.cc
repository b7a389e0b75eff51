// accord inbox DIR: what an agency has received (the adapter's outbox folder).
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "policy/yaml_document.h"
#include "yaml-cpp/yaml.h"

namespace accord::cli {

int RunInboxCommand(const std::vector<std::string>& argv) {
  if (argv.size() != 1 || argv[0] == "--help" || argv[0] == "-h") {
    const bool help = argv.size() == 1;
    (help ? std::cout : std::cerr)
        << "usage: accord inbox DIR\n\nLists the events an agency has received: the JSON files "
           "accord-agent writes to its outbox folder, oldest first, with the sections opened "
           "and those withheld.\n";
    return help ? 0 : 2;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(argv[0], ec)) {
    std::cerr << "accord inbox: " << argv[0] << " is not a folder\n";
    return 2;
  }
  struct Row {
    int64_t seq;
    std::string line;
  };
  std::vector<Row> rows;
  int bad = 0;
  for (const auto& entry : fs::directory_iterator(argv[0])) {
    if (entry.path().extension() != ".json") continue;
    // Opened sections can be as large as the broker's envelope limit (64 MiB
    // at most), and JSON escaping can double that.
    yaml::Limits limits;
    limits.max_bytes = std::size_t{128} << 20;
    limits.max_nodes = 5'000'000;
    absl::StatusOr<YAML::Node> loaded = yaml::LoadFile(entry.path().string(), limits);
    if (!loaded.ok()) {
      ++bad;
      std::cerr << "accord inbox: " << loaded.status().message() << "\n";
      continue;
    }
    try {
      const YAML::Node& j = *loaded;
      std::vector<std::string> opened;
      for (const auto& kv : j["sections"]) opened.push_back(kv.first.as<std::string>());
      std::vector<std::string> withheld;
      for (const auto& w : j["withheld"]) withheld.push_back(w.as<std::string>());
      const YAML::Node h = j["header"];
      std::string kind = h["kind"].as<std::string>("");
      if (kind.rfind("EVENT_KIND_", 0) == 0) kind = absl::AsciiStrToLower(kind.substr(11));
      rows.push_back({j["queue_sequence"].as<int64_t>(0),
                      absl::StrFormat("%5d  %-28s %-22s %-24s %-16s opened: %s%s",
                                      j["queue_sequence"].as<int64_t>(0), j["event_id"].as<std::string>(""),
                                      h["sender"].as<std::string>(""), kind, h["case_ref"].as<std::string>(""),
                                      opened.empty() ? "-" : absl::StrJoin(opened, ","),
                                      withheld.empty() ? "" : "  withheld: " + absl::StrJoin(withheld, ","))});
    } catch (const YAML::Exception& e) {
      ++bad;
      std::cerr << "accord inbox: " << entry.path().string() << ": " << e.what() << "\n";
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.seq < b.seq; });
  std::cout << absl::StrFormat("%5s  %-28s %-22s %-24s %-16s %s\n", "seq", "event", "from", "kind",
                               "case", "sections");
  for (const Row& r : rows) std::cout << r.line << "\n";
  std::cout << rows.size() << " event(s)";
  const fs::path quarantine = fs::path(argv[0]) / "quarantine";
  if (fs::is_directory(quarantine, ec)) {
    const auto q = std::distance(fs::directory_iterator(quarantine), fs::directory_iterator());
    if (q > 0) std::cout << ", " << q << " QUARANTINED (failed verification; see quarantine/)";
  }
  std::cout << "\n";
  return bad ? 1 : 0;
}

}  // namespace accord::cli
