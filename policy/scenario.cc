#include "policy/scenario.h"

#include <algorithm>
#include <cstdint>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "policy/explain.h"
#include "policy/names.h"
#include "policy/yaml_document.h"
#include "yaml-cpp/yaml.h"

namespace accord::policy {
namespace {

// Risk tool scores are small (DASH counts 0-27); anything larger is a typo.
constexpr int32_t kMaxRiskScore = 1000;

absl::Status Err(const std::string& src, const YAML::Node& n, const std::string& msg) {
  return absl::InvalidArgumentError(absl::StrCat(src, ":", n.Mark().line + 1, ":", n.Mark().column + 1, ": ", msg));
}

absl::Status CheckKeys(const std::string& src, const YAML::Node& n, const std::set<std::string>& allowed,
                       const std::string& what) {
  if (!n.IsMap()) return Err(src, n, absl::StrCat(what, " must be a mapping"));
  for (const auto& kv : n) {
    if (allowed.count(kv.first.as<std::string>()) == 0) {
      return Err(src, kv.first, absl::StrCat("unknown key '", kv.first.as<std::string>(), "' in ", what, " (allowed: ",
                                             absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> Strings(const YAML::Node& n) {
  std::vector<std::string> out;
  if (!n.IsDefined() || n.IsNull()) return out;
  if (n.IsScalar()) {
    out.push_back(n.as<std::string>());
  } else {
    for (const YAML::Node& v : n) out.push_back(v.as<std::string>());
  }
  return out;
}

// Resolves "victim" etc. to the subject ref of that role, else the text itself.
std::string SubjectRef(const v1::EventHeader& h, const std::string& who) {
  std::optional<v1::SubjectRole> role = SubjectRoleFromName(who);
  if (role) {
    for (const v1::SubjectRef& s : h.subjects()) {
      if (s.role() == *role) return s.ref();
    }
  }
  return who;
}

absl::Status ParseConsentMap(const std::string& src, const YAML::Node& n, Scenario* sc) {
  if (!n.IsMap()) return Err(src, n, "consent must map a subject to {purpose: state}");
  for (const auto& subject : n) {
    if (!subject.second.IsMap()) return Err(src, subject.second, "consent must map a subject to {purpose: state}");
    for (const auto& purpose : subject.second) {
      const std::string state_name = purpose.second.as<std::string>();
      std::optional<v1::ConsentState> state = ConsentStateFromName(state_name);
      if (!state) {
        return Err(src, purpose.second, absl::StrCat("consent state '", state_name,
                                                     "' is not given, refused, withdrawn, not_sought or lacks_capacity"));
      }
      sc->consent[{SubjectRef(sc->header, subject.first.as<std::string>()), purpose.first.as<std::string>()}] = *state;
    }
  }
  return absl::OkStatus();
}

absl::Status ParseEvent(const std::string& src, const YAML::Node& n, Scenario* sc) {
  if (auto s = CheckKeys(src, n, {"kind", "sender", "risk", "flags", "subjects", "sections", "override", "relations",
                                  "ended_relations", "case", "event_id", "consent_reference", "destination", "about",
                                  "in_reply_to", "case_ref"},
                         "event");
      !s.ok())
    return s;
  for (const char* key : {"kind", "sender", "sections"}) {
    if (!n[key]) return Err(src, n, absl::StrCat("event is missing '", key, "'"));
  }
  v1::EventHeader& h = sc->header;
  h.set_version(1);
  h.set_event_id(n["event_id"] ? n["event_id"].as<std::string>() : "explain");
  std::optional<v1::EventKind> kind = EventKindFromName(n["kind"].as<std::string>());
  if (!kind) {
    return Err(src, n["kind"], absl::StrCat("unknown event kind '", n["kind"].as<std::string>(), "' (kinds: ",
                                            absl::StrJoin(EventKindNames(), ", "), ")"));
  }
  h.set_kind(*kind);
  h.set_sender(n["sender"].as<std::string>());
  if (const YAML::Node r = n["risk"]) {
    const YAML::Node level = r.IsMap() ? r["level"] : r;
    std::optional<v1::RiskLevel> l = RiskLevelFromName(level.as<std::string>(""));
    if (!l) return Err(src, level, "risk must be standard, medium, high or very_high");
    h.mutable_risk()->set_level(*l);
    if (r.IsMap() && r["score"]) {
      int32_t score = 0;
      if (auto s = yaml::ReadInteger<int32_t>(r["score"], src, "risk score", 0, kMaxRiskScore, &score); !s.ok()) {
        return s;
      }
      h.mutable_risk()->set_score(score);
    }
  }
  for (const std::string& f : Strings(n["flags"])) {
    std::optional<v1::Flag> flag = FlagFromName(f);
    if (!flag) return Err(src, n["flags"], absl::StrCat("unknown flag '", f, "' (flags: ", absl::StrJoin(FlagNames(), ", "), ")"));
    h.add_flags(*flag);
  }
  if (const YAML::Node subjects = n["subjects"]) {
    if (!subjects.IsMap()) return Err(src, subjects, "subjects must map a role to a reference, e.g. victim: v1");
    for (const auto& kv : subjects) {
      std::optional<v1::SubjectRole> role = SubjectRoleFromName(kv.first.as<std::string>());
      if (!role) return Err(src, kv.first, "subject role must be victim, perpetrator, child or other");
      for (const std::string& ref : Strings(kv.second)) {
        v1::SubjectRef* s = h.add_subjects();
        s->set_role(*role);
        s->set_ref(ref);
      }
    }
  }
  for (const std::string& name : Strings(n["sections"])) h.add_sections()->set_name(name);
  if (const YAML::Node o = n["override"]) {
    if (auto s = CheckKeys(src, o, {"reason", "authorised_by", "justification_section"}, "override"); !s.ok()) return s;
    h.mutable_override()->set_reason(o["reason"].as<std::string>(""));
    if (const YAML::Node a = o["authorised_by"]) {
      h.mutable_override()->mutable_authorised_by()->set_role(a["role"].as<std::string>(""));
      h.mutable_override()->mutable_authorised_by()->set_staff_ref(a["staff_ref"].as<std::string>(""));
    }
    h.mutable_override()->set_justification_section(
        o["justification_section"].as<std::string>("override_justification"));
  }
  if (const YAML::Node c = n["consent_reference"]) {
    h.mutable_consent()->set_purpose(c["purpose"].as<std::string>(""));
    h.mutable_consent()->set_subject_ref(SubjectRef(h, c["subject"].as<std::string>("victim")));
  }
  for (const char* key : {"relations", "ended_relations"}) {
    const YAML::Node rel = n[key];
    if (!rel) continue;
    if (!rel.IsMap()) return Err(src, rel, absl::StrCat(key, " must map a relation to an agency"));
    for (const auto& kv : rel) {
      for (const std::string& agency : Strings(kv.second)) {
        v1::CaseRelation* r = h.add_relations();
        r->set_relation(kv.first.as<std::string>());
        r->set_agency(agency);
        r->set_ended(std::string(key) == "ended_relations");
      }
    }
  }
  if (const YAML::Node d = n["destination"]) {
    if (d.IsScalar()) {
      h.mutable_destination()->set_agency(d.as<std::string>());
    } else {
      if (auto s = CheckKeys(src, d, {"agency", "service"}, "destination"); !s.ok()) return s;
      h.mutable_destination()->set_agency(d["agency"].as<std::string>(""));
      h.mutable_destination()->set_service(d["service"].as<std::string>(""));
    }
  }
  if (const YAML::Node a = n["about"]) {
    std::optional<v1::SubjectRole> role = SubjectRoleFromName(a.as<std::string>(""));
    if (!role) return Err(src, a, "about must be victim, perpetrator, child or other");
    h.set_about(*role);
  }
  if (n["in_reply_to"]) h.set_in_reply_to(n["in_reply_to"].as<std::string>());
  h.set_case_ref(n["case_ref"] ? n["case_ref"].as<std::string>() : "case");
  h.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  const absl::Time now = absl::FromUnixSeconds(h.occurred_at().seconds());
  if (const YAML::Node c = n["case"]) {
    if (auto s = CheckKeys(src, c, {"relations", "facts", "standing_risk", "perpetrators"}, "case"); !s.ok()) return s;
    if (c["relations"]) {
      for (const auto& kv : c["relations"]) sc->context.relations[kv.first.as<std::string>()] = Strings(kv.second);
    }
    for (const std::string& f : Strings(c["facts"])) {
      std::optional<v1::Flag> flag = FlagFromName(f);
      if (!flag) return Err(src, c["facts"], absl::StrCat("unknown case fact '", f, "'"));
      sc->context.facts.push_back(*flag);
    }
    if (const YAML::Node r = c["standing_risk"]) {
      std::optional<v1::RiskLevel> l = RiskLevelFromName(r.as<std::string>(""));
      if (!l) return Err(src, r, "standing_risk must be standard, medium, high or very_high");
      sc->context.standing_risk = *l;
    }
    if (const YAML::Node ps = c["perpetrators"]) {
      if (!ps.IsSequence()) return Err(src, ps, "case perpetrators must be a list of {ref, other_open_cases, incidents}");
      for (const YAML::Node& p : ps) {
        if (auto s = CheckKeys(src, p, {"ref", "other_open_cases", "incidents"}, "case perpetrator"); !s.ok()) return s;
        if (!p["ref"]) return Err(src, p, "a case perpetrator needs 'ref' (a subject role or reference)");
        PerpetratorHistory history;
        history.subject_ref = SubjectRef(h, p["ref"].as<std::string>());
        if (p["other_open_cases"]) {
          if (auto s = yaml::ReadInteger<int>(p["other_open_cases"], src, "other_open_cases", 0, 1000,
                                              &history.other_open_cases);
              !s.ok())
            return s;
        }
        if (const YAML::Node is = p["incidents"]) {
          if (!is.IsSequence()) return Err(src, is, "incidents must be a list of {days_ago, case, victims, kind}");
          for (const YAML::Node& i : is) {
            if (auto s = CheckKeys(src, i, {"days_ago", "case", "victims", "kind"}, "incident"); !s.ok()) return s;
            Incident incident;
            int days = 0;
            if (i["days_ago"]) {
              if (auto s = yaml::ReadInteger<int>(i["days_ago"], src, "days_ago", 0, 36500, &days); !s.ok()) return s;
            }
            incident.at = now - absl::Hours(24) * days;
            incident.case_ref = i["case"] ? i["case"].as<std::string>() : "other-case";
            incident.victim_refs = Strings(i["victims"]);
            const std::string kind_name = i["kind"] ? i["kind"].as<std::string>() : "domestic_incident";
            std::optional<v1::EventKind> k = EventKindFromName(kind_name);
            if (!k) return Err(src, i["kind"], absl::StrCat("unknown event kind '", kind_name, "'"));
            incident.kind = *k;
            history.incidents.push_back(std::move(incident));
          }
        }
        sc->context.perpetrators.push_back(std::move(history));
      }
    }
  }
  return absl::OkStatus();
}

// consent_authority: {agency, action, purpose, subject}; expect: allow|deny; rule.
absl::StatusOr<TestCase> ParseConsentAuthorityCase(const std::string& src, const YAML::Node& c) {
  if (auto st = CheckKeys(src, c, {"name", "consent_authority", "expect", "rule"}, "consent-authority case"); !st.ok())
    return st;
  if (!c["name"] || !c["expect"]) return Err(src, c, "a consent-authority case needs 'name' and 'expect: allow|deny'");
  TestCase t;
  t.name = c["name"].as<std::string>();
  t.line = c.Mark().line + 1;
  const YAML::Node q = c["consent_authority"];
  if (auto st = CheckKeys(src, q, {"agency", "action", "purpose", "subject"}, "consent_authority"); !st.ok()) return st;
  for (const char* key : {"agency", "action", "purpose"}) {
    if (!q[key] || !q[key].IsScalar()) return Err(src, q, absl::StrCat("consent_authority needs '", key, "'"));
  }
  ConsentAuthorityCase ca;
  ca.agency = q["agency"].as<std::string>();
  ca.purpose = q["purpose"].as<std::string>();
  const std::string action = q["action"].as<std::string>();
  if (action == "record") {
    ca.action = ConsentAction::kRecord;
    if (!q["subject"]) return Err(src, q, "a record question needs 'subject' (victim, perpetrator, child or other)");
    std::optional<v1::SubjectRole> role = SubjectRoleFromName(q["subject"].as<std::string>(""));
    if (!role) return Err(src, q["subject"], "subject must be victim, perpetrator, child or other");
    ca.subject = *role;
  } else if (action == "read") {
    ca.action = ConsentAction::kRead;
    if (q["subject"]) {
      return Err(src, q["subject"], "a read question has no subject: GetConsent asks by subject_ref and purpose");
    }
  } else {
    return Err(src, q["action"], absl::StrCat("action '", action, "' is not record or read"));
  }
  const std::string expect = c["expect"].IsScalar() ? c["expect"].as<std::string>() : "";
  if (expect != "allow" && expect != "deny") return Err(src, c["expect"], "expect must be 'allow' or 'deny'");
  ca.expect_allowed = expect == "allow";
  if (c["rule"]) ca.expect_rule = c["rule"].as<std::string>();
  t.consent_authority = std::move(ca);
  return t;
}

CaseResult RunConsentAuthorityCase(const Evaluator& evaluator, const TestCase& test) {
  const ConsentAuthorityCase& ca = *test.consent_authority;
  CaseResult result{test.name, test.line, {}, {}, {}};
  const ConsentAuthorityDecision d = ca.action == ConsentAction::kRecord
                                         ? evaluator.MayRecordConsent(ca.agency, ca.purpose, ca.subject)
                                         : evaluator.MayReadConsent(ca.agency, ca.purpose);
  const std::string got = ExplainConsentAuthorityDecision(d);
  if (d.allowed != ca.expect_allowed) {
    result.failures.push_back(absl::StrCat("expected ", ca.expect_allowed ? "allow" : "deny", ", got ", got));
  } else if (!ca.expect_rule.empty() && d.rule_id != ca.expect_rule) {
    result.failures.push_back(absl::StrCat("expected the decision of rule '", ca.expect_rule, "', got ", got));
  }
  result.consent_authority = d;
  return result;
}

template <typename F>
absl::Status Guard(const std::string& path, F&& body) {
  try {
    return body();
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
}

std::set<std::string> Granted(const v1::Decision& d, const std::string& agency, bool* notified) {
  std::set<std::string> out;
  *notified = false;
  for (const v1::RecipientDecision& r : d.recipients()) {
    if (r.recipient() != agency) continue;
    *notified = r.notification_only();
    for (const v1::SectionGrant& g : r.grants()) out.insert(g.section());
  }
  return out;
}

}  // namespace

ConsentLookup Scenario::Lookup() const {
  return [this](const std::string& ref, const std::string& purpose) {
    auto it = consent.find({ref, purpose});
    return it == consent.end() ? v1::CONSENT_STATE_UNSPECIFIED : it->second;
  };
}

absl::StatusOr<Scenario> ParseScenarioFile(const std::string& path) {
  Scenario sc;
  absl::Status s = Guard(path, [&] {
    absl::StatusOr<YAML::Node> loaded = yaml::LoadFile(path);
    if (!loaded.ok()) return loaded.status();
    const YAML::Node& root = *loaded;
    const YAML::Node event = root["event"] ? root["event"] : root;
    if (auto st = ParseEvent(path, event, &sc); !st.ok()) return st;
    if (root["event"] && root["consent"]) return ParseConsentMap(path, root["consent"], &sc);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return sc;
}

absl::Status AddConsentFlag(const std::string& spec, Scenario* sc) {
  const auto colon = spec.find(':');
  const auto eq = spec.find('=');
  if (colon == std::string::npos || eq == std::string::npos || eq < colon) {
    return absl::InvalidArgumentError(absl::StrCat("--consent '", spec, "' must look like victim:victim_support=given"));
  }
  std::optional<v1::ConsentState> state = ConsentStateFromName(spec.substr(eq + 1));
  if (!state) return absl::InvalidArgumentError(absl::StrCat("--consent '", spec, "': unknown state"));
  sc->consent[{SubjectRef(sc->header, spec.substr(0, colon)), spec.substr(colon + 1, eq - colon - 1)}] = *state;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TestCase>> ParseTestFile(const std::string& path) {
  std::vector<TestCase> cases;
  absl::Status s = Guard(path, [&]() -> absl::Status {
    absl::StatusOr<YAML::Node> loaded = yaml::LoadFile(path);
    if (!loaded.ok()) return loaded.status();
    const YAML::Node& root = *loaded;
    if (auto st = CheckKeys(path, root, {"cases"}, "test file"); !st.ok()) return st;
    if (!root["cases"] || !root["cases"].IsSequence()) return Err(path, root, "a test file needs a list 'cases'");
    std::set<std::string> names;
    for (const YAML::Node& c : root["cases"]) {
      if (c.IsMap() && c["consent_authority"]) {
        absl::StatusOr<TestCase> t = ParseConsentAuthorityCase(path, c);
        if (!t.ok()) return t.status();
        if (!names.insert(t->name).second) {
          return Err(path, c["name"], absl::StrCat("duplicate case name '", t->name, "'"));
        }
        cases.push_back(*std::move(t));
        continue;
      }
      if (auto st = CheckKeys(path, c, {"name", "event", "consent", "expect", "never", "override", "relations", "patterns",
                                         "schedules"},
                             "case");
          !st.ok())
        return st;
      if (!c["name"] || !c["event"]) {
        return Err(path, c, "a case needs 'name' and either 'event' or 'consent_authority'");
      }
      TestCase t;
      t.name = c["name"].as<std::string>();
      t.line = c.Mark().line + 1;
      if (!names.insert(t.name).second) return Err(path, c["name"], absl::StrCat("duplicate case name '", t.name, "'"));
      if (auto st = ParseEvent(path, c["event"], &t.scenario); !st.ok()) return st;
      if (c["consent"]) {
        if (auto st = ParseConsentMap(path, c["consent"], &t.scenario); !st.ok()) return st;
      }
      const YAML::Node expect = c["expect"].IsDefined() ? c["expect"] : YAML::Node(YAML::NodeType::Map);
      const YAML::Node never = c["never"].IsDefined() ? c["never"] : YAML::Node(YAML::NodeType::Map);
      for (const auto& kv : expect) {
        Expectation e;
        if (kv.second.IsScalar() && kv.second.as<std::string>() == "nothing") {
          e.kind = Expectation::Kind::kNothing;
        } else if (kv.second.IsScalar() && kv.second.as<std::string>() == "notified") {
          e.kind = Expectation::Kind::kNotified;
        } else if (kv.second.IsSequence()) {
          e.sections = Strings(kv.second);
        } else {
          return Err(path, kv.second, "expect each agency to get a list of sections, 'nothing' or 'notified'");
        }
        t.expect[kv.first.as<std::string>()] = e;
      }
      for (const auto& kv : never) t.never[kv.first.as<std::string>()] = Strings(kv.second);
      if (c["override"]) {
        t.override_expectation = c["override"].as<std::string>();
        if (t.override_expectation != "used" && t.override_expectation != "refused") {
          return Err(path, c["override"], "override expectation must be 'used' or 'refused'");
        }
      }
      if (c["relations"]) {
        t.relations_expectation = c["relations"].as<std::string>("");
        if (t.relations_expectation != "refused") {
          return Err(path, c["relations"], "relations expectation must be 'refused' (allowed is the default)");
        }
        if (!t.expect.empty() || !t.never.empty() || !t.override_expectation.empty()) {
          return Err(path, c["relations"],
                     "a case whose relations are refused has no decision to check: remove expect, never, override");
        }
      }
      if (c["patterns"]) t.patterns = Strings(c["patterns"]);
      if (c["schedules"]) t.schedules = Strings(c["schedules"]);
      if (t.expect.empty() && t.never.empty() && t.override_expectation.empty() && t.relations_expectation.empty() &&
          !t.patterns && !t.schedules) {
        return Err(path, c, absl::StrCat("case '", t.name,
                                         "' expects nothing: add 'expect', 'never', 'override', 'relations', 'patterns' or "
                                         "'schedules'"));
      }
      cases.push_back(std::move(t));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return cases;
}

CaseResult RunCase(const Evaluator& evaluator, const TestCase& test) {
  if (test.consent_authority) return RunConsentAuthorityCase(evaluator, test);
  CaseResult result{test.name, test.line, {}, {}, {}};
  std::vector<std::string> refused;
  for (const v1::CaseRelation& r : test.scenario.header.relations()) {
    const RelationDecision d = evaluator.MayDeclareRelation(test.scenario.header, r);
    if (!d.allowed) {
      refused.push_back(absl::StrCat(r.ended() ? "ending " : "", r.relation(), "=", r.agency(), " (rule '", d.rule_id,
                                     "': ", d.reason, ")"));
    }
  }
  if (test.relations_expectation == "refused") {
    if (refused.empty()) result.failures.push_back("expected the event's relations to be refused, but all are allowed");
    return result;
  }
  for (const std::string& r : refused) {
    result.failures.push_back(absl::StrCat("the broker would refuse the event: relation ", r));
  }
  result.decision = evaluator.Evaluate(test.scenario.header, test.scenario.context, test.scenario.Lookup());
  if (test.patterns) {
    std::set<std::string> got;
    for (const PatternMatch& m : evaluator.PatternsMatched(test.scenario.header, test.scenario.context)) {
      got.insert(m.pattern_id);
    }
    const std::set<std::string> want(test.patterns->begin(), test.patterns->end());
    if (got != want) {
      result.failures.push_back(absl::StrCat("expected patterns [", absl::StrJoin(want, ", "), "], got [",
                                             absl::StrJoin(got, ", "), "]"));
    }
  }
  if (test.schedules) {
    std::set<std::string> got;
    for (const ScheduleStart& s : evaluator.SchedulesStartedBy(test.scenario.header)) got.insert(s.schedule_id);
    const std::set<std::string> want(test.schedules->begin(), test.schedules->end());
    if (got != want) {
      result.failures.push_back(absl::StrCat("expected schedules [", absl::StrJoin(want, ", "), "] to start, got [",
                                             absl::StrJoin(got, ", "), "]"));
    }
  }
  for (const auto& [agency, e] : test.expect) {
    bool notified = false;
    const std::set<std::string> got = Granted(result.decision, agency, &notified);
    const std::string got_text = got.empty() ? (notified ? "notified only" : "nothing")
                                             : absl::StrCat("[", absl::StrJoin(got, ", "), "]");
    switch (e.kind) {
      case Expectation::Kind::kNothing:
        if (!got.empty() || notified) result.failures.push_back(absl::StrCat(agency, ": expected nothing, got ", got_text));
        break;
      case Expectation::Kind::kNotified:
        if (!got.empty() || !notified) {
          result.failures.push_back(absl::StrCat(agency, ": expected a notification only, got ", got_text));
        }
        break;
      case Expectation::Kind::kSections: {
        const std::set<std::string> want(e.sections.begin(), e.sections.end());
        if (want != got) {
          result.failures.push_back(absl::StrCat(agency, ": expected [", absl::StrJoin(want, ", "), "], got ", got_text));
        }
        break;
      }
    }
  }
  for (const auto& [agency, sections] : test.never) {
    bool notified = false;
    const std::set<std::string> got = Granted(result.decision, agency, &notified);
    for (const std::string& s : sections) {
      if (got.count(s)) result.failures.push_back(absl::StrCat(agency, ": must never receive '", s, "' but does"));
    }
  }
  if (test.override_expectation == "used" && !result.decision.override_used()) {
    result.failures.push_back("expected the safeguarding override to be accepted, but it was refused");
  }
  if (test.override_expectation == "refused" && result.decision.override_used()) {
    result.failures.push_back(absl::StrCat("expected the override to be refused, but rule '",
                                           result.decision.override_rule_id(), "' accepted it"));
  }
  return result;
}

}  // namespace accord::policy
