// Placeholder until the 'policy' command group lands; replaced by its issue.
#include <cstdio>
#include "cli/commands.h"
namespace accord::cli {
int RunPolicyCommand(const std::vector<std::string>&) {
  std::fputs("accord policy: not built yet in this version\n", stderr);
  return 2;
}
}  // namespace accord::cli
