#include "agents/agent/agent_config.h"

#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "policy/yaml_document.h"
#include "yaml-cpp/yaml.h"

namespace accord::agents {
namespace {

namespace fs = std::filesystem;

std::string Resolve(const fs::path& base, const std::string& p) {
  fs::path path(p);
  return (path.is_absolute() ? path : base / path).lexically_normal().string();
}

}  // namespace

absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path) {
  absl::StatusOr<YAML::Node> loaded = yaml::LoadFile(path);
  if (!loaded.ok()) {
    if (absl::IsNotFound(loaded.status())) {
      return absl::NotFoundError(absl::StrCat("agent config: ", loaded.status().message()));
    }
    return loaded.status();
  }
  const YAML::Node& root = *loaded;
  if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat(path, ": expected a mapping"));
  static const std::set<std::string> kKeys = {"agency", "profile", "partnership", "broker",
                                              "inbox", "outbox", "data", "poll_interval_ms"};
  AgentConfig config;
  const fs::path base = fs::absolute(fs::path(path)).parent_path();
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      if (kKeys.count(key) == 0) {
        return yaml::ErrorAt(path, kv.first, absl::StrCat("unknown key '", key, "'"));
      }
    }
    auto required = [&](const char* key) -> absl::StatusOr<std::string> {
      if (!root[key] || !root[key].IsScalar() || root[key].as<std::string>().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": '", key, "' is required"));
      }
      return root[key].as<std::string>();
    };
    for (const char* key : {"agency", "partnership", "broker", "inbox", "outbox", "data"}) {
      if (auto v = required(key); !v.ok()) return v.status();
    }
    config.agency = root["agency"].as<std::string>();
    config.profile = root["profile"] ? root["profile"].as<std::string>() : config.agency;
    config.partnership_dir = Resolve(base, root["partnership"].as<std::string>());
    config.broker_address = root["broker"].as<std::string>();
    config.inbox_dir = Resolve(base, root["inbox"].as<std::string>());
    config.outbox_dir = Resolve(base, root["outbox"].as<std::string>());
    config.data_dir = Resolve(base, root["data"].as<std::string>());
    if (root["poll_interval_ms"]) {
      int ms = 0;
      if (auto s = yaml::ReadInteger<int>(root["poll_interval_ms"], path, "poll_interval_ms", 10, 600000, &ms);
          !s.ok()) {
        return s;
      }
      config.poll_interval = absl::Milliseconds(ms);
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": ", e.msg));
  }
  return config;
}

}  // namespace accord::agents
