#include "agents/adapters/csv_reader.h"

#include "absl/strings/str_cat.h"

namespace accord::agents {
namespace {

// Reads one record starting at text[*pos]; leaves *pos after its line ending
// and adds the line breaks it crossed to *line.
CsvRecord ReadRecord(absl::string_view text, std::size_t* pos, int* line) {
  CsvRecord rec;
  rec.line = *line;
  const std::size_t begin = *pos;
  std::size_t i = *pos;
  std::string field;
  bool quoted = false;       // this field began with a quote
  bool in_quotes = false;    // inside the quoted part
  bool after_quote = false;  // the quoted part has closed
  auto fail = [&](std::string why) {
    if (rec.error.ok()) rec.error = absl::InvalidArgumentError(std::move(why));
  };
  auto end_field = [&] {
    rec.fields.push_back(std::move(field));
    field.clear();
    quoted = in_quotes = after_quote = false;
  };
  std::size_t end = text.size();  // end of the record's text (before the line ending)
  while (i < text.size()) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          i += 2;
          continue;
        }
        in_quotes = false;
        after_quote = true;
      } else {
        if (c == '\n') ++*line;
        field.push_back(c);
      }
      ++i;
      continue;
    }
    if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      end = i;
      i += (c == '\r') ? 2 : 1;
      ++*line;
      break;
    }
    if (c == ',') {
      end_field();
    } else if (c == '"') {
      if (field.empty() && !quoted) {
        quoted = in_quotes = true;
      } else {
        fail(absl::StrCat(
            "field ", rec.fields.size() + 1,
            after_quote ? ": text after a closing quote"
                        : ": a quote inside an unquoted field (quote the whole field and double the quote)"));
        field.push_back(c);
      }
    } else {
      if (after_quote) {
        fail(absl::StrCat("field ", rec.fields.size() + 1, ": text after a closing quote"));
      }
      field.push_back(c);
    }
    ++i;
  }
  if (in_quotes) {
    fail(absl::StrCat("field ", rec.fields.size() + 1,
                      ": quoted field is never closed (the rest of the file was read into it)"));
  }
  end_field();
  rec.raw = std::string(text.substr(begin, end - begin));
  *pos = i;
  return rec;
}

}  // namespace

std::vector<CsvRecord> ParseCsv(absl::string_view text) {
  std::vector<CsvRecord> records;
  std::size_t pos = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
  int line = 1;
  while (pos < text.size()) {
    // Empty lines hold no fields; they are not records.
    if (text[pos] == '\n') {
      ++pos;
      ++line;
      continue;
    }
    if (text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') {
      pos += 2;
      ++line;
      continue;
    }
    records.push_back(ReadRecord(text, &pos, &line));
  }
  return records;
}

}  // namespace accord::agents
