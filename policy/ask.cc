#include "policy/ask.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "policy/internal/matching.h"
#include "policy/names.h"
#include "policy/special_category.h"

namespace accord::policy {
namespace {

using internal::ForEachBit;

struct Outcome {
  bool granted = false;
  std::string rule;                  // the granting rule or override
  v1::LawfulBasis basis = v1::LAWFUL_BASIS_UNSPECIFIED;
  bool forbidden = false;            // a forbid rule withholds it
  std::string withheld_rule;
  std::string withheld_reason;
};

std::string Agencies(const Policy& p, Mask m) {
  std::vector<std::string> ids;
  ForEachBit(m, [&](int i) { ids.push_back(p.agencies()[static_cast<std::size_t>(i)].id); });
  return ids.empty() ? "nobody" : absl::StrJoin(ids, ", ");
}

class Asker {
 public:
  Asker(const Evaluator& e, const Question& q) : e_(e), p_(e.policy()), q_(q) {}

  absl::StatusOr<Answer> Run() {
    if (auto s = Validate(); !s.ok()) return s;
    Answer a;
    std::string& out = a.text;
    absl::StrAppend(&out, "Question: may ", q_.from, " share '", q_.section, "' (", q_.kind, " event",
                    q_.about.empty() ? "" : absl::StrCat(", about the ", q_.about), ") with ", q_.to, "?\n");
    absl::StrAppend(&out, "Assumed: ", q_.risk.empty() ? "no risk level" : absl::StrCat("risk ", q_.risk),
                    ", no flags, no case relations, no consent recorded, no safeguarding override.\n\n");
    const Outcome base = Evaluate(header_, CaseContext{}, false);
    if (base.granted) {
      a.yes = true;
      absl::StrAppend(&out, "Answer: YES, under rule '", base.rule, "'", Description(base.rule), ".\n");
      absl::StrAppend(&out, "Lawful basis: ", NameOf(base.basis), ".\n");
      AppendCondition(base.rule, &out);
      return a;
    }
    absl::StrAppend(&out, "Answer: NO.\n");
    if (base.forbidden) {
      absl::StrAppend(&out, "Why: forbid rule '", base.withheld_rule, "' withholds it",
                      base.withheld_reason.empty() ? "" : absl::StrCat(": ", base.withheld_reason), "\n");
      absl::StrAppend(&out, "Other routes: none. A forbid beats every permit, consent and safeguarding override.\n");
      return a;
    }
    absl::StrAppend(&out, "Why: no rule releases it to ", q_.to, " (default deny).\n\nOther routes:\n");
    std::vector<std::string> routes;
    ConsentRoute(&routes);
    RiskRoute(&routes);
    FlagRoutes(&routes);
    RelationRoutes(&routes);
    OverrideRoutes(&routes);
    MaracRoute(&routes);
    if (routes.empty()) absl::StrAppend(&out, "  none: the policy has no rule that would release it.\n");
    for (const std::string& r : routes) absl::StrAppend(&out, "  - ", r, "\n");
    return a;
  }

