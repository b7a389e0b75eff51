#include "cli/event_file.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "crypto/pseudonym.h"
#include "crypto/utf8.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "policy/yaml_document.h"
#include "yaml-cpp/yaml.h"

namespace accord::cli {
namespace {

std::string Where(const YAML::Node& n) { return absl::StrCat("line ", n.Mark().line + 1); }

// yaml::ReadInteger's message without its "source:line:column: " prefix, for
// this file's "path: line N: ..." style.
std::string StripSource(const absl::Status& s) {
  const std::string message(s.message());
  const std::size_t at = message.find(": ");
  return at == std::string::npos ? message : message.substr(at + 2);
}

// Every key and value is text for a protobuf string or a pseudonym: UTF-8 only.
absl::Status CheckUtf8(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      if (auto s = crypto::CheckUtf8(n.Scalar(), "the text"); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(Where(n), ": ", s.message(), ": save the file as UTF-8"));
      }
      return absl::OkStatus();
    case YAML::NodeType::Sequence:
      for (const YAML::Node& v : n) {
        if (auto s = CheckUtf8(v); !s.ok()) return s;
      }
      return absl::OkStatus();
    case YAML::NodeType::Map:
      for (const auto& kv : n) {
        if (auto s = CheckUtf8(kv.first); !s.ok()) return s;
        if (auto s = CheckUtf8(kv.second); !s.ok()) return s;
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

// The contents of a JSON string: the UTF-8 text as it is, with the quote, the
// backslash and control characters escaped. (C escapes such as the octal
// \303\242 of "â" are not JSON; protobuf's parser read them as "303242".)
std::string JsonEscape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// YAML → JSON, so that protobuf's JSON parser can fill a section message.
std::string ToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      std::vector<std::string> items;
      for (const auto& kv : n) {
        items.push_back(absl::StrCat("\"", JsonEscape(kv.first.as<std::string>()), "\":", ToJson(kv.second)));
      }
      return absl::StrCat("{", absl::StrJoin(items, ","), "}");
    }
    case YAML::NodeType::Sequence: {
      std::vector<std::string> items;
      for (const auto& v : n) items.push_back(ToJson(v));
      return absl::StrCat("[", absl::StrJoin(items, ","), "]");
    }
    case YAML::NodeType::Scalar: {
      // Protobuf's JSON parser takes numbers as strings too; only booleans
      // must be bare.
      const std::string s = n.as<std::string>();
      if (n.Tag() != "!" && (s == "true" || s == "false")) return s;
      return absl::StrCat("\"", JsonEscape(s), "\"");
    }
    default:
      return "null";
  }
}

template <typename Enum>
absl::StatusOr<Enum> ParseEnum(const YAML::Node& n, const std::string& prefix,
                               bool (*parse)(const std::string&, Enum*), const char* what) {
  std::string name = absl::AsciiStrToUpper(n.as<std::string>());
  std::replace(name.begin(), name.end(), '-', '_');
  Enum value{};
  if (!parse(prefix + name, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(n), ": unknown ", what, " '", n.as<std::string>(), "'"));
  }
  return value;
}

