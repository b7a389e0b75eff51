#include "policy/evaluator.h"

#include <array>
#include <deque>

#include "absl/strings/str_cat.h"
#include "policy/names.h"

namespace accord::policy {
namespace {

struct GrantInfo {
  const std::string* rule_id = nullptr;
  v1::LawfulBasis basis = v1::LAWFUL_BASIS_UNSPECIFIED;
  bool via_override = false;
};

// Per-recipient working state, indexed by agency.
struct Work {
  Mask granted = 0;
  Mask forbidden = 0;
  bool notify_blocked = false;
  std::array<GrantInfo, kMaxSections> grants{};
  std::array<const Rule*, kMaxSections> forbid_rule{};
  std::vector<const std::string*> notify;
  // A consent rule that would have released these sections, and why it did not.
  Mask consent_blocked = 0;
  std::array<const std::string*, kMaxSections> consent_reason{};
  std::array<const std::string*, kMaxSections> consent_rule{};
};

bool Matches(const Condition& c, int sender, v1::EventKind kind, v1::RiskLevel risk, Mask flags) {
  return (c.senders & Bit(sender)) != 0 && (c.event_kinds & Bit(static_cast<int>(kind))) != 0 &&
         risk >= c.min_risk && (flags & c.flags_all) == c.flags_all &&
         (c.flags_any == 0 || (flags & c.flags_any) != 0);
}

class Evaluation {
 public:
  Evaluation(const Policy& p, const v1::EventHeader& h, const CaseContext& ctx, const ConsentLookup& consent)
      : p_(p), h_(h), ctx_(ctx), consent_(consent), work_(p.agencies().size()) {}

  v1::Decision Run() {
    v1::Decision d;
    d.set_policy_version(p_.version());
    sender_ = p_.AgencyIndex(h_.sender());
    if (sender_ < 0) {
      Withhold(&d, "*", "", kDefaultDeny, absl::StrCat("sender '", h_.sender(), "' is not in the policy"));
      return d;
    }
    for (const v1::SectionRef& s : h_.sections()) {
      const int i = p_.SectionIndex(s.name());
      if (i >= 0) {
        sections_ |= Bit(i);
      } else {
        Withhold(&d, "*", s.name(), kDefaultDeny, "section is not named in the policy");
      }
    }
    for (int f : h_.flags()) flags_ |= Bit(f);
    for (v1::Flag f : ctx_.facts) flags_ |= Bit(static_cast<int>(f));
    for (const Rule& r : p_.rules()) {
      if (r.effect != Effect::kForbid) ApplyPermitOrNotify(r);
    }
    if (h_.has_override()) ApplyOverride(&d);
    for (const Rule& r : p_.rules()) {
      if (r.effect == Effect::kForbid) ApplyForbid(r);
    }
    Emit(&d);
    return d;
  }

 private:
  Mask RelationAgencies(const std::vector<std::string>& relations) const {
    Mask m = 0;
    for (const std::string& rel : relations) {
      if (auto it = ctx_.relations.find(rel); it != ctx_.relations.end()) {
        for (const std::string& a : it->second) {
          if (int i = p_.AgencyIndex(a); i >= 0) m |= Bit(i);
        }
      }
      for (const v1::CaseRelation& cr : h_.relations()) {
        if (cr.relation() == rel) {
          if (int i = p_.AgencyIndex(cr.agency()); i >= 0) m |= Bit(i);
        }
      }
    }
    return m;
  }

  Mask TargetsOf(const Targets& t) const {
    Mask m = t.agencies;
    if (!t.relations.empty()) m |= RelationAgencies(t.relations);
    return m & ~Bit(sender_);
  }

