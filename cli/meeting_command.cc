// accord meeting pack --as AGENCY --meeting ID --partnership DIR --broker ADDR [--out DIR]
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agents/meeting/pack_view.h"
#include "agents/sdk/agency_client.h"
#include "agents/sdk/inbox_writer.h"
#include "cli/agency_flags.h"
#include "cli/commands.h"

namespace accord::cli {
namespace {

const std::vector<FlagSpec> kFlags = [] {
  std::vector<FlagSpec> flags = AgencyFlags();
  flags.push_back({"meeting", true, "meeting id, e.g. daily-discussion"});
  flags.push_back({"out", true, "folder for the HTML and Markdown pack (default ./packs)"});
  return flags;
}();

constexpr char kUsage[] =
    "usage: accord meeting pack --as AGENCY --meeting ID [options]\n\n"
    "Pulls your agency's pack for the meeting (cases with new events since your\n"
    "last pack, highest priority first), verifies and opens every event you may\n"
    "see, and writes it as printable HTML and Markdown.\n\n";

absl::Time FromProto(const google::protobuf::Timestamp& t) { return absl::FromUnixSeconds(t.seconds()); }

int Pack(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, kFlags);
  if (!args.ok() || args->help() || !args->Has("as") || !args->Has("meeting")) {
    if (!args.ok()) std::cerr << "accord meeting pack: " << args.status().message() << "\n";
    (args.ok() && args->help() ? std::cout : std::cerr) << kUsage << FlagHelp(kFlags);
    return args.ok() && args->help() ? 0 : 2;
  }
  const std::string agency = *args->Get("as");
  absl::StatusOr<std::unique_ptr<agents::AgencyClient>> client = ConnectAgency(*args);
  if (!client.ok()) {
    std::cerr << "accord meeting pack: " << client.status().message() << "\n";
    return 1;
  }
  auto stub = v1::MeetingService::NewStub((*client)->channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::PullPackRequest request;
  request.set_meeting_id(*args->Get("meeting"));
  v1::MeetingPack pack;
  if (auto s = agents::FromGrpc(stub->PullPack(&ctx, request, &pack), "PullPack"); !s.ok()) {
    std::cerr << "accord meeting pack: " << s.message() << "\n";
    return 1;
  }
  agents::PackView view;
  view.meeting_id = pack.meeting_id();
  view.agency = agency;
  view.since = FromProto(pack.since());
  view.until = FromProto(pack.until());
  int events = 0, failed = 0;
  for (const v1::PackCase& c : pack.cases()) {
    agents::PackCaseView cv{c.case_ref(), c.risk_level(), c.priority_score(), c.score_explanation(), {}};
    for (const v1::Delivery& d : c.deliveries()) {
      ++events;
      if (d.has_notice()) {
        absl::StatusOr<v1::NoticeBody> notice = (*client)->VerifyNotice(d.notice());
        if (notice.ok()) {
          cv.events.push_back(agents::NoticePackEvent(*notice));
        } else {
          ++failed;
          agents::PackEvent bad;
          bad.error = notice.status();
          cv.events.push_back(std::move(bad));
        }
        continue;
      }
      absl::StatusOr<crypto::OpenedEvent> opened = (*client)->Open(d);
      if (opened.ok()) {
        cv.events.push_back(agents::ToPackEvent(d, *opened));
      } else {
        ++failed;
        agents::PackEvent bad;
        bad.header.ParseFromString(d.envelope().header());
        bad.error = opened.status();
        cv.events.push_back(std::move(bad));
      }
    }
    view.cases.push_back(std::move(cv));
  }
  const std::string out_dir = args->GetOr("out", "packs");
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  const std::string base = absl::StrCat(out_dir, "/", view.meeting_id, "-", agency, "-",
                                        absl::FormatTime("%Y%m%d-%H%M%S", view.until, absl::UTCTimeZone()));
  if (auto s = agents::WriteFileDurably(base + ".html", agents::RenderHtml(view)); !s.ok()) {
    std::cerr << "accord meeting pack: " << s.message() << "\n";
    return 1;
  }
  if (auto s = agents::WriteFileDurably(base + ".md", agents::RenderMarkdown(view)); !s.ok()) {
    std::cerr << "accord meeting pack: " << s.message() << "\n";
    return 1;
  }
  std::cout << "Meeting pack '" << view.meeting_id << "' for " << agency << ": "
            << view.cases.size() << " case(s), " << events << " event(s)"
            << (failed ? absl::StrCat(", ", failed, " FAILED verification") : "") << "\n";
  for (const agents::PackCaseView& c : view.cases) {
    std::cout << "  " << c.case_ref << "  risk " << agents::RiskLabel(c.risk_level) << "  score "
              << c.priority_score << "  (" << c.events.size() << " new)\n";
  }
  std::cout << "  written: " << base << ".html and .md\n";
  return failed ? 1 : 0;
}

}  // namespace

int RunMeetingCommand(const std::vector<std::string>& argv) {
  if (!argv.empty() && argv[0] == "pack") return Pack({argv.begin() + 1, argv.end()});
  const bool help = !argv.empty() && (argv[0] == "--help" || argv[0] == "-h");
  (help ? std::cout : std::cerr) << kUsage << FlagHelp(kFlags);
  return help ? 0 : 2;
}

}  // namespace accord::cli
