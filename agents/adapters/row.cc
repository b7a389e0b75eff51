#include "agents/adapters/row.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace accord::agents {

std::string Row::source() const { return absl::StrCat(file, ":", line); }

const std::string* FieldReader::Get(const std::string& column, Need need) {
  read_.insert(column);
  auto it = row_.fields.find(column);
  if (it != row_.fields.end()) {
    if (it->second.size() <= kMaxFieldBytes) return &it->second;
    errors_.push_back(absl::StrCat(column, " is longer than ", kMaxFieldBytes, " bytes"));
    return nullptr;
  }
  if (need == Need::kRequired) errors_.push_back(absl::StrCat(column, " is required"));
  return nullptr;
}

void FieldReader::Bad(const std::string& column, const std::string& value, absl::string_view expected) {
  errors_.push_back(absl::StrCat(column, " '", value, "' is not ", expected));
}

void FieldReader::Fail(std::string reason) { errors_.push_back(std::move(reason)); }

void FieldReader::FailUnread() {
  for (const auto& [column, value] : row_.fields) {
    if (column == "record_type" || read_.count(column) > 0) continue;
    const auto type = row_.fields.find("record_type");
    errors_.push_back(absl::StrCat(column, " is filled but not used by record_type '",
                                   type == row_.fields.end() ? "" : type->second, "' (leave it empty)"));
  }
}

std::string FieldReader::reason() const { return absl::StrJoin(errors_, "; "); }

std::string FieldReader::Text(const std::string& column, Need need) {
  const std::string* v = Get(column, need);
  return v == nullptr ? "" : *v;
}

std::optional<absl::CivilDay> FieldReader::Date(const std::string& column, Need need) {
  const std::string* v = Get(column, need);
  if (v == nullptr) return std::nullopt;
  absl::CivilDay day;
  if (v->size() != 10 || !absl::ParseCivilTime(*v, &day) || absl::FormatCivilTime(day) != *v) {
    Bad(column, *v, "a real date written YYYY-MM-DD");
    return std::nullopt;
  }
  return day;
}

std::optional<absl::Time> FieldReader::Time(const std::string& column, Need need) {
  const std::string* v = Get(column, need);
  if (v == nullptr) return std::nullopt;
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, *v, &t, &err)) {
    Bad(column, *v, "an RFC 3339 date and time with an offset, such as 2025-03-03T23:40:00Z");
    return std::nullopt;
  }
  return t;
}

std::optional<bool> FieldReader::Bool(const std::string& column, Need need) {
  const std::string* v = Get(column, need);
  if (v == nullptr) return std::nullopt;
  const std::string s = absl::AsciiStrToLower(*v);
  if (s == "yes" || s == "y" || s == "true") return true;
  if (s == "no" || s == "n" || s == "false") return false;
  Bad(column, *v, "yes/no or true/false");
  return std::nullopt;
}

std::optional<int> FieldReader::Int(const std::string& column, int min, int max, Need need) {
  const std::string* v = Get(column, need);
  if (v == nullptr) return std::nullopt;
  int n = 0;
  const bool digits = !v->empty() && std::all_of(v->begin(), v->end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
  if (!digits || !absl::SimpleAtoi(*v, &n) || n < min || n > max) {
    Bad(column, *v, absl::StrCat("a whole number from ", min, " to ", max));
    return std::nullopt;
  }
  return n;
}

std::string FieldReader::Enum(const std::string& column, std::initializer_list<absl::string_view> allowed,
                              Need need) {
  const std::string* v = Get(column, need);
  if (v == nullptr) return "";
  std::string s = absl::AsciiStrToLower(*v);
  std::replace(s.begin(), s.end(), '-', '_');
  std::replace(s.begin(), s.end(), ' ', '_');
  for (absl::string_view a : allowed) {
    if (s == a) return std::string(a);
  }
  Bad(column, *v, absl::StrCat("one of: ", absl::StrJoin(allowed, ", ")));
  return "";
}

std::vector<std::string> FieldReader::List(const std::string& column, Need need) {
  std::vector<std::string> out;
  const std::string* v = Get(column, need);
  if (v == nullptr) return out;
  for (absl::string_view item : absl::StrSplit(absl::string_view(*v), ';')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) out.emplace_back(item);
  }
  if (out.empty() && need == Need::kRequired) errors_.push_back(absl::StrCat(column, " is required"));
  return out;
}

std::string FieldReader::Identifier(const std::string& column, Need need) {
  const std::string* v = Get(column, need);
  if (v == nullptr) return "";
  const bool ok = std::all_of(v->begin(), v->end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (!ok || v->size() > 64) {
    Bad(column, *v, "an identifier of lower-case letters, digits and '_'");
    return "";
  }
  return *v;
}

}  // namespace accord::agents
