// accord-broker's configuration file (YAML, docs/operations.md). Relative
// paths are resolved against the file's directory; unknown keys are errors so
// that a typo never silently weakens a setting.
#ifndef ACCORD_BROKER_CONFIG_H_
#define ACCORD_BROKER_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace accord::broker {

struct Limits {
  uint64_t max_envelope_bytes = 4u << 20;  // a whole published envelope
  int max_sections = 16;
  int max_subjects = 16;
  int max_wraps = 256;
  uint64_t max_header_bytes = 16u << 10;
  int max_event_id_length = 128;
  int max_pack_events = 2000;              // per meeting pack
  // How long a sealed event may wait in an agency's store-and-forward queue:
  // a header signed earlier than this is refused (bounds backdating with a
  // stolen, since expired key).
  int max_signing_age_hours = 168;
  // Refused calls are audited (AUDIT_ACTION_REJECTED) at most this fast per
  // caller; beyond it they are counted and the count is audited.
  int refusal_audit_burst = 20;
  int refusal_audit_per_minute = 60;
  // Per agency: concurrent unary calls and open Subscribe streams.
  int max_calls_per_agency = 32;
  int max_streams_per_agency = 4;
  // A connection whose TLS handshake has not finished by then is closed.
  int handshake_timeout_seconds = 5;
  // Keepalive pings on idle connections and long-lived streams; a connection
  // with no call for max_connection_idle_minutes is closed.
  int keepalive_seconds = 60;
  int max_connection_idle_minutes = 30;
};

struct MeetingConfig {
  std::string id;          // e.g. "daily-discussion"
  std::string name;
  std::vector<std::string> members;
  std::string cadence;     // human text, e.g. "weekdays 09:30"
  uint32_t window_hours = 72;  // a member's first pack looks back this far
};

struct BrokerConfig {
  std::string listen = "127.0.0.1:7443";
  std::string data_dir;
  std::string partnership_dir;
  std::string policy_file;
  // TLS defaults come from the partnership directory (broker/tls.crt, ...).
  std::string tls_cert;
  std::string tls_key;
  std::string client_ca;
  std::string log_key;
  // Plaintext on loopback for development only; needs the command-line flag
  // --insecure-dev-plaintext as well. The caller's agency then comes from the
  // `x-accord-dev-agency` metadata, which is why it must never leave loopback.
  bool insecure_dev_plaintext = false;
  // Agencies allowed to call AdminService (SIGHUP always works).
  std::vector<std::string> admin_agencies;
  Limits limits;
  std::vector<MeetingConfig> meetings;
  // The whole audit log is checked against its signed heads this often, in
  // the background (docs/audit.md); 0: only at start.
  int audit_check_interval_seconds = 3600;
};

absl::StatusOr<BrokerConfig> LoadBrokerConfig(const std::string& path);

}  // namespace accord::broker

#endif  // ACCORD_BROKER_CONFIG_H_
