#include "policy/evaluator.h"

#include <algorithm>
#include <array>
#include <optional>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "policy/internal/matching.h"
#include "policy/names.h"

namespace accord::policy {
namespace internal {

EventFacts FactsOf(const Policy& p, const v1::EventHeader& h, const CaseContext& ctx, int sender) {
  EventFacts f;
  f.sender = Bit(sender);
  f.kind = Bit(static_cast<int>(h.kind()));
  f.risk = h.risk().level();
  for (int flag : h.flags()) f.flags |= Bit(flag);
  for (v1::Flag flag : ctx.facts) f.flags |= Bit(static_cast<int>(flag));
  f.about = Bit(static_cast<int>(h.about()));
  if (h.has_destination() && !h.destination().agency().empty()) {
    f.destination = Bit(p.AgencyIndex(h.destination().agency()));
  }
  f.case_risk = std::max(ctx.standing_risk, h.risk().level());
  f.header = &h;
  f.context = &ctx;
  return f;
}

}  // namespace internal

namespace {

using internal::ForEachBit;

constexpr uint16_t kNone = 0xffff;

// Per-recipient working state, indexed by agency. Section masks are over the
// event's own sections (bit i: header.sections(i)), so that "health@victim"
// and "health@perpetrator" in one event are decided each on its own. Rule
// references are indices into policy.rules() (or overrides(), marked by
// kOverrideBit), kept small so that a whole evaluation's state stays in a few
// cache lines.
constexpr uint16_t kOverrideBit = 0x8000;

struct GrantInfo {
  uint16_t rule = kNone;
  uint8_t basis = 0;
};

struct Work {
  Mask granted = 0;
  Mask forbidden = 0;
  Mask consent_blocked = 0;
  bool notify_blocked = false;
  bool via_override = false;
  std::array<GrantInfo, kMaxEventSections> grants;
  std::array<uint16_t, kMaxEventSections> forbid_rule;     // rule index
  std::array<uint16_t, kMaxEventSections> consent_rule;    // rule index; reason in consent_reasons
  absl::InlinedVector<uint16_t, 4> notify;
};

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
    IndexSections(&d);
    facts_ = internal::FactsOf(p_, h_, ctx_, sender_);
    for (const v1::CaseRelation& r : h_.relations()) ends_relations_ |= r.ended();
    const auto& rules = p_.rules();
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (rules[i].effect != Effect::kForbid) ApplyPermitOrNotify(rules[i], static_cast<uint16_t>(i));
    }
    if (h_.has_override()) ApplyOverride(&d);
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (rules[i].effect == Effect::kForbid) ApplyForbid(rules[i], static_cast<uint16_t>(i));
    }
    Emit(&d);
    return d;
  }

 private:
  // Slot i of the event is header.sections(i); a section whose name is not
  // base[@role], whose base the policy does not name, or which repeats a name
  // is withheld from everyone.
  void IndexSections(v1::Decision* d) {
    for (int i = 0; i < h_.sections_size(); ++i) {
      const std::string& name = h_.sections(i).name();
      if (i >= kMaxEventSections) {
        Withhold(d, "*", name, kDefaultDeny, absl::StrCat("the event has more than ", kMaxEventSections, " sections"));
        continue;
      }
      const std::optional<SectionName> parsed = ParseSectionName(name);
      if (!parsed) {
        Withhold(d, "*", name, kDefaultDeny,
                 "section name is not base[@role] with role victim, perpetrator, child or other");
        continue;
      }
      const int base = p_.SectionIndex(parsed->base);
      if (base < 0) {
        Withhold(d, "*", name, kDefaultDeny, "section is not named in the policy");
        continue;
      }
      const int role = static_cast<int>(parsed->role);
      if (present_[static_cast<std::size_t>(role)] & Bit(base)) {
        Withhold(d, "*", name, kDefaultDeny, "the event names this section twice");
        continue;
      }
      present_[static_cast<std::size_t>(role)] |= Bit(base);
      slot_[static_cast<std::size_t>(role)][static_cast<std::size_t>(base)] = static_cast<uint8_t>(i);
      roles_ |= Bit(role);
      sections_ |= Bit(i);
    }
  }

  // The event's sections (slots) that `s` names.
  Mask Slots(const SectionSet& s, bool forbid) const {
    Mask out = 0;
    ForEachBit(roles_, [&](int r) {
      const auto role = static_cast<std::size_t>(r);
      ForEachBit(s.Matching(r, forbid) & present_[role],
                 [&](int base) { out |= Bit(slot_[role][static_cast<std::size_t>(base)]); });
    });
    return out;
  }

  // An ended relation in the header is no target, even while the case still
  // holds it (the broker ends it with this event).
  bool EndedHere(const std::string& relation, const std::string& agency) const {
    if (!ends_relations_) return false;
    for (const v1::CaseRelation& cr : h_.relations()) {
      if (cr.ended() && cr.relation() == relation && cr.agency() == agency) return true;
    }
    return false;
  }

  Mask RelationAgencies(const std::vector<std::string>& relations) const {
    Mask m = 0;
    for (const std::string& rel : relations) {
      if (auto it = ctx_.relations.find(rel); it != ctx_.relations.end()) {
        for (const std::string& a : it->second) {
          if (EndedHere(rel, a)) continue;
          if (int i = p_.AgencyIndex(a); i >= 0) m |= Bit(i);
        }
      }
      for (const v1::CaseRelation& cr : h_.relations()) {
        if (cr.relation() != rel || cr.ended() || EndedHere(rel, cr.agency())) continue;
        if (int i = p_.AgencyIndex(cr.agency()); i >= 0) m |= Bit(i);
      }
    }
    return m;
  }

  Mask TargetsOf(const Targets& t) const {
    Mask m = t.agencies;
    if (!t.relations.empty()) m |= RelationAgencies(t.relations);
    if (t.destination) m |= facts_.destination;
    return m & ~Bit(sender_) & ((work_.size() >= 64) ? kAll : (Bit(static_cast<int>(work_.size())) - 1));
  }

  const std::string& RuleId(uint16_t ref) const {
    return (ref & kOverrideBit) ? p_.overrides()[ref & ~kOverrideBit].id : p_.rules()[ref].id;
  }

  // Empty when every subject of the rule's role has given consent.
  std::string ConsentProblem(const Rule& r) {
    bool any = false;
    for (const v1::SubjectRef& s : h_.subjects()) {
      if (s.role() != r.consent_subject) continue;
      any = true;
      const v1::ConsentState state = consent_(s.ref(), r.consent_purpose);
      if (state != v1::CONSENT_STATE_GIVEN) {
        return absl::StrCat("consent of the ", NameOf(r.consent_subject), " for ", r.consent_purpose, " is ",
                            state == v1::CONSENT_STATE_UNSPECIFIED ? "not recorded" : NameOf(state));
      }
    }
    if (!any) return absl::StrCat("no ", NameOf(r.consent_subject), " in the event to hold consent for ", r.consent_purpose);
    return "";
  }

  void ApplyPermitOrNotify(const Rule& r, uint16_t index) {
    if (!internal::Matches(r.when, facts_)) return;
    const Mask targets = TargetsOf(r.to);
    if (targets == 0) return;
    if (r.effect == Effect::kNotify) {
      ForEachBit(targets, [&](int t) { work_[static_cast<std::size_t>(t)].notify.push_back(index); });
      return;
    }
    const Mask release = Slots(r.sections, false);
    if (release == 0) return;
    if (r.basis == v1::LAWFUL_BASIS_CONSENT) {
      std::string problem = ConsentProblem(r);
      if (!problem.empty()) {
        consent_reasons_.emplace_back(index, std::move(problem));
        ForEachBit(targets, [&](int t) {
          Work& w = work_[static_cast<std::size_t>(t)];
          const Mask blocked = release & ~w.granted & ~w.consent_blocked;
          ForEachBit(blocked, [&](int s) { w.consent_rule[static_cast<std::size_t>(s)] = index; });
          w.consent_blocked |= blocked;
        });
        return;
      }
    }
    ForEachBit(targets, [&](int t) { Grant(work_[static_cast<std::size_t>(t)], release, index, r.basis); });
  }

  static void Grant(Work& w, Mask release, uint16_t rule, v1::LawfulBasis basis) {
    const Mask fresh = release & ~w.granted;
    ForEachBit(fresh, [&](int s) {
      w.grants[static_cast<std::size_t>(s)] = {rule, static_cast<uint8_t>(basis)};
    });
    w.granted |= fresh;
    if (rule & kOverrideBit) w.via_override = true;
  }

  // The event's slot named exactly `name`, or -1.
  int SlotNamed(const std::string& name) const {
    for (int i = 0; i < h_.sections_size() && i < kMaxEventSections; ++i) {
      if ((sections_ & Bit(i)) && h_.sections(i).name() == name) return i;
    }
    return -1;
  }

  void ApplyOverride(v1::Decision* d) {
    const v1::SafeguardingOverride& o = h_.override();
    std::string refusal;
    const auto& overrides = p_.overrides();
    for (std::size_t i = 0; i < overrides.size(); ++i) {
      const OverrideRule& r = overrides[i];
      if ((r.invokers & Bit(sender_)) == 0 || r.reasons.count(o.reason()) == 0 ||
          (r.event_kinds & Bit(static_cast<int>(h_.kind()))) == 0) {
        continue;
      }
      if (o.authorised_by().role().empty() || o.authorised_by().staff_ref().empty()) {
        refusal = absl::StrCat("override '", r.id, "' needs a named authorising officer (role and staff_ref)");
        break;
      }
      const std::string& wanted = r.justification_section >= 0
                                      ? p_.sections()[static_cast<std::size_t>(r.justification_section)]
                                      : o.justification_section();
      const int just = SlotNamed(o.justification_section());
      if (just < 0 || o.justification_section() != wanted) {
        refusal = absl::StrCat("override '", r.id, "' needs its justification section '", wanted, "' in the event");
        break;
      }
      d->set_override_used(true);
      d->set_override_rule_id(r.id);
      const uint16_t ref = static_cast<uint16_t>(i) | kOverrideBit;
      const Mask release = Slots(r.sections, false);
      ForEachBit(TargetsOf(r.to), [&](int t) { Grant(work_[static_cast<std::size_t>(t)], release, ref, r.basis); });
      ForEachBit(r.auditors & ~Bit(sender_), [&](int t) {
        Grant(work_[static_cast<std::size_t>(t)], Bit(just), ref, r.basis);
      });
      return;
    }
    if (refusal.empty()) {
      refusal = absl::StrCat("no override rule lets ", h_.sender(), " invoke reason '", o.reason(), "' for ",
                             NameOf(h_.kind()));
    }
    Withhold(d, "*", "", kOverrideRefused, refusal);
  }

  void ApplyForbid(const Rule& r, uint16_t index) {
    if (!internal::Matches(r.when, facts_)) return;
    const Mask hit = Slots(r.sections, true);
    const bool all = r.sections.any_role == kAll;
    ForEachBit(TargetsOf(r.to), [&](int t) {
      Work& w = work_[static_cast<std::size_t>(t)];
      ForEachBit(hit & ~w.forbidden, [&](int s) { w.forbid_rule[static_cast<std::size_t>(s)] = index; });
      w.forbidden |= hit;
      w.granted &= ~hit;
      if (all) w.notify_blocked = true;
    });
  }

  static void Withhold(v1::Decision* d, const std::string& recipient, const std::string& section,
                       const std::string& rule, std::string reason) {
    v1::Withholding* w = d->add_withheld();
    w->set_recipient(recipient);
    w->set_section(section);
    w->set_rule_id(rule);
    w->set_reason(std::move(reason));
  }

  const std::string& ConsentReason(uint16_t rule) const {
    for (const auto& [index, reason] : consent_reasons_) {
      if (index == rule) return reason;
    }
    static const std::string kUnknown = "consent not given";
    return kUnknown;
  }

  const std::string& SectionAt(int slot) const { return h_.sections(slot).name(); }

  void Emit(v1::Decision* d) {
    for (std::size_t t = 0; t < work_.size(); ++t) {
      if (static_cast<int>(t) == sender_) continue;
      const Work& w = work_[t];
      const std::string& agency = p_.agencies()[t].id;
      if (w.granted != 0) {
        v1::RecipientDecision* r = d->add_recipients();
        r->set_recipient(agency);
        r->set_via_override(w.via_override);
        ForEachBit(w.granted, [&](int s) {
          const GrantInfo& g = w.grants[static_cast<std::size_t>(s)];
          v1::SectionGrant* sg = r->add_grants();
          sg->set_section(SectionAt(s));
          sg->set_rule_id(RuleId(g.rule));
          sg->set_basis(static_cast<v1::LawfulBasis>(g.basis));
        });
      } else if (!w.notify.empty() && !w.notify_blocked) {
        v1::RecipientDecision* r = d->add_recipients();
        r->set_recipient(agency);
        r->set_notification_only(true);
        for (uint16_t id : w.notify) r->add_notify_rule_ids(RuleId(id));
      }
      if (w.granted == 0 && w.forbidden == 0 && w.consent_blocked == 0) {
        // One line instead of one per section: nothing matched at all.
        Withhold(d, agency, "", kDefaultDeny, "");
        continue;
      }
      ForEachBit(sections_ & ~w.granted, [&](int s) {
        const std::string& section = SectionAt(s);
        if (w.forbidden & Bit(s)) {
          const Rule& f = p_.rules()[w.forbid_rule[static_cast<std::size_t>(s)]];
          Withhold(d, agency, section, f.id, f.description);
        } else if (w.consent_blocked & Bit(s)) {
          const uint16_t rule = w.consent_rule[static_cast<std::size_t>(s)];
          Withhold(d, agency, section, RuleId(rule), ConsentReason(rule));
        } else {
          Withhold(d, agency, section, kDefaultDeny, "");
        }
      });
    }
  }

  const Policy& p_;
  const v1::EventHeader& h_;
  const CaseContext& ctx_;
  const ConsentLookup& consent_;
  absl::InlinedVector<Work, 8> work_;  // on the stack for up to 8 agencies
  int sender_ = -1;
  internal::EventFacts facts_;
  Mask sections_ = 0;                                  // the event's slots the policy knows
  Mask roles_ = 0;                                     // bit r: some known section has role r
  std::array<Mask, kRoleSlots> present_{};             // per role: the bases present
  std::array<std::array<uint8_t, kMaxSections>, kRoleSlots> slot_;  // (role, base) -> slot; valid where present_
  bool ends_relations_ = false;
  std::vector<std::pair<uint16_t, std::string>> consent_reasons_;
};

}  // namespace

v1::Decision Evaluator::Evaluate(const v1::EventHeader& header, const CaseContext& context,
                                 const ConsentLookup& consent) const {
  return Evaluation(*policy_, header, context, consent).Run();
}

}  // namespace accord::policy
