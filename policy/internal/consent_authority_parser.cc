#include "policy/internal/consent_authority_parser.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "policy/names.h"

namespace accord::policy::internal {
namespace {

absl::StatusOr<std::set<std::string>> Purposes(Context& ctx, const YAML::Node& n, const std::string& what) {
  absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> items = ctx.c->List(n, what);
  if (!items.ok()) return items.status();
  std::set<std::string> out;
  for (const auto& [purpose, node] : *items) {
    if (!IsIdentifier(purpose)) {
      return ctx.c->Error(node, absl::StrCat("purpose '", purpose, "' in ", what, " must be an identifier"));
    }
    out.insert(purpose);
  }
  return out;
}

absl::StatusOr<ConsentAuthorityRule> ParseEntry(Context& ctx, const YAML::Node& n, ConsentAction action,
                                                std::set<std::string>* ids) {
  const bool record = action == ConsentAction::kRecord;
  const char* list = record ? "consent_authority.record" : "consent_authority.read";
  std::set<std::string> keys = {"id", "description", "effect", "agencies", "kinds", "purposes"};
  if (record) keys.insert("subjects");
  if (auto s = ctx.c->Keys(n, absl::StrCat("an entry of ", list), keys); !s.ok()) return s;
  for (const char* key : {"id", "effect"}) {
    if (!n[key]) return ctx.c->Error(n, absl::StrCat("an entry of ", list, " is missing '", key, "'"));
  }
  ConsentAuthorityRule r;
  r.action = action;
  r.at = At(n);
  absl::StatusOr<std::string> id = RuleId(ctx, n["id"], "consent authority", ids);
  if (!id.ok()) return id.status();
  r.id = *id;
  const std::string what = absl::StrCat(list, " '", r.id, "'");
  if (n["description"]) {
    absl::StatusOr<std::string> d = ctx.c->Scalar(n["description"], "description");
    if (!d.ok()) return d.status();
    r.description = *d;
  }
  absl::StatusOr<std::string> effect = ctx.c->Scalar(n["effect"], "effect");
  if (!effect.ok()) return effect.status();
  if (*effect == "permit") {
    r.effect = Effect::kPermit;
  } else if (*effect == "forbid") {
    r.effect = Effect::kForbid;
  } else {
    return ctx.c->Error(n["effect"], absl::StrCat("effect '", *effect, "' of ", what, " is not permit or forbid"));
  }
  const bool forbid = r.effect == Effect::kForbid;
  if (!n["agencies"] && !n["kinds"]) {
    return ctx.c->Error(n, absl::StrCat(what, " must name the agencies it is about ('agencies' or 'kinds')"));
  }
  absl::StatusOr<Mask> agencies = AgenciesByIdAndKind(ctx, n, "agencies", "kinds", what, forbid);
  if (!agencies.ok()) return agencies.status();
  r.agencies |= *agencies;
  // A permit names exactly what it allows; a forbid without a list forbids all.
  if (n["purposes"]) {
    absl::StatusOr<std::set<std::string>> p = Purposes(ctx, n["purposes"], what + " purposes");
    if (!p.ok()) return p.status();
    if (p->empty()) return ctx.c->Error(n["purposes"], absl::StrCat(what, " names no purpose"));
    r.purposes = *std::move(p);
  } else if (!forbid) {
    return ctx.c->Error(n, absl::StrCat("permit ", what, " must list its 'purposes'"));
  }
  if (n["subjects"]) {
    absl::StatusOr<Mask> m = RoleMask(ctx, n["subjects"], what + " subjects");
    if (!m.ok()) return m.status();
    if (*m == 0) return ctx.c->Error(n["subjects"], absl::StrCat(what, " names no subject role"));
    r.subject_roles = *m;
  } else if (record && !forbid) {
    return ctx.c->Error(n, absl::StrCat("permit ", what,
                                        " must list the 'subjects' (victim, perpetrator, child, other) whose "
                                        "consent it may record"));
  }
  return r;
}

}  // namespace

absl::Status ParseConsentAuthority(Context& ctx, const YAML::Node& section, std::set<std::string>* ids) {
  ConsentAuthority authority;
  if (!section) {
    PolicyBuilder(ctx.policy).SetConsentAuthority(std::move(authority));
    return absl::OkStatus();
  }
  if (auto s = ctx.c->Keys(section, "consent_authority", {"record", "read", "purposes_without_rules"}); !s.ok()) {
    return s;
  }
  authority.present = true;
  authority.at = At(section);
  for (auto [key, action] : {std::pair{"record", ConsentAction::kRecord}, std::pair{"read", ConsentAction::kRead}}) {
    const YAML::Node list = section[key];
    if (!list) continue;
    if (!list.IsSequence()) return ctx.c->Error(list, absl::StrCat("consent_authority.", key, " must be a list"));
    for (const YAML::Node& entry : list) {
      absl::StatusOr<ConsentAuthorityRule> r = ParseEntry(ctx, entry, action, ids);
      if (!r.ok()) return r.status();
      authority.rules.push_back(*std::move(r));
    }
  }
  if (const YAML::Node unused = section["purposes_without_rules"]) {
    absl::StatusOr<std::set<std::string>> p = Purposes(ctx, unused, "consent_authority.purposes_without_rules");
    if (!p.ok()) return p.status();
    authority.purposes_without_rules = *std::move(p);
  }
  PolicyBuilder(ctx.policy).SetConsentAuthority(std::move(authority));
  return absl::OkStatus();
}

}  // namespace accord::policy::internal
