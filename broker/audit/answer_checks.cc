#include "broker/audit/answer_checks.h"

#include "absl/strings/str_cat.h"
#include "broker/audit/merkle.h"
#include "broker/audit/verifier.h"

namespace accord::audit {

absl::StatusOr<CheckedWhoSaw> CheckWhoSawResponse(const v1::WhoSawResponse& response,
                                                  std::string_view log_public_key) {
  CheckedWhoSaw out;
  out.signed_head = response.head();
  if (response.rows().empty() && response.head().tree_head().empty()) return out;  // an empty log
  absl::StatusOr<v1::TreeHead> head = VerifySignedTreeHead(response.head(), log_public_key);
  if (!head.ok()) {
    return absl::Status(head.status().code(), absl::StrCat("the who-saw head: ", head.status().message()));
  }
  out.head = *head;
  for (int i = 0; i < response.rows_size(); ++i) {
    const v1::WhoSawRow& row = response.rows(i);
    auto fail = [&](absl::StatusCode code, absl::string_view why) {
      return absl::Status(code, absl::StrCat("who-saw row ", i + 1, " (leaf ", row.leaf_index(), "): ", why));
    };
    if (row.leaf().empty()) {
      return fail(absl::StatusCode::kInvalidArgument,
                  "carries no leaf bytes, so its record cannot be checked (the broker is older than this client)");
    }
    if (row.proof().leaf_index() != row.leaf_index() || row.proof().tree_size() != head->tree_size()) {
      return fail(absl::StatusCode::kInvalidArgument,
                  absl::StrCat("its proof is for leaf ", row.proof().leaf_index(), " in a tree of size ",
                               row.proof().tree_size(), ", not against the head of size ", head->tree_size()));
    }
    if (absl::Status s = VerifyInclusion(LeafHash(row.leaf()), row.proof(), head->root_hash()); !s.ok()) {
      return fail(s.code(), s.message());
    }
    v1::WhoSawRow checked;
    checked.set_leaf_index(row.leaf_index());
    *checked.mutable_proof() = row.proof();
    checked.set_leaf(row.leaf());
    if (!checked.mutable_record()->ParseFromString(row.leaf())) {
      return fail(absl::StatusCode::kInvalidArgument, "its leaf is not an AuditRecord");
    }
    if (checked.record().sequence() != row.leaf_index()) {
      return fail(absl::StatusCode::kUnauthenticated,
                  absl::StrCat("its record carries sequence ", checked.record().sequence()));
    }
    out.rows.push_back(std::move(checked));
  }
  return out;
}

}  // namespace accord::audit
