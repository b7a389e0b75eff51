// An event written by hand as YAML, for `accord send` (format in docs/adapters.md
// §Sending one event). Names and dates of birth are turned into pseudonyms here,
// on the sender's machine; they never leave it.
#ifndef ACCORD_CLI_EVENT_FILE_H_
#define ACCORD_CLI_EVENT_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/v1/envelope.pb.h"
#include "crypto/envelope.h"
#include "crypto/secret_bytes.h"

namespace accord::cli {

struct EventFile {
  v1::EventHeader header;
  std::vector<crypto::PlainSection> sections;
};

absl::StatusOr<EventFile> LoadEventFile(const std::string& path, const std::string& sender,
                                        const crypto::SecretBytes& linkage_key);

}  // namespace accord::cli

#endif  // ACCORD_CLI_EVENT_FILE_H_
