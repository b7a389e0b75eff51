#include "policy/loader.h"

#include <map>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "crypto/hash.h"
#include "policy/internal/compiler.h"
#include "policy/internal/consent_authority_parser.h"
#include "policy/internal/lifecycle_parser.h"
#include "policy/internal/relations_parser.h"
#include "policy/internal/matching.h"
#include "policy/names.h"
#include "policy/special_category.h"
#include "policy/yaml_document.h"
#include "yaml-cpp/yaml.h"

namespace accord::policy {
namespace {

using internal::AgencyMask;
using internal::At;
using internal::Compiler;
using internal::Context;
using internal::EventMask;
using internal::FlagMask;
using internal::IsIdentifier;
using internal::ParseTargets;
using internal::Sections;

absl::StatusOr<Condition> ParseWhen(Context& ctx, const YAML::Node& n, const std::string& rule, bool in_forbid) {
  Condition when;
  if (!n) return when;
  const std::string what = absl::StrCat("'when' of rule '", rule, "'");
  if (auto s = ctx.c->Keys(n, what, {"senders", "sender_kinds", "events", "min_risk", "flags_all", "flags_any", "about",
                                     "destinations", "destination_kinds", "min_case_risk", "perpetrator"});
      !s.ok())
    return s;
  if (n["senders"] || n["sender_kinds"]) {
    absl::StatusOr<Mask> m = internal::AgenciesByIdAndKind(ctx, n, "senders", "sender_kinds", what, in_forbid);
    if (!m.ok()) return m.status();
    when.senders = *m;
  }
  if (n["events"]) {
    absl::StatusOr<Mask> m = EventMask(ctx, n["events"], what + " events", in_forbid);
    if (!m.ok()) return m.status();
    when.event_kinds = *m;
  }
  for (const char* key : {"min_risk", "min_case_risk"}) {
    if (!n[key]) continue;
    absl::StatusOr<std::string> name = ctx.c->Scalar(n[key], key);
    if (!name.ok()) return name.status();
    std::optional<v1::RiskLevel> level = RiskLevelFromName(*name);
    if (!level) {
      return ctx.c->Error(n[key], absl::StrCat(key, " '", *name, "' is not one of standard, medium, high, very_high"));
    }
    (std::string(key) == "min_risk" ? when.min_risk : when.min_case_risk) = *level;
  }
  if (n["perpetrator"]) {
    absl::StatusOr<PerpetratorCondition> c =
        internal::ParsePerpetratorCondition(ctx, n["perpetrator"], what + " perpetrator");
    if (!c.ok()) return c.status();
    when.perpetrator = *c;
  }
  if (n["flags_all"]) {
    absl::StatusOr<Mask> m = FlagMask(ctx, n["flags_all"], what + " flags_all");
    if (!m.ok()) return m.status();
    when.flags_all = *m;
  }
  if (n["flags_any"]) {
    absl::StatusOr<Mask> m = FlagMask(ctx, n["flags_any"], what + " flags_any");
    if (!m.ok()) return m.status();
    when.flags_any = *m;
  }
  if (n["about"]) {
    absl::StatusOr<Mask> m = internal::RoleMask(ctx, n["about"], what + " about");
    if (!m.ok()) return m.status();
    when.about = *m;
  }
  if (n["destinations"] || n["destination_kinds"]) {
    absl::StatusOr<Mask> m =
        internal::AgenciesByIdAndKind(ctx, n, "destinations", "destination_kinds", what, in_forbid);
    if (!m.ok()) return m.status();
    when.destinations = *m;
  }
  return when;
}

absl::StatusOr<v1::LawfulBasis> ParseBasis(Context& ctx, const YAML::Node& n) {
  absl::StatusOr<std::string> name = ctx.c->Scalar(n, "basis");
  if (!name.ok()) return name.status();
  std::optional<v1::LawfulBasis> basis = LawfulBasisFromName(*name);
  if (!basis) {
    return ctx.c->Error(n, absl::StrCat("basis '", *name,
                                        "' is not one of consent, legal_obligation, public_task, "
                                        "safeguarding_children, safeguarding_adults, vital_interests, "
                                        "prevention_detection_of_crime"));
  }
  return *basis;
}

// A permit or override releasing a special-category section names the
// Article 9 / Schedule 1 condition it rests on; one releasing none names none.
absl::StatusOr<std::string> ParseCondition(Context& ctx, const YAML::Node& n, const std::string& what,
                                           const SectionSet& sections, v1::LawfulBasis basis) {
  const Mask special = sections.Bases() & ctx.policy->special_category();
  if (special == 0) {
    if (n["condition"]) {
      return ctx.c->Error(n["condition"], absl::StrCat(what, " names a special-category condition but releases no "
                                                       "section listed under special_category"));
    }
    return std::string();
  }
  std::vector<std::string> names;
  internal::ForEachBit(special, [&](int i) { names.push_back(ctx.policy->sections()[static_cast<std::size_t>(i)]); });
  if (!n["condition"]) {
    return ctx.c->Error(n, absl::StrCat(what, " releases special-category data (", absl::StrJoin(names, ", "),
                                        "): it must name the UK GDPR Art. 9 / DPA 2018 Sch. 1 'condition' it rests on (",
                                        SpecialCategoryConditionIds(), ")"));
  }
  absl::StatusOr<std::string> id = ctx.c->Scalar(n["condition"], "condition");
  if (!id.ok()) return id.status();
  if (FindSpecialCategoryCondition(*id) == nullptr) {
    return ctx.c->Error(n["condition"], absl::StrCat("condition '", *id, "' of ", what,
                                                     " is not a UK GDPR Art. 9 / DPA 2018 Sch. 1 condition (",
                                                     SpecialCategoryConditionIds(), ")"));
  }
  if ((basis == v1::LAWFUL_BASIS_CONSENT) != (*id == "explicit_consent")) {
    return ctx.c->Error(n["condition"],
                        basis == v1::LAWFUL_BASIS_CONSENT
                            ? absl::StrCat(what, " rests on consent: its special-category condition is explicit_consent")
                            : absl::StrCat("condition explicit_consent of ", what, " needs basis consent"));
  }
  return *id;
}

absl::Status ParseRule(Context& ctx, const YAML::Node& n, std::set<std::string>* ids) {
  if (auto s = ctx.c->Keys(n, "rule",
                           {"id", "description", "effect", "when", "to", "sections", "basis", "consent", "condition"});
      !s.ok())
    return s;
  for (const char* key : {"id", "effect", "to"}) {
    if (!n[key]) return ctx.c->Error(n, absl::StrCat("rule is missing '", key, "'"));
  }
  Rule r;
  r.at = At(n);
  absl::StatusOr<std::string> id = internal::RuleId(ctx, n["id"], "rule", ids);
  if (!id.ok()) return id.status();
  r.id = *id;
  if (n["description"]) r.description = n["description"].as<std::string>();
  absl::StatusOr<std::string> effect = ctx.c->Scalar(n["effect"], "effect");
  if (!effect.ok()) return effect.status();
  if (*effect == "permit") {
    r.effect = Effect::kPermit;
  } else if (*effect == "forbid") {
    r.effect = Effect::kForbid;
  } else if (*effect == "notify") {
    r.effect = Effect::kNotify;
  } else {
    return ctx.c->Error(n["effect"], absl::StrCat("effect '", *effect, "' is not permit, forbid or notify"));
  }
  const bool forbid = r.effect == Effect::kForbid;
  absl::StatusOr<Condition> when = ParseWhen(ctx, n["when"], r.id, forbid);
  if (!when.ok()) return when.status();
  r.when = *when;
  absl::StatusOr<Targets> to = ParseTargets(ctx, n["to"], absl::StrCat("'to' of rule '", r.id, "'"), forbid);
  if (!to.ok()) return to.status();
  r.to = *to;
  if (r.effect == Effect::kNotify) {
    if (n["sections"] || n["basis"] || n["consent"] || n["condition"]) {
      return ctx.c->Error(n, absl::StrCat("notify rule '", r.id,
                                          "' releases no sections: remove sections/basis/consent/condition"));
    }
  } else if (forbid) {
    if (n["basis"] || n["consent"] || n["condition"]) {
      return ctx.c->Error(n, absl::StrCat("forbid rule '", r.id, "' takes no basis, consent or condition"));
    }
    r.sections.any_role = kAll;
    if (n["sections"]) {
      absl::StatusOr<SectionSet> m = Sections(ctx, n["sections"], absl::StrCat("sections of rule '", r.id, "'"), true);
      if (!m.ok()) return m.status();
      r.sections = *m;
    }
  } else {
    if (!n["sections"]) return ctx.c->Error(n, absl::StrCat("permit rule '", r.id, "' is missing 'sections'"));
    if (!n["basis"]) return ctx.c->Error(n, absl::StrCat("permit rule '", r.id, "' is missing 'basis' (the lawful basis)"));
    absl::StatusOr<SectionSet> m = Sections(ctx, n["sections"], absl::StrCat("sections of rule '", r.id, "'"), false);
    if (!m.ok()) return m.status();
    r.sections = *m;
    absl::StatusOr<v1::LawfulBasis> basis = ParseBasis(ctx, n["basis"]);
    if (!basis.ok()) return basis.status();
    r.basis = *basis;
    if (r.basis == v1::LAWFUL_BASIS_CONSENT) {
      const YAML::Node c = n["consent"];
      if (!c) return ctx.c->Error(n, absl::StrCat("rule '", r.id, "' has basis consent but no 'consent: {purpose: ...}'"));
      if (auto s = ctx.c->Keys(c, "consent", {"purpose", "subject"}); !s.ok()) return s;
      if (!c["purpose"]) return ctx.c->Error(c, "consent needs a 'purpose'");
      absl::StatusOr<std::string> purpose = ctx.c->Scalar(c["purpose"], "purpose");
      if (!purpose.ok()) return purpose.status();
      if (!IsIdentifier(*purpose)) return ctx.c->Error(c["purpose"], "consent purpose must be an identifier");
      r.consent_purpose = *purpose;
      if (c["subject"]) {
        std::optional<v1::SubjectRole> role = SubjectRoleFromName(c["subject"].as<std::string>());
        if (!role) return ctx.c->Error(c["subject"], "consent subject must be victim, perpetrator, child or other");
        r.consent_subject = *role;
      }
    } else if (n["consent"]) {
      return ctx.c->Error(n["consent"], absl::StrCat("rule '", r.id, "' has 'consent' but its basis is not consent"));
    }
    absl::StatusOr<std::string> condition =
        ParseCondition(ctx, n, absl::StrCat("permit rule '", r.id, "'"), r.sections, r.basis);
    if (!condition.ok()) return condition.status();
    r.condition = *condition;
  }
  PolicyBuilder(ctx.policy).AddRule(std::move(r));
  return absl::OkStatus();
}

absl::Status ParseOverride(Context& ctx, const YAML::Node& n, std::set<std::string>* ids) {
  if (auto s = ctx.c->Keys(n, "override", {"id", "description", "invokers", "invoker_kinds", "reasons", "events",
                                           "to", "sections", "basis", "justification_section", "auditors",
                                           "condition"});
      !s.ok())
    return s;
  for (const char* key : {"id", "reasons", "to", "sections", "basis"}) {
    if (!n[key]) return ctx.c->Error(n, absl::StrCat("override is missing '", key, "'"));
  }
  if (!n["invokers"] && !n["invoker_kinds"]) {
    return ctx.c->Error(n, "override must say who may invoke it ('invokers' or 'invoker_kinds')");
  }
  OverrideRule o;
  o.at = At(n);
  absl::StatusOr<std::string> id = internal::RuleId(ctx, n["id"], "override", ids);
  if (!id.ok()) return id.status();
  o.id = *id;
  if (n["description"]) o.description = n["description"].as<std::string>();
  const std::string what = absl::StrCat("override '", o.id, "'");
  absl::StatusOr<Mask> invokers = internal::AgenciesByIdAndKind(ctx, n, "invokers", "invoker_kinds", what, false);
  if (!invokers.ok()) return invokers.status();
  o.invokers |= *invokers;
  absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> reasons = ctx.c->List(n["reasons"], "reasons");
  if (!reasons.ok()) return reasons.status();
  for (const auto& [reason, node] : *reasons) {
    if (!IsIdentifier(reason)) return ctx.c->Error(node, absl::StrCat("override reason '", reason, "' must be an identifier"));
    o.reasons.insert(reason);
  }
  if (n["events"]) {
    absl::StatusOr<Mask> m = EventMask(ctx, n["events"], what + " events", false);
    if (!m.ok()) return m.status();
    o.event_kinds = *m;
  }
  absl::StatusOr<Targets> to = ParseTargets(ctx, n["to"], what + " 'to'", false);
  if (!to.ok()) return to.status();
  o.to = *to;
  absl::StatusOr<SectionSet> sections = Sections(ctx, n["sections"], what + " sections", false);
  if (!sections.ok()) return sections.status();
  o.sections = *sections;
  absl::StatusOr<v1::LawfulBasis> basis = ParseBasis(ctx, n["basis"]);
  if (!basis.ok()) return basis.status();
  if (*basis == v1::LAWFUL_BASIS_CONSENT) return ctx.c->Error(n["basis"], "an override cannot rest on consent");
  o.basis = *basis;
  absl::StatusOr<std::string> condition = ParseCondition(ctx, n, what, o.sections, o.basis);
  if (!condition.ok()) return condition.status();
  o.condition = *condition;
  if (n["justification_section"]) {
    const std::string name = n["justification_section"].as<std::string>();
    o.justification_section = ctx.policy->SectionIndex(name);
    if (o.justification_section < 0) {
      ctx.c->Warn(n["justification_section"], absl::StrCat("unknown section '", name, "' as justification of ", what));
    }
  }
  if (n["auditors"]) {
    absl::StatusOr<Mask> m = AgencyMask(ctx, n["auditors"], what + " auditors", false);
    if (!m.ok()) return m.status();
    o.auditors = *m;
  } else {
    o.auditors = ctx.policy->AgenciesOfKind(v1::AGENCY_KIND_AUDITOR);
  }
  PolicyBuilder(ctx.policy).AddOverride(std::move(o));
  return absl::OkStatus();
}

absl::Status Compile(Context& ctx, const YAML::Node& root) {
  Compiler& c = *ctx.c;
  if (!root.IsMap()) return c.Error(root, "a policy file must be a mapping with version, agencies, sections, rules");
  if (auto s = c.Keys(root, "the policy",
                      {"version", "name", "agencies", "sections", "rules", "overrides", "consent_authority",
                       "relations", "patterns", "schedules", "special_category"});
      !s.ok())
    return s;
  for (const char* key : {"version", "agencies", "sections"}) {
    if (!root[key]) return c.Error(root, absl::StrCat("policy is missing '", key, "'"));
  }
  // A whole number, so that "1.0" or 4294967297 cannot pass for 1.
  if (!yaml::ReadInt64(root["version"], c.source(), "version", 1, 1).ok()) {
    return c.Error(root["version"], "only policy format version 1 is known (write 'version: 1')");
  }
  PolicyBuilder b(ctx.policy);
  if (root["name"]) b.SetName(root["name"].as<std::string>());
  const YAML::Node agencies = root["agencies"];
  if (!agencies.IsMap()) return c.Error(agencies, "'agencies' must map each agency id to {kind: ...}");
  for (const auto& kv : agencies) {
    const std::string id = kv.first.as<std::string>();
    if (!IsIdentifier(id)) return c.Error(kv.first, absl::StrCat("agency id '", id, "' must be a lower-case identifier"));
    if (ctx.policy->AgencyIndex(id) >= 0) return c.Error(kv.first, absl::StrCat("agency '", id, "' is listed twice"));
    if (static_cast<int>(ctx.policy->agencies().size()) >= kMaxAgencies) {
      return c.Error(kv.first, absl::StrCat("at most ", kMaxAgencies, " agencies"));
    }
    if (auto s = c.Keys(kv.second, absl::StrCat("agency '", id, "'"), {"kind", "description"}); !s.ok()) return s;
    if (!kv.second["kind"]) return c.Error(kv.second, absl::StrCat("agency '", id, "' needs a 'kind'"));
    const std::string kind_name = kv.second["kind"].as<std::string>();
    std::optional<v1::AgencyKind> kind = AgencyKindFromName(kind_name);
    if (!kind) return c.Error(kv.second["kind"], absl::StrCat("unknown agency kind '", kind_name, "'"));
    b.AddAgency({id, *kind});
  }
  absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> sections = c.List(root["sections"], "sections");
  if (!sections.ok()) return sections.status();
  for (const auto& [name, node] : *sections) {
    if (!IsSectionBase(name)) {
      return c.Error(node, absl::StrCat("section name '", name,
                                        "' must be a lower-case letter, then lower-case letters, digits or '_' (roles "
                                        "such as '@victim' belong in rules, not here)"));
    }
    if (ctx.policy->SectionIndex(name) >= 0) return c.Error(node, absl::StrCat("section '", name, "' is listed twice"));
    if (static_cast<int>(ctx.policy->sections().size()) >= kMaxSections) {
      return c.Error(node, absl::StrCat("at most ", kMaxSections, " sections"));
    }
    b.AddSection(name);
  }
  if (const YAML::Node special = root["special_category"]) {
    absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> names = c.List(special, "special_category");
    if (!names.ok()) return names.status();
    Mask m = 0;
    for (const auto& [name, node] : *names) {
      const int i = ctx.policy->SectionIndex(name);
      if (i < 0) {
        return c.Error(node, absl::StrCat("special_category names section '", name,
                                          "', which 'sections' does not list (bases only, no '@role')"));
      }
      m |= Bit(i);
    }
    b.SetSpecialCategory(m);
  }
  std::set<std::string> ids;
  if (const YAML::Node rules = root["rules"]) {
    if (!rules.IsSequence()) return c.Error(rules, "'rules' must be a list");
    for (const YAML::Node& r : rules) {
      if (auto s = ParseRule(ctx, r, &ids); !s.ok()) return s;
    }
  }
  if (const YAML::Node overrides = root["overrides"]) {
    if (!overrides.IsSequence()) return c.Error(overrides, "'overrides' must be a list");
    for (const YAML::Node& o : overrides) {
      if (auto s = ParseOverride(ctx, o, &ids); !s.ok()) return s;
    }
  }
  if (auto s = internal::ParseRelations(ctx, root["relations"], &ids); !s.ok()) return s;
  if (auto s = internal::ParsePatterns(ctx, root["patterns"], &ids); !s.ok()) return s;
  if (auto s = internal::ParseSchedules(ctx, root["schedules"], &ids); !s.ok()) return s;
  // After the rules: its lint needs to know which purposes they rest on.
  return internal::ParseConsentAuthority(ctx, root["consent_authority"], &ids);
}

// Deeper than any policy, and bounded: an alias inside the node it names
// (`a: &x [*x]`) makes a cycle that would otherwise recurse until the stack
// overflows.
constexpr int kMaxCanonicalDepth = 64;

bool Canonical(const YAML::Node& n, std::string* out, int depth = 0) {
  if (depth > kMaxCanonicalDepth) return false;
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      std::map<std::string, YAML::Node> sorted;
      for (const auto& kv : n) sorted.emplace(kv.first.as<std::string>(), kv.second);
      out->push_back('{');
      bool first = true;
      for (const auto& [k, v] : sorted) {
        if (!first) out->push_back(',');
        first = false;
        absl::StrAppend(out, "\"", absl::CEscape(k), "\":");
        if (!Canonical(v, out, depth + 1)) return false;
      }
      out->push_back('}');
      return true;
    }
    case YAML::NodeType::Sequence: {
      out->push_back('[');
      bool first = true;
      for (const YAML::Node& v : n) {
        if (!first) out->push_back(',');
        first = false;
        if (!Canonical(v, out, depth + 1)) return false;
      }
      out->push_back(']');
      return true;
    }
    case YAML::NodeType::Scalar:
      absl::StrAppend(out, "\"", absl::CEscape(n.as<std::string>()), "\"");
      return true;
    default:
      out->append("null");
      return true;
  }
}

