#include "crypto/directory.h"

#include <gtest/gtest.h>

#include "crypto/encryption.h"

namespace accord::crypto {
namespace {

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

class DirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override { admin_ = std::make_unique<SigningKey>(*SigningKey::Generate()); }

  v1::DirectoryEntry Entry(const std::string& agency, uint64_t serial, absl::Time from,
                           absl::Time to) {
    auto sk = SigningKey::Generate();
    auto ek = EncryptionKey::Generate();
    v1::DirectoryEntry e;
    e.set_partnership_id("cardiff");
    e.set_agency_id(agency);
    e.set_kind(v1::AGENCY_KIND_POLICE);
    e.set_signing_public_key(sk->public_key());
    e.set_signing_key_id(sk->key_id());
    e.set_encryption_public_key(ek->public_key());
    e.set_encryption_key_id(ek->key_id());
    *e.mutable_not_before() = Ts(from);
    *e.mutable_not_after() = Ts(to);
    e.set_serial(serial);
    return e;
  }

  std::unique_ptr<SigningKey> admin_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
};

TEST_F(DirectoryTest, VerifiesAdminSignedEntries) {
  v1::Directory dir;
  *dir.add_entries() = *SignDirectoryEntry(Entry("police", 1, now_ - absl::Hours(1),
                                                 now_ + absl::Hours(1)), *admin_);
  auto verified = VerifiedDirectory::Create(dir, admin_->public_key(), "cardiff");
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->Current("police", now_).ok());
  EXPECT_EQ(verified->Current("probation", now_).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(DirectoryTest, EntryNotSignedByAdministratorIsRejected) {
  auto mallory = SigningKey::Generate();
  v1::Directory dir;
  *dir.add_entries() = *SignDirectoryEntry(Entry("police", 1, now_ - absl::Hours(1),
                                                 now_ + absl::Hours(1)), *admin_);
  *dir.add_entries() = *SignDirectoryEntry(Entry("probation", 1, now_ - absl::Hours(1),
                                                 now_ + absl::Hours(1)), *mallory);
  auto verified = VerifiedDirectory::Create(dir, admin_->public_key(), "cardiff");
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(verified.status().message().find("#1"), std::string::npos);
}

TEST_F(DirectoryTest, ModifiedEntryIsRejected) {
  auto signed_entry = *SignDirectoryEntry(
      Entry("police", 1, now_ - absl::Hours(1), now_ + absl::Hours(1)), *admin_);
  (*signed_entry.mutable_entry())[10] ^= 0x01;
  EXPECT_FALSE(VerifyDirectoryEntry(signed_entry, admin_->public_key()).ok());
}

TEST_F(DirectoryTest, EntryFromAnotherPartnershipIsRejected) {
  v1::DirectoryEntry e = Entry("police", 1, now_ - absl::Hours(1), now_ + absl::Hours(1));
  e.set_partnership_id("elsewhere");
  v1::Directory dir;
  *dir.add_entries() = *SignDirectoryEntry(e, *admin_);
  EXPECT_EQ(VerifiedDirectory::Create(dir, admin_->public_key(), "cardiff").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(DirectoryTest, MismatchedKeyIdIsRejected) {
  v1::DirectoryEntry e = Entry("police", 1, now_ - absl::Hours(1), now_ + absl::Hours(1));
  e.set_encryption_key_id("0123456789abcdef");
  EXPECT_EQ(VerifyDirectoryEntry(*SignDirectoryEntry(e, *admin_), admin_->public_key())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(DirectoryTest, ExpiredKeyIsNotUsedButStaysVerifiableForItsPeriod) {
  v1::DirectoryEntry old_entry = Entry("police", 1, now_ - absl::Hours(48), now_ - absl::Hours(24));
  v1::Directory dir;
  *dir.add_entries() = *SignDirectoryEntry(old_entry, *admin_);
  auto verified = VerifiedDirectory::Create(dir, admin_->public_key(), "cardiff");
  ASSERT_TRUE(verified.ok());
  auto current = verified->Current("police", now_);
  EXPECT_EQ(current.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(current.status().message().find("expired"), std::string::npos);
  EXPECT_TRUE(verified->ForSigningKey("police", old_entry.signing_key_id(),
                                      now_ - absl::Hours(30)).ok());
  EXPECT_FALSE(verified->ForSigningKey("police", old_entry.signing_key_id(), now_).ok());
}

TEST_F(DirectoryTest, RotationPrefersNewestValidSerial) {
  v1::DirectoryEntry first = Entry("police", 1, now_ - absl::Hours(48), now_ + absl::Hours(48));
  v1::DirectoryEntry second = Entry("police", 2, now_ - absl::Hours(1), now_ + absl::Hours(48));
  v1::Directory dir;
  *dir.add_entries() = *SignDirectoryEntry(first, *admin_);
  *dir.add_entries() = *SignDirectoryEntry(second, *admin_);
  auto verified = VerifiedDirectory::Create(dir, admin_->public_key(), "cardiff");
  EXPECT_EQ(verified->Current("police", now_)->serial(), 2u);
  EXPECT_EQ(verified->Current("police", now_ - absl::Hours(10))->serial(), 1u);
  EXPECT_TRUE(verified->ForSigningKey("police", first.signing_key_id(), now_).ok());
}

}  // namespace
}  // namespace accord::crypto
