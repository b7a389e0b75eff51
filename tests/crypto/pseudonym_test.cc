#include "crypto/pseudonym.h"

#include <sodium.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "crypto/hash.h"

namespace accord::crypto {
namespace {

using ::testing::HasSubstr;

SecretBytes FixedKey() {
  std::string k(32, '\0');
  for (int i = 0; i < 32; ++i) k[static_cast<std::size_t>(i)] = static_cast<char>(i);
  return SecretBytes(k);
}

std::string P(std::string_view family, std::string_view given, std::string_view dob = "1990-04-12") {
  absl::StatusOr<std::string> p = SubjectPseudonym(FixedKey(), family, given, dob);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : "";
}

std::string N(std::string_view family, std::string_view given) {
  absl::StatusOr<std::string> n = NormaliseIdentity(family, given, "1990-04-12");
  EXPECT_TRUE(n.ok()) << n.status();
  return n.ok() ? *n : "";
}

std::string Refusal(std::string_view family, std::string_view given = "Jane") {
  absl::StatusOr<std::string> n = NormaliseIdentity(family, given, "1990-04-12");
  EXPECT_FALSE(n.ok()) << "accepted as " << *n;
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(n.status().message());
}

TEST(PseudonymTest, NormalisesTrimAndCase) {
  EXPECT_EQ(*NormaliseIdentity("  Smith ", "JANE\t", "1990-04-12"), "smith|jane|1990-04-12");
  EXPECT_EQ(*NormaliseIdentity("ÓBRIAIN", "Zoë", "2001-12-31"), "óbriain|zoë|2001-12-31");
  EXPECT_EQ(*NormaliseIdentity("ŁUKASZEWSKA", "ANNA", "1985-01-01"), "łukaszewska|anna|1985-01-01");
}

TEST(PseudonymTest, SamePersonSamePseudonymAcrossAgencies) {
  auto a = SubjectPseudonym(FixedKey(), "Smith", "Jane", "1990-04-12");
  auto b = SubjectPseudonym(FixedKey(), " SMITH", "jane ", "1990-04-12");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->size(), 64u);
  EXPECT_NE(*a, *SubjectPseudonym(FixedKey(), "Smith", "Jane", "1990-04-13"));
  EXPECT_NE(*a, *SubjectPseudonym(GenerateLinkageKey(), "Smith", "Jane", "1990-04-12"));
}

TEST(PseudonymTest, MatchesDocumentedConstruction) {
  // docs/protocol.md: BLAKE2b-256 keyed with the linkage key over the normalised string.
  const std::string input = "smith|jane|1990-04-12";
  SecretBytes key = FixedKey();
  unsigned char out[32];
  crypto_generichash(out, 32, reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                     key.data(), key.size());
  EXPECT_EQ(*SubjectPseudonym(key, "Smith", "Jane", "1990-04-12"),
            Hex(std::string(reinterpret_cast<char*>(out), 32)));
}

TEST(PseudonymTest, RejectsBadInput) {
  EXPECT_FALSE(NormaliseIdentity("", "Jane", "1990-04-12").ok());
  EXPECT_FALSE(NormaliseIdentity("Sm|th", "Jane", "1990-04-12").ok());
  EXPECT_FALSE(NormaliseIdentity("Smith", "Jane", "1990-02-30").ok());
  EXPECT_FALSE(NormaliseIdentity("Smith", "Jane", "12/04/1990").ok());
  EXPECT_FALSE(NormaliseIdentity("Smith", "Jane", "1990-4-12").ok());
  EXPECT_FALSE(NormaliseIdentity("Smi\xff", "Jane", "1990-04-12").ok());
  EXPECT_FALSE(NormaliseIdentity("Smith\n", "Ja\x01ne", "1990-04-12").ok());
  EXPECT_FALSE(SubjectPseudonym(SecretBytes("short"), "Smith", "Jane", "1990-04-12").ok());
}

// The same name written in canonically equivalent ways (what one keyboard,
// database or export tool writes where another writes something else).
TEST(PseudonymTest, CanonicallyEquivalentSpellingsGiveOnePseudonym) {
  // Å: U+212B ANGSTROM SIGN, U+00C5 precomposed, A + U+030A combining ring.
  const std::string angstrom = P("\u212Bstr\u00F6m", "Jane");
  EXPECT_EQ(angstrom, P("\u00C5str\u00F6m", "Jane"));
  EXPECT_EQ(angstrom, P("A\u030Astro\u0308m", "Jane"));
  EXPECT_EQ(N("\u212Bstr\u00F6m", "Jane"), "\u00E5str\u00F6m|jane|1990-04-12");
  // Hangul: conjoining jamo and precomposed syllables.
  const std::string kim = P("\u1100\u1175\u11B7", "\u1106\u1175\u11AB\u110C\u116E\u11AB");
  EXPECT_EQ(kim, P("\uAE40", "\uBBFC\uC900"));
  EXPECT_EQ(N("\u1100\u1175\u11B7", "\u1106\u1175\u11AB\u110C\u116E\u11AB"), "\uAE40|\uBBFC\uC900|1990-04-12");
  // U+212A KELVIN SIGN is K: the ASCII spelling keeps its pseudonym.
  EXPECT_EQ(P("\u212Aelly", "Jane"), P("Kelly", "Jane"));
  // Decomposed accents (once refused) now meet their composed form.
  EXPECT_EQ(P("Smith", "Zoe\u0308"), P("Smith", "Zo\u00EB"));
  EXPECT_EQ(P("O\u0301 Su\u0301illeabha\u0301in", "Sia\u0302n"), P("\u00D3 S\u00FAilleabh\u00E1in", "Si\u00E2n"));
  // Welsh ŵ: precomposed capital, precomposed small, w + U+0302.
  EXPECT_EQ(P("\u0174YN", "Jane"), P("\u0175yn", "Jane"));
  EXPECT_EQ(P("w\u0302yn", "Jane"), P("\u0175yn", "Jane"));
}

// Full case folding, in every script, not ASCII and Latin-1 lower-casing.
TEST(PseudonymTest, FullCaseFoldingMatchesEveryScript) {
  EXPECT_EQ(P("\u0428\u0415\u0412\u0427\u0415\u041D\u041A\u041E", "\u041E\u041B\u042C\u0413\u0410"),
            P("\u0428\u0435\u0432\u0447\u0435\u043D\u043A\u043E", "\u041E\u043B\u044C\u0433\u0430"));  // Шевченко
  EXPECT_EQ(P("\u0218TEF\u0102NESCU", "IOANA"), P("\u0218tef\u0103nescu", "Ioana"));              // Ș
  EXPECT_EQ(N("\u0218TEF\u0102NESCU", "IOANA"), "\u0219tef\u0103nescu|ioana|1990-04-12");
  // ß, ẞ and SS all fold to "ss".
  EXPECT_EQ(P("Wei\u00DF", "Jane"), P("WEISS", "Jane"));
  EXPECT_EQ(P("WEI\u1E9E", "Jane"), P("weiss", "Jane"));
  // Greek: capital, small and final sigma are one letter.
  EXPECT_EQ(P("\u03A0\u0391\u03A0\u0391\u0394\u038C\u03A0\u039F\u03A5\u039B\u039F\u03A3", "\u039D\u038A\u039A\u039F\u03A3"),
            P("\u03A0\u03B1\u03C0\u03B1\u03B4\u03CC\u03C0\u03BF\u03C5\u03BB\u03BF\u03C2", "\u039D\u03AF\u03BA\u03BF\u03C2"));
  // Cherokee folds its small letters to the capitals (Unicode 8.0 and later).
  EXPECT_EQ(P("\u13E3\u13B3\u13A9", "Jane"), P("\uABB3\uAB83\uAB79", "Jane"));
  EXPECT_EQ(N("\uABB3\uAB83\uAB79", "Jane"), "\u13E3\u13B3\u13A9|jane|1990-04-12");
  // Armenian and Georgian Mtavruli as well.
  EXPECT_EQ(P("\u0544\u0531\u0546\u0548\u0552\u053F\u0545\u0531\u0546", "Jane"),
            P("\u0574\u0561\u0576\u0578\u0582\u056F\u0575\u0561\u0576", "Jane"));
  EXPECT_EQ(P("\u1C9C\u1C90\u1CA0\u1C98\u1CA1", "Jane"), P("\u10DC\u10D0\u10E0\u10D8\u10E1", "Jane"));
}

TEST(PseudonymTest, DifferentLettersStayDifferent) {
  // Ş (cedilla, U+015E) is not Ș (comma below, U+0218).
  EXPECT_NE(P("\u015Etef\u0103nescu", "Ioana"), P("\u0218tef\u0103nescu", "Ioana"));
  // Accents matter; default (not Turkish) folding keeps İ, ı and i apart.
  EXPECT_NE(P("O Brien", "Jane"), P("\u00D3 Brien", "Jane"));
  EXPECT_NE(P("\u0130nce", "Jane"), P("ince", "Jane"));
  EXPECT_NE(P("\u0131nce", "Jane"), P("ince", "Jane"));
  EXPECT_EQ(N("\u0130nce", "Jane"), "i\u0307nce|jane|1990-04-12");
  // Compatibility forms are not folded (NFC, not NFKC): ligatures excepted
  // where case folding itself expands them.
  EXPECT_NE(P("\uFF33mith", "Jane"), P("Smith", "Jane"));  // fullwidth S
  EXPECT_EQ(P("\uFB00oulkes", "Jane"), P("ffoulkes", "Jane"));
  // Where the space is decides which name a word belongs to.
  EXPECT_NE(P("Ap Rhys", "Jane"), P("ApRhys", "Jane"));
  EXPECT_NE(P("Smith Jane", "Ann"), P("Smith", "Jane Ann"));
}

TEST(PseudonymTest, WhiteSpaceIsTrimmedAndInnerSpacesAreOneKind) {
  // White_Space at both ends goes, whatever its kind.
  EXPECT_EQ(N("\u3000\u00A0Smith\u2003\u0085", "\u205FJane\u202F"), "smith|jane|1990-04-12");
  // Inside a name every space separator is U+0020; runs are kept as they are.
  EXPECT_EQ(N("\u00D3\u00A0S\u00FAilleabh\u00E1in", "Si\u00E2n"), "\u00F3 s\u00FAilleabh\u00E1in|si\u00E2n|1990-04-12");
  EXPECT_EQ(P("Ap\u2009Rhys", "Jane"), P("Ap Rhys", "Jane"));
  EXPECT_NE(P("Ap  Rhys", "Jane"), P("Ap Rhys", "Jane"));
  // Tabs and line breaks inside a name are refused, not turned into spaces.
  EXPECT_THAT(Refusal("Ap\tRhys"), HasSubstr("control character or line break (U+0009)"));
  EXPECT_THAT(Refusal("Ap\u2028Rhys"), HasSubstr("(U+2028)"));
  EXPECT_THAT(Refusal("\u00A0\u3000"), HasSubstr("family name is empty"));
}

TEST(PseudonymTest, TheSeparatorCannotBeForged) {
  EXPECT_THAT(Refusal("Smith|Jane", "Ann"), HasSubstr("family name contains '|'"));
  EXPECT_THAT(Refusal("Smith", "Jane|1990-04-12"), HasSubstr("given name contains '|'"));
}

TEST(PseudonymTest, InvalidUtf8IsRefusedWithItsOffset) {
  EXPECT_THAT(Refusal("Smi\xff"), HasSubstr("family name is not valid UTF-8 (byte 0xff at offset 3)"));
  EXPECT_THAT(Refusal("Jones", "Si\xc3"), HasSubstr("given name is not valid UTF-8 (byte 0xc3 at offset 2)"));
  EXPECT_THAT(Refusal("\xc0\xafx"), HasSubstr("not valid UTF-8"));          // overlong '/'
  EXPECT_THAT(Refusal("a\xed\xa0\x80"), HasSubstr("offset 1"));              // surrogate U+D800
  EXPECT_THAT(Refusal("a\xf4\x90\x80\x80"), HasSubstr("offset 1"));          // above U+10FFFF
  EXPECT_THAT(Refusal("\x80Smith"), HasSubstr("byte 0x80 at offset 0"));     // lone continuation
  // Latin-1 bytes (an export saved in the wrong encoding) are refused too.
  EXPECT_THAT(Refusal("Si\xe2n"), HasSubstr("not valid UTF-8"));
}

TEST(PseudonymTest, InvisibleAndUnassignedCodePointsAreRefused) {
  EXPECT_THAT(Refusal("Smi\u00ADth"), HasSubstr("U+00AD, an invisible format character: remove it"));
  EXPECT_THAT(Refusal("Smi\u200Bth"), HasSubstr("U+200B"));
  EXPECT_THAT(Refusal("\uFEFFSmith"), HasSubstr("U+FEFF"));
  EXPECT_THAT(Refusal("\u202ESmith"), HasSubstr("U+202E"));
  EXPECT_THAT(Refusal("Smith\u0378"),
              HasSubstr("U+0378, which is not a character in Unicode " + PseudonymUnicodeVersion()));
  EXPECT_THAT(Refusal("Smith\uFDD0"), HasSubstr("U+FDD0"));  // a noncharacter
  // Zero-width (non-)joiners are part of some scripts' spelling.
  EXPECT_EQ(N("\u0645\u06CC\u200C\u0631\u0636\u0627\u06CC\u06CC", "Jane"),
            "\u0645\u06CC\u200C\u0631\u0636\u0627\u06CC\u06CC|jane|1990-04-12");
}

// ---- docs/protocol.md §4 test vectors ------------------------------------------

std::string Utf8(const std::vector<char32_t>& cps) {
  std::string out;
  for (char32_t cp : cps) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out += {static_cast<char>(0xc0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3f))};
    } else if (cp < 0x10000) {
      out += {static_cast<char>(0xe0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3f)),
              static_cast<char>(0x80 | (cp & 0x3f))};
    } else {
      out += {static_cast<char>(0xf0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3f)),
              static_cast<char>(0x80 | ((cp >> 6) & 0x3f)), static_cast<char>(0x80 | (cp & 0x3f))};
    }
  }
  return out;
}

