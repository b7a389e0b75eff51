#include "broker/audit/record_format.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "crypto/hash.h"
#include "google/protobuf/util/json_util.h"

namespace accord::audit {
namespace {

// Lower-case enum value name without its prefix: "AUDIT_ACTION_ROUTED" -> "routed".
std::string EnumName(const std::string& full, std::string_view prefix) {
  std::string name = full;
  if (absl::StartsWith(name, absl::string_view(prefix.data(), prefix.size()))) name = name.substr(prefix.size());
  return name.empty() ? "unknown" : absl::AsciiStrToLower(name);
}

std::string KindName(v1::EventKind k) {
  const std::string& n = v1::EventKind_Name(k);
  return n.empty() ? absl::StrCat("kind_", static_cast<int>(k)) : EnumName(n, "EVENT_KIND_");
}
std::string BasisName(v1::LawfulBasis b) {
  const std::string& n = v1::LawfulBasis_Name(b);
  return n.empty() ? absl::StrCat("basis_", static_cast<int>(b)) : EnumName(n, "LAWFUL_BASIS_");
}
std::string RoleName(v1::SubjectRole r) {
  const std::string& n = v1::SubjectRole_Name(r);
  return n.empty() ? absl::StrCat("role_", static_cast<int>(r)) : EnumName(n, "SUBJECT_ROLE_");
}

// Agency-supplied text on a terminal: control characters (ANSI escapes,
// carriage returns that overwrite a line) become '?'.
std::string Safe(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

// A pseudonym is 64 hex characters; its first 12 identify it in a table.
std::string ShortRef(const std::string& ref) { return Safe(ref.size() > 12 ? ref.substr(0, 12) : ref); }

std::string Subjects(const v1::AuditRecord& r, bool full) {
  std::vector<std::string> parts;
  for (const v1::SubjectRef& s : r.subjects()) {
    parts.push_back(absl::StrCat(full ? Safe(s.ref()) : ShortRef(s.ref()), ":", RoleName(s.role())));
  }
  return absl::StrJoin(parts, ";");
}

std::string Bases(const v1::AuditRecord& r) {
  std::vector<std::string> parts;
  for (int b : r.bases()) parts.push_back(BasisName(static_cast<v1::LawfulBasis>(b)));
  return absl::StrJoin(parts, ";");
}

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& v) {
  std::vector<std::string> parts;
  for (const std::string& s : v) parts.push_back(Safe(s));
  return absl::StrJoin(parts, ";");
}

std::string Actor(const v1::AuditRecord& r) {
  std::string out = Safe(r.actor_agency());
  if (!r.actor().role().empty() || !r.actor().staff_ref().empty()) {
    absl::StrAppend(&out, " (", Safe(r.actor().role()), r.actor().staff_ref().empty() ? "" : " ",
                    Safe(r.actor().staff_ref()), ")");
  }
  return out;
}

// RFC 4180 quoting, and a leading quote on cells a spreadsheet would run as
// a formula (OWASP "CSV injection").
std::string CsvCell(std::string s) {
  if (!s.empty() && std::string_view("=+-@\t\r").find(s[0]) != std::string_view::npos) s.insert(0, "'");
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// A record as lines of a table or CSV: one, or for a WITHHELD record that
// lists its withholdings, one per recipient and section withheld.
struct Line {
  std::string recipient;
  google::protobuf::RepeatedPtrField<std::string> sections, rule_ids;
  std::string reason;
};

std::vector<Line> Lines(const v1::AuditRecord& r) {
  std::vector<Line> out;
  if (r.withheld().empty()) {
    out.push_back(Line{r.recipient(), r.sections(), r.rule_ids(), r.reason()});
    return out;
  }
  for (const v1::Withholding& w : r.withheld()) {
    Line l{w.recipient(), {}, {}, w.reason()};
    if (!w.section().empty()) l.sections.Add(std::string(w.section()));
    if (!w.rule_id().empty()) l.rule_ids.Add(std::string(w.rule_id()));
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t seconds = absl::ToUnixSeconds(t);
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return ts;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

std::string FormatRfc3339(absl::Time t) { return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone()); }

absl::StatusOr<absl::Time> ParseRfc3339(const std::string& rfc3339) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", rfc3339, "' is not an RFC 3339 time like 2026-05-01T09:00:00Z: ", error));
  }
  return t;
}

std::string ActionName(v1::AuditAction action) {
  const std::string& n = v1::AuditAction_Name(action);
  return n.empty() ? absl::StrCat("action_", static_cast<int>(action)) : EnumName(n, "AUDIT_ACTION_");
}

absl::StatusOr<v1::AuditAction> ParseAction(std::string_view name) {
  std::string upper = absl::AsciiStrToUpper(absl::string_view(name.data(), name.size()));
  if (!absl::StartsWith(upper, "AUDIT_ACTION_")) upper = absl::StrCat("AUDIT_ACTION_", upper);
  v1::AuditAction action;
  if (!v1::AuditAction_Parse(upper, &action) || action == v1::AUDIT_ACTION_UNSPECIFIED) {
    std::vector<std::string> names;
    for (int a = v1::AuditAction_MIN + 1; a <= v1::AuditAction_MAX; ++a) {
      if (v1::AuditAction_IsValid(a)) names.push_back(ActionName(static_cast<v1::AuditAction>(a)));
    }
    return absl::InvalidArgumentError(absl::StrCat("unknown audit action '", Safe(name),
                                                   "'; expected one of ", absl::StrJoin(names, ", ")));
  }
  return action;
}

std::string DescribeRecord(const v1::AuditRecord& r) {
  std::string out = absl::StrCat("#", r.sequence(), " ", FormatRfc3339(FromTimestamp(r.time())), " ",
                                 ActionName(r.action()), " by ", Actor(r));
  if (!r.recipient().empty()) absl::StrAppend(&out, " -> ", Safe(r.recipient()));
  if (!r.event_id().empty()) {
    absl::StrAppend(&out, "; event ", Safe(r.event_id()), " (", KindName(r.event_kind()), ")");
  }
  if (!r.case_ref().empty()) absl::StrAppend(&out, "; case ", Safe(r.case_ref()));
  if (r.subjects_size() > 0) absl::StrAppend(&out, "; subjects ", Subjects(r, false));
  if (r.sections_size() > 0) absl::StrAppend(&out, "; sections ", Joined(r.sections()));
  if (r.rule_ids_size() > 0) absl::StrAppend(&out, "; rules ", Joined(r.rule_ids()));
  if (r.bases_size() > 0) absl::StrAppend(&out, "; basis ", Bases(r));
  if (r.has_consent()) absl::StrAppend(&out, "; consent ", Safe(r.consent().purpose()));
  if (r.has_override()) {
    absl::StrAppend(&out, "; override ", Safe(r.override().reason()), " authorised by ",
                    Safe(r.override().authorised_by().role()), " ",
                    Safe(r.override().authorised_by().staff_ref()));
  }
  if (!r.meeting_id().empty()) absl::StrAppend(&out, "; meeting ", Safe(r.meeting_id()));
  if (!r.reason().empty()) absl::StrAppend(&out, "; reason: ", Safe(r.reason()));
  for (const v1::Withholding& w : r.withheld()) {
    absl::StrAppend(&out, "; withheld from ", Safe(w.recipient()), ": ",
                    w.section().empty() ? std::string("everything") : Safe(w.section()));
    if (!w.rule_id().empty()) absl::StrAppend(&out, " by ", Safe(w.rule_id()));
    if (!w.reason().empty()) absl::StrAppend(&out, " (", Safe(w.reason()), ")");
  }
  return out;
}

std::string WhoSawTable(const std::vector<v1::WhoSawRow>& rows) {
  std::vector<std::vector<std::string>> cells = {
      {"LEAF", "TIME", "ACTION", "ACTOR", "RECIPIENT", "EVENT", "CASE", "SECTIONS", "RULES"}};
  for (const v1::WhoSawRow& row : rows) {
    const v1::AuditRecord& r = row.record();
    for (const Line& l : Lines(r)) {
      cells.push_back({absl::StrCat(row.leaf_index()), FormatRfc3339(FromTimestamp(r.time())),
                       ActionName(r.action()), Actor(r), Safe(l.recipient), Safe(r.event_id()), Safe(r.case_ref()),
                       Joined(l.sections), Joined(l.rule_ids)});
    }
  }
  std::vector<std::size_t> width(cells[0].size(), 0);
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  }
  std::string out;
  for (const auto& line : cells) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      absl::StrAppend(&text, line[i], i + 1 < line.size() ? std::string(width[i] - line[i].size() + 2, ' ') : "");
    }
    absl::StrAppend(&out, text, "\n");
  }
  absl::StrAppend(&out, rows.size(), " row(s)\n");
  return out;
}

