// Prints the worked example block of docs/protocol.md. Keys are fixed; section
// keys, nonces and sealed-box ephemeral keys are random, so each run prints a
// different but equally valid example. protocol_example_test checks the block.
#include <iostream>

#include "accord/v1/events.pb.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"

int main() {
  using namespace accord;
  auto sender = *crypto::SigningKey::FromSeed(std::string(32, '\x01'));
  auto recipient = *crypto::EncryptionKey::FromSecret(std::string(32, '\x02'));
  v1::EventHeader header;
  header.set_version(1);
  header.set_event_id("ev-example-1");
  header.set_kind(v1::EVENT_KIND_RISK_ALERT);
  header.set_sender("perpetrator_programme");
  header.set_case_ref("CASE-42");
  header.mutable_risk()->set_level(v1::RISK_LEVEL_HIGH);
  header.mutable_occurred_at()->set_seconds(1795000000);
  v1::Summary summary;
  summary.set_headline("Increasing risk");
  auto env = crypto::SealEvent(
      header, {{"summary", "accord.v1.Summary", summary.SerializeAsString()}},
      {{"victim_services", recipient.key_id(), recipient.public_key(), {"summary"}}}, sender);
  if (!env.ok()) {
    std::cerr << env.status() << "\n";
    return 1;
  }
  std::cout << "```text\n"
            << "sender-ed25519-seed: " << crypto::Hex(std::string(32, '\x01')) << "\n"
            << "sender-ed25519-public: " << crypto::Hex(sender.public_key()) << "\n"
            << "sender-key-id: " << sender.key_id() << "\n"
            << "recipient: victim_services\n"
            << "recipient-x25519-secret: " << crypto::Hex(std::string(32, '\x02')) << "\n"
            << "recipient-x25519-public: " << crypto::Hex(recipient.public_key()) << "\n"
            << "recipient-key-id: " << recipient.key_id() << "\n"
            << "header: " << crypto::Hex(env->header()) << "\n"
            << "signature: " << crypto::Hex(env->signature()) << "\n"
            << "section-name: summary\n"
            << "section-nonce: " << crypto::Hex(env->sections(0).nonce()) << "\n"
            << "section-ciphertext: " << crypto::Hex(env->sections(0).ciphertext()) << "\n"
            << "wrap-sealed-key: " << crypto::Hex(env->wraps(0).sealed_key()) << "\n"
            << "envelope: " << crypto::Hex(env->SerializeAsString()) << "\n"
            << "summary-plaintext: " << crypto::Hex(summary.SerializeAsString()) << "\n"
            << "```\n";
  return 0;
}
