#include "tests/fuzz/export_target.h"

#include <vector>

#include "agents/adapters/export_file.h"
#include "agents/adapters/profile.h"
#include "crypto/secret_bytes.h"

namespace accord::fuzz {

void ReadAndMapExport(const std::string& name, const uint8_t* data, size_t size) {
  static const crypto::SecretBytes* linkage = new crypto::SecretBytes(LinkageKey());
  static const std::vector<agents::Profile>* profiles = new std::vector<agents::Profile>{
      agents::PoliceProfile(), agents::ProbationProfile(), agents::ChildrensServicesProfile(),
      agents::VictimServicesProfile(), agents::PerpetratorProgrammeProfile(), agents::MaracCoordinatorProfile()};
  const std::string path = WriteScratch(name, data, size);
  // A CSV header names one profile's columns, so the others stop at it. JSON
  // lines have no header: every profile would read the whole file, so one
  // profile, picked by the size, reads each input.
  const bool csv = name.size() >= 4 && name.compare(name.size() - 4, 4, ".csv") == 0;
  for (size_t i = 0; i < profiles->size(); ++i) {
    if (!csv && i != size % profiles->size()) continue;
    const agents::Profile& profile = (*profiles)[i];
    absl::StatusOr<std::vector<agents::Row>> rows = agents::ReadExport(path, profile.schema);
    if (!rows.ok()) continue;
    const agents::ProfileMapper mapper(profile);
    const agents::MapContext ctx{profile.name, linkage};
    (void)mapper.MapFile(path, ctx);
  }
}

}  // namespace accord::fuzz