std::string WhoSawCsv(const std::vector<v1::WhoSawRow>& rows) {
  std::string out =
      "leaf_index,time,action,actor_agency,actor_role,actor_staff_ref,recipient,event_id,"
      "event_kind,case_ref,subjects,sections,rule_ids,bases,policy_hash,consent_purpose,"
      "override_reason,override_authorised_by,reason,meeting_id,queue_sequence,envelope_sha256\r\n";
  for (const v1::WhoSawRow& row : rows) {
    const v1::AuditRecord& r = row.record();
    for (const Line& l : Lines(r)) {
      std::vector<std::string> c = {
          absl::StrCat(row.leaf_index()), FormatRfc3339(FromTimestamp(r.time())), ActionName(r.action()),
          r.actor_agency(), r.actor().role(), r.actor().staff_ref(), l.recipient, r.event_id(),
          r.event_id().empty() ? "" : KindName(r.event_kind()), r.case_ref(), Subjects(r, true),
          absl::StrJoin(l.sections, ";"), absl::StrJoin(l.rule_ids, ";"), Bases(r), r.policy_hash(),
          r.consent().purpose(), r.override().reason(),
          absl::StrCat(r.override().authorised_by().role(), r.has_override() ? " " : "",
                       r.override().authorised_by().staff_ref()),
          l.reason, r.meeting_id(), r.queue_sequence() == 0 ? "" : absl::StrCat(r.queue_sequence()),
          crypto::Hex(r.envelope_sha256())};
      std::vector<std::string> quoted;
      for (std::string& cell : c) quoted.push_back(CsvCell(std::move(cell)));
      absl::StrAppend(&out, absl::StrJoin(quoted, ","), "\r\n");
    }
  }
  return out;
}

std::string WhoSawJson(const std::vector<v1::WhoSawRow>& rows, const v1::SignedTreeHead& head,
                       const v1::TreeHead& tree_head) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  auto json = [&](const google::protobuf::Message& m) {
    std::string s;
    if (!google::protobuf::util::MessageToJsonString(m, &s, options).ok()) s = "null";
    return s;
  };
  std::string out = absl::StrCat("{\"tree_size\":", tree_head.tree_size(), ",\"root_hash\":\"",
                                 crypto::Hex(tree_head.root_hash()), "\",\"head\":", json(head),
                                 ",\"rows\":[");
  for (std::size_t i = 0; i < rows.size(); ++i) absl::StrAppend(&out, i ? ",\n" : "\n", json(rows[i]));
  absl::StrAppend(&out, "\n]}\n");
  return out;
}

}  // namespace accord::audit