 private:
  absl::Status Validate() {
    for (const std::string* id : {&q_.from, &q_.to}) {
      if (p_.AgencyIndex(*id) < 0) {
        std::vector<std::string> ids;
        for (const Agency& a : p_.agencies()) ids.push_back(a.id);
        return absl::InvalidArgumentError(
            absl::StrCat("agency '", *id, "' is not in the policy (agencies: ", absl::StrJoin(ids, ", "), ")"));
      }
    }
    if (q_.from == q_.to) return absl::InvalidArgumentError("--from and --to name the same agency");
    std::optional<v1::EventKind> kind = EventKindFromName(q_.kind);
    if (!kind) {
      return absl::InvalidArgumentError(absl::StrCat("unknown event kind '", q_.kind, "' (kinds: ",
                                                     absl::StrJoin(EventKindNames(), ", "), ")"));
    }
    const std::optional<SectionName> section = ParseSectionName(q_.section);
    if (!section) {
      return absl::InvalidArgumentError(
          absl::StrCat("section '", q_.section, "' is not base or base@role (victim, perpetrator, child, other)"));
    }
    base_ = p_.SectionIndex(section->base);
    if (base_ < 0) {
      return absl::InvalidArgumentError(absl::StrCat("section '", std::string(section->base), "' is not in the policy (sections: ",
                                                     absl::StrJoin(p_.sections(), ", "), ")"));
    }
    header_.set_version(1);
    header_.set_event_id("ask");
    header_.set_case_ref("case");
    header_.set_sender(q_.from);
    header_.set_kind(*kind);
    header_.add_sections()->set_name(q_.section);
    for (const auto& [role, ref] : {std::pair{v1::SUBJECT_ROLE_VICTIM, "victim"},
                                    std::pair{v1::SUBJECT_ROLE_PERPETRATOR, "perpetrator"}}) {
      v1::SubjectRef* s = header_.add_subjects();
      s->set_role(role);
      s->set_ref(ref);
    }
    if (!q_.about.empty()) {
      std::optional<v1::SubjectRole> role = SubjectRoleFromName(q_.about);
      if (!role) return absl::InvalidArgumentError(absl::StrCat("--about '", q_.about, "' is not victim, perpetrator, child or other"));
      header_.set_about(*role);
      if (*role == v1::SUBJECT_ROLE_CHILD) {
        v1::SubjectRef* s = header_.add_subjects();
        s->set_role(v1::SUBJECT_ROLE_CHILD);
        s->set_ref("child");
      }
    }
    if (!q_.risk.empty()) {
      std::optional<v1::RiskLevel> level = RiskLevelFromName(q_.risk);
      if (!level) return absl::InvalidArgumentError(absl::StrCat("--risk '", q_.risk, "' is not standard, medium, high or very_high"));
      header_.mutable_risk()->set_level(*level);
    }
    return absl::OkStatus();
  }

  Outcome Evaluate(const v1::EventHeader& h, const CaseContext& ctx, bool consent_given) const {
    const v1::Decision d = e_.Evaluate(h, ctx, [&](const std::string&, const std::string&) {
      return consent_given ? v1::CONSENT_STATE_GIVEN : v1::CONSENT_STATE_UNSPECIFIED;
    });
    Outcome o;
    for (const v1::RecipientDecision& r : d.recipients()) {
      if (r.recipient() != q_.to) continue;
      for (const v1::SectionGrant& g : r.grants()) {
        if (g.section() != q_.section) continue;
        o.granted = true;
        o.rule = g.rule_id();
        o.basis = g.basis();
      }
    }
    for (const v1::Withholding& w : d.withheld()) {
      if (w.recipient() != q_.to || (w.section() != q_.section && !w.section().empty())) continue;
      o.withheld_rule = w.rule_id();
      o.withheld_reason = w.reason();
      for (const Rule& r : p_.rules()) o.forbidden |= r.effect == Effect::kForbid && r.id == w.rule_id();
    }
    return o;
  }

  const Rule* RuleNamed(const std::string& id) const {
    for (const Rule& r : p_.rules()) {
      if (r.id == id) return &r;
    }
    return nullptr;
  }
  const OverrideRule* OverrideNamed(const std::string& id) const {
    for (const OverrideRule& o : p_.overrides()) {
      if (o.id == id) return &o;
    }
    return nullptr;
  }

  std::string Description(const std::string& id) const {
    const Rule* r = RuleNamed(id);
    const OverrideRule* o = OverrideNamed(id);
    std::string d = r ? r->description : o ? o->description : std::string();
    if (!d.empty() && d.back() == '.') d.pop_back();
    return d.empty() ? "" : absl::StrCat(" (", d, ")");
  }

  void AppendCondition(const std::string& id, std::string* out) const {
    if ((p_.special_category() & Bit(base_)) == 0) return;
    const Rule* r = RuleNamed(id);
    const OverrideRule* o = OverrideNamed(id);
    const std::string& condition = r ? r->condition : o ? o->condition : std::string();
    const SpecialCategoryCondition* c = FindSpecialCategoryCondition(condition);
    if (c == nullptr) return;
    absl::StrAppend(out, "Special category: '", p_.sections()[static_cast<std::size_t>(base_)], "' is special-category data; condition ",
                    c->id, ": ", c->citation, " (", c->text, ").\n");
  }

