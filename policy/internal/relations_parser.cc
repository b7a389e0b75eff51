#include "policy/internal/relations_parser.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "policy/names.h"

namespace accord::policy::internal {
namespace {

// "the sender of a referral", "an agency of kind victim_services", "probation".
absl::Status ParseDeclaredBy(Context& ctx, const YAML::Node& n, const std::string& what, RelationSpec* r) {
  if (auto s = ctx.c->Keys(n, what, {"agencies", "kinds", "senders_of"}); !s.ok()) return s;
  std::vector<std::string> who;
  absl::StatusOr<Mask> agencies = AgenciesByIdAndKind(ctx, n, "agencies", "kinds", what, false);
  if (!agencies.ok()) return agencies.status();
  r->declarers = *agencies;
  if (n["agencies"]) {
    absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> ids = ctx.c->List(n["agencies"], what);
    if (!ids.ok()) return ids.status();
    for (const auto& [id, node] : *ids) {
      if (ctx.policy->AgencyIndex(id) >= 0) who.push_back(id);
    }
  }
  if (n["kinds"]) {
    absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> kinds = ctx.c->List(n["kinds"], what);
    if (!kinds.ok()) return kinds.status();
    for (const auto& [kind, node] : *kinds) who.push_back(absl::StrCat("an agency of kind ", kind));
  }
  if (n["senders_of"]) {
    std::vector<std::string> kinds;
    absl::StatusOr<Mask> m = KnownEventMask(ctx, n["senders_of"], what + " senders_of", &kinds);
    if (!m.ok()) return m.status();
    r->declaring_events = *m;
    for (const std::string& k : kinds) who.push_back(absl::StrCat("the sender of a ", k));
  }
  r->declarers_text = who.empty() ? "nobody" : JoinOr(who);
  return absl::OkStatus();
}

absl::StatusOr<Mask> EventsOf(Context& ctx, const YAML::Node& n, const std::string& what) {
  if (auto s = ctx.c->Keys(n, what, {"events"}); !s.ok()) return s;
  if (!n["events"]) return ctx.c->Error(n, absl::StrCat(what, " needs 'events'"));
  return KnownEventMask(ctx, n["events"], what + " events");
}

absl::StatusOr<RelationSpec> ParseSpec(Context& ctx, const YAML::Node& key, const YAML::Node& n,
                                       std::set<std::string>* ids) {
  RelationSpec r;
  r.name = key.as<std::string>();
  r.at = At(key);
  if (!IsIdentifier(r.name)) return ctx.c->Error(key, absl::StrCat("relation '", r.name, "' is not an identifier"));
  const std::string what = absl::StrCat("relation '", r.name, "'");
  if (auto s = ctx.c->Keys(n, what, {"id", "description", "declared_by", "self", "scope", "ends_on", "implied_by"});
      !s.ok())
    return s;
  if (!n["id"]) return ctx.c->Error(n, absl::StrCat(what, " is missing 'id' (it names the entry in decisions)"));
  absl::StatusOr<std::string> id = RuleId(ctx, n["id"], "relation", ids);
  if (!id.ok()) return id.status();
  r.id = *id;
  if (n["description"]) {
    absl::StatusOr<std::string> d = ctx.c->Scalar(n["description"], "description");
    if (!d.ok()) return d.status();
    r.description = *d;
  }
  r.declarers_text = "nobody";
  if (n["declared_by"]) {
    if (auto s = ParseDeclaredBy(ctx, n["declared_by"], what + " declared_by", &r); !s.ok()) return s;
  }
  if (n["self"]) {
    absl::StatusOr<bool> self = Bool(ctx, n["self"], what + " self");
    if (!self.ok()) return self.status();
    r.self = *self;
  }
  if (n["scope"]) {
    absl::StatusOr<std::string> scope = ctx.c->Scalar(n["scope"], "scope");
    if (!scope.ok()) return scope.status();
    if (*scope == "case") {
      r.scope = RelationScope::kCase;
    } else if (*scope == "perpetrator") {
      r.scope = RelationScope::kPerpetrator;
    } else {
      return ctx.c->Error(n["scope"], absl::StrCat("scope '", *scope, "' of ", what, " is not case or perpetrator"));
    }
  }
  if (n["ends_on"]) {
    absl::StatusOr<Mask> m = EventsOf(ctx, n["ends_on"], what + " ends_on");
    if (!m.ok()) return m.status();
    r.ends_on = *m;
  }
  if (n["implied_by"]) {
    absl::StatusOr<Mask> m = EventsOf(ctx, n["implied_by"], what + " implied_by");
    if (!m.ok()) return m.status();
    r.implied_by = *m;
  }
  return r;
}

}  // namespace

absl::Status ParseRelations(Context& ctx, const YAML::Node& section, std::set<std::string>* ids) {
  Relations relations;
  if (section) {
    if (!section.IsMap()) {
      return ctx.c->Error(section, "'relations' must map each relation name to {id, declared_by, scope, ...}");
    }
    relations.present = true;
    relations.at = At(section);
    for (const auto& kv : section) {
      absl::StatusOr<RelationSpec> r = ParseSpec(ctx, kv.first, kv.second, ids);
      if (!r.ok()) return r.status();
      relations.specs.push_back(*std::move(r));
    }
  }
  PolicyBuilder(ctx.policy).SetRelations(std::move(relations));
  return absl::OkStatus();
}

}  // namespace accord::policy::internal
