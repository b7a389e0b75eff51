#include "broker/config.h"

#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "policy/policy.h"
#include "policy/yaml_document.h"
#include "yaml-cpp/yaml.h"

namespace accord::broker {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMaxEnvelopeBytes = 64u << 20;
constexpr int kHoursPerYear = 24 * 366;

std::string Resolve(const fs::path& base, const std::string& p) {
  if (p.empty()) return p;
  fs::path path(p);
  return (path.is_absolute() ? path : base / path).lexically_normal().string();
}

std::string At(const std::string& file, const YAML::Node& n) {
  return absl::StrCat(file, ":", n.Mark().line + 1, ":", n.Mark().column + 1);
}

absl::Status CheckKeys(const std::string& file, const YAML::Node& map,
                       const std::set<std::string>& allowed, const std::string& where) {
  if (!map.IsMap()) return absl::InvalidArgumentError(absl::StrCat(At(file, map), ": ", where, " must be a mapping"));
  for (const auto& kv : map) {
    const std::string key = kv.first.as<std::string>();
    if (allowed.count(key) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(At(file, kv.first), ": unknown key '", key, "' in ", where));
    }
  }
  return absl::OkStatus();
}

// An optional integer setting `key` of `map`, within what its meaning allows.
template <typename T>
absl::Status ReadSetting(const std::string& file, const YAML::Node& map, const char* key, const std::string& what,
                         T min, T max, T* out) {
  if (!map[key]) return absl::OkStatus();
  return yaml::ReadInteger<T>(map[key], file, what, min, max, out);
}

