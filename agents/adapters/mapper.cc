#include "agents/adapters/mapper.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agents/adapters/profile.h"

namespace accord::agents {

std::vector<std::string> MapperProfiles() {
  return {"police", "probation", "childrens_services", "victim_services", "perpetrator_programme",
          "marac_coordinator"};
}

absl::StatusOr<std::unique_ptr<Mapper>> MakeMapper(const std::string& profile) {
  Profile p;
  if (profile == "police") {
    p = PoliceProfile();
  } else if (profile == "probation") {
    p = ProbationProfile();
  } else if (profile == "childrens_services") {
    p = ChildrensServicesProfile();
  } else if (profile == "victim_services") {
    p = VictimServicesProfile();
  } else if (profile == "perpetrator_programme") {
    p = PerpetratorProgrammeProfile();
  } else if (profile == "marac_coordinator") {
    p = MaracCoordinatorProfile();
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown adapter profile '", profile, "'; valid profiles: ", absl::StrJoin(MapperProfiles(), ", ")));
  }
  return std::make_unique<ProfileMapper>(std::move(p));
}

}  // namespace accord::agents
