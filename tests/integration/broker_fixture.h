// Test scaffolding for the broker's integration tests: a real partnership
// (cli::InitPartnership: CA, certificates, keys, signed directory), the real
// accord-broker program on a kernel-chosen loopback port, and real agency
// clients (agents/sdk) speaking mutual TLS through the generated stubs.
#ifndef ACCORD_TESTS_INTEGRATION_BROKER_FIXTURE_H_
#define ACCORD_TESTS_INTEGRATION_BROKER_FIXTURE_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "accord/v1/audit.grpc.pb.h"
#include "accord/v1/broker.grpc.pb.h"
#include "accord/v1/events.pb.h"
#include "agents/sdk/agency_client.h"
#include "crypto/envelope.h"
#include "tests/testing/temp_dir.h"

namespace accord::testing {

// grpc.health.v1.Health/Check for the whole server (the empty service name):
// kServing, kNotServing, or -1 when the check itself failed.
inline constexpr int kServing = 1;
inline constexpr int kNotServing = 2;
int HealthStatus(const std::shared_ptr<grpc::Channel>& channel);
// Polls HealthStatus every 100 ms until it is `want` or `wait` has passed.
bool WaitForHealth(const std::shared_ptr<grpc::Channel>& channel, int want, absl::Duration wait);
// The whole file ("" if it cannot be read).
std::string ReadAll(const std::string& path);

// How the broker process is started, beyond its config.
struct ProcessOptions {
  // RLIMIT_NOFILE for the child (0: inherit).
  uint64_t open_files_soft = 0;
  uint64_t open_files_hard = 0;
  // Added to the child's environment ("NAME=value"; a name already set is
  // replaced).
  std::vector<std::string> environment;
};

// The accord-broker program, run as a child process.
class BrokerProcess {
 public:
  // Starts `accord-broker --config config` and waits (up to 20 s) for its
  // "listening" line. Its log goes to `log_path`.
  static absl::StatusOr<std::unique_ptr<BrokerProcess>> Start(const std::string& config,
                                                              const std::string& log_path,
                                                              const ProcessOptions& options = {});
  ~BrokerProcess();
  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }
  void Kill9();
  // SIGTERM and wait; returns the exit status.
  int Terminate();
  void Signal(int sig);
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string address_;
  std::string log_path_;
};

// A description of one test event (sections are filled with readable text).
struct TestEvent {
  std::string id;
  v1::EventKind kind = v1::EVENT_KIND_DOMESTIC_INCIDENT;
  std::string case_ref = "case-1";
  v1::RiskLevel risk = v1::RISK_LEVEL_HIGH;
  std::vector<v1::Flag> flags;
  std::vector<std::string> sections = {"summary", "risk", "detail", "victim_contact"};
  std::vector<v1::CaseRelation> relations;
  std::string victim = "Jones|Sarah|1990-04-01";  // family|given|dob
  std::string perpetrator = "Jones|Mark|1988-02-12";
  std::string child;                                // optional
};

// The default test event (a high-risk police incident) with id `id`.
inline TestEvent Incident(const std::string& id) {
  TestEvent e;
  e.id = id;
  return e;
}

class BrokerTest : public ::testing::Test {
 protected:
  // The partnership's agencies ("id" or "id:kind"), as tests set agencies_.
  static const std::vector<std::string>& DefaultAgencies();

  void SetUp() override;
  void TearDown() override;

  // (Re)starts the broker on the same data directory.
  void StartBroker();
  std::string ConfigPath() const { return tmp_.Path("broker.yaml"); }
  std::string Partnership() const { return tmp_.Path("partnership"); }
  std::string DataDir() const { return tmp_.Path("data"); }
  std::string PolicyPath() const { return tmp_.Path("policy.yaml"); }
  std::string AccordBinary() const;

  // A connected client with a verified directory.
  agents::AgencyClient& Client(const std::string& agency);
  void DropClients() { clients_.clear(); }

  std::string Pseudonym(const std::string& name_dob);
  v1::EventHeader Header(const std::string& sender, const TestEvent& e);
  std::vector<crypto::PlainSection> Sections(const TestEvent& e);
  // Plan, seal and publish; returns the verified receipt or the error.
  absl::StatusOr<v1::ReceiptBody> Publish(const std::string& sender, const TestEvent& e);
  // The same, with the header changed by `edit` before it is planned.
  absl::StatusOr<v1::ReceiptBody> Publish(const std::string& sender, const TestEvent& e,
                                          const std::function<void(v1::EventHeader*)>& edit);
  absl::StatusOr<v1::ReceiptBody> RecordConsent(const std::string& sender, const std::string& id,
                                                const std::string& subject, const std::string& purpose,
                                                v1::ConsentState state);

  // Reads deliveries for `agency` until `want` arrived or `wait` passed.
  std::vector<v1::Delivery> Receive(const std::string& agency, size_t want, absl::Duration wait,
                                    uint64_t after = 0);
  absl::Status Ack(const std::string& agency, uint64_t through);
  // Opened sections by name for a delivery.
  std::vector<std::string> OpenedSections(const std::string& agency, const v1::Delivery& d);

  // The auditor's who-saw query for an event.
  absl::StatusOr<v1::WhoSawResponse> WhoSaw(const v1::WhoSawQuery& q);

  TempDir tmp_;
  std::unique_ptr<BrokerProcess> broker_;
  std::map<std::string, std::unique_ptr<agents::AgencyClient>> clients_;
  std::string extra_config_;  // appended to the broker config by tests before SetUp's start
  std::string extra_limits_;  // lines under `limits:` ("  key: value\n"), likewise
  ProcessOptions process_options_;  // set by tests before SetUp's start
  // Set by tests before SetUp: the partnership's agencies, and the policy
  // text (empty: tests/policies/one-programme.yaml).
  std::vector<std::string> agencies_ = DefaultAgencies();
  std::string policy_text_;
};

}  // namespace accord::testing

#endif  // ACCORD_TESTS_INTEGRATION_BROKER_FIXTURE_H_
