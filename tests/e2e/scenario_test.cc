// The demo's scenario (deploy/demo/scenario/) end to end with real processes:
// a fresh partnership, the accord-broker program with the example policy, and
// the accord-agent program for each of the five agency adapters, fed the
// scenario's exports step by step. What every agency ends up holding (its
// outbox JSON) is checked against the broker's audit log (`accord audit
// who-saw`) and against the policy library; a broker outage in the middle of
// the scenario must lose, duplicate and reorder nothing; and every adapter's
// documented sample (deploy/samples/) goes through the real program.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/e2e/e2e_support.h"

namespace accord::e2e {
namespace {

namespace fs = std::filesystem;

// Where a published event came from: its export and row, in export order.
struct Origin {
  int step = -1;          // index into the scenario's steps
  std::string file;       // export file name
  int line = 0;
  std::string record_id;
  bool operator<(const Origin& o) const { return std::tie(step, file, line) < std::tie(o.step, o.file, o.line); }
};

class ScenarioTest : public E2eTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(E2eTest::SetUp());
    steps_ = LoadScenario(ScenarioDir());
    ASSERT_EQ(steps_.size(), 17u) << "the scenario should have seventeen steps";
    for (size_t i = 0; i < steps_.size(); ++i) {
      for (const auto& [agency, files] : steps_[i].files) {
        for (const std::string& f : files) {
          const std::string name = fs::path(f).filename().string();
          ASSERT_EQ(export_step_.count(name), 0u) << "export file name " << name << " is used twice";
          export_step_[name] = {static_cast<int>(i), f};
        }
      }
    }
  }

  // event id -> export row, for every published event.
  std::map<std::string, Origin> Origins() const {
    std::map<std::string, Origin> out;
    for (const auto& [id, p] : AllPublished()) {
      const size_t colon = p.source.rfind(':');
      Origin o;
      o.file = fs::path(p.source.substr(0, colon)).filename().string();
      EXPECT_TRUE(absl::SimpleAtoi(p.source.substr(colon + 1), &o.line)) << p.source;
      auto it = export_step_.find(o.file);
      if (it == export_step_.end()) {
        ADD_FAILURE() << id << " comes from " << p.source << ", which is no scenario export";
        continue;
      }
      o.step = it->second.first;
      o.record_id = RecordIdAt(it->second.second, o.line);
      out[id] = o;
    }
    return out;
  }

  // The event id published for an export record, from `origins` (Origins()).
  static std::string IdOfRecord(const std::string& record_id, const std::map<std::string, Origin>& origins) {
    for (const auto& [id, o] : origins) {
      if (o.record_id == record_id) return id;
    }
    return "";
  }
  std::string IdOfRecord(const std::string& record_id) const { return IdOfRecord(record_id, Origins()); }

  // Every export was accepted whole, and each of its rows was published once.
  void CheckEveryAcceptedRowPublished(const std::vector<size_t>& steps_played) {
    std::map<std::string, int> published_per_file;
    for (const auto& [id, o] : Origins()) ++published_per_file[o.file];
    std::set<std::string> expected_files;
    for (size_t i : steps_played) {
      for (const auto& [agency, files] : steps_[i].files) {
        for (const std::string& f : files) expected_files.insert(fs::path(f).filename().string());
      }
    }
    std::set<std::string> accepted_files;
    int rows = 0;
    for (const std::string& a : AdapterAgencies()) {
      for (const Accepted& acc : Log(a).accepted) {
        EXPECT_EQ(accepted_files.count(acc.file), 0u) << acc.file << " was accepted twice";
        accepted_files.insert(acc.file);
        EXPECT_EQ(acc.rejected, 0) << a << ": " << acc.file;
        EXPECT_GT(acc.events, 0) << a << ": " << acc.file;
        EXPECT_EQ(acc.fresh, acc.events) << a << ": " << acc.file << " repeats queued events";
        EXPECT_EQ(published_per_file[acc.file], acc.events)
            << a << ": " << acc.file << " gave " << acc.events << " events but "
            << published_per_file[acc.file] << " were published";
        rows += acc.events;
      }
    }
    EXPECT_EQ(accepted_files, expected_files);
    EXPECT_EQ(rows, static_cast<int>(AllPublished().size()));
  }