  // nullptr when every subject of the rule's role has given consent.
  const std::string* ConsentProblem(const Rule& r) {
    bool any = false;
    for (const v1::SubjectRef& s : h_.subjects()) {
      if (s.role() != r.consent_subject) continue;
      any = true;
      const v1::ConsentState state = consent_(s.ref(), r.consent_purpose);
      if (state != v1::CONSENT_STATE_GIVEN) {
        reasons_.push_back(absl::StrCat("consent of the ", NameOf(r.consent_subject), " for ", r.consent_purpose,
                                        " is ", state == v1::CONSENT_STATE_UNSPECIFIED ? "not recorded" : NameOf(state)));
        return &reasons_.back();
      }
    }
    if (!any) {
      reasons_.push_back(absl::StrCat("no ", NameOf(r.consent_subject), " in the event to hold consent for ",
                                      r.consent_purpose));
      return &reasons_.back();
    }
    return nullptr;
  }

  void ApplyPermitOrNotify(const Rule& r) {
    if (!Matches(r.when, sender_, h_.kind(), h_.risk().level(), flags_)) return;
    Mask targets = TargetsOf(r.to);
    if (targets == 0) return;
    if (r.effect == Effect::kNotify) {
      for (std::size_t t = 0; t < work_.size(); ++t) {
        if (targets & Bit(static_cast<int>(t))) work_[t].notify.push_back(&r.id);
      }
      return;
    }
    const Mask release = r.sections & sections_;
    if (release == 0) return;
    const std::string* problem = r.basis == v1::LAWFUL_BASIS_CONSENT ? ConsentProblem(r) : nullptr;
    for (std::size_t t = 0; t < work_.size(); ++t) {
      if ((targets & Bit(static_cast<int>(t))) == 0) continue;
      Work& w = work_[t];
      if (problem != nullptr) {
        const Mask blocked = release & ~w.granted & ~w.consent_blocked;
        for (int s = 0; s < kMaxSections; ++s) {
          if (blocked & Bit(s)) {
            w.consent_reason[static_cast<std::size_t>(s)] = problem;
            w.consent_rule[static_cast<std::size_t>(s)] = &r.id;
          }
        }
        w.consent_blocked |= blocked;
        continue;
      }
      Grant(w, release, &r.id, r.basis, false);
    }
  }

  static void Grant(Work& w, Mask release, const std::string* rule, v1::LawfulBasis basis, bool via_override) {
    const Mask fresh = release & ~w.granted;
    for (int s = 0; s < kMaxSections && (fresh >> s) != 0; ++s) {
      if (fresh & Bit(s)) w.grants[static_cast<std::size_t>(s)] = {rule, basis, via_override};
    }
    w.granted |= fresh;
  }

  void ApplyOverride(v1::Decision* d) {
    const v1::SafeguardingOverride& o = h_.override();
    std::string refusal = absl::StrCat("no override rule lets ", h_.sender(), " invoke reason '", o.reason(),
                                       "' for ", NameOf(h_.kind()));
    for (const OverrideRule& r : p_.overrides()) {
      if ((r.invokers & Bit(sender_)) == 0 || r.reasons.count(o.reason()) == 0 ||
          (r.event_kinds & Bit(static_cast<int>(h_.kind()))) == 0) {
        continue;
      }
      if (o.authorised_by().role().empty() || o.authorised_by().staff_ref().empty()) {
        refusal = absl::StrCat("override '", r.id, "' needs a named authorising officer (role and staff_ref)");
        break;
      }
      const int just = p_.SectionIndex(o.justification_section());
      if (just < 0 || (sections_ & Bit(just)) == 0 ||
          (r.justification_section >= 0 && just != r.justification_section)) {
        refusal = absl::StrCat("override '", r.id, "' needs its justification section '",
                               r.justification_section >= 0
                                   ? p_.sections()[static_cast<std::size_t>(r.justification_section)]
                                   : o.justification_section(),
                               "' in the event");
        break;
      }
      d->set_override_used(true);
      d->set_override_rule_id(r.id);
      const Mask targets = TargetsOf(r.to);
      const Mask release = r.sections & sections_;
      for (std::size_t t = 0; t < work_.size(); ++t) {
        const Mask bit = Bit(static_cast<int>(t));
        if (static_cast<int>(t) == sender_) continue;
        if (targets & bit) Grant(work_[t], release, &r.id, r.basis, true);
        if (r.auditors & bit) Grant(work_[t], Bit(just), &r.id, r.basis, true);
      }
      return;
    }
    Withhold(d, "*", "", kOverrideRefused, refusal);
  }

