#include "tests/integration/broker_fixture.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cli/partnership.h"
#include "crypto/hash.h"
#include "crypto/pseudonym.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "tests/testing/sanitizer_report.h"

namespace accord::testing {

namespace {


std::string KindSection(const std::string& name, const std::string& event_id, std::string* type) {
  if (name == "summary") {
    v1::Summary s;
    s.set_headline(absl::StrCat("headline of ", event_id));
    s.set_text("Officers attended; see the risk section.");
    *type = "accord.v1.Summary";
    return s.SerializeAsString();
  }
  if (name == "risk") {
    v1::RiskDetail r;
    r.set_level(v1::RISK_LEVEL_HIGH);
    r.set_tool(v1::RISK_TOOL_DASH);
    r.set_score(17);
    r.add_factors("strangulation");
    *type = "accord.v1.RiskDetail";
    return r.SerializeAsString();
  }
  if (name == "children") {
    v1::ChildrenDetail c;
    c.set_notes("two children in the household");
    *type = "accord.v1.ChildrenDetail";
    return c.SerializeAsString();
  }
  if (name == "victim_contact") {
    v1::VictimContact v;
    v.set_address("12 Refuge Road, Cardiff");
    v.set_safe_contact_method("text only");
    *type = "accord.v1.VictimContact";
    return v.SerializeAsString();
  }
  if (name == "override_justification") {
    v1::OverrideJustification o;
    o.set_reason("risk_to_child");
    o.set_justification("threats to take the children");
    *type = "accord.v1.OverrideJustification";
    return o.SerializeAsString();
  }
  v1::Summary s;
  // "big..." sections are 100 kB each, to fill the store quickly.
  s.set_text(absl::StartsWith(name, "big") ? std::string(100000, 'x') : absl::StrCat(name, " of ", event_id));
  *type = "accord.v1.Summary";
  return s.SerializeAsString();
}

}  // namespace

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int HealthStatus(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  grpc::ByteBuffer request(nullptr, 0);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = s;
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return -1;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  if (bytes.size() == 2 && bytes[0] == 0x08) return bytes[1];
  return bytes.empty() ? 0 : -1;
}

bool WaitForHealth(const std::shared_ptr<grpc::Channel>& channel, int want, absl::Duration wait) {
  const absl::Time deadline = absl::Now() + wait;
  while (absl::Now() < deadline) {
    if (HealthStatus(channel) == want) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

absl::StatusOr<std::unique_ptr<BrokerProcess>> BrokerProcess::Start(const std::string& config,
                                                                    const std::string& log_path,
                                                                    const ProcessOptions& options) {
  const std::string binary = ACCORD_BINARY_DIR "/broker/accord-broker";
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (log_fd < 0) return absl::InternalError("cannot open broker log");
  const off_t start = ::lseek(log_fd, 0, SEEK_END);
  // The child's environment, built before fork: between fork and exec only
  // async-signal-safe calls are made.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const bool replaced = std::any_of(options.environment.begin(), options.environment.end(),
                                      [&](const std::string& add) {
                                        const size_t eq = add.find('=');
                                        return entry.substr(0, entry.find('=')) == add.substr(0, eq);
                                      });
    if (!replaced) env_strings.emplace_back(entry);
  }
  env_strings.insert(env_strings.end(), options.environment.begin(), options.environment.end());
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    if (options.open_files_hard != 0) {
      rlimit lim{static_cast<rlim_t>(options.open_files_soft), static_cast<rlim_t>(options.open_files_hard)};
      if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) ::_exit(126);
    }
    ::dup2(log_fd, 2);
    ::dup2(log_fd, 1);
    const char* argv[] = {binary.c_str(), "--config", config.c_str(), nullptr};
    ::execve(binary.c_str(), const_cast<char* const*>(argv), envp.data());
    ::_exit(127);
  }
  ::close(log_fd);
  std::unique_ptr<BrokerProcess> p(new BrokerProcess());
  p->pid_ = pid;
  p->log_path_ = log_path;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    const std::string log = ReadAll(log_path).substr(static_cast<size_t>(start));
    const size_t at = log.find("msg=listening address=");
    if (at != std::string::npos) {
      const size_t from = at + std::string("msg=listening address=").size();
      p->address_ = log.substr(from, log.find(' ', from) - from);
      return p;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      p->pid_ = -1;
      ExpectNoSanitizerReport(log, "accord-broker");
      return absl::InternalError(absl::StrCat("broker exited at start-up:\n", log));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError("broker did not start within 20 s");
}

BrokerProcess::~BrokerProcess() {
  if (pid_ > 0) Kill9();
}