  // Prints how each event was routed (for the person reading the test log)
  // and returns the record ids of events the policy routed to nobody.
  std::vector<std::string> PrintRouting(const std::map<std::string, std::vector<v1::AuditRecord>>& audit) {
    std::map<Origin, std::string> by_origin;
    for (const auto& [id, o] : Origins()) by_origin[o] = id;
    std::vector<std::string> nowhere;
    std::cout << "Routing of the scenario's events (from the audit log):\n";
    for (const auto& [o, id] : by_origin) {
      std::vector<std::string> to;
      bool override_used = false;
      for (const v1::AuditRecord& r : audit.at(id)) {
        if (r.action() == v1::AUDIT_ACTION_ROUTED) {
          to.push_back(absl::StrCat(r.recipient(), " [", absl::StrJoin(r.sections(), ","), "]"));
        } else if (r.action() == v1::AUDIT_ACTION_NOTIFIED) {
          to.push_back(absl::StrCat(r.recipient(), " (notified)"));
        } else if (r.action() == v1::AUDIT_ACTION_OVERRIDE_USED) {
          override_used = true;
        }
      }
      if (to.empty()) nowhere.push_back(o.record_id);
      std::cout << "  " << steps_[static_cast<size_t>(o.step)].name.substr(0, 2) << " " << o.record_id << " -> "
                << (to.empty() ? "nobody" : absl::StrJoin(to, "; ")) << (override_used ? "  [override]" : "")
                << "\n";
    }
    return nowhere;
  }

  std::vector<size_t> AllSteps() const {
    std::vector<size_t> all;
    for (size_t i = 0; i < steps_.size(); ++i) all.push_back(i);
    return all;
  }

  // The notices of one kind an agency holds.
  int NoticeCount(const std::string& agency, const std::string& kind) const {
    int n = 0;
    for (const auto& [file, k] : NoticesOf(agency)) n += k == kind;
    return n;
  }

  int ReceivedLines() const {
    int n = 0;
    for (const std::string& a : AdapterAgencies()) n += static_cast<int>(Log(a).received.size());
    return n;
  }

  std::vector<ScenarioStep> steps_;
  std::map<std::string, std::pair<int, std::string>> export_step_;  // file name -> (step, path)
};

