// Proof files: what is formatted parses back to the same proof, whatever the
// strings in the heads and records hold.
#include "broker/audit/proof_file.h"

#include <gtest/gtest.h>

#include "crypto/signing.h"

namespace accord::audit {
namespace {

v1::SignedTreeHead Head(const std::string& key_id) {
  const crypto::SigningKey key = *crypto::SigningKey::FromSeed(std::string(32, '\x03'));
  v1::TreeHead th;
  th.set_tree_size(1);
  th.set_root_hash(std::string(32, '\x01'));
  th.mutable_timestamp()->set_seconds(1795000000);
  th.set_log_key_id(key_id);
  v1::SignedTreeHead sth;
  sth.set_tree_head(th.SerializeAsString());
  sth.set_signature(key.Sign(crypto::kTreeHeadType, sth.tree_head()));
  return sth;
}

// Found by the proof_file fuzz target: a head's key id went into its '#' note
// as it was, so a line break in it started a line that the parser reads.
TEST(ProofFileTest, NotesCannotBreakOutOfTheirLine) {
  ProofFile p;
  p.kind = ProofKind::kHead;
  p.heads = {Head("b62e867fa2f33afe\nhash 00\n\tkind inclusion")};
  const std::string text = FormatProofFile(p);
  absl::StatusOr<ProofFile> back = ParseProofFile(text);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << text;
  ASSERT_EQ(back->heads.size(), 1u);
  EXPECT_EQ(back->kind, ProofKind::kHead);
  EXPECT_EQ(back->heads[0].SerializeAsString(), p.heads[0].SerializeAsString());
  EXPECT_EQ(text.find("\nhash 00"), std::string::npos) << text;
}

}  // namespace
}  // namespace accord::audit
