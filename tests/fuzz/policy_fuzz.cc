// Policy loading from text (policy/loader.h), then what the broker does with a
// policy that loaded: lint it and evaluate events from each of its agencies.
// The decision may only grant sections the event has, never to the sender.
#include <cstddef>
#include <cstdint>
#include <string>

#include "policy/evaluator.h"
#include "policy/lint.h"
#include "policy/loader.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

accord::v1::EventHeader Incident(const std::string& sender, bool with_override) {
  using namespace accord;
  v1::EventHeader h;
  h.set_version(1);
  h.set_event_id("fuzz-1");
  h.set_sender(sender);
  h.set_kind(v1::EVENT_KIND_DOMESTIC_INCIDENT);
  h.set_case_ref("case-1");
  h.mutable_risk()->set_level(v1::RISK_LEVEL_HIGH);
  h.add_flags(v1::FLAG_CHILDREN_IN_HOUSEHOLD);
  for (auto [ref, role] : {std::pair{'a', v1::SUBJECT_ROLE_VICTIM}, std::pair{'b', v1::SUBJECT_ROLE_PERPETRATOR},
                           std::pair{'c', v1::SUBJECT_ROLE_CHILD}}) {
    v1::SubjectRef* s = h.add_subjects();
    s->set_ref(std::string(64, ref));
    s->set_role(role);
  }
  for (const char* s : {"summary", "risk", "detail", "children", "victim_contact", "override_justification"}) {
    h.add_sections()->set_name(s);
  }
  h.mutable_consent()->set_purpose("victim_support");
  if (with_override) {
    h.mutable_override()->set_reason("risk_to_child");
    h.mutable_override()->mutable_authorised_by()->set_role("inspector");
    h.mutable_override()->mutable_authorised_by()->set_staff_ref("1187");
  }
  return h;
}

void CheckDecision(const accord::v1::EventHeader& h, const accord::v1::Decision& d) {
  for (const auto& r : d.recipients()) {
    if (r.recipient() == h.sender() && r.grants_size() > 0) accord::fuzz::Fail("the sender receives its own event");
    for (const auto& g : r.grants()) {
      bool indexed = false;
      for (const auto& s : h.sections()) indexed = indexed || s.name() == g.section();
      if (!indexed) accord::fuzz::Fail("granted a section the event does not have: " + g.section());
    }
  }
}

// Relations, patterns and schedules: what the broker's case book asks of a
// policy that loaded. A relation is allowed only if the policy names it;
// recipients are agencies of the policy; steps come in order.
void CheckLifecycle(const accord::policy::Evaluator& e, const accord::v1::EventHeader& h,
                    const accord::policy::CaseContext& ctx) {
  using namespace accord;
  const policy::Policy& p = e.policy();
  for (const policy::RelationSpec& spec : p.relations().specs) {
    for (bool ended : {false, true}) {
      v1::CaseRelation r;
      r.set_relation(spec.name);
      r.set_agency(h.sender());
      r.set_ended(ended);
      if (e.MayDeclareRelation(h, r).allowed && p.AgencyIndex(h.sender()) < 0) {
        fuzz::Fail("a sender outside the policy may declare a relation");
      }
    }
  }
  v1::CaseRelation unnamed;
  unnamed.set_relation("not-a-relation-of-any-policy");
  unnamed.set_agency(h.sender());
  if (e.MayDeclareRelation(h, unnamed).allowed) fuzz::Fail("a relation the policy does not name may be declared");
  (void)e.RelationsEndedBy(h);
  (void)e.RelationsImpliedBy(h);
  for (const policy::PatternMatch& m : e.PatternsMatched(h, ctx)) {
    for (const std::string& a : m.recipients) {
      if (p.AgencyIndex(a) < 0) fuzz::Fail("a pattern notifies an agency outside the policy");
    }
  }
  for (const policy::ScheduleStart& s : e.SchedulesStartedBy(h)) {
    for (std::size_t i = 1; i < s.steps.size(); ++i) {
      if (s.steps[i].after <= s.steps[i - 1].after) fuzz::Fail("schedule steps out of order");
    }
    for (const std::string& a : e.NoticeRecipients(s.schedule_id, ctx)) {
      if (p.AgencyIndex(a) < 0) fuzz::Fail("a schedule notifies an agency outside the policy");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace accord;
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<policy::LoadResult> loaded = policy::ParsePolicy(text, "fuzz.yaml");
  absl::StatusOr<std::string> canonical = policy::CanonicalForm(text);
  if (!loaded.ok()) return 0;
  if (!canonical.ok()) fuzz::Fail("a policy that loads has no canonical form");
  (void)policy::Lint(*loaded->policy);
  const policy::Evaluator evaluator(loaded->policy);
  policy::CaseContext context;
  context.relations["referrer"].push_back("probation");
  context.facts.push_back(v1::FLAG_CASE_LISTED_AT_MARAC);
  context.standing_risk = v1::RISK_LEVEL_HIGH;
  context.now = absl::FromUnixSeconds(1750000000);
  context.perpetrators.push_back({std::string(64, 'b'), 1,
                                  {{context.now - absl::Hours(24 * 30), "case-0", {"v-0"}, v1::EVENT_KIND_DOMESTIC_INCIDENT}}});
  for (const policy::Agency& a : loaded->policy->agencies()) {
    for (bool with_override : {false, true}) {
      const v1::EventHeader h = Incident(a.id, with_override);
      CheckDecision(h, evaluator.Evaluate(h, context, [](const std::string&, const std::string& purpose) {
        return purpose == "victim_support" ? v1::CONSENT_STATE_GIVEN : v1::CONSENT_STATE_WITHDRAWN;
      }));
      if (!with_override) CheckLifecycle(evaluator, h, context);
    }
  }
  return 0;
}
