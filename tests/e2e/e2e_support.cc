#include "tests/e2e/e2e_support.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "agents/sdk/outbox.h"
#include "broker/case_book.h"
#include "cli/partnership.h"
#include "crypto/hash.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "policy/names.h"
#include "policy/policy_holder.h"
#include "tests/testing/sanitizer_report.h"

extern char** environ;

namespace accord::e2e {
namespace {

namespace fs = std::filesystem;

std::string JoinSet(const std::set<std::string>& s) { return absl::StrJoin(s, ", "); }

// What the broker knows of cases and perpetrators, replayed in memory from
// the accepted headers in broker order through the broker's own case book
// (broker/case_book.h): relations implied and ended by events, relations
// that follow a perpetrator into his other cases, his incidents, standing
// risk. The check below then holds the outboxes to what the policy library
// decides on that state with every consent given.
class CaseReplay {
 public:
  explicit CaseReplay(const policy::Evaluator& evaluator) : evaluator_(evaluator) {}

  v1::Decision EvaluateAndAdvance(const v1::EventHeader& h, const policy::ConsentLookup& consent) {
    broker::CaseView view;
    view.case_ref = h.case_ref();
    view.case_state = cases_[h.case_ref()];
    for (const std::string& ref : broker::PerpetratorRefs(h)) view.perpetrators.emplace_back(ref, perpetrators_[ref]);
    const absl::Time now = absl::Now();
    v1::Decision d = evaluator_.Evaluate(h, broker::ContextOf(view, now), consent);
    const absl::Time occurred =
        h.has_occurred_at() ? std::min(now, absl::FromUnixSeconds(h.occurred_at().seconds())) : now;
    broker::CaseChanges changes = broker::Advance(std::move(view), h, evaluator_, now, occurred);
    cases_[h.case_ref()] = std::move(changes.case_state);
    for (auto& [ref, state] : changes.perpetrators) perpetrators_[ref] = std::move(state);
    return d;
  }

 private:
  const policy::Evaluator& evaluator_;
  std::map<std::string, broker::CaseState> cases_;
  std::map<std::string, broker::PerpetratorState> perpetrators_;
};

std::string Tail(const std::string& text, size_t n) {
  return text.size() <= n ? text : "...\n" + text.substr(text.size() - n);
}

}  // namespace

const std::vector<std::string>& AdapterAgencies() {
  static const auto* kAgencies = new std::vector<std::string>{
      "police", "probation", "childrens_services", "victim_services", "marac_coordinator", "up2u", "drive"};
  return *kAgencies;
}

const std::vector<std::string>& AllAgencies() {
  static const auto* kAgencies = new std::vector<std::string>{
      "police", "probation", "childrens_services", "victim_services", "marac_coordinator", "up2u", "drive",
      "auditor"};
  return *kAgencies;
}

std::string ProfileOf(const std::string& agency) {
  return agency == "up2u" || agency == "drive" ? "perpetrator_programme" : agency;
}

// ---- processes ------------------------------------------------------------------

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

RunResult RunProgram(const std::vector<std::string>& argv, const std::string& log_path,
                     absl::Duration timeout) {
  RunResult result;
  std::string out_template = (fs::temp_directory_path() / "accord-e2e-run-XXXXXX").string();
  const int out_fd = ::mkstemp(out_template.data());
  if (out_fd < 0) {
    result.output = "cannot create a temporary output file";
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 2);
  posix_spawn_file_actions_addclose(&actions, out_fd);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const absl::Time start = absl::Now();
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_fd);
  if (rc != 0) {
    ::unlink(out_template.c_str());
    result.output = absl::StrCat("cannot start ", argv[0], ": ", std::strerror(rc));
    return result;
  }
  const absl::Time deadline = start + timeout;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (absl::Now() > deadline) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  result.took = absl::Now() - start;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.output = ReadFile(out_template);
  ::unlink(out_template.c_str());
  testing::ExpectNoSanitizerReport(result.output, argv[0]);
  if (!log_path.empty()) {
    std::ofstream log(log_path, std::ios::binary | std::ios::app);
    log << result.output;
  }
  return result;
}

// ---- outbox JSON -----------------------------------------------------------------