absl::Status ParseSubjects(const YAML::Node& list, const crypto::SecretBytes& linkage,
                           v1::EventHeader* header) {
  for (const YAML::Node& s : list) {
    v1::SubjectRef* ref = header->add_subjects();
    absl::StatusOr<v1::SubjectRole> role =
        ParseEnum<v1::SubjectRole>(s["role"], "SUBJECT_ROLE_", v1::SubjectRole_Parse, "subject role");
    if (!role.ok()) return role.status();
    ref->set_role(*role);
    if (s["ref"]) {
      ref->set_ref(s["ref"].as<std::string>());
    } else if (s["family"] && s["given"] && s["dob"]) {
      absl::StatusOr<std::string> p = crypto::SubjectPseudonym(
          linkage, s["family"].as<std::string>(), s["given"].as<std::string>(), s["dob"].as<std::string>());
      if (!p.ok()) return absl::InvalidArgumentError(absl::StrCat(Where(s), ": ", p.status().message()));
      ref->set_ref(*p);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(s), ": a subject needs 'ref' or 'family', 'given' and 'dob'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseHeader(const YAML::Node& root, const crypto::SecretBytes& linkage,
                         v1::EventHeader* h) {
  static const std::vector<std::string> kKeys = {"event_id", "kind", "case", "actor", "risk", "flags",
                                                 "subjects", "consent", "override", "relations",
                                                 "occurred_at", "sections", "consent_statement"};
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      return absl::InvalidArgumentError(absl::StrCat(Where(kv.first), ": unknown key '", key, "'"));
    }
  }
  for (const char* key : {"event_id", "kind", "case", "sections"}) {
    if (!root[key]) return absl::InvalidArgumentError(absl::StrCat("'", key, "' is required"));
  }
  h->set_version(1);
  h->set_event_id(root["event_id"].as<std::string>());
  absl::StatusOr<v1::EventKind> kind =
      ParseEnum<v1::EventKind>(root["kind"], "EVENT_KIND_", v1::EventKind_Parse, "event kind");
  if (!kind.ok()) return kind.status();
  h->set_kind(*kind);
  h->set_case_ref(root["case"].as<std::string>());
  if (root["actor"]) {
    h->mutable_actor()->set_role(root["actor"]["role"].as<std::string>(""));
    h->mutable_actor()->set_staff_ref(root["actor"]["staff_ref"].as<std::string>(""));
  }
  if (const YAML::Node r = root["risk"]) {
    absl::StatusOr<v1::RiskLevel> level =
        ParseEnum<v1::RiskLevel>(r["level"], "RISK_LEVEL_", v1::RiskLevel_Parse, "risk level");
    if (!level.ok()) return level.status();
    h->mutable_risk()->set_level(*level);
    if (r["tool"]) {
      absl::StatusOr<v1::RiskTool> tool =
          ParseEnum<v1::RiskTool>(r["tool"], "RISK_TOOL_", v1::RiskTool_Parse, "risk tool");
      if (!tool.ok()) return tool.status();
      h->mutable_risk()->set_tool(*tool);
    }
    if (r["score"]) {
      // Risk tool scores are small (DASH counts 0-27); a larger one is a typo.
      int32_t score = 0;
      if (auto s = yaml::ReadInteger<int32_t>(r["score"], "risk", "score", 0, 1000, &score); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(Where(r["score"]), ": ", StripSource(s)));
      }
      h->mutable_risk()->set_score(score);
    }
  }
  for (const YAML::Node& f : root["flags"]) {
    absl::StatusOr<v1::Flag> flag = ParseEnum<v1::Flag>(f, "FLAG_", v1::Flag_Parse, "flag");
    if (!flag.ok()) return flag.status();
    h->add_flags(*flag);
  }
  if (root["subjects"]) {
    if (auto s = ParseSubjects(root["subjects"], linkage, h); !s.ok()) return s;
  }
  auto subject_of_role = [&](const std::string& role) -> std::string {
    for (const v1::SubjectRef& s : h->subjects()) {
      if (absl::AsciiStrToLower(v1::SubjectRole_Name(s.role())) == "subject_role_" + role) return s.ref();
    }
    return role;  // a literal pseudonym
  };
  if (const YAML::Node c = root["consent"]) {
    h->mutable_consent()->set_purpose(c["purpose"].as<std::string>(""));
    h->mutable_consent()->set_subject_ref(subject_of_role(c["subject"].as<std::string>("victim")));
    h->mutable_consent()->set_consent_event_id(c["consent_event_id"].as<std::string>(""));
  }
  if (const YAML::Node o = root["override"]) {
    h->mutable_override()->set_reason(o["reason"].as<std::string>(""));
    h->mutable_override()->mutable_authorised_by()->set_role(o["authorised_by"]["role"].as<std::string>(""));
    h->mutable_override()->mutable_authorised_by()->set_staff_ref(
        o["authorised_by"]["staff_ref"].as<std::string>(""));
    h->mutable_override()->set_justification_section(
        o["justification_section"].as<std::string>("override_justification"));
  }
  if (const YAML::Node cs = root["consent_statement"]) {
    h->mutable_consent_statement()->set_subject_ref(subject_of_role(cs["subject"].as<std::string>("victim")));
    h->mutable_consent_statement()->set_purpose(cs["purpose"].as<std::string>(""));
    absl::StatusOr<v1::ConsentState> state =
        ParseEnum<v1::ConsentState>(cs["state"], "CONSENT_STATE_", v1::ConsentState_Parse, "consent state");
    if (!state.ok()) return state.status();
    h->mutable_consent_statement()->set_state(*state);
  }
  for (const YAML::Node& r : root["relations"]) {
    v1::CaseRelation* rel = h->add_relations();
    rel->set_relation(r["relation"].as<std::string>());
    rel->set_agency(r["agency"].as<std::string>());
  }
  absl::Time at = absl::Now();
  if (root["occurred_at"]) {
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, root["occurred_at"].as<std::string>(), &at, &err)) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(root["occurred_at"]), ": occurred_at is not RFC 3339: ", err));
    }
  }
  h->mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(at));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EventFile> LoadEventFile(const std::string& path, const std::string& sender,
                                        const crypto::SecretBytes& linkage_key) {
  EventFile out;
  try {
    absl::StatusOr<YAML::Node> loaded = yaml::LoadFile(path);
    if (!loaded.ok()) return loaded.status();
    const YAML::Node& root = *loaded;
    if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat(path, ": expected a mapping"));
    if (auto s = CheckUtf8(root); !s.ok()) return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
    if (auto s = ParseHeader(root, linkage_key, &out.header); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
    }
    out.header.set_sender(sender);
    for (const auto& kv : root["sections"]) {
      const std::string name = kv.first.as<std::string>();
      YAML::Node content = YAML::Clone(kv.second);
      if (!content.IsMap() || !content["type"]) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": ", Where(kv.first), ": section '", name, "' needs a 'type'"));
      }
      const std::string type_name = content["type"].as<std::string>();
      const std::string type = absl::StrCat("accord.v1.", type_name);
      content.remove("type");
      const google::protobuf::Descriptor* d =
          google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(type);
      if (d == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": ", Where(kv.first), ": unknown section type '",
                                                       type_name, "'"));
      }
      std::unique_ptr<google::protobuf::Message> m(
          google::protobuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
      const auto status = google::protobuf::util::JsonStringToMessage(ToJson(content), m.get());
      if (!status.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": ", Where(kv.first), ": section '", name,
                                                       "': ", std::string(status.message())));
      }
      out.sections.push_back({name, type, m->SerializeAsString()});
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
  return out;
}

}  // namespace accord::cli
