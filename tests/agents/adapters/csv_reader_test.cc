// RFC 4180: quoting, embedded separators, quotes and line breaks, line
// numbers, and malformed records reported one by one.
#include "agents/adapters/csv_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace accord::agents {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CsvReaderTest, SplitsPlainFields) {
  std::vector<CsvRecord> r = ParseCsv("a,b,c\n1,2,3\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_THAT(r[0].fields, ElementsAre("a", "b", "c"));
  EXPECT_THAT(r[1].fields, ElementsAre("1", "2", "3"));
  EXPECT_EQ(r[1].line, 2);
  EXPECT_EQ(r[1].raw, "1,2,3");
  EXPECT_TRUE(r[1].error.ok());
}

TEST(CsvReaderTest, KeepsEmptyFieldsIncludingTheLast) {
  std::vector<CsvRecord> r = ParseCsv("a,,c,\n,\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_THAT(r[0].fields, ElementsAre("a", "", "c", ""));
  EXPECT_THAT(r[1].fields, ElementsAre("", ""));
}

TEST(CsvReaderTest, QuotedFieldsHoldCommasQuotesAndLineBreaks) {
  std::vector<CsvRecord> r = ParseCsv(
      "id,text\n"
      "1,\"14 Heol y Felin, Cardiff\"\n"
      "2,\"She said: \"\"leave\"\"\"\n"
      "3,\"line one\nline two\"\n"
      "4,\"\"\n");
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[1].fields[1], "14 Heol y Felin, Cardiff");
  EXPECT_EQ(r[2].fields[1], "She said: \"leave\"");
  EXPECT_EQ(r[3].fields[1], "line one\nline two");
  EXPECT_EQ(r[3].raw, "3,\"line one\nline two\"");
  EXPECT_EQ(r[4].fields[1], "");
  for (const CsvRecord& rec : r) EXPECT_TRUE(rec.error.ok()) << rec.line;
}

TEST(CsvReaderTest, LineNumbersCountBreaksInsideQuotesAndBlankLines) {
  std::vector<CsvRecord> r = ParseCsv("h\n\"a\nb\nc\"\n\nx\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].line, 1);
  EXPECT_EQ(r[1].line, 2);
  EXPECT_EQ(r[2].line, 6);  // line 5 is blank
}

TEST(CsvReaderTest, AcceptsCrlfAndAByteOrderMark) {
  std::vector<CsvRecord> r = ParseCsv("\xEF\xBB\xBFid,name\r\n1,\"a\r\nb\"\r\n2,c");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_THAT(r[0].fields, ElementsAre("id", "name"));
  EXPECT_EQ(r[1].fields[1], "a\r\nb");
  EXPECT_THAT(r[2].fields, ElementsAre("2", "c"));  // no final line break
  EXPECT_EQ(r[2].line, 4);
}

TEST(CsvReaderTest, AQuoteInsideAnUnquotedFieldIsAnError) {
  std::vector<CsvRecord> r = ParseCsv("a,b\n1,he said \"no\"\n2,ok\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_THAT(r[1].error.message(), HasSubstr("field 2: a quote inside an unquoted field"));
  EXPECT_EQ(r[1].raw, "1,he said \"no\"");
  EXPECT_TRUE(r[2].error.ok());  // reading resumes
  EXPECT_THAT(r[2].fields, ElementsAre("2", "ok"));
}

TEST(CsvReaderTest, TextAfterAClosingQuoteIsAnError) {
  std::vector<CsvRecord> r = ParseCsv("\"abc\"def,x\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].error.message(), HasSubstr("field 1: text after a closing quote"));
}

TEST(CsvReaderTest, AnUnclosedQuoteSwallowsTheRestAndSaysSo) {
  std::vector<CsvRecord> r = ParseCsv("a,b\n1,\"never closed\n2,x\n3,y\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].line, 2);
  EXPECT_THAT(r[1].error.message(), HasSubstr("quoted field is never closed"));
  EXPECT_EQ(r[1].raw, "1,\"never closed\n2,x\n3,y\n");
}

TEST(CsvReaderTest, EmptyInputHasNoRecords) {
  EXPECT_TRUE(ParseCsv("").empty());
  EXPECT_TRUE(ParseCsv("\n\r\n").empty());
}

}  // namespace
}  // namespace accord::agents
