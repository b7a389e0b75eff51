#include "crypto/pseudonym.h"

#include <sodium.h>
#include <gtest/gtest.h>

#include "crypto/hash.h"

namespace accord::crypto {
namespace {

SecretBytes FixedKey() {
  std::string k(32, '\0');
  for (int i = 0; i < 32; ++i) k[static_cast<std::size_t>(i)] = static_cast<char>(i);
  return SecretBytes(k);
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
  // "Zoe" + U+0308 combining diaeresis: not NFC, refused rather than mis-linked.
  auto decomposed = NormaliseIdentity("Smith", "Zoe\xcc\x88", "1990-04-12");
  EXPECT_FALSE(decomposed.ok());
  EXPECT_NE(decomposed.status().message().find("NFC"), std::string::npos);
  EXPECT_FALSE(SubjectPseudonym(SecretBytes("short"), "Smith", "Jane", "1990-04-12").ok());
}

}  // namespace
}  // namespace accord::crypto
