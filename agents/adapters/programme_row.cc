#include "agents/adapters/programme_row.h"

#include "agents/adapters/sections.h"

namespace accord::agents {

// Common columns, the participant (required), the partner (the victim, when
// known; `partner_prefix` names the columns: "partner", or "new_partner" for
// a new relationship), children, the case reference and the programme.
// `referrer` and `partner_support` are read on every record (exports made
// before issue 12 carry them on every row) but only the records that address
// an event use them: the broker learns the referrer from the referral itself,
// and the partner-support service declares itself.
ProgrammeRow ReadProgrammeRow(FieldReader& r, const MapContext& ctx, EventBuilder* b,
                              const std::string& partner_prefix) {
  ProgrammeRow row;
  row.at = ReadCommon(r, kFacilitator, b);
  row.programme = r.Identifier("programme");
  row.participant = ReadSubject(r, *ctx.linkage_key, "participant", Need::kRequired);
  row.partner = ReadSubject(r, *ctx.linkage_key, partner_prefix, Need::kOptional);
  const std::vector<Subject> children = ReadSubjectList(r, *ctx.linkage_key, "children");
  CheckBornBefore(r, row.participant, "participant", row.at);
  CheckBornBefore(r, row.partner, partner_prefix, row.at);
  if (row.partner) b->AddSubject(v1::SUBJECT_ROLE_VICTIM, row.partner->ref);
  if (row.participant) b->AddSubject(v1::SUBJECT_ROLE_PERPETRATOR, row.participant->ref);
  SetCaseRef(r, row.partner, b);
  AddChildren(r, children, row.at, false, b);
  row.referrer = r.Identifier("referrer");
  row.partner_support = r.Identifier("partner_support");
  if (std::optional<bool> f = r.Bool("false_compliance"); f == true) b->AddFlag(v1::FLAG_FALSE_COMPLIANCE);
  if (std::optional<bool> h = r.Bool("high_harm"); h == true) b->AddFlag(v1::FLAG_HIGH_HARM);
  return row;
}

// The relation the record types of exports made before issue 12 declare
// while he is on the programme: `programme` = this agency. A programme
// declares nothing else: the referrer is the sender of the referral (the
// broker records it from the referral itself) and the partner-support
// service declares itself, so a programme that declared either would be
// refused by a policy that says who may declare them (docs/policy.md
// §Relations). The lifecycle records declare `programme` only on acceptance.
void DeclareProgramme(EventBuilder* b) { b->AddRelation("programme", b->context().agency); }

// Addresses the event to `agency`, the value ReadProgrammeRow read from
// `column` (required or not); never to this agency itself.
void AddressTo(FieldReader& r, const std::string& column, const std::string& agency, Need need,
               EventBuilder* b) {
  if (agency.empty()) {
    if (need == Need::kRequired && !r.Has(column)) r.Fail(absl::StrCat(column, " is required"));
    return;
  }
  if (agency == b->context().agency) {
    r.Fail(absl::StrCat(column, " '", agency, "' is this agency: an event cannot be addressed to its sender"));
    return;
  }
  b->SetDestination(agency, "");
}

// A risk assessment whose level may not fall below previous_risk_level:
// completion, step-down, de-selection and drop-out never lower a case's
// standing risk (seed 003 l.456: "abuse can increase if cases are
// de-escalated before ensuring interventions have been successful").
std::optional<v1::RiskDetail> ReadNonFallingRisk(FieldReader& r, Need need, const std::string& record) {
  std::optional<v1::RiskDetail> risk = ReadRisk(r, need, v1::RISK_TOOL_PROFESSIONAL_JUDGEMENT);
  if (risk && risk->previous_level() != v1::RISK_LEVEL_UNSPECIFIED && risk->level() < risk->previous_level()) {
    r.Fail(absl::StrCat("risk_level is below previous_risk_level: a ", record,
                        " never lowers the case's risk (record the reassessment as an assessment)"));
  }
  return risk;
}

}  // namespace accord::agents
