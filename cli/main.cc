// `accord`: the partnership's admin, practitioner and auditor tool.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace {

constexpr char kUsage[] =
    "usage: accord <group> <command> [options]\n"
    "\n"
    "  partnership init DIR --agencies a,b,...   create a partnership (keys, CA, directory)\n"
    "  demo seal-open DIR                        seal a sample event and open it as each agency\n"
    "  policy check|explain|test ...             work with an information-sharing policy\n"
    "  audit verify|who-saw|prove|check-proof    verify the audit log and answer who saw what\n"
    "  meeting pack --as AGENCY --meeting ID     pull, open and render this agency's meeting pack\n"
    "  send --as AGENCY EVENT.yaml               seal and publish one event\n"
    "  inbox DIR                                 list the events an agency has received\n"
    "  pseudonym --as AGENCY --family --given --dob   a subject's pseudonym (for who-saw)\n"
    "\n"
    "Run 'accord <group> --help' for the options of a group.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string group = argv[1];
  const std::vector<std::string> rest(argv + 2, argv + argc);
  if (group == "--help" || group == "-h" || group == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (group == "partnership") return accord::cli::RunPartnershipCommand(rest);
  if (group == "policy") return accord::cli::RunPolicyCommand(rest);
  if (group == "audit") return accord::cli::RunAuditCommand(rest);
  if (group == "demo") return accord::cli::RunDemoCommand(rest);
  if (group == "meeting") return accord::cli::RunMeetingCommand(rest);
  if (group == "send") return accord::cli::RunSendCommand(rest);
  if (group == "inbox") return accord::cli::RunInboxCommand(rest);
  if (group == "pseudonym") return accord::cli::RunPseudonymCommand(rest);
  std::fprintf(stderr, "accord: unknown group '%s'\n\n%s", group.c_str(), kUsage);
  return 2;
}