// "U+0020 U+0053 ..." as UTF-8; the code points are written out so that no
// editor or renderer can normalise the vectors themselves.
std::string CodePoints(const std::string& text) {
  std::vector<char32_t> cps;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    uint32_t cp = 0;
    EXPECT_TRUE(absl::ConsumePrefix(&word, "U+") && absl::SimpleHexAtoi(word, &cp)) << text;
    cps.push_back(static_cast<char32_t>(cp));
  }
  return Utf8(cps);
}

// The blocks of "key: value" lines after <!-- pseudonym-vectors -->.
std::vector<std::map<std::string, std::string>> DocumentedVectors() {
  std::ifstream in(std::string(ACCORD_SOURCE_DIR) + "/docs/protocol.md");
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  std::vector<std::map<std::string, std::string>> out;
  auto start = text.find("<!-- pseudonym-vectors -->");
  if (start == std::string::npos) return out;
  start = text.find("```text\n", start) + 8;
  const auto end = text.find("```\n", start);
  out.emplace_back();
  for (absl::string_view line : absl::StrSplit(text.substr(start, end - start), '\n')) {
    if (absl::StripAsciiWhitespace(line).empty()) {
      if (!out.back().empty()) out.emplace_back();
      continue;
    }
    const auto colon = line.find(": ");
    if (colon != absl::string_view::npos) {
      out.back()[std::string(line.substr(0, colon))] = std::string(line.substr(colon + 2));
    }
  }
  if (out.back().empty()) out.pop_back();
  return out;
}

