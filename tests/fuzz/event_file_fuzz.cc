// An event written by hand for `accord send` (cli/event_file.h), read from
// disk with a fixed linkage key. A file that loads has a header and sections
// that serialize.
#include <cstddef>
#include <cstdint>

#include "cli/event_file.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace accord;
  static const crypto::SecretBytes* linkage = new crypto::SecretBytes(fuzz::LinkageKey());
  const std::string path = fuzz::WriteScratch("event.yaml", data, size);
  absl::StatusOr<cli::EventFile> event = cli::LoadEventFile(path, "police", *linkage);
  if (!event.ok()) return 0;
  if (event->header.sender() != "police") fuzz::Fail("the event file chose its sender");
  (void)event->header.SerializeAsString();
  return 0;
}