absl::StatusOr<OutboxEvent> ParseOutboxFile(const std::string& path) {
  const std::string text = ReadFile(path);
  google::protobuf::Struct root;
  if (auto s = google::protobuf::util::JsonStringToMessage(text, &root); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not valid JSON: ", s.ToString()));
  }
  const auto& f = root.fields();
  for (const char* key : {"event_id", "queue_sequence", "notification_only", "received_at", "header",
                          "sections", "withheld"}) {
    if (f.find(key) == f.end()) return absl::InvalidArgumentError(absl::StrCat(path, " has no '", key, "'"));
  }
  OutboxEvent e;
  e.file = path;
  e.event_id = f.at("event_id").string_value();
  e.queue_sequence = static_cast<uint64_t>(f.at("queue_sequence").number_value());
  e.notification_only = f.at("notification_only").bool_value();
  // The header is protobuf JSON of an EventHeader: print the parsed value
  // back and read it as the message.
  std::string header_json;
  if (auto s = google::protobuf::util::MessageToJsonString(f.at("header"), &header_json); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": header: ", s.ToString()));
  }
  if (auto s = google::protobuf::util::JsonStringToMessage(header_json, &e.header); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": header is not an EventHeader: ", s.ToString()));
  }
  for (const auto& [name, value] : f.at("sections").struct_value().fields()) {
    if (value.has_struct_value() && value.struct_value().fields().count("error") > 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": section ", name, " could not be decoded"));
    }
    e.opened.insert(name);
  }
  for (const auto& v : f.at("withheld").list_value().values()) e.withheld.insert(v.string_value());
  return e;
}

absl::StatusOr<std::map<std::string, OutboxEvent>> ReadOutbox(const std::string& dir) {
  std::map<std::string, OutboxEvent> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    if (absl::StartsWith(entry.path().filename().string(), "notice-")) continue;  // NoticesOf
    absl::StatusOr<OutboxEvent> e = ParseOutboxFile(entry.path().string());
    if (!e.ok()) return e.status();
    if (out.count(e->event_id) > 0) {
      return absl::InternalError(absl::StrCat(dir, " holds event ", e->event_id, " twice"));
    }
    out[e->event_id] = *std::move(e);
  }
  if (ec) return absl::UnavailableError(absl::StrCat("cannot list ", dir));
  return out;
}

absl::StatusOr<SendQueue> ReadSendQueue(const std::string& data_dir) {
  absl::StatusOr<std::unique_ptr<agents::Outbox>> queue = agents::Outbox::Open(data_dir + "/send-queue");
  if (!queue.ok()) return queue.status();
  SendQueue out;
  absl::StatusOr<uint64_t> pending = (*queue)->PendingCount();
  if (!pending.ok()) return pending.status();
  out.pending = *pending;
  absl::StatusOr<std::vector<agent::OutboxRecord>> sent = (*queue)->Sent();
  if (!sent.ok()) return sent.status();
  for (const agent::OutboxRecord& r : *sent) {
    SentEvent e;
    e.source = r.source();
    if (!r.has_sealed() || !e.header.ParseFromString(r.sealed().header())) e.header = r.header();
    v1::ReceiptBody receipt;
    if (!r.receipt().body().empty() && receipt.ParseFromString(r.receipt().body())) {
      e.broker_sequence = receipt.sequence();
    }
    out.sent.push_back(std::move(e));
  }
  return out;
}

// ---- agent logs ------------------------------------------------------------------

