// The compiled information-sharing policy (DESIGN.md §6, docs/policy.md).
// Agencies, sections, event kinds and flags are bit positions, so evaluation
// is a handful of mask operations per rule. Immutable once built.
#ifndef ACCORD_POLICY_POLICY_H_
#define ACCORD_POLICY_POLICY_H_

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "accord/v1/directory.pb.h"
#include "accord/v1/envelope.pb.h"
#include "accord/v1/policy.pb.h"

namespace accord::policy {

using Mask = uint64_t;  // bit i: agency i, section i, event kind i or flag i
inline constexpr int kMaxAgencies = 64;
inline constexpr int kMaxSections = 64;
inline constexpr Mask kAll = ~Mask{0};
// An event's sections beyond this many are withheld from everyone.
inline constexpr int kMaxEventSections = 64;
// Section roles, indexed by v1::SubjectRole; 0 is a name without a role.
inline constexpr int kRoleSlots = 5;

// 0 for a position outside the mask (an undefined enum value never matches).
inline Mask Bit(int i) { return (i >= 0 && i < 64) ? Mask{1} << i : Mask{0}; }

// Where something was written, for messages a person can act on.
struct SourceLocation {
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;
};

struct Diagnostic {
  SourceLocation at;
  std::string message;
};

struct Agency {
  std::string id;
  v1::AgencyKind kind = v1::AGENCY_KIND_UNSPECIFIED;
};

// Recipients: fixed agencies (by id or kind) plus case relations resolved at
// evaluation time (e.g. "referrer" of the case), and the header's destination.
struct Targets {
  Mask agencies = 0;
  std::vector<std::string> relations;
  bool destination = false;     // the header's destination agency, if in the policy
};

// The sections a rule names (docs/policy.md §Sections about a person): a base
// alone ("health") stands for that base with any role or none; "health@victim"
// for that role only. Bit i is the policy's section (base) i.
struct SectionSet {
  Mask any_role = 0;                     // "health"; kAll for a forbid's "all"
  std::array<Mask, kRoleSlots> role{};   // role[r]: "health@<r>"; role[0] unused

  bool empty() const;
  // The bases named with any role or none.
  Mask Bases() const;
  // The bases this set matches in a section name with role `r` (0: no role).
  // A permit of "health@perpetrator" never matches a name without a role; a
  // forbid of "health@victim" (any role) does: the unknown subject may be hers.
  Mask Matching(int r, bool forbid) const;
};

// A condition on the event's perpetrators across cases (docs/policy.md
// §Perpetrators across cases), judged on what the broker knows of each
// perpetrator (CaseContext.perpetrators) and this event. Holds when one
// perpetrator meets every part written.
struct PerpetratorCondition {
  bool active = false;           // the rule or pattern has one
  int other_open_cases = 0;      // at least this many other open cases (0: not asked)
  int incidents = 0;             // at least this many incidents ... (0: not asked)
  int different_victims = 1;     // ... with at least this many different victims
  int within_days = 0;           // ... within this many days before now
  Mask incident_kinds = 0;       // the event kinds that count as incidents

  bool operator==(const PerpetratorCondition&) const = default;
};

struct Condition {
  Mask senders = kAll;          // agencies that may be the sender
  Mask event_kinds = kAll;      // bit = EventKind number
  v1::RiskLevel min_risk = v1::RISK_LEVEL_UNSPECIFIED;
  Mask flags_all = 0;           // bit = Flag number; all must be set
  Mask flags_any = 0;           // at least one must be set (if non-zero)
  Mask about = kAll;            // bit = SubjectRole of header.about; kAll: any, none included
  Mask destinations = kAll;     // agency of header.destination; kAll: any, none included
  v1::RiskLevel min_case_risk = v1::RISK_LEVEL_UNSPECIFIED;  // the case's standing risk (or this event's, if higher)
  PerpetratorCondition perpetrator;
};

enum class Effect { kPermit, kForbid, kNotify };

struct Rule {
  std::string id;
  std::string description;
  Effect effect = Effect::kPermit;
  Condition when;
  Targets to;
  SectionSet sections;          // forbid: any_role == kAll means every section
  v1::LawfulBasis basis = v1::LAWFUL_BASIS_UNSPECIFIED;
  std::string consent_purpose;  // basis consent only
  v1::SubjectRole consent_subject = v1::SUBJECT_ROLE_VICTIM;
  std::string condition;        // special-category condition (special_category.h), when it releases one
  SourceLocation at;
};

// Sharing beyond consent because someone is at risk of serious harm.
struct OverrideRule {
  std::string id;
  std::string description;
  Mask invokers = 0;                   // agencies allowed to invoke it
  std::set<std::string> reasons;       // accepted header.override.reason values
  Mask event_kinds = kAll;
  Targets to;
  SectionSet sections;
  v1::LawfulBasis basis = v1::LAWFUL_BASIS_UNSPECIFIED;
  int justification_section = -1;      // section index; delivered to `auditors`
  Mask auditors = 0;
  std::string condition;               // special-category condition, when it releases one
  SourceLocation at;
};

// Who may record consent (give, refuse or withdraw it) and who may read the
// consent state the broker holds (docs/policy.md §Consent authority). Default
// deny; a forbid entry beats any permit.
enum class ConsentAction { kRecord, kRead };

struct ConsentAuthorityRule {
  std::string id;
  std::string description;
  Effect effect = Effect::kPermit;       // kPermit or kForbid
  ConsentAction action = ConsentAction::kRecord;
  Mask agencies = 0;
  std::set<std::string> purposes;        // empty: every purpose (forbid only)
  Mask subject_roles = 0;                // bit = SubjectRole; 0: every role (forbid, or read)
  SourceLocation at;
};

struct ConsentAuthority {
  bool present = false;                  // the policy has a consent_authority section
  SourceLocation at;
  std::vector<ConsentAuthorityRule> rules;
  // Purposes consent is recorded for although no consent rule rests on them.
  std::set<std::string> purposes_without_rules;
};

enum class RelationScope {
  kCase,         // held by the case it was declared in
  kPerpetrator,  // held by the perpetrator's pseudonym: every case he is a subject of
};

// Who may declare a relation, whom it belongs to, and which events end or
// imply it (docs/policy.md §Relations).
struct RelationSpec {
  std::string name;              // "programme", "referrer", ...
  std::string id;                // names the entry in decisions
  std::string description;
  Mask declarers = 0;            // agencies (by id or kind) that may declare and end it
  Mask declaring_events = 0;     // senders_of: the sender of an event of these kinds may
  std::string declarers_text;    // e.g. "an agency of kind victim_services", for messages
  bool self = false;             // the declared agency must be the declaring one
  RelationScope scope = RelationScope::kCase;
  Mask ends_on = 0;              // kinds that end it when the related agency sends one
  Mask implied_by = 0;           // kinds that declare it for their sender, if it may declare it
  SourceLocation at;
};

struct Relations {
  bool present = false;          // the policy has a relations section
  SourceLocation at;
  std::vector<RelationSpec> specs;

