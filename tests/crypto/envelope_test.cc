// Sealing and opening, and every way an envelope can be tampered with. Each
// tamper yields a specific error and never a partially opened event.
#include "crypto/envelope.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"

namespace accord::crypto {
namespace {

using ::absl::StatusCode;

class EnvelopeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    police_ = std::make_unique<SigningKey>(*SigningKey::Generate());
    idva_ = std::make_unique<EncryptionKey>(*EncryptionKey::Generate());
    programme_ = std::make_unique<EncryptionKey>(*EncryptionKey::Generate());
  }

  v1::EventHeader Header(const std::string& id) {
    v1::EventHeader h;
    h.set_version(1);
    h.set_event_id(id);
    h.set_kind(v1::EVENT_KIND_DOMESTIC_INCIDENT);
    h.set_sender("police");
    h.set_case_ref("CASE-1");
    return h;
  }

  std::vector<PlainSection> Sections(const std::string& tag = "") {
    return {{"summary", "accord.v1.Summary", "summary plaintext" + tag},
            {"risk", "accord.v1.RiskDetail", "risk plaintext" + tag},
            {"victim_contact", "accord.v1.VictimContact", "address plaintext" + tag}};
  }

  std::vector<RecipientKey> Recipients() {
    return {{"victim_services", idva_->key_id(), idva_->public_key(),
             {"summary", "risk", "victim_contact"}},
            {"perpetrator_programme", programme_->key_id(), programme_->public_key(),
             {"summary"}}};
  }

  v1::Envelope Seal(const std::string& id = "ev-1", const std::string& tag = "") {
    auto env = SealEvent(Header(id), Sections(tag), Recipients(), *police_);
    EXPECT_TRUE(env.ok()) << env.status();
    return *env;
  }

  absl::StatusOr<OpenedEvent> OpenAsIdva(const v1::Envelope& env) {
    return OpenEvent(env, police_->public_key(), "victim_services", *idva_);
  }

  v1::SealedSection* SectionNamed(v1::Envelope* env, const std::string& name) {
    for (auto& s : *env->mutable_sections()) {
      if (s.name() == name) return &s;
    }
    return nullptr;
  }

  std::unique_ptr<SigningKey> police_;
  std::unique_ptr<EncryptionKey> idva_;
  std::unique_ptr<EncryptionKey> programme_;
};

TEST_F(EnvelopeTest, EachRecipientOpensExactlyItsSections) {
  v1::Envelope env = Seal();
  auto idva = OpenAsIdva(env);
  ASSERT_TRUE(idva.ok()) << idva.status();
  ASSERT_EQ(idva->sections.size(), 3u);
  EXPECT_EQ(idva->sections[2].name, "victim_contact");
  EXPECT_EQ(idva->sections[2].plaintext.view(), "address plaintext");
  EXPECT_EQ(idva->sections[2].content_type, "accord.v1.VictimContact");
  EXPECT_TRUE(idva->not_for_me.empty());

  auto programme = OpenEvent(env, police_->public_key(), "perpetrator_programme", *programme_);
  ASSERT_TRUE(programme.ok()) << programme.status();
  ASSERT_EQ(programme->sections.size(), 1u);
  EXPECT_EQ(programme->sections[0].name, "summary");
  EXPECT_EQ(programme->not_for_me, (std::vector<std::string>{"risk", "victim_contact"}));
  EXPECT_EQ(programme->header.event_id(), "ev-1");
}

TEST_F(EnvelopeTest, HeaderIndexesEverySectionDigest) {
  v1::Envelope env = Seal();
  v1::EventHeader h;
  ASSERT_TRUE(h.ParseFromString(env.header()));
  ASSERT_EQ(h.sections_size(), 3);
  EXPECT_EQ(h.sections(0).ciphertext_sha256(), Sha256(env.sections(0).ciphertext()));
  EXPECT_EQ(h.signing_key_id(), police_->key_id());
  EXPECT_EQ(env.sections(0).nonce().size(), 24u);
}

