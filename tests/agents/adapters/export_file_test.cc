// Reading exports: header checks that fail the whole file, record problems
// that stay on their row, JSON lines, and typed field access with errors
// that name the column and what was expected.
#include "agents/adapters/export_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "agents/adapters/row.h"
#include "tests/testing/temp_dir.h"

namespace accord::agents {
namespace {

using ::testing::HasSubstr;

const Schema kSchema{{"record_id", "record_type", "occurred_at", "notes", "tags"},
                     {"record_id", "record_type"}};

class ExportFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = tmp_.Path(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  accord::testing::TempDir tmp_;
};

TEST_F(ExportFileTest, ReadsCsvRowsByHeaderName) {
  auto rows = ReadExport(
      Write("x.csv", " Record_ID ,record_type,notes\nR1,incident,  hello  \nR2,incident,\n"), kSchema);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].fields.at("record_id"), "R1");
  EXPECT_EQ((*rows)[0].fields.at("notes"), "hello");
  EXPECT_EQ((*rows)[0].source(), "x.csv:2");
  EXPECT_EQ((*rows)[1].fields.count("notes"), 0u);  // empty is absent
}

TEST_F(ExportFileTest, HeaderProblemsFailTheWholeFile) {
  auto unknown = ReadExport(Write("a.csv", "record_id,record_type,colour\n1,x,red\n"), kSchema);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown column 'colour'"));
  auto twice = ReadExport(Write("b.csv", "record_id,record_type,notes,NOTES\n"), kSchema);
  EXPECT_THAT(twice.status().message(), HasSubstr("column 'notes' appears twice"));
  auto missing = ReadExport(Write("c.csv", "record_id,notes\n1,x\n"), kSchema);
  EXPECT_THAT(missing.status().message(), HasSubstr("lacks the required column 'record_type'"));
  auto empty = ReadExport(Write("d.csv", ""), kSchema);
  EXPECT_THAT(empty.status().message(), HasSubstr("no header row"));
}

TEST_F(ExportFileTest, FileProblemsAreErrors) {
  EXPECT_EQ(ReadExport(tmp_.Path("absent.csv"), kSchema).status().code(), absl::StatusCode::kNotFound);
  auto ext = ReadExport(Write("e.txt", "record_id,record_type\n"), kSchema);
  EXPECT_THAT(ext.status().message(), HasSubstr("unknown export format '.txt'"));
  EXPECT_FALSE(ReadExport(tmp_.path().string() + "/", kSchema).ok());
}

TEST_F(ExportFileTest, RecordProblemsStayOnTheirRow) {
  auto rows =
      ReadExport(Write("f.csv", "record_id,record_type\n1,x,extra\n2,\"y\"z\n3,\xff\xfe\n4,ok\n"), kSchema);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_THAT((*rows)[0].error, HasSubstr("has 3 fields, the header has 2"));
  EXPECT_THAT((*rows)[1].error, HasSubstr("unparsable CSV"));
  EXPECT_THAT((*rows)[2].error, HasSubstr("not valid UTF-8 at byte 3 of the row"));
  EXPECT_TRUE((*rows)[3].error.empty());
}

// Text in any script comes through both readers byte for byte; JSON escapes
// (a surrogate pair included) are decoded, and what is not text is refused.
TEST_F(ExportFileTest, Utf8TextIsReadAsWritten) {
  const std::string notes = "Siân Ó Súilleabháin; Олександр Шевченко; Tŷ Ŵyn 🙂";
  auto csv = ReadExport(Write("u.csv", "record_id,record_type,notes\nR1,incident,\"" + notes + "\"\n"
                                       "R2,incident,Si\xe2n\n"),
                        kSchema);
  ASSERT_TRUE(csv.ok()) << csv.status();
  ASSERT_EQ(csv->size(), 2u);
  EXPECT_EQ((*csv)[0].fields.at("notes"), notes);
  EXPECT_THAT((*csv)[1].error, HasSubstr("not valid UTF-8 at byte 15 of the row"));  // Latin-1 â
  auto jsonl = ReadExport(
      Write("u.jsonl",
            "{\"record_id\": \"R1\", \"record_type\": \"x\", \"notes\": \"" + notes + "\"}\n"
            "{\"record_id\": \"R2\", \"record_type\": \"x\", \"notes\": \"Si\\u00e2n \\ud83d\\ude42\"}\n"
            "{\"record_id\": \"R3\", \"record_type\": \"x\", \"notes\": \"\\ud800\"}\n"
            "{\"record_id\": \"R4\", \"record_type\": \"x\", \"notes\": \"Si\xe2n\"}\n"),
      kSchema);
  ASSERT_TRUE(jsonl.ok()) << jsonl.status();
  ASSERT_EQ(jsonl->size(), 4u);
  EXPECT_EQ((*jsonl)[0].fields.at("notes"), notes);
  EXPECT_EQ((*jsonl)[1].fields.at("notes"), "Siân 🙂");
  EXPECT_THAT((*jsonl)[2].error, HasSubstr("not a JSON object"));  // a lone surrogate is no text
  EXPECT_FALSE((*jsonl)[3].error.empty());
}

TEST_F(ExportFileTest, ReadsFlatJsonLines) {
  auto rows =
      ReadExport(Write("g.jsonl",
                       "{\"record_id\": \"A1\", \"record_type\": \"session\", \"tags\": [\"x\", \"y\"], "
                       "\"notes\": null}\n"
                       "\n"
                       "{\"record_id\": 42, \"record_type\": \"session\", \"notes\": true}\r\n"),
                 kSchema);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].fields.at("tags"), "x;y");
  EXPECT_EQ((*rows)[0].fields.count("notes"), 0u);
  EXPECT_EQ((*rows)[1].line, 3);
  EXPECT_EQ((*rows)[1].fields.at("record_id"), "42");
  EXPECT_EQ((*rows)[1].fields.at("notes"), "true");
}

