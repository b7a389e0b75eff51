// bench/compare's envelopes sealed with one key set per publisher
// (EventMaker::SealWith) are real envelopes: they verify with the sender's key
// and open for each recipient to exactly the sections planned for it.
#include "bench/compare/load_event.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "crypto/encryption.h"
#include "crypto/envelope.h"
#include "crypto/signing.h"

namespace accord::bench {
namespace {

TEST(LoadEventTest, KitSealedEventsVerifyAndOpenForEachRecipient) {
  absl::StatusOr<crypto::SigningKey> police = crypto::SigningKey::Generate();
  absl::StatusOr<crypto::EncryptionKey> probation = crypto::EncryptionKey::Generate();
  absl::StatusOr<crypto::EncryptionKey> idva = crypto::EncryptionKey::Generate();
  ASSERT_TRUE(police.ok() && probation.ok() && idva.ok());
  EventMaker maker;
  maker.sender = "police";
  maker.policy_version = "test";
  maker.key = &*police;
  maker.recipients = {{"probation", probation->key_id(), probation->public_key(), {"summary", "risk"}},
                      {"victim_services", idva->key_id(), idva->public_key(), {"summary", "victim_contact"}}};
  absl::StatusOr<SealKit> kit = maker.MakeKit();
  ASSERT_TRUE(kit.ok()) << kit.status();
  EXPECT_EQ(kit->wraps.size(), 4u);

  for (int k = 0; k < 3; ++k) {
    const std::string id = "police:load-test-" + std::to_string(k);
    std::mt19937_64 rng(k), again(k);
    absl::StatusOr<v1::Envelope> env = maker.SealWith(*kit, id, k, rng);
    ASSERT_TRUE(env.ok()) << env.status();
    std::map<std::string, std::string> plain;
    for (const crypto::PlainSection& s : EventMaker::Sections(again)) plain[s.name] = s.plaintext;

    absl::StatusOr<crypto::OpenedEvent> p = crypto::OpenEvent(*env, police->public_key(), "probation", *probation);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->header.event_id(), id);
    ASSERT_EQ(p->sections.size(), 2u);
    for (const crypto::OpenedSection& s : p->sections) {
      EXPECT_EQ(std::string(s.plaintext.view()), plain[s.name]) << s.name;
    }
    EXPECT_EQ(p->not_for_me.size(), 3u);
    absl::StatusOr<crypto::OpenedEvent> v = crypto::OpenEvent(*env, police->public_key(), "victim_services", *idva);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->sections.size(), 2u);

    // Sections are bound to their event: moved under another id they do not open.
    v1::Envelope moved = *env;
    absl::StatusOr<v1::Envelope> other = maker.SealWith(*kit, id + "-other", k, rng);
    ASSERT_TRUE(other.ok());
    *moved.mutable_header() = other->header();
    *moved.mutable_signature() = other->signature();
    EXPECT_FALSE(crypto::OpenEvent(moved, police->public_key(), "probation", *probation).ok());
  }
}

}  // namespace
}  // namespace accord::bench
