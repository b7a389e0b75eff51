#include "policy/internal/compiler.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "policy/evaluator.h"
#include "policy/names.h"
#include "policy/yaml_document.h"

namespace accord::policy::internal {

SourceLocation At(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return {m.line + 1, m.column + 1};
}

bool IsIdentifier(const std::string& s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

absl::Status Compiler::Error(const YAML::Node& n, const std::string& message) const {
  const SourceLocation at = At(n);
  return absl::InvalidArgumentError(absl::StrCat(source_, ":", at.line, ":", at.column, ": ", message));
}

absl::Status Compiler::Keys(const YAML::Node& map, const std::string& what,
                            const std::set<std::string>& allowed) const {
  if (!map.IsMap()) return Error(map, absl::StrCat(what, " must be a mapping"));
  for (const auto& kv : map) {
    const std::string key = kv.first.as<std::string>();
    if (allowed.count(key) == 0) {
      return Error(kv.first, absl::StrCat("unknown key '", key, "' in ", what, " (allowed: ",
                                          absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Compiler::Scalar(const YAML::Node& n, const std::string& what) const {
  if (!n.IsScalar()) return Error(n, absl::StrCat(what, " must be a single value"));
  return n.as<std::string>();
}

absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> Compiler::List(const YAML::Node& n,
                                                                                const std::string& what) const {
  std::vector<std::pair<std::string, YAML::Node>> out;
  if (n.IsScalar()) {
    out.emplace_back(n.as<std::string>(), n);
    return out;
  }
  if (!n.IsSequence()) return Error(n, absl::StrCat(what, " must be a list"));
  for (const YAML::Node& item : n) {
    if (!item.IsScalar()) return Error(item, absl::StrCat("each entry of ", what, " must be a single value"));
    out.emplace_back(item.as<std::string>(), item);
  }
  return out;
}

absl::Status Compiler::Unknown(const YAML::Node& n, const std::string& message, bool in_forbid) {
  if (in_forbid) return Error(n, absl::StrCat(message, " (a forbid rule must only name known things)"));
  Warn(n, message);
  return absl::OkStatus();
}

absl::StatusOr<Mask> AgenciesByIdAndKind(Context& ctx, const YAML::Node& map, const char* ids_key,
                                         const char* kinds_key, const std::string& what, bool in_forbid) {
  Mask m = 0;
  if (map[ids_key]) {
    absl::StatusOr<Mask> ids = AgencyMask(ctx, map[ids_key], absl::StrCat(what, " ", ids_key), in_forbid);
    if (!ids.ok()) return ids.status();
    m |= *ids;
  }
  if (map[kinds_key]) {
    absl::StatusOr<Mask> kinds = KindMask(ctx, map[kinds_key], absl::StrCat(what, " ", kinds_key), in_forbid);
    if (!kinds.ok()) return kinds.status();
    m |= *kinds;
  }
  return m;
}

absl::StatusOr<Mask> AgencyMask(Context& ctx, const YAML::Node& n, const std::string& what, bool in_forbid) {
  absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> items = ctx.c->List(n, what);
  if (!items.ok()) return items.status();
  Mask m = 0;
  for (const auto& [id, node] : *items) {
    const int i = ctx.policy->AgencyIndex(id);
    if (i < 0) {
      if (auto s = ctx.c->Unknown(node, absl::StrCat("unknown agency '", id, "' in ", what), in_forbid); !s.ok())
        return s;
      continue;
    }
    m |= Bit(i);
  }
  return m;
}

absl::StatusOr<Mask> KindMask(Context& ctx, const YAML::Node& n, const std::string& what, bool in_forbid) {
  absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> items = ctx.c->List(n, what);
  if (!items.ok()) return items.status();
  Mask m = 0;
  for (const auto& [name, node] : *items) {
    std::optional<v1::AgencyKind> kind = AgencyKindFromName(name);
    if (!kind) return ctx.c->Error(node, absl::StrCat("unknown agency kind '", name, "' in ", what));
    const Mask of_kind = ctx.policy->AgenciesOfKind(*kind);
    if (of_kind == 0) {
      if (auto s = ctx.c->Unknown(node, absl::StrCat("no agency of kind '", name, "' in this partnership (", what, ")"),
                                  in_forbid);
          !s.ok())
        return s;
    }
    m |= of_kind;
  }
  return m;
}

absl::StatusOr<SectionSet> Sections(Context& ctx, const YAML::Node& n, const std::string& what, bool in_forbid) {
  absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> items = ctx.c->List(n, what);
  if (!items.ok()) return items.status();
  SectionSet set;
  for (const auto& [name, node] : *items) {
    if (name == "all" && in_forbid) {
      set.any_role = kAll;
      continue;
    }
    const std::size_t at = name.find('@');
    const std::optional<SectionName> parsed = ParseSectionName(name);
    if (at != std::string::npos && !parsed) {
      return ctx.c->Error(node, absl::StrCat("section '", name, "' in ", what,
                                             " is not base@role with role victim, perpetrator, child or other"));
    }
    const int i = ctx.policy->SectionIndex(parsed ? parsed->base : std::string_view(name));
    if (i < 0) {
      if (auto s = ctx.c->Unknown(node, absl::StrCat("unknown section '", name, "' in ", what), in_forbid); !s.ok())
        return s;
      continue;
    }
    if (parsed && parsed->role != v1::SUBJECT_ROLE_UNSPECIFIED) {
      set.role[static_cast<std::size_t>(parsed->role)] |= Bit(i);
    } else {
      set.any_role |= Bit(i);
    }
  }
  return set;
}

absl::StatusOr<Mask> RoleMask(Context& ctx, const YAML::Node& n, const std::string& what) {
  absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> items = ctx.c->List(n, what);
  if (!items.ok()) return items.status();
  Mask m = 0;
  for (const auto& [name, node] : *items) {
    std::optional<v1::SubjectRole> role = SubjectRoleFromName(name);
    if (!role) {
      return ctx.c->Error(node, absl::StrCat("subject role '", name, "' in ", what,
                                             " is not victim, perpetrator, child or other"));
    }
    m |= Bit(static_cast<int>(*role));
  }
  return m;
}

absl::StatusOr<Mask> EventMask(Context& ctx, const YAML::Node& n, const std::string& what, bool in_forbid) {
  absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> items = ctx.c->List(n, what);
  if (!items.ok()) return items.status();
  Mask m = 0;
  for (const auto& [name, node] : *items) {
    std::optional<v1::EventKind> kind = EventKindFromName(name);
    if (!kind) {
      if (auto s = ctx.c->Unknown(node, absl::StrCat("unknown event kind '", name, "' in ", what), in_forbid);
          !s.ok())
        return s;
      continue;
    }
    m |= Bit(static_cast<int>(*kind));
  }
  return m;
}

absl::StatusOr<Mask> KnownEventMask(Context& ctx, const YAML::Node& n, const std::string& what,
                                    std::vector<std::string>* names) {
  absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> items = ctx.c->List(n, what);
  if (!items.ok()) return items.status();
  Mask m = 0;
  for (const auto& [name, node] : *items) {
    std::optional<v1::EventKind> kind = EventKindFromName(name);
    if (!kind) {
      return ctx.c->Error(node, absl::StrCat("unknown event kind '", name, "' in ", what, " (kinds: ",
                                             absl::StrJoin(EventKindNames(), ", "), ")"));
    }
    m |= Bit(static_cast<int>(*kind));
    if (names != nullptr) names->push_back(name);
  }
  return m;
}

std::string JoinOr(const std::vector<std::string>& parts) {
  if (parts.size() <= 1) return parts.empty() ? "" : parts[0];
  return absl::StrCat(absl::StrJoin(parts.begin(), parts.end() - 1, ", "), " or ", parts.back());
}

absl::StatusOr<Mask> FlagMask(Context& ctx, const YAML::Node& n, const std::string& what) {
  absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> items = ctx.c->List(n, what);
  if (!items.ok()) return items.status();
  Mask m = 0;
  for (const auto& [name, node] : *items) {
    std::optional<v1::Flag> flag = FlagFromName(name);
    if (!flag) return ctx.c->Error(node, absl::StrCat("unknown flag '", name, "' in ", what,
                                                      " (flags: ", absl::StrJoin(FlagNames(), ", "), ")"));
    m |= Bit(static_cast<int>(*flag));
  }
  return m;
}

absl::StatusOr<Targets> ParseTargets(Context& ctx, const YAML::Node& n, const std::string& what, bool in_forbid) {
  Targets t;
  if (auto s = ctx.c->Keys(n, what, {"agencies", "kinds", "relations", "destination"}); !s.ok()) return s;
  absl::StatusOr<Mask> agencies = AgenciesByIdAndKind(ctx, n, "agencies", "kinds", what, in_forbid);
  if (!agencies.ok()) return agencies.status();
  t.agencies = *agencies;
  if (n["relations"]) {
    absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> items = ctx.c->List(n["relations"], what);
    if (!items.ok()) return items.status();
    for (const auto& [rel, node] : *items) {
      if (!IsIdentifier(rel)) return ctx.c->Error(node, absl::StrCat("relation '", rel, "' is not an identifier"));
      t.relations.push_back(rel);
    }
  }
  if (n["destination"]) {
    absl::StatusOr<std::string> v = ctx.c->Scalar(n["destination"], "destination");
    if (!v.ok()) return v.status();
    if (*v != "true" && *v != "false") {
      return ctx.c->Error(n["destination"], absl::StrCat("destination in ", what, " must be true or false"));
    }
    t.destination = *v == "true";
  }
  return t;
}

absl::StatusOr<int> Int(Context& ctx, const YAML::Node& n, const std::string& what, int min, int max) {
  absl::StatusOr<std::int64_t> v = yaml::ReadInt64(n, ctx.c->source(), what, min, max);
  if (!v.ok()) return v.status();
  return static_cast<int>(*v);
}

absl::StatusOr<bool> Bool(Context& ctx, const YAML::Node& n, const std::string& what) {
  absl::StatusOr<std::string> v = ctx.c->Scalar(n, what);
  if (!v.ok()) return v.status();
  if (*v != "true" && *v != "false") return ctx.c->Error(n, absl::StrCat(what, " must be true or false"));
  return *v == "true";
}

absl::StatusOr<std::string> RuleId(Context& ctx, const YAML::Node& n, const std::string& what,
                                   std::set<std::string>* ids) {
  absl::StatusOr<std::string> id = ctx.c->Scalar(n, "id");
  if (!id.ok()) return id.status();
  if (!IsIdentifier(*id)) return ctx.c->Error(n, absl::StrCat(what, " id '", *id, "' must be a lower-case identifier"));
  if (*id == kDefaultDeny || *id == kOverrideRefused) {
    return ctx.c->Error(n, absl::StrCat("'", *id, "' is the name decisions give themselves; choose another id"));
  }
  if (!ids->insert(*id).second) return ctx.c->Error(n, absl::StrCat("duplicate rule id '", *id, "'"));
  return *id;
}

}  // namespace accord::policy::internal