  void ApplyForbid(const Rule& r) {
    if (!Matches(r.when, sender_, h_.kind(), h_.risk().level(), flags_)) return;
    const Mask targets = TargetsOf(r.to);
    const Mask hit = r.sections & sections_;
    for (std::size_t t = 0; t < work_.size(); ++t) {
      if ((targets & Bit(static_cast<int>(t))) == 0) continue;
      Work& w = work_[t];
      const Mask fresh = hit & ~w.forbidden;
      for (int s = 0; s < kMaxSections; ++s) {
        if (fresh & Bit(s)) w.forbid_rule[static_cast<std::size_t>(s)] = &r;
      }
      w.forbidden |= fresh;
      w.granted &= ~hit;
      if (r.sections == kAll) w.notify_blocked = true;
    }
  }

  static void Withhold(v1::Decision* d, const std::string& recipient, const std::string& section,
                       const std::string& rule, const std::string& reason) {
    v1::Withholding* w = d->add_withheld();
    w->set_recipient(recipient);
    w->set_section(section);
    w->set_rule_id(rule);
    w->set_reason(reason);
  }

  void Emit(v1::Decision* d) {
    for (std::size_t t = 0; t < work_.size(); ++t) {
      if (static_cast<int>(t) == sender_) continue;
      const Work& w = work_[t];
      const std::string& agency = p_.agencies()[t].id;
      if (w.granted != 0) {
        v1::RecipientDecision* r = d->add_recipients();
        r->set_recipient(agency);
        for (int s = 0; s < kMaxSections; ++s) {
          if ((w.granted & Bit(s)) == 0) continue;
          const GrantInfo& g = w.grants[static_cast<std::size_t>(s)];
          v1::SectionGrant* sg = r->add_grants();
          sg->set_section(p_.sections()[static_cast<std::size_t>(s)]);
          sg->set_rule_id(*g.rule_id);
          sg->set_basis(g.basis);
          if (g.via_override) r->set_via_override(true);
        }
      } else if (!w.notify.empty() && !w.notify_blocked) {
        v1::RecipientDecision* r = d->add_recipients();
        r->set_recipient(agency);
        r->set_notification_only(true);
        for (const std::string* id : w.notify) r->add_notify_rule_ids(*id);
      }
      const Mask missing = sections_ & ~w.granted;
      if (w.granted == 0 && w.forbidden == 0 && w.consent_blocked == 0) {
        Withhold(d, agency, "", kDefaultDeny, "no rule releases any section of this event to this agency");
        continue;
      }
      for (int s = 0; s < kMaxSections; ++s) {
        if ((missing & Bit(s)) == 0) continue;
        const std::string& section = p_.sections()[static_cast<std::size_t>(s)];
        if (const Rule* f = w.forbid_rule[static_cast<std::size_t>(s)]) {
          Withhold(d, agency, section, f->id, f->description.empty() ? "forbidden" : f->description);
        } else if (w.consent_blocked & Bit(s)) {
          Withhold(d, agency, section, *w.consent_rule[static_cast<std::size_t>(s)],
                   *w.consent_reason[static_cast<std::size_t>(s)]);
        } else {
          Withhold(d, agency, section, kDefaultDeny, "no rule releases this section to this agency");
        }
      }
    }
  }

  const Policy& p_;
  const v1::EventHeader& h_;
  const CaseContext& ctx_;
  const ConsentLookup& consent_;
  std::vector<Work> work_;
  int sender_ = -1;
  Mask sections_ = 0;
  Mask flags_ = 0;
  std::deque<std::string> reasons_;  // stable addresses for consent explanations
};

}  // namespace

v1::Decision Evaluator::Evaluate(const v1::EventHeader& header, const CaseContext& context,
                                 const ConsentLookup& consent) const {
  return Evaluation(*policy_, header, context, consent).Run();
}

}  // namespace accord::policy