TEST_F(ExportFileTest, MalformedJsonLinesStayOnTheirRow) {
  auto rows = ReadExport(Write("h.jsonl",
                               "{\"record_id\": \"A1\", \"record_type\": \"session\"\n"
                               "[1, 2]\n"
                               "{\"record_id\": \"A3\", \"colour\": \"red\"}\n"
                               "{\"record_id\": \"A4\", \"notes\": {\"nested\": 1}}\n"
                               "{\"record_id\": 1.5}\n"
                               "{\"record_id\": \"A6\", \"record_type\": \"session\"}\n"),
                         kSchema);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 6u);
  EXPECT_THAT((*rows)[0].error, HasSubstr("not a JSON object"));
  EXPECT_THAT((*rows)[1].error, HasSubstr("not a JSON object"));
  EXPECT_EQ((*rows)[2].error, "unknown field 'colour'");
  EXPECT_THAT((*rows)[3].error, HasSubstr("field 'notes' is an object or nested array"));
  EXPECT_THAT((*rows)[4].error, HasSubstr("field 'record_id' is not a whole number"));
  EXPECT_TRUE((*rows)[5].error.empty());
  EXPECT_EQ((*rows)[5].raw, "{\"record_id\": \"A6\", \"record_type\": \"session\"}");
}

Row MakeRow(std::map<std::string, std::string> fields) {
  Row row;
  row.file = "t.csv";
  row.line = 7;
  row.fields = std::move(fields);
  return row;
}

TEST(FieldReaderTest, ReadsTypedValues) {
  Row row = MakeRow({{"d", "2025-03-03"},
                     {"t", "2025-03-03T23:40:00+01:00"},
                     {"b", "Yes"},
                     {"n", "17"},
                     {"e", "Very-High"},
                     {"l", " a ; ;b "},
                     {"id", "victim_services"}});
  FieldReader r(row);
  EXPECT_EQ(*r.Date("d"), absl::CivilDay(2025, 3, 3));
  EXPECT_EQ(*r.Time("t"), absl::FromCivil(absl::CivilSecond(2025, 3, 3, 22, 40, 0), absl::UTCTimeZone()));
  EXPECT_EQ(r.Bool("b"), true);
  EXPECT_EQ(r.Int("n", 0, 27), 17);
  EXPECT_EQ(r.Enum("e", {"high", "very_high"}), "very_high");
  EXPECT_EQ(r.List("l"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.Identifier("id"), "victim_services");
  EXPECT_EQ(r.Text("absent"), "");
  EXPECT_FALSE(r.Date("absent").has_value());
  EXPECT_TRUE(r.ok()) << r.reason();
}

TEST(FieldReaderTest, EveryProblemNamesTheColumn) {
  Row row = MakeRow({{"d", "2025-02-30"},
                     {"t", "03/03/2025 23:40"},
                     {"b", "maybe"},
                     {"n", "30"},
                     {"e", "severe"},
                     {"id", "Police!"}});
  FieldReader r(row);
  r.Date("d");
  r.Time("t");
  r.Bool("b");
  r.Int("n", 0, 27);
  r.Enum("e", {"standard", "high"});
  r.Identifier("id");
  r.Text("who", Need::kRequired);
  EXPECT_FALSE(r.ok());
  const std::string why = r.reason();
  EXPECT_THAT(why, HasSubstr("d '2025-02-30' is not a real date written YYYY-MM-DD"));
  EXPECT_THAT(why, HasSubstr("t '03/03/2025 23:40' is not an RFC 3339 date and time"));
  EXPECT_THAT(why, HasSubstr("b 'maybe' is not yes/no or true/false"));
  EXPECT_THAT(why, HasSubstr("n '30' is not a whole number from 0 to 27"));
  EXPECT_THAT(why, HasSubstr("e 'severe' is not one of: standard, high"));
  EXPECT_THAT(why, HasSubstr("id 'Police!' is not an identifier"));
  EXPECT_THAT(why, HasSubstr("who is required"));
}

TEST(FieldReaderTest, OverlongValuesAreRejected) {
  Row row = MakeRow(
      {{"narrative", std::string(kMaxFieldBytes + 1, 'x')}, {"ok", std::string(kMaxFieldBytes, 'x')}});
  FieldReader r(row);
  EXPECT_EQ(r.Text("narrative"), "");
  EXPECT_EQ(r.Text("ok").size(), kMaxFieldBytes);
  EXPECT_EQ(r.reason(), "narrative is longer than 32768 bytes");
}

TEST(FieldReaderTest, TimesNeedAnOffset) {
  Row row = MakeRow({{"t", "2025-03-03T23:40:00"}});
  FieldReader r(row);
  EXPECT_FALSE(r.Time("t").has_value());
  EXPECT_FALSE(r.ok());
}

TEST(FieldReaderTest, FilledColumnsNobodyReadAreReported) {
  Row row = MakeRow({{"record_type", "incident"}, {"used", "x"}, {"stray", "y"}});
  FieldReader r(row);
  r.Text("used");
  r.FailUnread();
  EXPECT_EQ(r.reason(), "stray is filled but not used by record_type 'incident' (leave it empty)");
}

}  // namespace
}  // namespace accord::agents
