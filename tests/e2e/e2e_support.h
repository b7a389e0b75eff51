// End-to-end test scaffolding: a real partnership, the real accord-broker and
// the real accord-agent program for each agency adapter, run as child
// processes in a temporary directory, and readers for what they leave behind
// (outbox JSON, agent logs, the broker's audit log through `accord audit`).
#ifndef ACCORD_TESTS_E2E_E2E_SUPPORT_H_
#define ACCORD_TESTS_E2E_E2E_SUPPORT_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "accord/v1/audit.pb.h"
#include "accord/v1/envelope.pb.h"
#include "tests/integration/broker_fixture.h"
#include "tests/testing/temp_dir.h"

namespace accord::e2e {

// The seven agencies that run an adapter (in the order the tests run them:
// a referral's sender before the programme that answers it), and all eight
// of the example partnership (deploy/policies/cardiff-and-vale.yaml).
const std::vector<std::string>& AdapterAgencies();
const std::vector<std::string>& AllAgencies();
// The adapter profile an agency runs: `perpetrator_programme` for up2u and drive.
std::string ProfileOf(const std::string& agency);

// ---- processes ---------------------------------------------------------------

struct RunResult {
  int exit_code = -1;      // 128 + signal when killed
  bool timed_out = false;
  absl::Duration took;
  std::string output;      // stdout and stderr, interleaved
};

// Runs argv[0] (a path) with the arguments, stdin from /dev/null, stdout and
// stderr to a file; kills it after `timeout`. The output is also appended to
// `log_path` when that is not empty.
RunResult RunProgram(const std::vector<std::string>& argv, const std::string& log_path,
                     absl::Duration timeout);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text);

// ---- what the agents leave behind ---------------------------------------------

// One received event, as the agent wrote it into its outbox.
struct OutboxEvent {
  std::string file;
  std::string event_id;
  uint64_t queue_sequence = 0;
  bool notification_only = false;
  v1::EventHeader header;
  std::set<std::string> opened;    // names in "sections"
  std::set<std::string> withheld;
};

absl::StatusOr<OutboxEvent> ParseOutboxFile(const std::string& path);
// Every *.json file of the folder (not quarantine/), by event id.
absl::StatusOr<std::map<std::string, OutboxEvent>> ReadOutbox(const std::string& dir);

// What an agent's store-and-forward queue (data/send-queue) holds, read while
// the agent is not running: the headers it sealed and the broker's receipts.
struct SentEvent {
  v1::EventHeader header;      // as signed (from the sealed envelope)
  std::string source;
  uint64_t broker_sequence = 0;  // 0: refused, no receipt
};
struct SendQueue {
  uint64_t pending = 0;
  std::vector<SentEvent> sent;
};
absl::StatusOr<SendQueue> ReadSendQueue(const std::string& data_dir);

// Lines the agent logs (agents/agent/agent.cc).
struct Published {
  std::string agency;
  std::string event_id;
  std::string source;  // "file.csv:LINE"
  uint64_t broker_sequence = 0;
  bool duplicate = false;
};
struct Accepted {
  std::string file;
  int events = 0;
  int fresh = 0;
  int rejected = 0;
};
struct Received {
  std::string event_id;
  std::string sender;
  bool redelivery = false;
  std::vector<std::string> opened;
};
struct AgentLog {
  std::vector<Published> published;
  std::vector<Accepted> accepted;
  std::vector<Received> received;
  std::vector<std::string> refused;      // "REFUSED ..." lines
  std::vector<std::string> quarantined;  // "QUARANTINED ..." lines
};
AgentLog ParseAgentLog(const std::string& agency, const std::string& text);

// The record id of the row at "file:LINE" of an export (CSV: the first field;
// JSON lines: "record_id").
std::string RecordIdAt(const std::string& export_path, int line);

// ---- the scenario --------------------------------------------------------------

struct ScenarioStep {
  std::string name;                                      // "01-night-of-3-march"
  std::map<std::string, std::vector<std::string>> files;  // agency -> export paths, sorted
};
std::vector<ScenarioStep> LoadScenario(const std::string& dir);

// ---- the partnership -----------------------------------------------------------

// A partnership of the eight agencies, the broker (the example policy and the
// daily-discussion meeting) and one accord-agent workspace per adapter
// agency, all under a fresh temporary directory. Exports are dropped with
// their dates moved as deploy/demo.sh moves them (deploy/demo/shift-dates),
// so that the story ends two weeks before today.
class E2eTest : public ::testing::Test {
 protected:
  static std::string AgentBinary() { return ACCORD_BINARY_DIR "/agents/agent/accord-agent"; }
  static std::string AccordBinary() { return ACCORD_BINARY_DIR "/cli/accord"; }
  static std::string PolicyPath() { return ACCORD_SOURCE_DIR "/deploy/policies/cardiff-and-vale.yaml"; }
  static std::string ScenarioDir() { return ACCORD_SOURCE_DIR "/deploy/demo/scenario"; }