TEST_F(ScenarioTest, ScenarioDeliversWhatPolicyAllows) {
  const absl::Time start = absl::Now();
  for (const ScenarioStep& step : steps_) ASSERT_NO_FATAL_FAILURE(PlayStep(step, {}, 0)) << step.name;
  // Everyone receives what is still queued for it; more rounds only if a
  // loaded machine made an agent stop listening before its deliveries came.
  const int rounds = ReceiveRounds([&] { return AllDelivered(); }, 6);
  std::cout << "scenario played with " << agent_runs_ << " agent runs; " << rounds << " receive round(s); "
            << absl::FormatDuration(absl::Now() - start) << "\n";
  ASSERT_FALSE(HasFailure());

  CheckNothingQuarantinedOrRefused();
  CheckQueuesDrained();
  CheckEveryAcceptedRowPublished(AllSteps());
  // (a) what the policy forbids never arrives.
  CheckForbiddenNeverReceived();
  // (b) every outbox matches the broker's ROUTED / NOTIFIED records exactly.
  const std::map<std::string, std::vector<v1::AuditRecord>> audit = CheckOutboxesMatchAudit();
  // (c) and stays within what the policy library allows with every consent given.
  CheckOpenedWithinPolicy();
  const std::vector<std::string> nowhere = PrintRouting(audit);
  std::cout << "routed to nobody: " << (nowhere.empty() ? "none" : absl::StrJoin(nowhere, ", ")) << "\n";

  // (d) the facts the demo is about.
  // Every agent has stopped: read each outbox once.
  std::map<std::string, std::map<std::string, OutboxEvent>> held;
  for (const std::string& a : AdapterAgencies()) held[a] = OutboxOf(a);
  const std::map<std::string, Origin> origins = Origins();
  auto id_of = [&](const std::string& record_id) { return IdOfRecord(record_id, origins); };
  const std::string incident = id_of("PPN-250303-0417");
  ASSERT_FALSE(incident.empty()) << "the incident of 3 March was not published";
  {
    const auto idva = held.at("victim_services");
    ASSERT_EQ(idva.count(incident), 1u) << "the IDVA did not receive the incident of 3 March";
    EXPECT_EQ(idva.at(incident).opened.count("victim_contact"), 1u) << "the IDVA cannot reach the victim";
    EXPECT_EQ(idva.at(incident).opened.count("risk"), 1u);
    const auto cs = held.at("childrens_services");
    ASSERT_EQ(cs.count(incident), 1u) << "children's services did not receive the incident of 3 March";
    EXPECT_EQ(cs.at(incident).opened.count("children"), 1u);
    EXPECT_EQ(held.at("up2u").count(incident), 0u) << "Up2U heard of the incident before it took him on";
    EXPECT_EQ(held.at("drive").count(incident), 0u);
  }
  // Item 1: the referral reaches the programme it is addressed to, and not the other.
  const std::string referral = id_of("NPS-REF-88120-01");
  ASSERT_FALSE(referral.empty()) << "probation's referral to Up2U was not published";
  EXPECT_EQ(held.at("up2u").count(referral), 1u) << "Up2U did not receive the referral addressed to it";
  EXPECT_EQ(held.at("drive").count(referral), 0u) << "Drive received a referral addressed to Up2U";
  // Item 7: the re-offence reaches the programme working with him at once.
  const std::string reoffence = id_of("ARR-250402-0009");
  ASSERT_FALSE(reoffence.empty()) << "the re-offence was not published";
  {
    const auto programme = held.at("up2u");
    ASSERT_EQ(programme.count(reoffence), 1u) << "Up2U did not hear of the re-offence";
    EXPECT_FALSE(programme.at(reoffence).notification_only);
    EXPECT_EQ(programme.at(reoffence).opened.count("summary"), 1u);
    EXPECT_EQ(held.at("probation").count(reoffence), 1u);
  }
  // Item 4: the incident with a new partner (a new case) reaches Up2U through
  // the relation that follows him, without her whereabouts; one serial-pattern
  // notice each to the MARAC coordinator and Drive, none to anyone else.
  const std::string new_partner = id_of("PPN-250602-0733");
  ASSERT_FALSE(new_partner.empty()) << "the incident with Megan was not published";
  {
    const auto programme = held.at("up2u");
    ASSERT_EQ(programme.count(new_partner), 1u) << "Up2U did not hear of his incident with a new partner";
    EXPECT_EQ(programme.at(new_partner).opened.count("victim_contact"), 0u);
    EXPECT_EQ(held.at("probation").count(new_partner), 1u) << "the offender manager did not hear of it";
    // Item 7: children's services working with his children hear of it (child_protection follows him).
    const auto cs = held.at("childrens_services");
    ASSERT_EQ(cs.count(new_partner), 1u) << "children's services working with his children did not hear of it";
    EXPECT_EQ(cs.at(new_partner).opened, (std::set<std::string>{"summary", "detail"}));
    EXPECT_NE(programme.at(new_partner).header.case_ref(), programme.at(reoffence).header.case_ref())
        << "the incident with Megan should be in her own case";
  }
  for (const std::string& a : AdapterAgencies()) {
    const int expected = a == "marac_coordinator" || a == "drive" ? 1 : 0;
    EXPECT_EQ(NoticeCount(a, "EVENT_KIND_SERIAL_PATTERN"), expected) << a << ": serial-pattern notices";
  }
  // Item 6: the broker raised partner-feedback reminders to the partner-support worker only.
  EXPECT_GT(NoticeCount("victim_services", "EVENT_KIND_FEEDBACK_DUE"), 0) << "no partner-feedback reminder";
  for (const char* a : {"up2u", "drive", "police", "probation"}) {
    EXPECT_EQ(NoticeCount(a, "EVENT_KIND_FEEDBACK_DUE"), 0) << a << " received a partner-feedback reminder";
  }
  // Items 3, 6: the de-selection reaches police, the coordinator and probation;
  // after the transfer Up2U hears nothing, after the de-selection Drive nothing.
  const std::string deselection = id_of("DRV-DS-0231");
  const std::string breach = id_of("BRCH-250703-0044");
  const std::string after = id_of("PPN-251101-0902");
  ASSERT_FALSE(deselection.empty() || breach.empty() || after.empty());
  for (const char* a : {"police", "marac_coordinator", "probation"}) {
    EXPECT_EQ(held.at(a).count(deselection), 1u) << "the de-selection did not reach " << a;
  }
  EXPECT_EQ(held.at("drive").count(breach), 1u) << "Drive did not hear of the breach";
  EXPECT_EQ(held.at("up2u").count(breach), 0u) << "Up2U heard of the breach after its relation ended";
  EXPECT_EQ(held.at("up2u").count(deselection), 0u);
  EXPECT_EQ(held.at("up2u").count(after), 0u);
  EXPECT_EQ(held.at("drive").count(after), 0u) << "Drive heard of an incident after it de-selected him";
  const std::string alert = id_of("UP2U-X-0231-01");
  ASSERT_FALSE(alert.empty()) << "the increasing-risk alert was not published";
  {
    const std::vector<v1::AuditRecord>& records = audit.at(alert);
    const bool override_used = std::any_of(records.begin(), records.end(), [](const v1::AuditRecord& r) {
      return r.action() == v1::AUDIT_ACTION_OVERRIDE_USED;
    });
    const bool auditor_told = std::any_of(records.begin(), records.end(), [](const v1::AuditRecord& r) {
      return r.recipient() == "auditor" &&
             (r.action() == v1::AUDIT_ACTION_ROUTED || r.action() == v1::AUDIT_ACTION_NOTIFIED);
    });
    EXPECT_TRUE(override_used) << "no OVERRIDE_USED record for the risk alert";
    EXPECT_TRUE(auditor_told) << "the auditor was not told of the override";
    EXPECT_EQ(held.at("childrens_services").count(alert), 1u) << "children's services missed the risk alert";
  }

  ASSERT_NO_FATAL_FAILURE(StopBroker());
  const RunResult verify = VerifyAudit();
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  std::cout << "total " << absl::FormatDuration(absl::Now() - start) << "\n";
}