TEST_F(EnvelopeTest, FlippedBitInHeaderFailsSignature) {
  v1::Envelope env = Seal();
  (*env.mutable_header())[5] ^= 0x01;
  EXPECT_EQ(OpenAsIdva(env).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(EnvelopeTest, FlippedBitInSignatureFails) {
  v1::Envelope env = Seal();
  (*env.mutable_signature())[0] ^= 0x01;
  EXPECT_EQ(OpenAsIdva(env).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(EnvelopeTest, FlippedBitInSectionFailsDigestForEveryone) {
  v1::Envelope env = Seal();
  (*SectionNamed(&env, "victim_contact")->mutable_ciphertext())[3] ^= 0x01;
  auto idva = OpenAsIdva(env);
  EXPECT_EQ(idva.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(idva.status().message().find("victim_contact"), std::string::npos);
  // Even a recipient that cannot open the section rejects the whole event.
  EXPECT_EQ(OpenEvent(env, police_->public_key(), "perpetrator_programme", *programme_)
                .status()
                .code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(VerifyEnvelope(env, police_->public_key()).status().code(), StatusCode::kDataLoss);
}

TEST_F(EnvelopeTest, FlippedBitInNonceFailsDecryption) {
  v1::Envelope env = Seal();
  (*SectionNamed(&env, "risk")->mutable_nonce())[0] ^= 0x01;
  auto idva = OpenAsIdva(env);
  EXPECT_EQ(idva.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(idva.status().message().find("risk"), std::string::npos);
}

TEST_F(EnvelopeTest, FlippedBitInWrapFails) {
  v1::Envelope env = Seal();
  (*env.mutable_wraps(0)->mutable_sealed_key())[40] ^= 0x01;
  EXPECT_EQ(OpenAsIdva(env).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(EnvelopeTest, SectionCopiedFromAnotherEventFailsDigest) {
  v1::Envelope a = Seal("ev-a", "A");
  v1::Envelope b = Seal("ev-b", "B");
  *SectionNamed(&a, "risk") = *SectionNamed(&b, "risk");
  EXPECT_EQ(OpenAsIdva(a).status().code(), StatusCode::kDataLoss);
}

TEST_F(EnvelopeTest, SectionMovedToAnotherEventByItsSignerFailsAssociatedData) {
  // Even the signer cannot replay a section (and its wrap) under another event id:
  // the associated data binds the ciphertext to event id and section name.
  v1::Envelope original = Seal("ev-a");
  v1::EventHeader h;
  ASSERT_TRUE(h.ParseFromString(original.header()));
  h.set_event_id("ev-replayed");
  v1::Envelope replay = original;
  replay.set_header(h.SerializeAsString());
  replay.set_signature(police_->Sign(kEventHeaderType, replay.header()));
  ASSERT_TRUE(VerifyEnvelope(replay, police_->public_key()).ok());
  auto opened = OpenAsIdva(replay);
  EXPECT_EQ(opened.status().code(), StatusCode::kUnauthenticated);
}

TEST_F(EnvelopeTest, RenamedSectionFails) {
  v1::Envelope env = Seal();
  SectionNamed(&env, "victim_contact")->set_name("summary2");
  EXPECT_EQ(OpenAsIdva(env).status().code(), StatusCode::kInvalidArgument);

  // Renamed consistently and re-signed: the associated data still catches it.
  v1::Envelope signed_rename = Seal();
  v1::EventHeader h;
  ASSERT_TRUE(h.ParseFromString(signed_rename.header()));
  for (auto& ref : *h.mutable_sections()) {
    if (ref.name() == "victim_contact") ref.set_name("notes");
  }
  SectionNamed(&signed_rename, "victim_contact")->set_name("notes");
  for (auto& wrap : *signed_rename.mutable_wraps()) {
    if (wrap.section() == "victim_contact") wrap.set_section("notes");
  }
  signed_rename.set_header(h.SerializeAsString());
  signed_rename.set_signature(police_->Sign(kEventHeaderType, signed_rename.header()));
  EXPECT_EQ(OpenAsIdva(signed_rename).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(EnvelopeTest, WrapForAnotherAgencyDoesNotOpen) {
  // The programme relabels the IDVA's victim_contact wrap as its own.
  v1::Envelope env = Seal();
  for (auto& wrap : *env.mutable_wraps()) {
    if (wrap.section() == "victim_contact") {
      wrap.set_recipient("perpetrator_programme");
      wrap.set_key_id(programme_->key_id());
    }
  }
  auto opened = OpenEvent(env, police_->public_key(), "perpetrator_programme", *programme_);
  EXPECT_EQ(opened.status().code(), StatusCode::kUnauthenticated);
}

TEST_F(EnvelopeTest, WrapForOtherKeyIdIsReported) {
  v1::Envelope env = Seal();
  env.mutable_wraps(0)->set_key_id("0000000000000000");
  EXPECT_EQ(OpenAsIdva(env).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(EnvelopeTest, WrongSenderKeyFails) {
  v1::Envelope env = Seal();
  auto other = SigningKey::Generate();
  EXPECT_EQ(OpenEvent(env, other->public_key(), "victim_services", *idva_).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(EnvelopeTest, MissingOrDuplicatedSectionIsRejected) {
  v1::Envelope missing = Seal();
  missing.mutable_sections()->RemoveLast();
  EXPECT_EQ(OpenAsIdva(missing).status().code(), StatusCode::kInvalidArgument);
  v1::Envelope dup = Seal();
  *dup.add_sections() = dup.sections(0);
  EXPECT_EQ(OpenAsIdva(dup).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(EnvelopeTest, SealRejectsBadPlans) {
  std::vector<RecipientKey> recipients = Recipients();
  recipients[1].sections.push_back("health");
  EXPECT_EQ(SealEvent(Header("x"), Sections(), recipients, *police_).status().code(),
            StatusCode::kInvalidArgument);
  std::vector<PlainSection> dup = Sections();
  dup.push_back(dup[0]);
  EXPECT_FALSE(SealEvent(Header("x"), dup, Recipients(), *police_).ok());
  EXPECT_FALSE(SealEvent(Header(""), Sections(), Recipients(), *police_).ok());
  v1::EventHeader wrong_key = Header("x");
  wrong_key.set_signing_key_id("ffffffffffffffff");
  EXPECT_FALSE(SealEvent(wrong_key, Sections(), Recipients(), *police_).ok());
  std::vector<RecipientKey> bad_key = Recipients();
  bad_key[0].public_key = "nope";
  EXPECT_FALSE(SealEvent(Header("x"), Sections(), bad_key, *police_).ok());
}

}  // namespace
}  // namespace accord::crypto