AgentLog ParseAgentLog(const std::string& agency, const std::string& text) {
  AgentLog log;
  const std::string prefix = absl::StrCat("[", agency, "] ");
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, prefix)) continue;
    if (absl::ConsumePrefix(&line, "published ")) {
      // published ID (SOURCE): broker sequence N, audit leaf M[ (already had it)]
      Published p;
      p.agency = agency;
      const size_t open = line.find(" (");
      const size_t close = line.find("): broker sequence ");
      if (open == absl::string_view::npos || close == absl::string_view::npos) continue;
      p.event_id = std::string(line.substr(0, open));
      p.source = std::string(line.substr(open + 2, close - open - 2));
      absl::string_view rest = line.substr(close + std::string("): broker sequence ").size());
      const size_t comma = rest.find(',');
      if (!absl::SimpleAtoi(rest.substr(0, comma), &p.broker_sequence)) continue;
      p.duplicate = absl::StrContains(rest, "(already had it)");
      log.published.push_back(std::move(p));
    } else if (absl::ConsumePrefix(&line, "accepted export ")) {
      // accepted export NAME: N events (M new), K rows rejected[ -> ...]
      Accepted a;
      const size_t colon = line.find(": ");
      if (colon == absl::string_view::npos) continue;
      a.file = std::string(line.substr(0, colon));
      std::vector<absl::string_view> words = absl::StrSplit(line.substr(colon + 2), ' ');
      if (words.size() < 6) continue;
      absl::string_view fresh = words[2];
      absl::ConsumePrefix(&fresh, "(");
      if (!absl::SimpleAtoi(words[0], &a.events) || !absl::SimpleAtoi(fresh, &a.fresh) ||
          !absl::SimpleAtoi(words[4], &a.rejected)) {
        continue;
      }
      log.accepted.push_back(std::move(a));
    } else if (absl::ConsumePrefix(&line, "received ")) {
      // received ID (KIND) from SENDER[ [redelivery, already stored]]: opened [..][, withheld [..]]
      Received r;
      const size_t space = line.find(' ');
      r.event_id = std::string(line.substr(0, space));
      const size_t from = line.find(" from ");
      if (from == absl::string_view::npos) continue;
      absl::string_view rest = line.substr(from + 6);
      r.sender = std::string(rest.substr(0, rest.find_first_of(" :")));
      r.redelivery = absl::StrContains(rest, "[redelivery, already stored]");
      const size_t opened = rest.find(": opened [");
      if (opened != absl::string_view::npos) {
        absl::string_view list = rest.substr(opened + 10);
        list = list.substr(0, list.find(']'));
        for (absl::string_view s : absl::StrSplit(list, ", ", absl::SkipEmpty())) r.opened.emplace_back(s);
      }
      log.received.push_back(std::move(r));
    } else if (absl::StartsWith(line, "REFUSED ")) {
      log.refused.emplace_back(line);
    } else if (absl::StartsWith(line, "QUARANTINED ")) {
      log.quarantined.emplace_back(line);
    }
  }
  return log;
}

std::string RecordIdAt(const std::string& export_path, int line) {
  std::vector<std::string> lines = absl::StrSplit(ReadFile(export_path), '\n');
  if (line < 1 || static_cast<size_t>(line) > lines.size()) return "";
  absl::string_view l = lines[static_cast<size_t>(line - 1)];
  if (absl::EndsWith(export_path, ".jsonl")) {
    const size_t key = l.find("\"record_id\"");
    if (key == absl::string_view::npos) return "";
    const size_t open = l.find('"', l.find(':', key) + 1);
    const size_t close = l.find('"', open + 1);
    return std::string(l.substr(open + 1, close - open - 1));
  }
  return std::string(l.substr(0, l.find(',')));
}

