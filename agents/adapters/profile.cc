#include "agents/adapters/profile.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "crypto/pseudonym.h"

namespace accord::agents {
namespace {

absl::Status CheckContext(const MapContext& ctx) {
  if (ctx.linkage_key == nullptr || ctx.linkage_key->size() != crypto::kLinkageKeyBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("mapping needs the partnership linkage key (", crypto::kLinkageKeyBytes, " bytes)"));
  }
  const bool ok = !ctx.agency.empty() &&
                  ctx.agency.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("agency id '", ctx.agency, "' is not valid"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MappedEvent> ProfileMapper::MapRow(const Row& row, const MapContext& ctx) const {
  if (!row.error.empty()) return absl::InvalidArgumentError(row.error);
  auto type = row.fields.find("record_type");
  if (type == row.fields.end()) return absl::InvalidArgumentError("record_type is required");
  std::vector<std::string> known;
  for (const auto& [name, mapper] : profile_.record_types) {
    if (name == type->second) return mapper(row, ctx);
    known.push_back(name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("record_type '", type->second, "' is not one of: ", absl::StrJoin(known, ", ")));
}

absl::StatusOr<MapResult> ProfileMapper::MapFile(const std::string& path, const MapContext& ctx) const {
  if (auto s = CheckContext(ctx); !s.ok()) return s;
  absl::StatusOr<std::vector<Row>> rows = ReadExport(path, profile_.schema);
  if (!rows.ok()) return rows.status();
  MapResult result;
  std::map<std::string, int> first_line;  // record_id -> line of the row that used it
  for (const Row& row : *rows) {
    absl::StatusOr<MappedEvent> event = MapRow(row, ctx);
    if (event.ok()) {
      const std::string& id = row.fields.at("record_id");
      auto [it, fresh] = first_line.emplace(id, row.line);
      if (!fresh) {
        event = absl::InvalidArgumentError(
            absl::StrCat("record_id '", id, "' was already used on line ", it->second));
      }
    }
    if (event.ok()) {
      result.events.push_back(*std::move(event));
    } else {
      result.rejects.push_back(Rejection{row.file, row.line, std::string(event.status().message()), row.raw});
    }
  }
  return result;
}

}  // namespace accord::agents
