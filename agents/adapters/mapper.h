// Per-agency export mappers (DESIGN.md §9, docs/adapters.md): turn one export
// file from an agency's case system into events ready to plan and seal.
// Names and dates of birth are turned into pseudonyms here and never leave
// the mapper; each malformed row becomes a Rejection, never a silent skip.
#ifndef ACCORD_AGENTS_ADAPTERS_MAPPER_H_
#define ACCORD_AGENTS_ADAPTERS_MAPPER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/v1/envelope.pb.h"
#include "crypto/envelope.h"
#include "crypto/secret_bytes.h"

namespace accord::agents {

// One row's event. header.sections names every section (name and content
// type, no digest yet: crypto::SealEvent fills the digests when sealing).
struct MappedEvent {
  v1::EventHeader header;
  std::vector<crypto::PlainSection> sections;
  std::string source;  // "incidents.csv:12": file name and line of the row
};

// A row that could not be mapped. `raw` is the row as it stands in the file
// (it may hold names: rejects stay on the agency's machine).
struct Rejection {
  std::string file;  // file name, without folders
  int line = 0;      // line on which the row starts (1-based)
  std::string reason;
  std::string raw;
};

struct MapResult {
  std::vector<MappedEvent> events;  // in file order
  std::vector<Rejection> rejects;   // in file order
};

struct MapContext {
  std::string agency;                      // sender: this agency's id
  const crypto::SecretBytes* linkage_key;  // partnership linkage key, 32 bytes
};

class Mapper {
 public:
  virtual ~Mapper() = default;

  // Maps every row of a .csv or .jsonl export. Error status (not rejects) when
  // the file cannot be read, is not .csv/.jsonl, its CSV header names an
  // unknown column or lacks a required one, or `ctx` is unusable.
  virtual absl::StatusOr<MapResult> MapFile(const std::string& path, const MapContext& ctx) const = 0;
};

// The mapper for one export profile: police, probation, childrens_services,
// victim_services, perpetrator_programme (the agencies up2u and drive both
// use it) or marac_coordinator. INVALID_ARGUMENT naming the valid profiles
// for anything else.
absl::StatusOr<std::unique_ptr<Mapper>> MakeMapper(const std::string& profile);

// The profile names MakeMapper accepts, in documentation order.
std::vector<std::string> MapperProfiles();

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_ADAPTERS_MAPPER_H_