std::vector<ScenarioStep> LoadScenario(const std::string& dir) {
  std::vector<ScenarioStep> steps;
  std::vector<fs::path> step_dirs;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory()) step_dirs.push_back(e.path());
  }
  std::sort(step_dirs.begin(), step_dirs.end());
  for (const fs::path& d : step_dirs) {
    ScenarioStep step;
    step.name = d.filename().string();
    for (const auto& a : fs::directory_iterator(d)) {
      if (!a.is_directory()) continue;
      std::vector<std::string>& files = step.files[a.path().filename().string()];
      for (const auto& f : fs::directory_iterator(a.path())) {
        if (f.is_regular_file()) files.push_back(f.path().string());
      }
      std::sort(files.begin(), files.end());
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

// ---- the partnership ---------------------------------------------------------------

void E2eTest::SetUp() {
  ASSERT_TRUE(crypto::InitSodium().ok());
  shift_days_ = static_cast<int>(absl::ToInt64Seconds(absl::Now() - absl::FromCivil(absl::CivilDay(2025, 11, 15),
                                                                                    absl::UTCTimeZone())) /
                                 86400);
  fs::create_directories(Path("logs"));
  cli::PartnershipOptions o;
  o.dir = Partnership();
  o.partnership_id = "cardiff-daily-discussion";
  std::vector<std::string> specs;
  for (const std::string& a : AllAgencies()) {
    specs.push_back(ProfileOf(a) == a ? a : absl::StrCat(a, ":", ProfileOf(a)));  // up2u:perpetrator_programme
  }
  absl::StatusOr<std::vector<cli::AgencySpec>> agencies = cli::ParseAgencies(absl::StrJoin(specs, ","));
  ASSERT_TRUE(agencies.ok()) << agencies.status();
  o.agencies = *agencies;
  absl::Status s = cli::InitPartnership(o);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_NO_FATAL_FAILURE(StartBroker("127.0.0.1:0"));
  // One workspace per adapter, with the keys deploy/demo.sh writes.
  for (const std::string& a : AdapterAgencies()) {
    fs::create_directories(AgentDir(a));
    WriteFile(AgentDir(a) + "/agent.yaml",
              absl::StrCat("agency: ", a, "\nprofile: ", ProfileOf(a), "\npartnership: ", Partnership(),
                           "\nbroker: ", address_, "\ninbox: inbox\noutbox: outbox\ndata: data\n"
                           "poll_interval_ms: 200\n"));
    fs::create_directories(Inbox(a));
  }
}

void E2eTest::TearDown() {
  // A clean stop, so that a sanitized broker also checks for leaks at exit.
  if (broker_ != nullptr) broker_->Terminate();
  testing::ExpectNoSanitizerReport(ReadFile(BrokerLog()), "accord-broker");
  DumpLogsOnFailure();
  broker_.reset();
  // For a person investigating: ACCORD_E2E_KEEP=DIR keeps a copy of everything.
  if (const char* keep = std::getenv("ACCORD_E2E_KEEP"); keep != nullptr && *keep != '\0') {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const fs::path to = fs::path(keep) / absl::StrCat(info->test_suite_name(), ".", info->name());
    std::error_code ec;
    fs::remove_all(to, ec);
    fs::create_directories(to.parent_path(), ec);
    fs::copy(tmp_.path(), to, fs::copy_options::recursive, ec);
    std::cerr << "kept the test's files in " << to.string() << (ec ? " (partly: " + ec.message() + ")" : "") << "\n";
  }
}

void E2eTest::DumpLogsOnFailure() {
  if (!HasFailure()) return;
  std::cerr << "---- broker log (tail) ----\n" << Tail(ReadFile(BrokerLog()), 6000) << "\n";
  for (const std::string& a : AdapterAgencies()) {
    std::cerr << "---- " << a << " log (tail) ----\n" << Tail(ReadFile(AgentLogPath(a)), 6000) << "\n";
  }
}

void E2eTest::StartBroker(const std::string& listen) {
  const std::string config = Path("broker.yaml");
  absl::Status last;
  for (int attempt = 0; attempt < 10; ++attempt) {
    WriteFile(config, absl::StrCat("listen: ", listen, "\n", "data: ", DataDir(), "\n",
                                   "partnership: ", Partnership(), "\n", "policy: ", PolicyPath(), "\n",
                                   "admin_agencies: [marac_coordinator]\n"
                                   "meetings:\n"
                                   "  - id: daily-discussion\n"
                                   "    name: Daily domestic-abuse discussion\n"
                                   "    members: [police, probation, victim_services, childrens_services, "
                                   "marac_coordinator]\n"
                                   "    cadence: weekdays 09:30\n"
                                   "    window_hours: 72\n"));
    absl::StatusOr<std::unique_ptr<testing::BrokerProcess>> b =
        testing::BrokerProcess::Start(config, BrokerLog());
    if (b.ok()) {
      broker_ = *std::move(b);
      address_ = broker_->address();
      return;
    }
    last = b.status();
    if (absl::EndsWith(listen, ":0")) break;
    // The fixed port may still be held for a moment: try again.
    absl::SleepFor(absl::Milliseconds(500));
  }
  FAIL() << "the broker did not start on " << listen << ": " << last;
}

void E2eTest::StopBroker() {
  ASSERT_NE(broker_, nullptr);
  const int rc = broker_->Terminate();
  EXPECT_EQ(rc, 0) << "the broker did not shut down cleanly on SIGTERM";
  broker_.reset();
}

void E2eTest::DropExports(const std::string& agency, const std::vector<std::string>& files) {
  for (const std::string& f : files) {
    const std::string name = fs::path(f).filename().string();
    const std::string part = absl::StrCat(Inbox(agency), "/.", name, ".part");
    const RunResult moved = RunProgram({"/bin/bash", "-c", "exec \"$0\" \"$1\" < \"$2\" > \"$3\"",
                                        ACCORD_SOURCE_DIR "/deploy/demo/shift-dates", absl::StrCat(shift_days_), f,
                                        part},
                                       "", absl::Seconds(30));
    ASSERT_EQ(moved.exit_code, 0) << "shift-dates " << f << ":\n" << moved.output;
    fs::rename(part, absl::StrCat(Inbox(agency), "/", name));
  }
}

std::map<std::string, std::string> E2eTest::NoticesOf(const std::string& agency) const {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(Outbox(agency), ec)) {
    const std::string name = entry.path().filename().string();
    if (!absl::StartsWith(name, "notice-") || entry.path().extension() != ".json") continue;
    const std::string text = ReadFile(entry.path().string());
    std::string kind = "?";
    if (const size_t at = text.find("EVENT_KIND_"); at != std::string::npos) {
      kind = text.substr(at, text.find('"', at) - at);
    }
    out[name] = kind;
  }
  return out;
}

RunResult E2eTest::RunAgentOnce(const std::string& agency, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {AgentBinary(), "--config", AgentDir(agency) + "/agent.yaml", "--once",
                                   "--idle-ms", "700"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  ++agent_runs_;
  RunResult r = RunProgram(argv, AgentLogPath(agency), absl::Seconds(90));
  EXPECT_FALSE(r.timed_out) << agency << " agent did not finish within 90 s:\n" << r.output;
  return r;
}

void E2eTest::PlayStep(const ScenarioStep& step, const std::vector<std::string>& extra, int expect_rc) {
  for (const auto& [agency, files] : step.files) {
    ASSERT_NE(std::find(AdapterAgencies().begin(), AdapterAgencies().end(), agency), AdapterAgencies().end())
        << step.name << " has exports for " << agency << ", which runs no adapter";
    DropExports(agency, files);
  }
  for (const auto& [agency, files] : step.files) {
    RunResult r = RunAgentOnce(agency, extra);
    EXPECT_EQ(r.exit_code, expect_rc) << step.name << ": " << agency << " agent:\n" << r.output;
    // Each export was taken in: moved to processed/, nothing left behind.
    for (const std::string& f : files) {
      const std::string name = fs::path(f).filename().string();
      EXPECT_FALSE(fs::exists(Inbox(agency) + "/" + name)) << step.name << ": " << name << " still in the inbox";
      EXPECT_TRUE(fs::exists(Inbox(agency) + "/processed/" + name))
          << step.name << ": " << name << " not in processed/";
      EXPECT_FALSE(fs::exists(Inbox(agency) + "/rejects/" + name + ".rejects.txt"))
          << step.name << ": " << name << " had rejected rows:\n"
          << ReadFile(Inbox(agency) + "/rejects/" + name + ".rejects.txt");
    }
  }
}

int E2eTest::ReceiveRounds(const std::function<bool()>& done, int max_rounds) {
  for (int round = 1; round <= max_rounds; ++round) {
    for (const std::string& a : AdapterAgencies()) {
      RunResult r = RunAgentOnce(a);
      EXPECT_EQ(r.exit_code, 0) << a << " agent (receive round " << round << "):\n" << r.output;
    }
    if (done()) return round;
  }
  return max_rounds;
}

std::map<std::string, OutboxEvent> E2eTest::OutboxOf(const std::string& agency) const {
  absl::StatusOr<std::map<std::string, OutboxEvent>> out = ReadOutbox(Outbox(agency));
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *std::move(out) : std::map<std::string, OutboxEvent>{};
}

std::vector<v1::AuditRecord> E2eTest::WhoSaw(const std::string& event_id, const std::vector<std::string>& actions) {
  std::vector<std::string> argv = {AccordBinary(), "audit", "who-saw", "--data", DataDir(), "--event", event_id,
                                   "--format", "json", "--limit", "100000"};
  for (const std::string& a : actions) {
    argv.push_back("--action");
    argv.push_back(a);
  }
  RunResult r = RunProgram(argv, "", absl::Seconds(60));
  EXPECT_EQ(r.exit_code, 0) << "who-saw --event " << event_id << ":\n" << r.output;
  if (r.exit_code != 0) return {};
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // tree_size, root_hash
  v1::WhoSawResponse response;
  auto s = google::protobuf::util::JsonStringToMessage(r.output, &response, options);
  EXPECT_TRUE(s.ok()) << "who-saw JSON does not parse: " << s.ToString() << "\n" << r.output;
  std::vector<v1::AuditRecord> records;
  for (const v1::WhoSawRow& row : response.rows()) {
    EXPECT_EQ(row.record().event_id(), event_id);
    records.push_back(row.record());
  }
  return records;
}

RunResult E2eTest::VerifyAudit() {
  return RunProgram({AccordBinary(), "audit", "verify", "--data", DataDir(), "--partnership", Partnership(),
                     "--quiet"},
                    "", absl::Seconds(60));
}

std::map<std::string, Published> E2eTest::AllPublished() const {
  std::map<std::string, Published> out;
  for (const std::string& a : AdapterAgencies()) {
    for (const Published& p : Log(a).published) out.emplace(p.event_id, p);
  }
  return out;
}

void E2eTest::CheckForbiddenNeverReceived() {
  absl::StatusOr<std::unique_ptr<policy::PolicyHolder>> holder = policy::PolicyHolder::Create(PolicyPath());
  ASSERT_TRUE(holder.ok()) << holder.status();
  std::shared_ptr<const policy::Evaluator> evaluator = (*holder)->Current();
  const policy::Policy& p = evaluator->policy();
  // agency -> sections an unconditional forbid rule keeps from it.
  std::map<std::string, std::set<std::string>> forbidden;
  for (const policy::Rule& r : p.rules()) {
    const bool unconditional = r.when.senders == policy::kAll && r.when.event_kinds == policy::kAll &&
                               r.when.min_risk == v1::RISK_LEVEL_UNSPECIFIED && r.when.flags_all == 0 &&
                               r.when.flags_any == 0;
    if (r.effect != policy::Effect::kForbid || !unconditional) continue;
    for (size_t a = 0; a < p.agencies().size(); ++a) {
      if ((r.to.agencies & policy::Bit(static_cast<int>(a))) == 0) continue;
      // The bases it keeps from a section without a role (a forbid of
      // `health@victim` keeps `health` too: the unknown subject may be hers),
      // and each role-qualified name it names.
      const policy::Mask unqualified = r.sections.Matching(0, /*forbid=*/true);
      for (size_t s = 0; s < p.sections().size(); ++s) {
        if ((unqualified & policy::Bit(static_cast<int>(s))) != 0) {
          forbidden[p.agencies()[a].id].insert(p.sections()[s]);
        }
        for (size_t role = 1; role < r.sections.role.size(); ++role) {
          if ((r.sections.Matching(static_cast<int>(role), true) & policy::Bit(static_cast<int>(s))) != 0) {
            forbidden[p.agencies()[a].id].insert(
                absl::StrCat(p.sections()[s], "@", policy::NameOf(static_cast<v1::SubjectRole>(role))));
          }
        }
      }
    }
  }
  // What the issue asks for, so that a change of the policy file is noticed.
  for (const char* programme : {"up2u", "drive"}) {
    for (const char* s : {"victim_contact", "children", "health", "health@victim"}) {
      EXPECT_EQ(forbidden[programme].count(s), 1u) << "the policy no longer forbids " << s << " to " << programme;
    }
  }
  EXPECT_EQ(forbidden["probation"].count("victim_contact"), 1u);
  for (const std::string& a : AdapterAgencies()) {
    for (const auto& [id, e] : OutboxOf(a)) {
      for (const std::string& s : forbidden[a]) {
        EXPECT_EQ(e.opened.count(s), 0u) << a << " holds the forbidden section " << s << " of " << id
                                         << " (" << e.file << ")";
      }
    }
  }
}

std::map<std::string, std::vector<v1::AuditRecord>> E2eTest::CheckOutboxesMatchAudit() {
  const std::map<std::string, Published> published = AllPublished();
  std::map<std::string, std::map<std::string, OutboxEvent>> outboxes;
  for (const std::string& a : AdapterAgencies()) outboxes[a] = OutboxOf(a);
  // Nothing extra: every received event was published by an agent.
  for (const auto& [agency, events] : outboxes) {
    for (const auto& [id, e] : events) {
      EXPECT_EQ(published.count(id), 1u) << agency << " holds " << id << ", which no agent published";
    }
  }
  std::map<std::string, std::vector<v1::AuditRecord>> all;
  for (const auto& [id, p] : published) {
    auto cached = audit_cache_.find(id);
    if (cached == audit_cache_.end()) {
      cached = audit_cache_.emplace(id, WhoSaw(id, {"routed", "notified", "override_used", "event_received"})).first;
    }
    const std::vector<v1::AuditRecord>& records = cached->second;
    all[id] = records;
    const auto received = std::count_if(records.begin(), records.end(), [](const v1::AuditRecord& r) {
      return r.action() == v1::AUDIT_ACTION_EVENT_RECEIVED;
    });
    EXPECT_EQ(received, 1) << id << " (" << p.agency << " " << p.source << ") has " << received
                           << " EVENT_RECEIVED records";
    for (const std::string& a : AdapterAgencies()) {
      std::vector<const v1::AuditRecord*> routed, notified;
      for (const v1::AuditRecord& r : records) {
        if (r.recipient() != a) continue;
        if (r.action() == v1::AUDIT_ACTION_ROUTED) routed.push_back(&r);
        if (r.action() == v1::AUDIT_ACTION_NOTIFIED) notified.push_back(&r);
      }
      EXPECT_LE(routed.size() + notified.size(), 1u) << id << " was routed to " << a << " more than once";
      auto it = outboxes[a].find(id);
      const std::string what = absl::StrCat(id, " (", p.agency, " ", p.source, ") for ", a);
      if (!routed.empty()) {
        if (it == outboxes[a].end()) {
          ADD_FAILURE() << "lost: " << what << " was ROUTED but is not in the outbox";
          continue;
        }
        const std::set<std::string> want(routed[0]->sections().begin(), routed[0]->sections().end());
        EXPECT_FALSE(it->second.notification_only) << what;
        EXPECT_EQ(it->second.opened, want) << what << ": opened [" << JoinSet(it->second.opened)
                                           << "], the audit log routed [" << JoinSet(want) << "]";
      } else if (!notified.empty()) {
        if (it == outboxes[a].end()) {
          ADD_FAILURE() << "lost: " << what << " was NOTIFIED but is not in the outbox";
          continue;
        }
        EXPECT_TRUE(it->second.notification_only) << what;
        EXPECT_TRUE(it->second.opened.empty()) << what << ": a notification with sections";
      } else {
        EXPECT_TRUE(it == outboxes[a].end()) << "extra: " << what << " is in the outbox but the audit log "
                                             << "records no ROUTED/NOTIFIED for it";
      }
    }
  }
  return all;
}

bool E2eTest::AllDelivered() {
  const std::map<std::string, Published> published = AllPublished();
  std::map<std::string, std::map<std::string, OutboxEvent>> outboxes;
  for (const std::string& a : AdapterAgencies()) outboxes[a] = OutboxOf(a);
  for (const auto& [id, p] : published) {
    auto cached = audit_cache_.find(id);
    if (cached == audit_cache_.end()) {
      cached = audit_cache_.emplace(id, WhoSaw(id, {"routed", "notified", "override_used", "event_received"})).first;
    }
    for (const v1::AuditRecord& r : cached->second) {
      if (r.action() != v1::AUDIT_ACTION_ROUTED && r.action() != v1::AUDIT_ACTION_NOTIFIED) continue;
      auto o = outboxes.find(r.recipient());
      if (o != outboxes.end() && o->second.count(id) == 0) return false;
    }
  }
  return true;
}

SendQueue E2eTest::QueueOf(const std::string& agency) const {
  absl::StatusOr<SendQueue> q = ReadSendQueue(AgentDir(agency) + "/data");
  EXPECT_TRUE(q.ok()) << agency << ": " << q.status();
  return q.ok() ? *std::move(q) : SendQueue{};
}

void E2eTest::CheckOpenedWithinPolicy() {
  absl::StatusOr<std::unique_ptr<policy::PolicyHolder>> holder = policy::PolicyHolder::Create(PolicyPath());
  ASSERT_TRUE(holder.ok()) << holder.status();
  std::shared_ptr<const policy::Evaluator> evaluator = (*holder)->Current();
  // Every event the broker accepted, as its sender signed it, in broker order.
  std::map<std::string, v1::EventHeader> headers;
  std::vector<std::pair<uint64_t, std::string>> order;
  for (const std::string& a : AdapterAgencies()) {
    for (const SentEvent& e : QueueOf(a).sent) {
      if (e.broker_sequence == 0) continue;  // refused (reported elsewhere)
      if (!headers.emplace(e.header.event_id(), e.header).second) continue;
      order.emplace_back(e.broker_sequence, e.header.event_id());
    }
  }
  std::sort(order.begin(), order.end());
  EXPECT_EQ(headers.size(), AllPublished().size()) << "the send queues and the agents' logs disagree";
  // The most permissive consent: everything given.
  const policy::ConsentLookup all_given = [](const std::string&, const std::string&) {
    return v1::CONSENT_STATE_GIVEN;
  };
  CaseReplay replay(*evaluator);
  std::map<std::string, v1::Decision> decisions;
  for (const auto& [seq, id] : order) decisions[id] = replay.EvaluateAndAdvance(headers[id], all_given);
  for (const std::string& agency : AdapterAgencies()) {
    for (const auto& [id, e] : OutboxOf(agency)) {
      auto h = headers.find(id);
      if (h == headers.end()) {
        ADD_FAILURE() << agency << " holds " << id << ", which no send queue published";
        continue;
      }
      // The recipient holds the header its sender signed.
      v1::EventHeader signed_header = h->second;
      for (auto& ref : *signed_header.mutable_sections()) ref.clear_ciphertext_sha256();
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(signed_header, e.header))
          << agency << " " << id << ": header differs from the one signed:\n"
          << signed_header.DebugString() << "vs\n" << e.header.DebugString();
      const v1::Decision& d = decisions[id];
      const v1::RecipientDecision* mine = nullptr;
      for (const v1::RecipientDecision& rd : d.recipients()) {
        if (rd.recipient() == agency) mine = &rd;
      }
      if (mine == nullptr) {
        ADD_FAILURE() << agency << " received " << id << " although the policy names it as no recipient";
        continue;
      }
      std::set<std::string> allowed;
      for (const v1::SectionGrant& g : mine->grants()) allowed.insert(g.section());
      for (const std::string& s : e.opened) {
        EXPECT_EQ(allowed.count(s), 1u) << agency << " opened section " << s << " of " << id << " ("
                                        << v1::EventKind_Name(e.header.kind()) << " from " << e.header.sender()
                                        << "), which the policy does not allow it; allowed: [" << JoinSet(allowed)
                                        << "]";
      }
      // Opened and withheld together are the event's sections.
      std::set<std::string> all = e.opened;
      all.insert(e.withheld.begin(), e.withheld.end());
      std::set<std::string> in_header;
      for (const v1::SectionRef& s : e.header.sections()) in_header.insert(s.name());
      EXPECT_EQ(all, in_header) << agency << " " << id << ": opened + withheld differ from the header's sections";
    }
  }
  // Conversely: what the policy grants without relying on consent was routed.
  for (const auto& [id, d] : decisions) {
    auto cached = audit_cache_.find(id);
    if (cached == audit_cache_.end()) {
      cached = audit_cache_.emplace(id, WhoSaw(id, {"routed", "notified", "override_used", "event_received"})).first;
    }
    std::map<std::string, std::set<std::string>> routed;
    for (const v1::AuditRecord& r : cached->second) {
      if (r.action() == v1::AUDIT_ACTION_ROUTED) routed[r.recipient()].insert(r.sections().begin(), r.sections().end());
    }
    for (const v1::RecipientDecision& rd : d.recipients()) {
      for (const v1::SectionGrant& g : rd.grants()) {
        if (g.basis() == v1::LAWFUL_BASIS_CONSENT) continue;
        EXPECT_EQ(routed[rd.recipient()].count(g.section()), 1u)
            << id << " (" << v1::EventKind_Name(headers[id].kind()) << " from " << headers[id].sender() << "): the policy "
            << "grants " << g.section() << " to " << rd.recipient() << " under " << g.rule_id()
            << " without consent, but the broker did not route it";
      }
    }
  }
}

void E2eTest::CheckQueuesDrained() {
  for (const std::string& a : AdapterAgencies()) {
    const SendQueue q = QueueOf(a);
    EXPECT_EQ(q.pending, 0u) << a << " still has events queued";
    std::set<std::string> sent, logged;
    for (const SentEvent& e : q.sent) {
      EXPECT_NE(e.broker_sequence, 0u) << a << ": " << e.header.event_id() << " (" << e.source
                                       << ") left the queue without a receipt";
      EXPECT_TRUE(sent.insert(e.header.event_id()).second) << a << " sent " << e.header.event_id() << " twice";
    }
    for (const Published& p : Log(a).published) logged.insert(p.event_id);
    EXPECT_EQ(sent, logged) << a << ": the send queue and the log disagree on what was published";
  }
}

void E2eTest::CheckNothingQuarantinedOrRefused() {
  for (const std::string& a : AdapterAgencies()) {
    const AgentLog log = Log(a);
    EXPECT_TRUE(log.refused.empty()) << a << ": " << absl::StrJoin(log.refused, "\n");
    EXPECT_TRUE(log.quarantined.empty()) << a << ": " << absl::StrJoin(log.quarantined, "\n");
    std::error_code ec;
    const std::string q = Outbox(a) + "/quarantine";
    if (fs::exists(q, ec)) {
      EXPECT_TRUE(fs::is_empty(q, ec)) << a << ": deliveries were quarantined in " << q;
    }
  }
}

}  // namespace accord::e2e
