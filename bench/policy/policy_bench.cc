// Decision latency for the 7-agency example policy (target: < 5 µs on one core).
#include <benchmark/benchmark.h>

#include "policy/evaluator.h"
#include "policy/loader.h"

namespace accord::policy {
namespace {

std::shared_ptr<const Policy> Example() {
  static const auto loaded = LoadPolicyFile(std::string(ACCORD_SOURCE_DIR) + "/tests/policies/one-programme.yaml");
  return loaded->policy;
}

v1::EventHeader Incident() {
  v1::EventHeader h;
  h.set_event_id("bench");
  h.set_sender("police");
  h.set_kind(v1::EVENT_KIND_DOMESTIC_INCIDENT);
  h.mutable_risk()->set_level(v1::RISK_LEVEL_HIGH);
  h.add_flags(v1::FLAG_CHILDREN_IN_HOUSEHOLD);
  for (const char* r : {"victim", "perpetrator"}) {
    v1::SubjectRef* s = h.add_subjects();
    s->set_ref(std::string(64, r[0]));
    s->set_role(r[0] == 'v' ? v1::SUBJECT_ROLE_VICTIM : v1::SUBJECT_ROLE_PERPETRATOR);
  }
  for (const char* s : {"summary", "risk", "detail", "children", "victim_contact"}) h.add_sections()->set_name(s);
  return h;
}

void BM_HighRiskIncident(benchmark::State& state) {
  Evaluator e(Example());
  const v1::EventHeader h = Incident();
  const CaseContext ctx;
  const ConsentLookup consent = [](const std::string&, const std::string&) { return v1::CONSENT_STATE_GIVEN; };
  for (auto _ : state) benchmark::DoNotOptimize(e.Evaluate(h, ctx, consent));
}
BENCHMARK(BM_HighRiskIncident);

void BM_ProgrammeAlertWithOverride(benchmark::State& state) {
  Evaluator e(Example());
  v1::EventHeader h = Incident();
  h.set_sender("perpetrator_programme");
  h.set_kind(v1::EVENT_KIND_RISK_ALERT);
  h.add_sections()->set_name("override_justification");
  h.mutable_override()->set_reason("risk_to_child");
  h.mutable_override()->mutable_authorised_by()->set_role("programme_manager");
  h.mutable_override()->mutable_authorised_by()->set_staff_ref("s-1");
  h.mutable_override()->set_justification_section("override_justification");
  CaseContext ctx;
  ctx.relations["referrer"] = {"probation"};
  ctx.relations["partner_support"] = {"victim_services"};
  const ConsentLookup consent = [](const std::string&, const std::string&) { return v1::CONSENT_STATE_WITHDRAWN; };
  for (auto _ : state) benchmark::DoNotOptimize(e.Evaluate(h, ctx, consent));
}
BENCHMARK(BM_ProgrammeAlertWithOverride);

}  // namespace
}  // namespace accord::policy
