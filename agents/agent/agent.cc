#include "agents/agent/agent.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "agents/sdk/receiver.h"
#include "crypto/hash.h"

namespace accord::agents {
namespace {

namespace fs = std::filesystem;

std::string KindName(v1::EventKind kind) {
  std::string name = v1::EventKind_Name(kind);
  const std::string prefix = "EVENT_KIND_";
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

// "\n    -> probation: summary, risk\n    x  perpetrator_programme: victim_contact (rule)".
std::string PlanSummary(const v1::SharePlan& plan) {
  std::string out;
  for (const v1::RecipientPlan& r : plan.recipients()) {
    std::vector<std::string> sections;
    for (const v1::SectionGrant& g : r.decision().grants()) sections.push_back(g.section());
    absl::StrAppend(&out, "\n    -> ", r.decision().recipient(), ": ",
                    r.decision().notification_only() ? "told it exists, no sections"
                                                     : absl::StrJoin(sections, ", "),
                    r.decision().via_override() ? "  [safeguarding override]" : "");
  }
  std::map<std::string, std::vector<std::string>> refused;
  for (const v1::Withholding& w : plan.withheld()) {
    refused[w.recipient()].push_back(absl::StrCat(w.section().empty() ? "everything" : w.section(),
                                                  w.rule_id() == "default-deny" ? "" : absl::StrCat(" (", w.rule_id(), ")")));
  }
  for (const auto& [agency, what] : refused) {
    absl::StrAppend(&out, "\n    x  ", agency, ": ", absl::StrJoin(what, ", "));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Agent>> Agent::Create(const AgentConfig& config,
                                                     std::ostream* log) {
  std::unique_ptr<Agent> agent(new Agent(config, log));
  absl::StatusOr<std::unique_ptr<Mapper>> mapper = MakeMapper(config.profile);
  if (!mapper.ok()) return mapper.status();
  agent->mapper_ = *std::move(mapper);
  std::error_code ec;
  for (const std::string& dir :
       {config.inbox_dir, config.inbox_dir + "/processed", config.inbox_dir + "/rejects",
        config.data_dir}) {
    fs::create_directories(dir, ec);
    if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  }
  absl::StatusOr<std::unique_ptr<AgencyClient>> client = AgencyClient::Create(
      AgentIdentity{config.partnership_dir, config.agency, config.broker_address});
  if (!client.ok()) return client.status();
  agent->client_ = *std::move(client);
  absl::StatusOr<std::unique_ptr<Outbox>> outbox = Outbox::Open(config.data_dir + "/send-queue");
  if (!outbox.ok()) return outbox.status();
  agent->outbox_ = *std::move(outbox);
  agent->writer_ = std::make_unique<InboxWriter>(config.outbox_dir);
  if (auto s = agent->writer_->Init(); !s.ok()) return s;
  agent->publisher_ = std::make_unique<Publisher>(agent->client_.get(), agent->outbox_.get());
  return agent;
}

void Agent::Log(const std::string& line) {
  absl::MutexLock lock(&log_mu_);
  *log_ << "[" << config_.agency << "] " << line << std::endl;
}

absl::Status Agent::IngestFile(const std::string& path) {
  MapContext ctx{config_.agency, &client_->linkage_key()};
  absl::StatusOr<MapResult> result = mapper_->MapFile(path, ctx);
  if (!result.ok()) {
    // The whole file is unusable (unknown columns, unreadable, too large):
    // set it aside with the reason, so later exports are not held up behind it.
    const std::string name = fs::path(path).filename().string();
    const std::string why = absl::StrCat(name, ": the whole file was refused: ", result.status().message(), "\n");
    if (auto s = WriteFileDurably(absl::StrCat(config_.inbox_dir, "/rejects/", name, ".rejects.txt"), why);
        !s.ok()) {
      return s;
    }
    std::error_code ec;
    fs::rename(path, absl::StrCat(config_.inbox_dir, "/rejects/", name), ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot move ", path, ": ", ec.message()));
    Log(absl::StrCat("REFUSED export ", name, ": ", result.status().message(), " -> inbox/rejects/", name));
    return absl::OkStatus();
  }
  std::vector<OutgoingEvent> events;
  for (MappedEvent& e : result->events) {
    events.push_back(OutgoingEvent{std::move(e.header), std::move(e.sections), e.source});
  }
  absl::StatusOr<int> added = outbox_->AddAll(events);
  if (!added.ok()) return added.status();
  const std::string name = fs::path(path).filename().string();
  if (!result->rejects.empty()) {
    std::string text;
    for (const Rejection& r : result->rejects) {
      absl::StrAppend(&text, r.file, ":", r.line, ": ", r.reason, "\n    ", r.raw, "\n");
    }
    const std::string rejects = absl::StrCat(config_.inbox_dir, "/rejects/", name, ".rejects.txt");
    if (auto s = WriteFileDurably(rejects, text); !s.ok()) return s;
  }
  // Only now, with every event durably queued, is the export done with.
  std::error_code ec;
  fs::rename(path, absl::StrCat(config_.inbox_dir, "/processed/", name), ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot move ", path, ": ", ec.message()));
  Log(absl::StrCat("accepted export ", name, ": ", events.size(), " events (", *added,
                   " new), ", result->rejects.size(), " rows rejected",
                   result->rejects.empty() ? "" : absl::StrCat(" -> inbox/rejects/", name, ".rejects.txt")));
  return absl::OkStatus();
}

absl::Status Agent::Ingest() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(config_.inbox_dir, ec)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    if (ext == ".csv" || ext == ".jsonl") files.push_back(entry.path().string());
  }
  if (ec) return absl::UnavailableError(absl::StrCat("cannot list ", config_.inbox_dir));
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) {
    if (auto s = IngestFile(f); !s.ok()) {
      Log(absl::StrCat("cannot ingest ", f, ": ", s.message()));
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status Agent::Publish(const std::function<bool()>& keep_going) {
  bool warned = false;
  auto keep = [&]() {
    if (!warned) {
      Log("broker unreachable; exports stay queued and will be retried");
      warned = true;
    }
    return keep_going();
  };
  return publisher_->Drain(keep, [this](const PublishOutcome& o) {
    if (o.accepted) {
      std::string line = absl::StrCat("published ", o.event_id, " (", o.source, "): broker sequence ",
                                      o.receipt.sequence(), ", audit leaf ", o.receipt.audit_leaf_index(),
                                      o.receipt.duplicate() ? " (already had it)" : "");
      if (o.plan.has_value()) absl::StrAppend(&line, PlanSummary(*o.plan));
      Log(line);
    } else {
      // Reported where a person looks for what did not go out, as the inbox
      // rejects are; the outbox keeps the refusal too.
      std::string name = InboxWriter::FileNameFor(o.event_id);  // a safe, distinct file name
      name = absl::StrCat(name.substr(0, name.size() - 5), ".refused.txt");
      const std::string file = absl::StrCat(config_.inbox_dir, "/rejects/", name);
      const std::string text = absl::StrCat(
          o.event_id, " (from ", o.source, ") was refused by the broker and set aside; it will not be sent again.\n",
          "code: ", absl::StatusCodeToString(o.error.code()), "\n", "reason: ", o.error.message(), "\n",
          "at: ", absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()), "\n",
          "Fix the cause, then export the record again under a new record id.\n");
      const absl::Status written = WriteFileDurably(file, text);
      Log(absl::StrCat("REFUSED ", o.event_id, " (", o.source, "): ", o.error.ToString(),
                       written.ok() ? absl::StrCat(" -> inbox/rejects/", name)
                                    : absl::StrCat(" (cannot write ", file, ": ", written.message(), ")")));
    }
  });
}

void Agent::CancelReceive() {
  absl::MutexLock lock(&receive_mu_);
  if (receive_ctx_ != nullptr) receive_ctx_->TryCancel();
}

absl::Status Agent::ReceiveUntilIdle(absl::Duration idle, const std::atomic<bool>* stop) {
  if (auto s = client_->RefreshDirectory(absl::Seconds(10)); !s.ok()) return s;
  grpc::ClientContext ctx;
  {
    absl::MutexLock lock(&receive_mu_);
    receive_ctx_ = &ctx;
  }
  std::atomic<int64_t> last_activity{absl::ToUnixMillis(absl::Now())};
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    while (!done.load()) {
      absl::SleepFor(absl::Milliseconds(50));
      const bool quiet = absl::Now() - absl::FromUnixMillis(last_activity.load()) > idle;
      if ((stop != nullptr && stop->load()) || (idle > absl::ZeroDuration() && quiet)) {
        ctx.TryCancel();
        return;
      }
    }
  });
  Receiver receiver(client_.get(), writer_.get());
  absl::Status s = receiver.Run(&ctx, [&](const ReceivedEvent& e) {
    last_activity.store(absl::ToUnixMillis(absl::Now()));
    if (!e.rejected.ok()) {
      Log(absl::StrCat("QUARANTINED delivery ", e.queue_sequence, ": ", e.rejected.ToString()));
      return;
    }
    if (e.notice) {
      Log(absl::StrCat("received broker notice ", e.event_id, " (", KindName(e.kind), "): ", e.notice_reason,
                       e.duplicate ? " [redelivery, already stored]" : ""));
      return;
    }
    Log(absl::StrCat("received ", e.event_id, " (", KindName(e.kind), ") from ", e.sender,
                     e.duplicate ? " [redelivery, already stored]" : "", ": opened [",
                     absl::StrJoin(e.opened, ", "), "]",
                     e.withheld.empty() ? "" : absl::StrCat(", withheld [", absl::StrJoin(e.withheld, ", "), "]")));
  });
  done.store(true);
  watchdog.join();
  {
    absl::MutexLock lock(&receive_mu_);
    receive_ctx_ = nullptr;
  }
  if (s.code() == absl::StatusCode::kCancelled) return absl::OkStatus();
  return s;
}

void Agent::Run(const std::atomic<bool>* stop) {
  std::thread receive_loop([&] {
    absl::Duration backoff = absl::Milliseconds(200);
    while (!stop->load()) {
      absl::Status s = ReceiveUntilIdle(absl::ZeroDuration(), stop);
      if (stop->load()) break;
      if (!s.ok()) Log(absl::StrCat("receive stream ended: ", s.message(), "; reconnecting"));
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, absl::Seconds(10));
      if (s.ok()) backoff = absl::Milliseconds(200);
    }
  });
  while (!stop->load()) {
    if (auto s = Ingest(); !s.ok()) Log(absl::StrCat("ingest failed: ", s.message()));
    absl::Status p = Publish([stop] { return !stop->load(); });
    if (!p.ok() && !stop->load()) Log(absl::StrCat("publish paused: ", p.message()));
    absl::SleepFor(config_.poll_interval);
  }
  CancelReceive();
  receive_loop.join();
}

}  // namespace accord::agents