void BrokerProcess::Kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void BrokerProcess::Signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

int BrokerProcess::Terminate() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string BrokerProcess::Log() const { return ReadAll(log_path_); }

const std::vector<std::string>& BrokerTest::DefaultAgencies() {
  static const auto* kAgencies = new std::vector<std::string>{
      "police", "probation", "childrens_services", "victim_services", "perpetrator_programme",
      "marac_coordinator", "auditor"};
  return *kAgencies;
}

std::string BrokerTest::AccordBinary() const { return ACCORD_BINARY_DIR "/cli/accord"; }

void BrokerTest::SetUp() {
  ASSERT_TRUE(crypto::InitSodium().ok());
  cli::PartnershipOptions o;
  o.dir = Partnership();
  o.partnership_id = "test-partnership";
  std::string list;
  for (const std::string& a : agencies_) absl::StrAppend(&list, list.empty() ? "" : ",", a);
  o.agencies = *cli::ParseAgencies(list);
  ASSERT_TRUE(cli::InitPartnership(o).ok());
  // A copy, so that tests may change it and reload.
  if (policy_text_.empty()) {
    std::filesystem::copy_file(ACCORD_SOURCE_DIR "/tests/policies/one-programme.yaml", PolicyPath());
  } else {
    std::ofstream(PolicyPath()) << policy_text_;
  }
  std::ofstream config(ConfigPath());
  config << "listen: 127.0.0.1:0\n"
         << "data: " << DataDir() << "\n"
         << "partnership: " << Partnership() << "\n"
         << "policy: " << PolicyPath() << "\n"
         << "admin_agencies: [marac_coordinator]\n"
         << "limits:\n  max_envelope_bytes: 262144\n"
         << extra_limits_
         << "meetings:\n"
         << "  - id: daily-discussion\n"
         << "    name: Daily domestic-abuse discussion\n"
         << "    members: [police, probation, victim_services, childrens_services, marac_coordinator]\n"
         << "    cadence: weekdays 09:30\n"
         << "    window_hours: 72\n"
         << extra_config_;
  config.close();
  StartBroker();
}

void BrokerTest::TearDown() {
  clients_.clear();
  // A clean stop, so that a sanitized broker also checks for leaks at exit.
  if (broker_ != nullptr) broker_->Terminate();
  ExpectNoSanitizerReport(ReadAll(tmp_.Path("broker.log")), "accord-broker");
  if (broker_ != nullptr && HasFailure()) std::cerr << "---- broker log ----\n" << broker_->Log();
  broker_.reset();
}

void BrokerTest::StartBroker() {
  clients_.clear();
  absl::StatusOr<std::unique_ptr<BrokerProcess>> b =
      BrokerProcess::Start(ConfigPath(), tmp_.Path("broker.log"), process_options_);
  ASSERT_TRUE(b.ok()) << b.status();
  broker_ = *std::move(b);
}

agents::AgencyClient& BrokerTest::Client(const std::string& agency) {
  auto it = clients_.find(agency);
  if (it != clients_.end()) return *it->second;
  absl::StatusOr<std::unique_ptr<agents::AgencyClient>> c =
      agents::AgencyClient::Create(agents::AgentIdentity{Partnership(), agency, broker_->address()});
  EXPECT_TRUE(c.ok()) << c.status();
  absl::Status s = (*c)->RefreshDirectory(absl::Seconds(10));
  EXPECT_TRUE(s.ok()) << s;
  return *(clients_[agency] = *std::move(c));
}

std::string BrokerTest::Pseudonym(const std::string& name_dob) {
  std::vector<std::string> parts = absl::StrSplit(name_dob, '|');
  return *crypto::SubjectPseudonym(Client("police").linkage_key(), parts.at(0), parts.at(1), parts.at(2));
}

v1::EventHeader BrokerTest::Header(const std::string& sender, const TestEvent& e) {
  v1::EventHeader h;
  h.set_version(1);
  h.set_event_id(e.id);
  h.set_kind(e.kind);
  h.set_sender(sender);
  h.mutable_actor()->set_role("test_officer");
  h.mutable_actor()->set_staff_ref("staff-1");
  h.set_case_ref(e.case_ref);
  v1::SubjectRef* v = h.add_subjects();
  v->set_ref(Pseudonym(e.victim));
  v->set_role(v1::SUBJECT_ROLE_VICTIM);
  v1::SubjectRef* p = h.add_subjects();
  p->set_ref(Pseudonym(e.perpetrator));
  p->set_role(v1::SUBJECT_ROLE_PERPETRATOR);
  if (!e.child.empty()) {
    v1::SubjectRef* c = h.add_subjects();
    c->set_ref(Pseudonym(e.child));
    c->set_role(v1::SUBJECT_ROLE_CHILD);
  }
  h.mutable_risk()->set_level(e.risk);
  h.mutable_risk()->set_tool(v1::RISK_TOOL_DASH);
  h.mutable_risk()->set_score(e.risk >= v1::RISK_LEVEL_HIGH ? 17 : 6);
  for (v1::Flag f : e.flags) h.add_flags(f);
  for (const v1::CaseRelation& r : e.relations) *h.add_relations() = r;
  *h.mutable_occurred_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now()));
  return h;
}