absl::Status TooDeep() {
  return absl::InvalidArgumentError(absl::StrCat("nested deeper than ", kMaxCanonicalDepth,
                                                 " levels, or an alias is used inside the node it names"));
}

}  // namespace

absl::StatusOr<std::string> CanonicalForm(const std::string& yaml_text) {
  absl::StatusOr<YAML::Node> root = yaml::Parse(yaml_text, "policy");
  if (!root.ok()) return root.status();
  try {
    std::string out;
    if (!Canonical(*root, &out)) return TooDeep();
    return out;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("policy:", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
}

absl::StatusOr<LoadResult> ParsePolicy(const std::string& yaml_text, const std::string& source_name) {
  auto policy = std::make_shared<Policy>();
  Compiler compiler(source_name);
  Context ctx{&compiler, policy.get()};
  absl::StatusOr<YAML::Node> parsed = yaml::Parse(yaml_text, source_name);
  if (!parsed.ok()) return parsed.status();
  try {
    const YAML::Node& root = *parsed;
    if (auto s = Compile(ctx, root); !s.ok()) return s;
    std::string canonical;
    if (!Canonical(root, &canonical)) {
      return absl::InvalidArgumentError(absl::StrCat(source_name, ": ", TooDeep().message()));
    }
    PolicyBuilder(policy.get()).SetVersion(crypto::Hex(crypto::Sha256(canonical)));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
  return LoadResult{std::move(policy), compiler.TakeWarnings()};
}

absl::StatusOr<LoadResult> LoadPolicyFile(const std::string& path) {
  absl::StatusOr<std::string> text = yaml::ReadFile(path, yaml::Limits().max_bytes);
  if (!text.ok()) return text.status();
  return ParsePolicy(*text, path);
}

}  // namespace accord::policy