  std::string Under(const Outcome& o) const {
    std::string s = absl::StrCat("rule '", o.rule, "' would release it (basis ", NameOf(o.basis));
    const Rule* r = RuleNamed(o.rule);
    const OverrideRule* ov = OverrideNamed(o.rule);
    const std::string& condition = r ? r->condition : ov ? ov->condition : std::string();
    if (!condition.empty() && (p_.special_category() & Bit(base_))) absl::StrAppend(&s, ", condition ", condition);
    return s + ")";
  }

  void ConsentRoute(std::vector<std::string>* routes) const {
    const Outcome o = Evaluate(header_, CaseContext{}, true);
    if (!o.granted) return;
    const Rule* r = RuleNamed(o.rule);
    if (r == nullptr || r->basis != v1::LAWFUL_BASIS_CONSENT) return;
    Mask recorders = 0;
    for (const ConsentAuthorityRule& c : p_.consent_authority().rules) {
      if (c.effect == Effect::kPermit && c.action == ConsentAction::kRecord && c.purposes.count(r->consent_purpose) &&
          (c.subject_roles & Bit(static_cast<int>(r->consent_subject)))) {
        recorders |= c.agencies;
      }
    }
    routes->push_back(absl::StrCat("Consent: with the ", NameOf(r->consent_subject), "'s consent for ", r->consent_purpose,
                                   " (recorded by ", Agencies(p_, recorders), "), ", Under(o), "."));
  }

  void RiskRoute(std::vector<std::string>* routes) const {
    for (v1::RiskLevel level : {v1::RISK_LEVEL_STANDARD, v1::RISK_LEVEL_MEDIUM, v1::RISK_LEVEL_HIGH,
                                v1::RISK_LEVEL_VERY_HIGH}) {
      if (level <= header_.risk().level()) continue;
      v1::EventHeader h = header_;
      h.mutable_risk()->set_level(level);
      const Outcome o = Evaluate(h, CaseContext{}, false);
      if (!o.granted) continue;
      routes->push_back(absl::StrCat("Risk: if the risk is ", NameOf(level),
                                     level == v1::RISK_LEVEL_VERY_HIGH ? "" : " or higher", ", ", Under(o), "."));
      return;
    }
  }

  void FlagRoutes(std::vector<std::string>* routes) const {
    for (const std::string& name : FlagNames()) {
      v1::EventHeader h = header_;
      h.add_flags(*FlagFromName(name));
      const Outcome o = Evaluate(h, CaseContext{}, false);
      if (o.granted) routes->push_back(absl::StrCat("Flag: if the event is flagged ", name, ", ", Under(o), "."));
    }
  }

  void RelationRoutes(std::vector<std::string>* routes) const {
    std::vector<std::string> names;
    auto add = [&](const std::vector<std::string>& rels) {
      for (const std::string& r : rels) {
        if (std::find(names.begin(), names.end(), r) == names.end()) names.push_back(r);
      }
    };
    for (const Rule& r : p_.rules()) add(r.to.relations);
    for (const std::string& rel : names) {
      CaseContext ctx;
      ctx.relations[rel] = {q_.to};
      const Outcome o = Evaluate(header_, ctx, false);
      if (!o.granted) continue;
      const RelationSpec* spec = p_.relations().Find(rel);
      routes->push_back(absl::StrCat("Relation: if ", q_.to, " is the case's ", rel,
                                     spec ? absl::StrCat(" (declared by ", spec->declarers_text, ")") : "", ", ", Under(o),
                                     "."));
    }
  }

