// Event files for `accord send`: text in any script reaches the sealed
// sections byte for byte, and a file that is not UTF-8 is refused with its line.
#include "cli/event_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "accord/v1/events.pb.h"
#include "crypto/pseudonym.h"
#include "tests/testing/temp_dir.h"

namespace accord::cli {
namespace {

using ::testing::HasSubstr;

class EventFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    const std::string path = tmp_.Path("event.yaml");
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  absl::StatusOr<EventFile> Load(const std::string& text) { return LoadEventFile(Write(text), "police", key_); }

  accord::testing::TempDir tmp_;
  crypto::SecretBytes key_{std::string(32, '\x42')};
};

template <typename M>
M SectionOf(const EventFile& e, const std::string& name) {
  M m;
  for (const crypto::PlainSection& s : e.sections) {
    if (s.name == name) {
      EXPECT_TRUE(m.ParseFromString(s.plaintext)) << name;
    }
  }
  return m;
}

TEST_F(EventFileTest, TextInAnyScriptIsSealedAsWritten) {
  auto e = Load(
      "event_id: police-utf8-1\nkind: domestic_incident\ncase: CASE-1\n"
      "sections:\n"
      "  summary: {type: Summary, headline: \"Siân Ó Súilleabháin, Ольга Шевченко, Tŵr 🙂\",\n"
      "            text: \"O'Brien said \\\"stop\\\" \\\\ twice\\ttab\\nline\"}\n"
      "  victim_contact:\n"
      "    type: VictimContact\n"
      "    address: Fflat 2, Tŷ Ŵyn, Heol y Bont, Caerdydd\n"
      "    notes: 'Ș, ß, 김민준, Ꮳ, \\x01'\n");
  ASSERT_TRUE(e.ok()) << e.status();
  const auto summary = SectionOf<v1::Summary>(*e, "summary");
  EXPECT_EQ(summary.headline(), "Siân Ó Súilleabháin, Ольга Шевченко, Tŵr 🙂");
  EXPECT_EQ(summary.text(), "O'Brien said \"stop\" \\ twice\ttab\nline");
  const auto contact = SectionOf<v1::VictimContact>(*e, "victim_contact");
  EXPECT_EQ(contact.address(), "Fflat 2, Tŷ Ŵyn, Heol y Bont, Caerdydd");
  EXPECT_EQ(contact.notes(), "Ș, ß, 김민준, Ꮳ, \\x01");  // single quotes: no escapes
}

TEST_F(EventFileTest, SubjectNamesArePseudonymisedAfterNormalisation) {
  auto e = Load(
      "event_id: police-utf8-2\nkind: domestic_incident\ncase: CASE-1\n"
      "subjects:\n"
      "  - {role: victim, family: \"O\u0301 SU\u0301ILLEABHA\u0301IN\", given: SIÂN, dob: 1991-03-14}\n"
      "  - {role: perpetrator, family: ШЕВЧЕНКО, given: ОЛЕКСАНДР, dob: 1988-07-22}\n"
      "sections:\n  summary: {type: Summary, headline: x}\n");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->header.subjects_size(), 2);
  EXPECT_EQ(e->header.subjects(0).ref(), *crypto::SubjectPseudonym(key_, "Ó Súilleabháin", "Siân", "1991-03-14"));
  EXPECT_EQ(e->header.subjects(1).ref(), *crypto::SubjectPseudonym(key_, "Шевченко", "Олександр", "1988-07-22"));
}

TEST_F(EventFileTest, TextThatIsNotUtf8IsRefusedWithItsLine) {
  auto e = Load(
      "event_id: police-utf8-3\nkind: domestic_incident\ncase: CASE-1\n"
      "sections:\n  summary: {type: Summary, headline: \"Si\xe2n\"}\n");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(e.status().message(), HasSubstr("event.yaml: line 5: the text is not valid UTF-8 (byte 0xe2 at offset 2)"));
  auto subject = Load(
      "event_id: police-utf8-4\nkind: domestic_incident\ncase: CASE-\xff\n"
      "sections:\n  summary: {type: Summary, headline: x}\n");
  EXPECT_THAT(subject.status().message(), HasSubstr("line 3: the text is not valid UTF-8 (byte 0xff at offset 5)"));
}

TEST_F(EventFileTest, AnInvisibleCharacterInANameIsRefused) {
  auto e = Load(
      "event_id: police-utf8-5\nkind: domestic_incident\ncase: CASE-1\n"
      "subjects:\n  - {role: victim, family: \"Mor\u00ADgan\", given: Carys, dob: 1991-03-14}\n"
      "sections:\n  summary: {type: Summary, headline: x}\n");
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("line 5: family name contains U+00AD, an invisible format character"));
}

}  // namespace
}  // namespace accord::cli
