// Names and text in Irish, Welsh and Ukrainian, end to end with real
// processes: an event file sent with `accord send` by the police reaches the
// IDVA service's outbox JSON (through the real broker and accord-agent) and
// its meeting pack (HTML and Markdown) byte for byte, and the people named in
// it, written in capitals and with combining accents, get the same
// pseudonyms as the same names written in lower case and composed.
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "crypto/pseudonym.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tests/e2e/e2e_support.h"

namespace accord::e2e {
namespace {

namespace fs = std::filesystem;

constexpr char kEventId[] = "police-unicode-0001";
const std::string kHeadline = "Siân Ó Súilleabháin; Олександр Шевченко; Ŵyn Llywelyn, Tŷ'r Ŵyn 🙂";
const std::string kText = "She said \"he took my phone\" \\ twice;\nnext line";
const std::string kAddress = "Fflat 2, Tŷ Ŵyn, Heol y Bont, Caerdydd; вул. Шевченка 5";

// The same people written as another system might: capitals, combining
// accents (U+0301, U+0302) and an ideographic space before the name.
std::string EventFile() {
  return absl::StrCat(
      "event_id: ", kEventId, "\n",
      "kind: domestic_incident\n"
      "case: CASE-UNICODE-1\n"
      "actor: {role: police_officer, staff_ref: \"4512\"}\n"
      "risk: {level: high, tool: dash, score: 17}\n"
      "subjects:\n"
      "  - {role: victim, family: \"\u3000O\u0301 SU\u0301ILLEABHA\u0301IN\", given: \"SIA\u0302N\", dob: 1991-03-14}\n"
      "  - {role: perpetrator, family: ШЕВЧЕНКО, given: ОЛЕКСАНДР, dob: 1988-07-22}\n"
      "  - {role: child, family: LLYWELYN, given: \"W\u0302YN\", dob: 2015-09-03}\n"
      "sections:\n"
      "  summary: {type: Summary, headline: \"", kHeadline, "\",\n"
      "            text: \"She said \\\"he took my phone\\\" \\\\ twice;\\nnext line\"}\n"
      "  risk: {type: RiskDetail, level: RISK_LEVEL_HIGH, tool: RISK_TOOL_DASH, score: 17,\n"
      "         factors: [tagu, \"погрози\"]}\n"
      "  detail: {type: DomesticIncident, incident_ref: SWP-INC-Ŵ-1, arrest_made: true}\n"
      "  victim_contact: {type: VictimContact, address: \"", kAddress, "\"}\n");
}

class UnicodeTextTest : public E2eTest {
 protected:
  std::string Pseudonym(const std::string& family, const std::string& given, const std::string& dob) {
    const crypto::PartnershipPaths paths(Partnership());
    absl::StatusOr<crypto::SecretBytes> key = crypto::ReadLinkageKey(paths.AgencyLinkageKey("victim_services"));
    EXPECT_TRUE(key.ok()) << key.status();
    absl::StatusOr<std::string> p = crypto::SubjectPseudonym(*key, family, given, dob);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : "";
  }
};

const google::protobuf::Value& Field(const google::protobuf::Value& v, const std::string& key) {
  static const google::protobuf::Value* kMissing = new google::protobuf::Value();
  const auto& fields = v.struct_value().fields();
  auto it = fields.find(key);
  EXPECT_NE(it, fields.end()) << "no '" << key << "'";
  return it == fields.end() ? *kMissing : it->second;
}

TEST_F(UnicodeTextTest, SendKeepsUtf8FromEventFileToOutboxAndMeetingPack) {
  WriteFile(Path("event.yaml"), EventFile());
  RunResult sent = RunProgram({AccordBinary(), "send", "--as", "police", "--partnership", Partnership(),
                               "--broker", address(), Path("event.yaml")},
                              Path("logs/send.log"), absl::Seconds(60));
  ASSERT_EQ(sent.exit_code, 0) << sent.output;

  ReceiveRounds([&] { return OutboxOf("victim_services").count(kEventId) > 0; }, 5);
  const auto outbox = OutboxOf("victim_services");
  ASSERT_EQ(outbox.count(kEventId), 1u) << "the IDVA service never received the event";
  const OutboxEvent& got = outbox.at(kEventId);
  EXPECT_EQ(got.opened, (std::set<std::string>{"summary", "risk", "detail", "victim_contact"}));

  // The outbox file is JSON whose strings are the text as written.
  const std::string json = ReadFile(got.file);
  google::protobuf::Value root;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &root).ok()) << json;
  const google::protobuf::Value& sections = Field(root, "sections");
  EXPECT_EQ(Field(Field(sections, "summary"), "headline").string_value(), kHeadline);
  EXPECT_EQ(Field(Field(sections, "summary"), "text").string_value(), kText);
  EXPECT_EQ(Field(Field(sections, "victim_contact"), "address").string_value(), kAddress);
  EXPECT_EQ(Field(Field(sections, "detail"), "incident_ref").string_value(), "SWP-INC-Ŵ-1");
  const auto& factors = Field(Field(sections, "risk"), "factors").list_value();
  ASSERT_EQ(factors.values_size(), 2);
  EXPECT_EQ(factors.values(1).string_value(), "погрози");
  EXPECT_NE(json.find("Siân Ó Súilleabháin"), std::string::npos) << "UTF-8 is written as it is:\n" << json;

  // The people: capitals and combining accents give the pseudonyms of the
  // lower-case, composed spelling.
  ASSERT_EQ(got.header.subjects_size(), 3);
  EXPECT_EQ(got.header.subjects(0).ref(), Pseudonym("Ó Súilleabháin", "Siân", "1991-03-14"));
  EXPECT_EQ(got.header.subjects(1).ref(), Pseudonym("Шевченко", "Олександр", "1988-07-22"));
  EXPECT_EQ(got.header.subjects(2).ref(), Pseudonym("Llywelyn", "ŵyn", "2015-09-03"));

  // The IDVA service's meeting pack shows the text as sent.
  RunResult pack = RunProgram({AccordBinary(), "meeting", "pack", "--as", "victim_services", "--meeting",
                               "daily-discussion", "--partnership", Partnership(), "--broker", address(),
                               "--out", Path("packs")},
                              Path("logs/pack.log"), absl::Seconds(60));
  ASSERT_EQ(pack.exit_code, 0) << pack.output;
  std::string html, markdown;
  for (const auto& f : fs::directory_iterator(Path("packs"))) {
    (f.path().extension() == ".html" ? html : markdown) = ReadFile(f.path().string());
  }
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  // HTML escapes the apostrophe and the quotes; Markdown turns the line break into a space.
  EXPECT_NE(html.find("Siân Ó Súilleabháin; Олександр Шевченко; Ŵyn Llywelyn, Tŷ&#39;r Ŵyn 🙂"), std::string::npos)
      << html;
  EXPECT_NE(html.find("She said &quot;he took my phone&quot; \\ twice;"), std::string::npos) << html;
  EXPECT_NE(markdown.find(absl::StrCat(kHeadline, " — She said \"he took my phone\" \\ twice; next line")),
            std::string::npos)
      << markdown;
}

}  // namespace
}  // namespace accord::e2e
