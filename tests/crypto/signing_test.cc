#include "crypto/signing.h"

#include <gtest/gtest.h>

#include "crypto/encryption.h"
#include "crypto/hash.h"

namespace accord::crypto {
namespace {

TEST(PaeTest, MatchesDsseSpecExample) {
  // DSSE protocol.md example: PAE("http://example.com/HelloWorld", "hello world").
  EXPECT_EQ(Pae("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  EXPECT_EQ(Pae("", ""), "DSSEv1 0  0 ");
}

TEST(SigningTest, SignVerifyRoundTrip) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  std::string sig = key->Sign(kEventHeaderType, "body");
  EXPECT_EQ(sig.size(), 64u);
  EXPECT_TRUE(VerifySignature(key->public_key(), kEventHeaderType, "body", sig).ok());
}

TEST(SigningTest, SignatureIsBoundToType) {
  auto key = SigningKey::Generate();
  std::string sig = key->Sign(kDirectoryEntryType, "body");
  EXPECT_EQ(VerifySignature(key->public_key(), kEventHeaderType, "body", sig).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(SigningTest, RejectsTamperedBodyAndSignatureAndWrongKey) {
  auto key = SigningKey::Generate();
  auto other = SigningKey::Generate();
  std::string sig = key->Sign(kEventHeaderType, "body");
  EXPECT_FALSE(VerifySignature(key->public_key(), kEventHeaderType, "bodY", sig).ok());
  std::string bad = sig;
  bad[10] ^= 0x01;
  EXPECT_FALSE(VerifySignature(key->public_key(), kEventHeaderType, "body", bad).ok());
  EXPECT_FALSE(VerifySignature(other->public_key(), kEventHeaderType, "body", sig).ok());
  EXPECT_EQ(VerifySignature(key->public_key(), kEventHeaderType, "body", sig.substr(1)).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifySignature("short", kEventHeaderType, "body", sig).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SigningTest, SeedRoundTripGivesSameKey) {
  auto key = SigningKey::Generate();
  auto again = SigningKey::FromSeed(key->Seed().view());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->public_key(), key->public_key());
  EXPECT_EQ(again->key_id(), key->key_id());
  EXPECT_EQ(again->key_id(), KeyIdOf(key->public_key()));
  EXPECT_EQ(key->key_id().size(), 16u);
  EXPECT_FALSE(SigningKey::FromSeed("too short").ok());
}

TEST(EncryptionTest, SealedBoxOpensOnlyForItsKey) {
  auto a = EncryptionKey::Generate();
  auto b = EncryptionKey::Generate();
  auto sealed = SealTo(a->public_key(), "section key");
  ASSERT_TRUE(sealed.ok());
  auto opened = a->Unseal(*sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->view(), "section key");
  EXPECT_EQ(b->Unseal(*sealed).status().code(), absl::StatusCode::kUnauthenticated);
  std::string tampered = *sealed;
  tampered.back() ^= 0x01;
  EXPECT_EQ(a->Unseal(tampered).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(a->Unseal("x").ok());
}

TEST(HashTest, Sha256KnownAnswerAndHex) {
  EXPECT_EQ(Hex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto back = Unhex("00ff10Ab");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(Hex(*back), "00ff10ab");
  EXPECT_FALSE(Unhex("abc").ok());
  EXPECT_FALSE(Unhex("zz").ok());
}

}  // namespace
}  // namespace accord::crypto
