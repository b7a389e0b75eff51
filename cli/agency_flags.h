// The flags every practitioner command uses to act as one agency, and the
// connection they lead to.
#ifndef ACCORD_CLI_AGENCY_FLAGS_H_
#define ACCORD_CLI_AGENCY_FLAGS_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "agents/sdk/agency_client.h"
#include "cli/args.h"

namespace accord::cli {

// --as, --partnership, --broker.
std::vector<FlagSpec> AgencyFlags();

// A client for --as, with a directory fetched and verified.
absl::StatusOr<std::unique_ptr<agents::AgencyClient>> ConnectAgency(const Args& args);

}  // namespace accord::cli

#endif  // ACCORD_CLI_AGENCY_FLAGS_H_
