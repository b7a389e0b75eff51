// Entry points of the `accord` command groups. Each returns the process exit
// code: 0 success, 1 the command ran and found a problem (failed test,
// verification failure), 2 bad usage or input.
#ifndef ACCORD_CLI_COMMANDS_H_
#define ACCORD_CLI_COMMANDS_H_

#include <string>
#include <vector>

namespace accord::cli {

int RunPartnershipCommand(const std::vector<std::string>& args);  // partnership_command.cc
int RunPolicyCommand(const std::vector<std::string>& args);       // policy_command.cc
int RunAuditCommand(const std::vector<std::string>& args);        // audit_command.cc
int RunDemoCommand(const std::vector<std::string>& args);         // demo_command.cc
int RunMeetingCommand(const std::vector<std::string>& args);      // meeting_command.cc
int RunSendCommand(const std::vector<std::string>& args);         // send_command.cc
int RunInboxCommand(const std::vector<std::string>& args);        // inbox_command.cc
int RunPseudonymCommand(const std::vector<std::string>& args);    // pseudonym_command.cc

}  // namespace accord::cli

#endif  // ACCORD_CLI_COMMANDS_H_
