#include "policy/evaluator.h"

#include <array>
#include <optional>

#include "absl/container/inlined_vector.h"

#include "absl/strings/str_cat.h"
#include "policy/names.h"

namespace accord::policy {
namespace {

constexpr uint16_t kNone = 0xffff;

// Per-recipient working state, indexed by agency. Rule references are indices
// into policy.rules() (or overrides(), marked by kOverrideBit), kept small so
// that a whole evaluation's state stays in a few cache lines.
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
  std::array<GrantInfo, kMaxSections> grants;
  std::array<uint16_t, kMaxSections> forbid_rule;     // rule index
  std::array<uint16_t, kMaxSections> consent_rule;    // rule index; reason in consent_reasons
  absl::InlinedVector<uint16_t, 4> notify;
};

bool Matches(const Condition& c, int sender, v1::EventKind kind, v1::RiskLevel risk, Mask flags) {
  return (c.senders & Bit(sender)) != 0 && (c.event_kinds & Bit(static_cast<int>(kind))) != 0 &&
         risk >= c.min_risk && (flags & c.flags_all) == c.flags_all &&
         (c.flags_any == 0 || (flags & c.flags_any) != 0);
}

template <typename F>
void ForEachBit(Mask m, F&& f) {
  while (m != 0) {
    const int i = __builtin_ctzll(m);
    f(i);
    m &= m - 1;
  }
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
    if (!Matches(r.when, sender_, h_.kind(), h_.risk().level(), flags_)) return;
    const Mask targets = TargetsOf(r.to);
    if (targets == 0) return;
    if (r.effect == Effect::kNotify) {
      ForEachBit(targets, [&](int t) { work_[static_cast<std::size_t>(t)].notify.push_back(index); });
      return;
    }
    const Mask release = r.sections & sections_;
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
      const uint16_t ref = static_cast<uint16_t>(i) | kOverrideBit;
      const Mask release = r.sections & sections_;
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
    if (!Matches(r.when, sender_, h_.kind(), h_.risk().level(), flags_)) return;
    const Mask hit = r.sections & sections_;
    ForEachBit(TargetsOf(r.to), [&](int t) {
      Work& w = work_[static_cast<std::size_t>(t)];
      ForEachBit(hit & ~w.forbidden, [&](int s) { w.forbid_rule[static_cast<std::size_t>(s)] = index; });
      w.forbidden |= hit;
      w.granted &= ~hit;
      if (r.sections == kAll) w.notify_blocked = true;
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
          sg->set_section(p_.sections()[static_cast<std::size_t>(s)]);
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
        const std::string& section = p_.sections()[static_cast<std::size_t>(s)];
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
  Mask sections_ = 0;
  Mask flags_ = 0;
  std::vector<std::pair<uint16_t, std::string>> consent_reasons_;
};

ConsentAuthorityDecision DecideConsentAuthority(const Policy& p, ConsentAction action, const std::string& agency,
                                                const std::string& purpose, v1::SubjectRole role) {
  const bool record = action == ConsentAction::kRecord;
  const std::string verb = record ? "record" : "read";
  const ConsentAuthority& authority = p.consent_authority();
  if (!authority.present) {
    return {false, kDefaultDeny,
            absl::StrCat("the policy has no consent_authority section: no agency may ", verb, " consent")};
  }
  const int a = p.AgencyIndex(agency);
  if (a < 0) return {false, kDefaultDeny, absl::StrCat("agency '", agency, "' is not in the policy")};
  const int r = static_cast<int>(role);
  const Mask role_bit = (r >= 0 && r < 64) ? Bit(r) : 0;
  auto covers = [&](const ConsentAuthorityRule& e) {
    return e.action == action && (e.agencies & Bit(a)) != 0 && (e.purposes.empty() || e.purposes.count(purpose)) &&
           (!record || e.subject_roles == 0 || (e.subject_roles & role_bit) != 0);
  };
  const std::string whose = role_bit == 0 || role == v1::SUBJECT_ROLE_UNSPECIFIED
                                ? std::string("a subject of no known role")
                                : absl::StrCat("the ", NameOf(role));
  const std::string what = record ? absl::StrCat(verb, " consent for ", purpose, " of ", whose)
                                  : absl::StrCat(verb, " consent state for ", purpose);
  for (const ConsentAuthorityRule& e : authority.rules) {
    if (e.effect == Effect::kForbid && covers(e)) {
      return {false, e.id,
              absl::StrCat(agency, " may not ", what, e.description.empty() ? "" : ": ", e.description)};
    }
  }
  for (const ConsentAuthorityRule& e : authority.rules) {
    if (e.effect == Effect::kPermit && covers(e)) return {true, e.id, e.description};
  }
  return {false, kDefaultDeny, absl::StrCat("no consent_authority entry lets ", agency, " ", what)};
}

}  // namespace

ConsentAuthorityDecision Evaluator::MayRecordConsent(const std::string& agency, const std::string& purpose,
                                                     v1::SubjectRole role) const {
  return DecideConsentAuthority(*policy_, ConsentAction::kRecord, agency, purpose, role);
}

ConsentAuthorityDecision Evaluator::MayRecordConsent(const v1::EventHeader& header) const {
  const v1::ConsentStatement& cs = header.consent_statement();
  std::optional<ConsentAuthorityDecision> allowed;
  for (const v1::SubjectRef& s : header.subjects()) {
    if (s.ref() != cs.subject_ref()) continue;
    ConsentAuthorityDecision d = MayRecordConsent(header.sender(), cs.purpose(), s.role());
    if (!d.allowed) return d;
    if (!allowed) allowed = std::move(d);
  }
  if (allowed) return *std::move(allowed);
  return {false, kDefaultDeny, "the consent statement's subject is not one of the event's subjects"};
}

ConsentAuthorityDecision Evaluator::MayReadConsent(const std::string& agency, const std::string& purpose) const {
  return DecideConsentAuthority(*policy_, ConsentAction::kRead, agency, purpose, v1::SUBJECT_ROLE_UNSPECIFIED);
}

v1::Decision Evaluator::Evaluate(const v1::EventHeader& header, const CaseContext& context,
                                 const ConsentLookup& consent) const {
  return Evaluation(*policy_, header, context, consent).Run();
}

}  // namespace accord::policy
