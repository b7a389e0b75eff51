#include "agents/adapters/jsonl_reader.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace accord::agents {
namespace {

// Largest integer a JSON number (a double) holds exactly.
constexpr double kMaxExactInteger = 9007199254740992.0;

// A scalar as text; false (with *why) for objects and non-integral numbers.
bool ScalarText(const google::protobuf::Value& v, std::string* out, std::string* why) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kStringValue:
      *out = v.string_value();
      return true;
    case google::protobuf::Value::kBoolValue:
      *out = v.bool_value() ? "true" : "false";
      return true;
    case google::protobuf::Value::kNullValue:
      out->clear();
      return true;
    case google::protobuf::Value::kNumberValue: {
      const double d = v.number_value();
      if (d != std::floor(d) || std::fabs(d) > kMaxExactInteger) {
        *why = "is not a whole number (give decimals and long ids as strings)";
        return false;
      }
      *out = absl::StrCat(static_cast<int64_t>(d));
      return true;
    }
    default:
      *why = "is an object or nested array; the format is flat";
      return false;
  }
}

Row ParseLine(absl::string_view line, const std::string& file, int number) {
  Row row;
  row.file = file;
  row.line = number;
  row.raw = std::string(line);
  google::protobuf::Struct object;
  google::protobuf::util::JsonParseOptions options;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(line.data(), line.size()), &object, options);
  if (!status.ok()) {
    row.error = absl::StrCat("not a JSON object: ", std::string(status.message()));
    return row;
  }
  for (const auto& [key, value] : object.fields()) {
    std::string text, why;
    bool ok = true;
    if (value.kind_case() == google::protobuf::Value::kListValue) {
      for (const google::protobuf::Value& item : value.list_value().values()) {
        std::string part;
        ok = ScalarText(item, &part, &why);
        if (!ok) break;
        if (part.find(';') != std::string::npos) {
          ok = false;
          why = "has an item containing ';'";
          break;
        }
        absl::StrAppend(&text, text.empty() ? "" : ";", part);
      }
    } else {
      ok = ScalarText(value, &text, &why);
    }
    if (!ok) {
      row.error = absl::StrCat("field '", key, "' ", why);
      return row;
    }
    text = std::string(absl::StripAsciiWhitespace(text));
    if (!text.empty()) row.fields[key] = std::move(text);
  }
  return row;
}

}  // namespace

std::vector<Row> ParseJsonLines(absl::string_view text, const std::string& file) {
  std::vector<Row> rows;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    if (number == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    absl::ConsumeSuffix(&line, "\r");
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    rows.push_back(ParseLine(line, file, number));
  }
  return rows;
}

}  // namespace accord::agents