TEST(PseudonymTest, DocumentedVectorsHold) {
  const auto blocks = DocumentedVectors();
  ASSERT_GE(blocks.size(), 2u) << "no pseudonym vectors in docs/protocol.md";
  const auto& params = blocks[0];
  ASSERT_EQ(params.count("linkage-key"), 1u);
  absl::StatusOr<std::string> key = Unhex(params.at("linkage-key"));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(params.at("unicode"), PseudonymUnicodeVersion())
      << "docs/protocol.md §4 names another Unicode version than ICU provides: re-check the "
         "vectors and state the new version there";
  int checked = 0;
  for (std::size_t i = 1; i < blocks.size(); ++i) {
    const auto& v = blocks[i];
    const std::string name = v.count("vector") ? v.at("vector") : "?";
    for (const char* k : {"family", "given", "dob", "normalised", "pseudonym"}) {
      ASSERT_EQ(v.count(k), 1u) << "vector " << name << " lacks '" << k << "'";
    }
    const std::string family = CodePoints(v.at("family"));
    const std::string given = CodePoints(v.at("given"));
    absl::StatusOr<std::string> normalised = NormaliseIdentity(family, given, v.at("dob"));
    ASSERT_TRUE(normalised.ok()) << name << ": " << normalised.status();
    EXPECT_EQ(Hex(*normalised), v.at("normalised")) << name;
    EXPECT_EQ(*SubjectPseudonym(SecretBytes(*key), family, given, v.at("dob")), v.at("pseudonym")) << name;
    ++checked;
  }
  EXPECT_GE(checked, 12);
}

}  // namespace
}  // namespace accord::crypto