  void OverrideRoutes(std::vector<std::string>* routes) const {
    const int from = p_.AgencyIndex(q_.from);
    for (const OverrideRule& ov : p_.overrides()) {
      if ((ov.invokers & Bit(from)) == 0 || (ov.event_kinds & Bit(static_cast<int>(header_.kind()))) == 0 ||
          ov.reasons.empty()) {
        continue;
      }
      v1::EventHeader h = header_;
      const std::string justification = ov.justification_section >= 0
                                            ? p_.sections()[static_cast<std::size_t>(ov.justification_section)]
                                            : std::string("override_justification");
      if (justification != q_.section) h.add_sections()->set_name(justification);
      h.mutable_override()->set_reason(*ov.reasons.begin());
      h.mutable_override()->mutable_authorised_by()->set_role("authorising officer");
      h.mutable_override()->mutable_authorised_by()->set_staff_ref("ask");
      h.mutable_override()->set_justification_section(justification);
      CaseContext ctx;
      for (const std::string& rel : ov.to.relations) ctx.relations[rel] = {q_.to};
      const Outcome o = Evaluate(h, ctx, false);
      if (!o.granted || o.rule != ov.id) continue;
      const bool by_relation = (ov.to.agencies & Bit(p_.AgencyIndex(q_.to))) == 0;
      std::vector<std::string> reasons(ov.reasons.begin(), ov.reasons.end());
      routes->push_back(absl::StrCat(
          "Safeguarding override '", ov.id, "'", Description(ov.id), ": ", Agencies(p_, ov.invokers),
          " may invoke it, for reason ", absl::StrJoin(reasons, " or "),
          ", with a named authorising officer (role and staff reference) and the justification in section '",
          justification, "', which goes to ", Agencies(p_, ov.auditors),
          by_relation ? absl::StrCat("; it reaches ", q_.to, " only as the case's ", absl::StrJoin(ov.to.relations, " or "))
                      : "",
          "; ", Under(o), "."));
    }
  }

  void MaracRoute(std::vector<std::string>* routes) const {
    const Mask coordinators = p_.AgenciesOfKind(v1::AGENCY_KIND_MARAC_COORDINATOR) &
                              ~Bit(p_.AgencyIndex(q_.from)) & ~Bit(p_.AgencyIndex(q_.to));
    if (coordinators == 0 || (p_.AgenciesOfKind(v1::AGENCY_KIND_MARAC_COORDINATOR) & Bit(p_.AgencyIndex(q_.to)))) {
      return;
    }
    v1::EventHeader h = header_;
    h.set_kind(v1::EVENT_KIND_MARAC_REFERRAL);
    if (h.risk().level() < v1::RISK_LEVEL_HIGH) h.mutable_risk()->set_level(v1::RISK_LEVEL_HIGH);
    const v1::Decision d = e_.Evaluate(h, CaseContext{}, [](const std::string&, const std::string&) {
      return v1::CONSENT_STATE_UNSPECIFIED;
    });
    std::vector<std::string> reached;
    for (const v1::RecipientDecision& r : d.recipients()) {
      if ((coordinators & Bit(p_.AgencyIndex(r.recipient()))) == 0) continue;
      for (const v1::SectionGrant& g : r.grants()) {
        if (g.section() == q_.section) reached.push_back(absl::StrCat(r.recipient(), " (rule '", g.rule_id(), "')"));
      }
    }
    if (!reached.empty()) {
      routes->push_back(absl::StrCat("MARAC: a high-risk marac_referral from ", q_.from, " releases '", q_.section,
                                     "' to ", absl::StrJoin(reached, ", "), "; the meeting decides what ", q_.to,
                                     " needs to know."));
    } else {
      routes->push_back(absl::StrCat("MARAC: raise the case with ", Agencies(p_, coordinators),
                                     "; no rule lets ", q_.from, " send '", q_.section,
                                     "' there through Accord; what the meeting shares is decided under its information-sharing protocol."));
    }
  }

  const Evaluator& e_;
  const Policy& p_;
  Question q_;
  v1::EventHeader header_;
  int base_ = -1;
};

}  // namespace

absl::StatusOr<Answer> Ask(const Evaluator& evaluator, const Question& q) { return Asker(evaluator, q).Run(); }

}  // namespace accord::policy