  const RelationSpec* Find(std::string_view name) const;
};

// A pattern the broker watches for across a perpetrator's cases, raising one
// SERIAL_PATTERN notice per perpetrator to its targets (docs/policy.md
// §Patterns).
struct PatternSpec {
  std::string id;
  std::string description;
  PerpetratorCondition perpetrator;
  Targets notify;
  SourceLocation at;
};

struct ScheduleStepSpec {
  std::string label;  // "2 months"
  int after_days = 0;
};

// Reminders (FEEDBACK_DUE) the broker raises after an event that starts the
// schedule (docs/policy.md §Schedules).
struct ScheduleSpec {
  std::string id;
  std::string description;
  Mask started_by_events = 0;
  Mask started_by_senders = kAll;  // agencies (by id or kind); kAll: any sender
  std::vector<ScheduleStepSpec> steps;
  Targets notify;
  SourceLocation at;
};

class Policy {
 public:
  const std::string& name() const { return name_; }
  // Lowercase hex SHA-256 of the canonical form (docs/policy.md §Hash).
  const std::string& version() const { return version_; }
  const std::vector<Agency>& agencies() const { return agencies_; }
  const std::vector<std::string>& sections() const { return sections_; }
  const std::vector<Rule>& rules() const { return rules_; }
  const std::vector<OverrideRule>& overrides() const { return overrides_; }
  const ConsentAuthority& consent_authority() const { return consent_authority_; }
  const Relations& relations() const { return relations_; }
  const std::vector<PatternSpec>& patterns() const { return patterns_; }
  const std::vector<ScheduleSpec>& schedules() const { return schedules_; }
  // Bit i: section (base) i holds special-category data (docs/policy.md §Special category).
  Mask special_category() const { return special_category_; }

  // -1 when unknown. SectionIndex takes a base ("health"), not "health@victim".
  int AgencyIndex(const std::string& id) const;
  int SectionIndex(std::string_view base) const;
  Mask AgenciesOfKind(v1::AgencyKind kind) const;

 private:
  friend class PolicyBuilder;
  std::string name_;
  std::string version_;
  std::vector<Agency> agencies_;
  std::vector<std::string> sections_;
  std::vector<Rule> rules_;
  std::vector<OverrideRule> overrides_;
  ConsentAuthority consent_authority_;
  Relations relations_;
  std::vector<PatternSpec> patterns_;
  std::vector<ScheduleSpec> schedules_;
  Mask special_category_ = 0;
  std::map<std::string, int, std::less<>> agency_index_;
  std::map<std::string, int, std::less<>> section_index_;
};

// Filled by the loader; the only way to make a Policy.
class PolicyBuilder {
 public:
  explicit PolicyBuilder(Policy* p) : p_(p) {}
  void SetName(std::string name) { p_->name_ = std::move(name); }
  void SetVersion(std::string version) { p_->version_ = std::move(version); }
  void AddAgency(Agency a);
  void AddSection(std::string name);
  void AddRule(Rule r) { p_->rules_.push_back(std::move(r)); }
  void AddOverride(OverrideRule o) { p_->overrides_.push_back(std::move(o)); }
  void SetConsentAuthority(ConsentAuthority a) { p_->consent_authority_ = std::move(a); }
  void SetRelations(Relations r) { p_->relations_ = std::move(r); }
  void AddPattern(PatternSpec p) { p_->patterns_.push_back(std::move(p)); }
  void AddSchedule(ScheduleSpec s) { p_->schedules_.push_back(std::move(s)); }
  void SetSpecialCategory(Mask m) { p_->special_category_ = m; }

 private:
  Policy* p_;
};

}  // namespace accord::policy

#endif  // ACCORD_POLICY_POLICY_H_
