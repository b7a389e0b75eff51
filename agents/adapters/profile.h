// An export profile: the columns an agency's export has and, for each value
// of its record_type column, the function that maps such a row. ProfileMapper
// runs a profile over a file: every row becomes an event or a rejection.
#ifndef ACCORD_AGENTS_ADAPTERS_PROFILE_H_
#define ACCORD_AGENTS_ADAPTERS_PROFILE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "agents/adapters/export_file.h"
#include "agents/adapters/mapper.h"
#include "agents/adapters/row.h"

namespace accord::agents {

// Maps one well-formed row; an error status becomes the row's rejection.
using RowMapper = absl::StatusOr<MappedEvent> (*)(const Row& row, const MapContext& ctx);

struct Profile {
  std::string name;
  Schema schema;
  std::vector<std::pair<std::string, RowMapper>> record_types;  // record_type value -> mapper
};

Profile PoliceProfile();
Profile ProbationProfile();
Profile ChildrensServicesProfile();
Profile VictimServicesProfile();
Profile PerpetratorProgrammeProfile();
Profile MaracCoordinatorProfile();

class ProfileMapper : public Mapper {
 public:
  explicit ProfileMapper(Profile profile) : profile_(std::move(profile)) {}

  // Also rejects a row whose record_id repeats an earlier row's in the file.
  absl::StatusOr<MapResult> MapFile(const std::string& path, const MapContext& ctx) const override;

 private:
  absl::StatusOr<MappedEvent> MapRow(const Row& row, const MapContext& ctx) const;

  Profile profile_;
};

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_ADAPTERS_PROFILE_H_
