#include "crypto/key_file.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "crypto/pseudonym.h"
#include "tests/testing/temp_dir.h"

namespace accord::crypto {
namespace {

namespace fs = std::filesystem;

class KeyFileTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) { return dir_.Path(name); }
  accord::testing::TempDir dir_;
};

TEST_F(KeyFileTest, SigningKeyRoundTripWithOwnerOnlyMode) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(WriteSigningKey(Path("s.key"), *key).ok());
  struct stat st {};
  ASSERT_EQ(::stat(Path("s.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = ReadSigningKey(Path("s.key"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->public_key(), key->public_key());
}

TEST_F(KeyFileTest, EncryptionLinkageAndPublicKeysRoundTrip) {
  auto ek = EncryptionKey::Generate();
  ASSERT_TRUE(WriteEncryptionKey(Path("e.key"), *ek).ok());
  EXPECT_EQ(ReadEncryptionKey(Path("e.key"))->public_key(), ek->public_key());
  SecretBytes linkage = GenerateLinkageKey();
  ASSERT_TRUE(WriteLinkageKey(Path("l.key"), linkage).ok());
  EXPECT_EQ(ReadLinkageKey(Path("l.key"))->view(), linkage.view());
  auto sk = SigningKey::Generate();
  ASSERT_TRUE(WriteSigningPublicKey(Path("admin.pub"), sk->public_key()).ok());
  EXPECT_EQ(*ReadSigningPublicKey(Path("admin.pub")), sk->public_key());
}

TEST_F(KeyFileTest, NeverOverwrites) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(WriteSigningKey(Path("s.key"), *key).ok());
  auto other = SigningKey::Generate();
  EXPECT_EQ(WriteSigningKey(Path("s.key"), *other).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadSigningKey(Path("s.key"))->public_key(), key->public_key());
}

TEST_F(KeyFileTest, RefusesSecretReadableByOthers) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(WriteSigningKey(Path("s.key"), *key).ok());
  ASSERT_EQ(::chmod(Path("s.key").c_str(), 0644), 0);
  auto back = ReadSigningKey(Path("s.key"));
  EXPECT_EQ(back.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(back.status().message().find("chmod 600"), std::string::npos);
}

TEST_F(KeyFileTest, RejectsWrongKindCorruptAndMissingFiles) {
  auto ek = EncryptionKey::Generate();
  ASSERT_TRUE(WriteEncryptionKey(Path("e.key"), *ek).ok());
  EXPECT_EQ(ReadSigningKey(Path("e.key")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadSigningKey(Path("missing.key")).status().code(), absl::StatusCode::kNotFound);
  {
    std::ofstream out(Path("junk.key"));
    out << "hello\n";
  }
  ::chmod(Path("junk.key").c_str(), 0600);
  EXPECT_EQ(ReadSigningKey(Path("junk.key")).status().code(), absl::StatusCode::kInvalidArgument);
  // A public key that does not belong to the secret.
  auto sk = SigningKey::Generate();
  ASSERT_TRUE(WriteSigningKey(Path("s.key"), *sk).ok());
  std::ifstream in(Path("s.key"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto pos = text.find("secret: ") + 8;
  text[pos] = text[pos] == 'a' ? 'b' : 'a';
  fs::remove(Path("s.key"));
  {
    std::ofstream out(Path("s.key"));
    out << text;
  }
  ::chmod(Path("s.key").c_str(), 0600);
  EXPECT_FALSE(ReadSigningKey(Path("s.key")).ok());
}

}  // namespace
}  // namespace accord::crypto