absl::StatusOr<BrokerConfig> Parse(const std::string& path, const YAML::Node& root) {
  if (auto s = CheckKeys(path, root,
                         {"listen", "data", "partnership", "policy", "tls", "log_key",
                          "insecure_dev_plaintext", "admin_agencies", "limits", "meetings",
                          "audit_check_interval_seconds"},
                         "the broker config");
      !s.ok()) {
    return s;
  }
  const fs::path base = fs::absolute(fs::path(path)).parent_path();
  BrokerConfig c;
  for (const char* key : {"data", "partnership", "policy"}) {
    if (!root[key] || !root[key].IsScalar() || root[key].as<std::string>().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": '", key, "' is required"));
    }
  }
  if (root["listen"]) c.listen = root["listen"].as<std::string>();
  c.data_dir = Resolve(base, root["data"].as<std::string>());
  c.partnership_dir = Resolve(base, root["partnership"].as<std::string>());
  c.policy_file = Resolve(base, root["policy"].as<std::string>());
  const std::string p = c.partnership_dir;
  c.tls_cert = p + "/broker/tls.crt";
  c.tls_key = p + "/broker/tls.key";
  c.client_ca = p + "/public/ca.crt";
  c.log_key = p + "/broker/log.key";
  if (const YAML::Node tls = root["tls"]) {
    if (auto s = CheckKeys(path, tls, {"cert", "key", "client_ca"}, "tls"); !s.ok()) return s;
    if (tls["cert"]) c.tls_cert = Resolve(base, tls["cert"].as<std::string>());
    if (tls["key"]) c.tls_key = Resolve(base, tls["key"].as<std::string>());
    if (tls["client_ca"]) c.client_ca = Resolve(base, tls["client_ca"].as<std::string>());
  }
  if (root["log_key"]) c.log_key = Resolve(base, root["log_key"].as<std::string>());
  if (auto s = ReadSetting<int>(path, root, "audit_check_interval_seconds", "audit_check_interval_seconds", 0,
                                7 * 24 * 3600, &c.audit_check_interval_seconds);
      !s.ok()) {
    return s;
  }
  if (root["insecure_dev_plaintext"]) c.insecure_dev_plaintext = root["insecure_dev_plaintext"].as<bool>();
  if (const YAML::Node admins = root["admin_agencies"]) {
    if (!admins.IsSequence()) {
      return absl::InvalidArgumentError(absl::StrCat(At(path, admins), ": admin_agencies must be a list"));
    }
    for (const auto& a : admins) c.admin_agencies.push_back(a.as<std::string>());
  }
  if (const YAML::Node l = root["limits"]) {
    if (auto s = CheckKeys(path, l,
                           {"max_envelope_bytes", "max_sections", "max_subjects", "max_wraps",
                            "max_header_bytes", "max_event_id_length", "max_pack_events",
                            "max_signing_age_hours", "refusal_audit_burst", "refusal_audit_per_minute",
                            "max_calls_per_agency", "max_streams_per_agency", "handshake_timeout_seconds",
                            "keepalive_seconds", "max_connection_idle_minutes"},
                           "limits");
        !s.ok()) {
      return s;
    }
    Limits& m = c.limits;
    // The bounds are what each limit can sensibly mean (docs/operations.md).
    for (auto s : {ReadSetting<uint64_t>(path, l, "max_envelope_bytes", "limits.max_envelope_bytes", 1024,
                                         kMaxEnvelopeBytes, &m.max_envelope_bytes),
                   ReadSetting<int>(path, l, "max_sections", "limits.max_sections", 1, policy::kMaxSections,
                                    &m.max_sections),
                   ReadSetting<int>(path, l, "max_subjects", "limits.max_subjects", 1, 1024, &m.max_subjects),
                   ReadSetting<int>(path, l, "max_wraps", "limits.max_wraps", 1,
                                    policy::kMaxAgencies * policy::kMaxSections, &m.max_wraps),
                   ReadSetting<uint64_t>(path, l, "max_header_bytes", "limits.max_header_bytes", 256, 1u << 20,
                                         &m.max_header_bytes),
                   ReadSetting<int>(path, l, "max_event_id_length", "limits.max_event_id_length", 1, 1024,
                                    &m.max_event_id_length),
                   ReadSetting<int>(path, l, "max_pack_events", "limits.max_pack_events", 1, 100000,
                                    &m.max_pack_events),
                   ReadSetting<int>(path, l, "max_signing_age_hours", "limits.max_signing_age_hours", 1,
                                    kHoursPerYear, &m.max_signing_age_hours),
                   ReadSetting<int>(path, l, "refusal_audit_burst", "limits.refusal_audit_burst", 1, 10000,
                                    &m.refusal_audit_burst),
                   ReadSetting<int>(path, l, "refusal_audit_per_minute", "limits.refusal_audit_per_minute", 1, 60000,
                                    &m.refusal_audit_per_minute),
                   ReadSetting<int>(path, l, "max_calls_per_agency", "limits.max_calls_per_agency", 1, 10000,
                                    &m.max_calls_per_agency),
                   ReadSetting<int>(path, l, "max_streams_per_agency", "limits.max_streams_per_agency", 1, 1000,
                                    &m.max_streams_per_agency),
                   ReadSetting<int>(path, l, "handshake_timeout_seconds", "limits.handshake_timeout_seconds", 1,
                                    300, &m.handshake_timeout_seconds),
                   ReadSetting<int>(path, l, "keepalive_seconds", "limits.keepalive_seconds", 10, 3600,
                                    &m.keepalive_seconds),
                   ReadSetting<int>(path, l, "max_connection_idle_minutes", "limits.max_connection_idle_minutes", 1,
                                    7 * 24 * 60, &m.max_connection_idle_minutes)}) {
      if (!s.ok()) return s;
    }
    if (m.max_header_bytes > m.max_envelope_bytes) {
      return yaml::ErrorAt(path, l, absl::StrCat("limits.max_header_bytes (", m.max_header_bytes,
                                                 ") may not exceed limits.max_envelope_bytes (",
                                                 m.max_envelope_bytes, ")"));
    }
  }
  if (const YAML::Node meetings = root["meetings"]) {
    if (!meetings.IsSequence()) {
      return absl::InvalidArgumentError(absl::StrCat(At(path, meetings), ": meetings must be a list"));
    }
    std::set<std::string> ids;
    for (const auto& m : meetings) {
      if (auto s = CheckKeys(path, m, {"id", "name", "members", "cadence", "window_hours"}, "a meeting");
          !s.ok()) {
        return s;
      }
      MeetingConfig mc;
      if (!m["id"] || m["id"].as<std::string>().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(At(path, m), ": a meeting needs an id"));
      }
      mc.id = m["id"].as<std::string>();
      if (!ids.insert(mc.id).second) {
        return absl::InvalidArgumentError(absl::StrCat(At(path, m), ": meeting '", mc.id, "' defined twice"));
      }
      mc.name = m["name"] ? m["name"].as<std::string>() : mc.id;
      mc.cadence = m["cadence"] ? m["cadence"].as<std::string>() : "";
      if (!m["members"] || !m["members"].IsSequence() || m["members"].size() == 0) {
        return absl::InvalidArgumentError(absl::StrCat(At(path, m), ": meeting '", mc.id, "' needs members"));
      }
      for (const auto& a : m["members"]) mc.members.push_back(a.as<std::string>());
      if (auto s = ReadSetting<uint32_t>(path, m, "window_hours", absl::StrCat("window_hours of meeting '", mc.id, "'"),
                                         1, kHoursPerYear, &mc.window_hours);
          !s.ok()) {
        return s;
      }
      c.meetings.push_back(std::move(mc));
    }
  }
  return c;
}

}  // namespace

absl::StatusOr<BrokerConfig> LoadBrokerConfig(const std::string& path) {
  absl::StatusOr<YAML::Node> root = yaml::LoadFile(path);
  if (!root.ok()) {
    if (absl::IsNotFound(root.status())) {
      return absl::NotFoundError(absl::StrCat("broker config: ", root.status().message()));
    }
    return root.status();
  }
  try {
    return Parse(path, *root);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
}

}  // namespace accord::broker