std::vector<crypto::PlainSection> BrokerTest::Sections(const TestEvent& e) {
  std::vector<crypto::PlainSection> out;
  for (const std::string& name : e.sections) {
    crypto::PlainSection s;
    s.name = name;
    s.plaintext = KindSection(name, e.id, &s.content_type);
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<v1::ReceiptBody> BrokerTest::Publish(const std::string& sender, const TestEvent& e) {
  return Publish(sender, e, [](v1::EventHeader*) {});
}

absl::StatusOr<v1::ReceiptBody> BrokerTest::Publish(const std::string& sender, const TestEvent& e,
                                                    const std::function<void(v1::EventHeader*)>& edit) {
  agents::AgencyClient& c = Client(sender);
  v1::EventHeader h = Header(sender, e);
  edit(&h);
  absl::StatusOr<v1::Envelope> env = c.PlanAndSeal(h, Sections(e), absl::Seconds(10));
  if (!env.ok()) return env.status();
  return c.Publish(*env, absl::Seconds(10));
}

absl::StatusOr<v1::ReceiptBody> BrokerTest::RecordConsent(const std::string& sender, const std::string& id,
                                                          const std::string& subject, const std::string& purpose,
                                                          v1::ConsentState state) {
  TestEvent e;
  e.id = id;
  e.kind = v1::EVENT_KIND_CONSENT_RECORDED;
  e.risk = v1::RISK_LEVEL_UNSPECIFIED;
  e.victim = subject;
  e.sections = {"summary"};
  agents::AgencyClient& c = Client(sender);
  v1::EventHeader h = Header(sender, e);
  v1::ConsentStatement* cs = h.mutable_consent_statement();
  cs->set_subject_ref(Pseudonym(subject));
  cs->set_purpose(purpose);
  cs->set_state(state);
  absl::StatusOr<v1::Envelope> env = c.PlanAndSeal(h, Sections(e), absl::Seconds(10));
  if (!env.ok()) return env.status();
  auto stub = v1::ConsentService::NewStub(c.channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::Receipt receipt;
  grpc::Status s = stub->RecordConsent(&ctx, *env, &receipt);
  if (!s.ok()) return agents::FromGrpc(s, "RecordConsent");
  v1::ReceiptBody body;
  body.ParseFromString(receipt.body());
  return body;
}

std::vector<v1::Delivery> BrokerTest::Receive(const std::string& agency, size_t want, absl::Duration wait,
                                              uint64_t after) {
  agents::AgencyClient& c = Client(agency);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + wait));
  v1::SubscribeRequest req;
  req.set_after_sequence(after);
  std::unique_ptr<grpc::ClientReader<v1::Delivery>> reader = c.exchange().Subscribe(&ctx, req);
  std::vector<v1::Delivery> out;
  v1::Delivery d;
  while (out.size() < want && reader->Read(&d)) out.push_back(d);
  ctx.TryCancel();
  reader->Finish();
  return out;
}

absl::Status BrokerTest::Ack(const std::string& agency, uint64_t through) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::AckRequest req;
  req.set_through_sequence(through);
  v1::AckResponse resp;
  return agents::FromGrpc(Client(agency).exchange().Ack(&ctx, req, &resp), "Ack");
}

std::vector<std::string> BrokerTest::OpenedSections(const std::string& agency, const v1::Delivery& d) {
  absl::StatusOr<crypto::OpenedEvent> opened = Client(agency).Open(d);
  EXPECT_TRUE(opened.ok()) << opened.status();
  std::vector<std::string> names;
  if (opened.ok()) {
    for (const crypto::OpenedSection& s : opened->sections) names.push_back(s.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<v1::WhoSawResponse> BrokerTest::WhoSaw(const v1::WhoSawQuery& q) {
  auto stub = v1::AuditService::NewStub(Client("auditor").channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::WhoSawResponse resp;
  grpc::Status s = stub->WhoSaw(&ctx, q, &resp);
  if (!s.ok()) return agents::FromGrpc(s, "WhoSaw");
  return resp;
}

}  // namespace accord::testing
