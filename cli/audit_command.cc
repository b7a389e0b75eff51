// Placeholder until the 'audit' command group lands; replaced by its issue.
#include <cstdio>
#include "cli/commands.h"
namespace accord::cli {
int RunAuditCommand(const std::vector<std::string>&) {
  std::fputs("accord audit: not built yet in this version\n", stderr);
  return 2;
}
}  // namespace accord::cli
