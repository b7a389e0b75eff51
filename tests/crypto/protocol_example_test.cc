// Decodes the worked example in docs/protocol.md using only the steps the
// document describes and raw libsodium calls, then checks that the library
// agrees. If the document and the code ever diverge, this fails.
#include <sodium.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "accord/v1/envelope.pb.h"
#include "accord/v1/events.pb.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"

namespace accord::crypto {
namespace {

const unsigned char* U(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::map<std::string, std::string> ExampleFields() {
  std::ifstream in(std::string(ACCORD_SOURCE_DIR) + "/docs/protocol.md");
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  const std::string marker = "<!-- worked-example -->";
  std::map<std::string, std::string> fields;
  auto start = text.find(marker);
  if (start == std::string::npos) return fields;
  start = text.find("```text\n", start);
  auto end = text.find("```\n", start + 8);
  std::istringstream block(text.substr(start + 8, end - start - 8));
  for (std::string line; std::getline(block, line);) {
    auto colon = line.find(": ");
    if (colon != std::string::npos) fields[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return fields;
}

std::string H(const std::map<std::string, std::string>& f, const std::string& k) {
  auto it = f.find(k);
  EXPECT_NE(it, f.end()) << "docs/protocol.md worked example lacks '" << k << "'";
  if (it == f.end()) return "";
  auto bytes = Unhex(it->second);
  EXPECT_TRUE(bytes.ok()) << k;
  return bytes.ok() ? *bytes : "";
}

TEST(ProtocolExampleTest, DecodesWithTheDocumentedSteps) {
  ASSERT_GE(sodium_init(), 0);
  auto f = ExampleFields();
  ASSERT_FALSE(f.empty()) << "no worked example in docs/protocol.md";
  const std::string sender_pk = H(f, "sender-ed25519-public");
  const std::string recipient_sk = H(f, "recipient-x25519-secret");

  // Step 0: the sender key is derived from its seed; key id = hex(SHA-256(pk)[0:8]).
  unsigned char pk[32], sk[64];
  crypto_sign_seed_keypair(pk, sk, U(H(f, "sender-ed25519-seed")));
  EXPECT_EQ(std::string(reinterpret_cast<char*>(pk), 32), sender_pk);
  unsigned char digest[32];
  crypto_hash_sha256(digest, U(sender_pk), sender_pk.size());
  EXPECT_EQ(Hex(std::string(reinterpret_cast<char*>(digest), 8)), f["sender-key-id"]);

  // Step 1: parse the Envelope; its fields are the documented hex parts.
  v1::Envelope env;
  ASSERT_TRUE(env.ParseFromString(H(f, "envelope")));
  EXPECT_EQ(env.header(), H(f, "header"));
  EXPECT_EQ(env.signature(), H(f, "signature"));

  // Step 2: verify Ed25519 over PAE(type, header).
  const std::string type = "application/vnd.accord.event-header+protobuf";
  const std::string pae = "DSSEv1 " + std::to_string(type.size()) + " " + type + " " +
                          std::to_string(env.header().size()) + " " + env.header();
  ASSERT_EQ(crypto_sign_verify_detached(U(env.signature()), U(pae), pae.size(), U(sender_pk)), 0);

  // Step 3: parse the header and check the section digest.
  v1::EventHeader header;
  ASSERT_TRUE(header.ParseFromString(env.header()));
  ASSERT_EQ(header.sections_size(), 1);
  const v1::SealedSection& section = env.sections(0);
  crypto_hash_sha256(digest, U(section.ciphertext()), section.ciphertext().size());
  EXPECT_EQ(std::string(reinterpret_cast<char*>(digest), 32),
            header.sections(0).ciphertext_sha256());
  EXPECT_EQ(section.nonce(), H(f, "section-nonce"));

  // Step 4: open the wrap with crypto_box_seal_open.
  ASSERT_EQ(env.wraps_size(), 1);
  const v1::KeyWrap& wrap = env.wraps(0);
  EXPECT_EQ(wrap.recipient(), f["recipient"]);
  EXPECT_EQ(wrap.key_id(), f["recipient-key-id"]);
  unsigned char rpk[32];
  crypto_scalarmult_base(rpk, U(recipient_sk));
  unsigned char section_key[32];
  ASSERT_EQ(wrap.sealed_key().size(), 32u + crypto_box_SEALBYTES);
  ASSERT_EQ(crypto_box_seal_open(section_key, U(wrap.sealed_key()), wrap.sealed_key().size(),
                                 rpk, U(recipient_sk)),
            0);

  // Step 5: decrypt with AD = event_id || 0x00 || section name.
  std::string ad = header.event_id();
  ad.push_back('\0');
  ad += section.name();
  std::string plaintext(section.ciphertext().size() - 16, '\0');
  unsigned long long len = 0;
  ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_decrypt(
                reinterpret_cast<unsigned char*>(plaintext.data()), &len, nullptr,
                U(section.ciphertext()), section.ciphertext().size(), U(ad), ad.size(),
                U(section.nonce()), section_key),
            0);
  EXPECT_EQ(plaintext, H(f, "summary-plaintext"));
  v1::Summary summary;
  ASSERT_TRUE(summary.ParseFromString(plaintext));
  EXPECT_EQ(summary.headline(), "Increasing risk");
}

TEST(ProtocolExampleTest, LibraryOpensTheDocumentedExample) {
  auto f = ExampleFields();
  ASSERT_FALSE(f.empty());
  v1::Envelope env;
  ASSERT_TRUE(env.ParseFromString(H(f, "envelope")));
  auto key = EncryptionKey::FromSecret(H(f, "recipient-x25519-secret"));
  ASSERT_TRUE(key.ok());
  auto opened = OpenEvent(env, H(f, "sender-ed25519-public"), "victim_services", *key);
  ASSERT_TRUE(opened.ok()) << opened.status();
  ASSERT_EQ(opened->sections.size(), 1u);
  EXPECT_EQ(opened->sections[0].plaintext.view(), H(f, "summary-plaintext"));
}

}  // namespace
}  // namespace accord::crypto
