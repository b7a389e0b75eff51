// The broker's configuration file (broker/config.h), read from disk as
// accord-broker reads it at start.
#include <cstddef>
#include <cstdint>

#include "broker/config.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = accord::fuzz::WriteScratch("broker.yaml", data, size);
  absl::StatusOr<accord::broker::BrokerConfig> config = accord::broker::LoadBrokerConfig(path);
  if (config.ok() && config->data_dir.empty()) accord::fuzz::Fail("a config without a data folder loaded");
  return 0;
}