  void SetUp() override;
  void TearDown() override;

  std::string Path(const std::string& name) const { return tmp_.Path(name); }
  std::string Partnership() const { return Path("partnership"); }
  std::string DataDir() const { return Path("broker-data"); }
  std::string BrokerLog() const { return Path("logs/broker.log"); }
  std::string AgentDir(const std::string& agency) const { return Path("agents/" + agency); }
  std::string Inbox(const std::string& agency) const { return AgentDir(agency) + "/inbox"; }
  std::string Outbox(const std::string& agency) const { return AgentDir(agency) + "/outbox"; }
  std::string AgentLogPath(const std::string& agency) const { return Path("logs/" + agency + ".log"); }

  // Writes the broker config for `listen` and starts the broker; retries a
  // few times when a fixed port is still taken.
  void StartBroker(const std::string& listen);
  void StopBroker();
  const std::string& address() const { return address_; }

  // Copies exports into an agency's inbox (as a hidden .part, then renamed),
  // their dates moved by shift_days_ through deploy/demo/shift-dates.
  void DropExports(const std::string& agency, const std::vector<std::string>& files);
  // Broker notices in an agency's outbox (notice-*.json): notice kind name
  // (e.g. "EVENT_KIND_SERIAL_PATTERN") per notice id.
  std::map<std::string, std::string> NoticesOf(const std::string& agency) const;
  // `accord-agent --config ... --once --idle-ms 700` plus `extra`.
  RunResult RunAgentOnce(const std::string& agency, const std::vector<std::string>& extra = {});
  // Drops each agency's files of the step and runs those agents once.
  void PlayStep(const ScenarioStep& step, const std::vector<std::string>& extra, int expect_rc);
  // Runs every adapter --once, in rounds, until `done()` holds (checked after
  // each round) or `max_rounds` were run. Returns the number of rounds.
  int ReceiveRounds(const std::function<bool()>& done, int max_rounds);

  AgentLog Log(const std::string& agency) const {
    return ParseAgentLog(agency, ReadFile(AgentLogPath(agency)));
  }
  std::map<std::string, OutboxEvent> OutboxOf(const std::string& agency) const;

  // `accord audit who-saw --data ... --event ID --action A... --format json`.
  std::vector<v1::AuditRecord> WhoSaw(const std::string& event_id, const std::vector<std::string>& actions);
  // `accord audit verify`: exit code and output.
  RunResult VerifyAudit();

  // Every event published by any agent: id -> where it came from.
  std::map<std::string, Published> AllPublished() const;

  // --- checks shared by the tests ---
  // (a) no agency holds a section the policy forbids it (forbid rules), and
  // specifically the programme never victim_contact/children/health, probation
  // never victim_contact.
  void CheckForbiddenNeverReceived();
  // (b) the outboxes match the broker's ROUTED / NOTIFIED records exactly.
  // Returns the audit records read, by event id.
  std::map<std::string, std::vector<v1::AuditRecord>> CheckOutboxesMatchAudit();
  // Whether every routed / notified record has its outbox file (no checks).
  bool AllDelivered();
  // (c) every opened section is allowed by the policy library for the header
  // and the case's earlier relations, with every consent given; conversely,
  // everything the library grants without relying on consent was routed (to
  // any agency, per the audit log). Headers and broker order come from the
  // agents' send queues, so events routed to nobody count for the case too;
  // each recipient's copy of a header must equal the one its sender signed.
  void CheckOpenedWithinPolicy();
  SendQueue QueueOf(const std::string& agency) const;
  // Every agent's send queue is empty, and what it sent is exactly what it
  // logged as published, each with the broker's receipt.
  void CheckQueuesDrained();
  // No QUARANTINED / REFUSED lines; quarantine folders are empty.
  void CheckNothingQuarantinedOrRefused();
  // Prints every agent's and the broker's log when the test failed.
  void DumpLogsOnFailure();

  testing::TempDir tmp_;
  std::unique_ptr<testing::BrokerProcess> broker_;
  std::string address_;
  int agent_runs_ = 0;
  int shift_days_ = 0;  // days from 2025-11-15 (the story's "today") to today
  // event id -> audit records (routed, notified, override_used, event_received).
  std::map<std::string, std::vector<v1::AuditRecord>> audit_cache_;
};

}  // namespace accord::e2e

#endif  // ACCORD_TESTS_E2E_E2E_SUPPORT_H_
