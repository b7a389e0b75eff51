#include "agents/adapters/export_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "agents/adapters/csv_reader.h"
#include "agents/adapters/jsonl_reader.h"
#include "crypto/utf8.h"

namespace accord::agents {
namespace {

namespace fs = std::filesystem;

// Section plaintexts are protobuf strings, which must be UTF-8; the reason
// says where the first bad byte is, to find it in the export.
std::string Utf8Problem(absl::string_view raw) {
  const std::optional<std::size_t> at = crypto::FindInvalidUtf8(std::string_view(raw.data(), raw.size()));
  if (!at) return "";
  return absl::StrCat("not valid UTF-8 at byte ", *at + 1, " of the row (export the file as UTF-8)");
}

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": no such file"));
  if (!fs::is_regular_file(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path, ": not a regular file"));
  }
  const auto size = fs::file_size(path, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot read ", path, ": ", ec.message()));
  if (size > kMaxExportBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(path, " is ", size, " bytes; exports are limited to ",
                                                     kMaxExportBytes, " bytes: split it"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::PermissionDeniedError(absl::StrCat("cannot open ", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::UnavailableError(absl::StrCat("error while reading ", path));
  return buffer.str();
}

absl::StatusOr<std::vector<std::string>> CheckHeader(const CsvRecord& header, const Schema& schema,
                                                     const std::string& path) {
  if (!header.error.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", header.line, ": malformed header row: ", header.error.message()));
  }
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const std::string& field : header.fields) {
    std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(field));
    if (std::find(schema.columns.begin(), schema.columns.end(), name) == schema.columns.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", header.line, ": unknown column '", field,
          "' (is this the right profile? known columns: ", absl::StrJoin(schema.columns, ", "), ")"));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", header.line, ": column '", name, "' appears twice"));
    }
    names.push_back(std::move(name));
  }
  for (const std::string& r : schema.required) {
    if (seen.count(r) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", header.line, ": header lacks the required column '", r, "'"));
    }
  }
  return names;
}

absl::StatusOr<std::vector<Row>> ReadCsv(absl::string_view text, const std::string& path,
                                         const std::string& file, const Schema& schema) {
  std::vector<CsvRecord> records = ParseCsv(text);
  if (records.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": empty file, no header row"));
  absl::StatusOr<std::vector<std::string>> columns = CheckHeader(records[0], schema, path);
  if (!columns.ok()) return columns.status();
  std::vector<Row> rows;
  for (std::size_t i = 1; i < records.size(); ++i) {
    CsvRecord& rec = records[i];
    Row row;
    row.file = file;
    row.line = rec.line;
    row.raw = std::move(rec.raw);
    if (!rec.error.ok()) {
      row.error = absl::StrCat("unparsable CSV: ", rec.error.message());
    } else if (std::string bad = Utf8Problem(row.raw); !bad.empty()) {
      row.error = std::move(bad);
    } else if (rec.fields.size() != columns->size()) {
      row.error = absl::StrCat("has ", rec.fields.size(), " fields, the header has ", columns->size());
    } else {
      for (std::size_t c = 0; c < columns->size(); ++c) {
        std::string v(absl::StripAsciiWhitespace(rec.fields[c]));
        if (!v.empty()) row.fields[(*columns)[c]] = std::move(v);
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<Row> ReadJsonLines(absl::string_view text, const std::string& file, const Schema& schema) {
  std::vector<Row> rows = ParseJsonLines(text, file);
  for (Row& row : rows) {
    if (!row.error.empty()) continue;
    if (std::string bad = Utf8Problem(row.raw); !bad.empty()) {
      row.error = std::move(bad);
      row.fields.clear();
      continue;
    }
    for (const auto& [key, value] : row.fields) {
      if (std::find(schema.columns.begin(), schema.columns.end(), key) == schema.columns.end()) {
        row.error = absl::StrCat("unknown field '", key, "'");
        break;
      }
    }
    if (!row.error.empty()) row.fields.clear();
  }
  return rows;
}

}  // namespace

absl::StatusOr<std::vector<Row>> ReadExport(const std::string& path, const Schema& schema) {
  const std::string ext = fs::path(path).extension().string();
  if (ext != ".csv" && ext != ".jsonl") {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": unknown export format '", ext, "' (expected .csv or .jsonl)"));
  }
  absl::StatusOr<std::string> text = ReadWhole(path);
  if (!text.ok()) return text.status();
  const std::string file = fs::path(path).filename().string();
  if (ext == ".jsonl") return ReadJsonLines(*text, file, schema);
  return ReadCsv(*text, path, file, schema);
}

}  // namespace accord::agents