TEST_F(ScenarioTest, BrokerDownLosesNothing) {
  const absl::Time start = absl::Now();
  // Steps 1-3 with the broker up.
  for (size_t i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(PlayStep(steps_[i], {}, 0)) << steps_[i].name;
  const size_t published_before = AllPublished().size();
  const std::string address = this->address();
  ASSERT_NO_FATAL_FAILURE(StopBroker());

  // Steps 4-6 with the broker down: the agents still take the exports in
  // (moved to processed/, queued) and say they could not publish.
  std::map<std::string, size_t> log_size;
  for (const std::string& a : AdapterAgencies()) log_size[a] = ReadFile(AgentLogPath(a)).size();
  for (size_t i = 3; i < 6; ++i) {
    ASSERT_NO_FATAL_FAILURE(PlayStep(steps_[i], {"--publish-timeout-ms", "1500"}, 1)) << steps_[i].name;
  }
  EXPECT_EQ(AllPublished().size(), published_before) << "something was published with the broker down";
  std::set<std::string> queued_files;
  for (const std::string& a : AdapterAgencies()) {
    const std::string during = ReadFile(AgentLogPath(a)).substr(log_size[a]);
    const AgentLog log = ParseAgentLog(a, during);
    for (const Accepted& acc : log.accepted) queued_files.insert(acc.file);
    if (!log.accepted.empty()) {
      EXPECT_TRUE(absl::StrContains(during, "broker unreachable")) << a << ":\n" << during;
    }
  }
  std::set<std::string> down_files;
  for (size_t i = 3; i < 6; ++i) {
    for (const auto& [agency, files] : steps_[i].files) {
      for (const std::string& f : files) down_files.insert(fs::path(f).filename().string());
    }
  }
  EXPECT_EQ(queued_files, down_files) << "not every export was accepted while the broker was down";
  // ... and what they accepted waits in their store-and-forward queues.
  for (const std::string& a : AdapterAgencies()) {
    int accepted = 0;
    for (const Accepted& acc : ParseAgentLog(a, ReadFile(AgentLogPath(a)).substr(log_size[a])).accepted) {
      accepted += acc.fresh;
    }
    EXPECT_EQ(QueueOf(a).pending, static_cast<uint64_t>(accepted)) << a << ": events accepted in the outage "
                                                                   << "are not all queued";
  }

  // The broker comes back on the same address: the agents' configs still hold.
  // Each agent runs once and sends what it queued (referrers before the
  // programmes that answer them), then the rest of the story is played.
  ASSERT_NO_FATAL_FAILURE(StartBroker(address));
  ASSERT_EQ(this->address(), address);
  ReceiveRounds([] { return true; }, 1);
  for (size_t i = 6; i < steps_.size(); ++i) ASSERT_NO_FATAL_FAILURE(PlayStep(steps_[i], {}, 0)) << steps_[i].name;
  // Everyone receives until everything routed has arrived and a whole round
  // brings nothing new.
  int last = -1;
  const int rounds = ReceiveRounds(
      [&] {
        const int now = ReceivedLines();
        const bool quiet = now == last;
        last = now;
        return quiet && AllDelivered();
      },
      8);
  std::cout << "outage scenario played with " << agent_runs_ << " agent runs; " << rounds
            << " receive round(s); " << absl::FormatDuration(absl::Now() - start) << "\n";
  ASSERT_FALSE(HasFailure());

  CheckNothingQuarantinedOrRefused();
  CheckQueuesDrained();
  // Every row of every export, including those taken in during the outage,
  // was published, and exactly once.
  CheckEveryAcceptedRowPublished(AllSteps());
  CheckForbiddenNeverReceived();
  // Exactly once per recipient: the outboxes match the ROUTED/NOTIFIED records
  // one to one (nothing lost, nothing extra; files are per event id) ...
  const std::map<std::string, std::vector<v1::AuditRecord>> audit = CheckOutboxesMatchAudit();
  CheckOpenedWithinPolicy();
  // ... and each event was taken in once by each recipient (redeliveries are
  // recognised and not stored again).
  int redeliveries = 0;
  for (const std::string& a : AdapterAgencies()) {
    std::map<std::string, int> fresh;
    for (const Received& r : Log(a).received) {
      if (r.redelivery) {
        ++redeliveries;
      } else {
        ++fresh[r.event_id];
      }
    }
    const auto outbox = OutboxOf(a);
    for (const auto& [id, e] : outbox) {
      EXPECT_EQ(fresh[id], 1) << a << " logged " << fresh[id] << " first receipts of " << id;
    }
    for (const auto& [id, n] : fresh) {
      EXPECT_EQ(outbox.count(id), 1u) << a << " logged receiving " << id << " but has no outbox file for it";
    }
  }
  std::cout << "redeliveries recognised: " << redeliveries << "\n";

  // In order: each sender published in export order, and each recipient got a
  // sender's events of a case in that order.
  const std::map<std::string, Origin> origins = Origins();
  std::map<std::string, std::vector<std::pair<uint64_t, std::string>>> by_sender;
  for (const auto& [id, p] : AllPublished()) by_sender[p.agency].emplace_back(p.broker_sequence, id);
  for (auto& [sender, events] : by_sender) {
    std::sort(events.begin(), events.end());
    for (size_t i = 1; i < events.size(); ++i) {
      EXPECT_TRUE(origins.at(events[i - 1].second) < origins.at(events[i].second))
          << sender << " published " << origins.at(events[i].second).record_id << " after "
          << origins.at(events[i - 1].second).record_id << ", against the order of its exports";
    }
  }
  int ordered_pairs = 0;
  for (const std::string& a : AdapterAgencies()) {
    // (case, sender) -> (queue sequence, event id)
    std::map<std::pair<std::string, std::string>, std::vector<std::pair<uint64_t, std::string>>> streams;
    std::set<uint64_t> sequences;
    for (const auto& [id, e] : OutboxOf(a)) {
      EXPECT_TRUE(sequences.insert(e.queue_sequence).second) << a << ": queue sequence " << e.queue_sequence
                                                             << " used twice";
      streams[{e.header.case_ref(), e.header.sender()}].emplace_back(e.queue_sequence, id);
    }
    for (auto& [key, events] : streams) {
      std::sort(events.begin(), events.end());
      for (size_t i = 1; i < events.size(); ++i) {
        ++ordered_pairs;
        EXPECT_TRUE(origins.at(events[i - 1].second) < origins.at(events[i].second))
            << a << " got " << origins.at(events[i].second).record_id << " before "
            << origins.at(events[i - 1].second).record_id << " (case " << key.first << ", from " << key.second
            << "), against the order of the sender's exports";
      }
    }
  }
  EXPECT_GT(ordered_pairs, 10) << "too few same-case events to say anything about order";
  std::cout << "same-case, same-sender event pairs checked for order: " << ordered_pairs << "\n";
  // The events queued during the outage did reach their recipients.
  const std::string alert = IdOfRecord("UP2U-X-0231-01");
  const std::string missed = IdOfRecord("UP2U-S-0231-03");
  ASSERT_FALSE(alert.empty());
  ASSERT_FALSE(missed.empty());
  EXPECT_EQ(OutboxOf("probation").count(missed), 1u) << "the referrer missed a session report queued in the outage";
  EXPECT_EQ(OutboxOf("childrens_services").count(alert), 1u);

  ASSERT_NO_FATAL_FAILURE(StopBroker());
  const RunResult verify = VerifyAudit();
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  std::cout << "total " << absl::FormatDuration(absl::Now() - start) << "\n";
}

// Every adapter's documented sample export (docs/adapters.md, deploy/samples/)
// through the real accord-agent: the good files are taken in whole and
// published, the bad ones give a rejects file with a reason per row.
class AdapterSamplesTest : public E2eTest {};

TEST_F(AdapterSamplesTest, EverySampleGoesThroughTheRealAgent) {
  const absl::Time start = absl::Now();
  const std::string samples = ACCORD_SOURCE_DIR "/deploy/samples";
  std::map<std::string, int> good_events;  // export file -> events
  for (const std::string& agency : AdapterAgencies()) {
    // The perpetrator_programme samples are Up2U's; Drive's records are in
    // the lifecycle folder, which the policy tests play.
    if (agency == "drive") continue;
    const std::string profile = ProfileOf(agency);
    std::vector<std::string> good, bad;
    for (const auto& e : fs::directory_iterator(samples + "/" + profile)) {
      if (e.is_regular_file()) good.push_back(e.path().string());
    }
    if (fs::exists(samples + "/" + profile + "/bad")) {
      for (const auto& e : fs::directory_iterator(samples + "/" + profile + "/bad")) {
        if (e.is_regular_file()) bad.push_back(e.path().string());
      }
    }
    std::sort(good.begin(), good.end());
    std::sort(bad.begin(), bad.end());
    ASSERT_FALSE(good.empty()) << "no sample for " << profile;
    ASSERT_FALSE(bad.empty()) << "no bad sample for " << profile;
    // The MARAC bad sample mixes two good rows with the bad: its own test below.
    if (agency == "marac_coordinator") bad.clear();
    DropExports(agency, good);
    DropExports(agency, bad);
    const RunResult r = RunAgentOnce(agency);
    EXPECT_EQ(r.exit_code, 0) << profile << ":\n" << r.output;

    const AgentLog log = Log(agency);
    std::map<std::string, Accepted> accepted;
    for (const Accepted& a : log.accepted) accepted[a.file] = a;
    for (const std::string& f : good) {
      const std::string name = fs::path(f).filename().string();
      EXPECT_TRUE(fs::exists(Inbox(agency) + "/processed/" + name)) << profile << ": " << name;
      ASSERT_EQ(accepted.count(name), 1u) << profile << ": " << name << " was not accepted:\n" << r.output;
      EXPECT_GT(accepted[name].events, 0) << profile << ": " << name;
      EXPECT_EQ(accepted[name].rejected, 0) << profile << ": " << name << ":\n"
                                            << ReadFile(Inbox(agency) + "/rejects/" + name + ".rejects.txt");
      EXPECT_FALSE(fs::exists(Inbox(agency) + "/rejects/" + name + ".rejects.txt"));
      good_events[name] = accepted[name].events;
    }
    for (const std::string& f : bad) {
      const std::string name = fs::path(f).filename().string();
      EXPECT_TRUE(fs::exists(Inbox(agency) + "/processed/" + name)) << profile << ": " << name;
      ASSERT_EQ(accepted.count(name), 1u) << profile << ": " << name << " was not accepted:\n" << r.output;
      EXPECT_EQ(accepted[name].events, 0) << profile << ": a bad sample row became an event";
      EXPECT_GT(accepted[name].rejected, 0) << profile << ": " << name;
      const std::string rejects = ReadFile(Inbox(agency) + "/rejects/" + name + ".rejects.txt");
      ASSERT_FALSE(rejects.empty()) << profile << ": no rejects file for " << name;
      // One "NAME:LINE: reason" entry per rejected row, each with its reason.
      int entries = 0;
      for (absl::string_view line : absl::StrSplit(rejects, '\n')) {
        if (!absl::ConsumePrefix(&line, name + ":")) continue;
        const size_t colon = line.find(": ");
        int row = 0;
        if (colon == absl::string_view::npos || !absl::SimpleAtoi(line.substr(0, colon), &row)) continue;
        ++entries;
        // A CSV file's first line is its header row; JSON lines have none.
        EXPECT_GT(row, absl::EndsWith(name, ".csv") ? 1 : 0) << name << ": rejected line " << row;
        EXPECT_GT(line.size() - colon - 2, 10u) << name << ": rejection without a reason: " << line;
      }
      EXPECT_EQ(entries, accepted[name].rejected) << profile << ": " << name << ":\n" << rejects;
    }
  }
  // Every event of a good sample was published, once.
  std::map<std::string, int> published;
  for (const auto& [id, p] : AllPublished()) {
    ++published[fs::path(p.source.substr(0, p.source.rfind(':'))).filename().string()];
  }
  for (const auto& [file, n] : good_events) {
    EXPECT_EQ(published[file], n) << file << ": " << n << " events accepted, " << published[file] << " published";
  }
  // And what they carry reaches the partners as the policy says.
  ReceiveRounds([&] { return AllDelivered(); }, 6);
  CheckNothingQuarantinedOrRefused();
  CheckQueuesDrained();
  CheckForbiddenNeverReceived();
  CheckOutboxesMatchAudit();
  CheckOpenedWithinPolicy();
  std::cout << "samples: " << AllPublished().size() << " events published; "
            << absl::FormatDuration(absl::Now() - start) << "\n";
}

// `accord-agent --profile marac_coordinator` on the MARAC list export with
// bad rows: each bad row is refused in the rejects file with its line and
// reason, the two good rows are published through the broker and reach the
// members. The config names another profile: the flag decides.
TEST_F(AdapterSamplesTest, MaracCoordinatorAgentRefusesBadRowsByLineAndSendsTheGoodRows) {
  const std::string agency = "marac_coordinator";
  fs::create_directories(Inbox(agency));
  WriteFile(AgentDir(agency) + "/agent.yaml",
            absl::StrCat("agency: ", agency, "\nprofile: police\npartnership: ", Partnership(),
                         "\nbroker: ", address(), "\ninbox: inbox\noutbox: outbox\ndata: data\n"));
  const std::string name = "marac-list-bad.csv";
  DropExports(agency, {ACCORD_SOURCE_DIR "/deploy/samples/marac_coordinator/bad/" + name});
  const RunResult r = RunAgentOnce(agency, {"--profile", "marac_coordinator"});
  EXPECT_EQ(r.exit_code, 0) << r.output;

  const AgentLog log = Log(agency);
  ASSERT_EQ(log.accepted.size(), 1u) << r.output;
  EXPECT_EQ(log.accepted[0].file, name);
  EXPECT_EQ(log.accepted[0].events, 2);
  EXPECT_EQ(log.accepted[0].rejected, 10);
  EXPECT_TRUE(log.refused.empty()) << absl::StrJoin(log.refused, "\n");
  const std::string rejects = ReadFile(Inbox(agency) + "/rejects/" + name + ".rejects.txt");
  for (const char* entry :
       {"marac-list-bad.csv:3: threshold visible_high_risk needs a DASH score of 14 or more; dash_score is 9",
        "marac-list-bad.csv:5: repeat is required", "marac-list-bad.csv:7: owner_agency is required",
        "marac-list-bad.csv:8: due '14/03/2025' is not a real date written YYYY-MM-DD",
        "marac-list-bad.csv:12: destination is given but drive_candidate is not yes"}) {
    EXPECT_TRUE(absl::StrContains(rejects, entry)) << entry << "\n" << rejects;
  }
  int entries = 0;
  for (absl::string_view line : absl::StrSplit(rejects, '\n')) entries += absl::StartsWith(line, name + ":");
  EXPECT_EQ(entries, 10) << rejects;

  std::set<std::string> sources;
  for (const Published& p : log.published) {
    EXPECT_NE(p.broker_sequence, 0u) << p.source;
    sources.insert(p.source);
  }
  EXPECT_EQ(sources, (std::set<std::string>{name + ":2", name + ":13"}));
  // The listing and the action reach the members the example policy names.
  ReceiveRounds([&] { return OutboxOf("victim_services").size() >= 2; }, 4);
  int from_marac = 0;
  for (const auto& [id, e] : OutboxOf("victim_services")) from_marac += e.header.sender() == agency;
  EXPECT_EQ(from_marac, 2);
  CheckNothingQuarantinedOrRefused();
}

}  // namespace
}  // namespace accord::e2e
