#include "broker/audit/proof_file.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "broker/audit/merkle.h"
#include "broker/audit/record_format.h"
#include "broker/audit/verifier.h"
#include "crypto/hash.h"

namespace accord::audit {
namespace {

constexpr char kMagic[] = "accord-audit-proof v1";

const char* KindName(ProofKind k) {
  switch (k) {
    case ProofKind::kInclusion: return "inclusion";
    case ProofKind::kConsistency: return "consistency";
    case ProofKind::kHead: return "head";
  }
  return "head";
}

// A note is one '#' line: text from the head (its key id is whatever the
// file or the log put there) must not end it and start a line that is read.
std::string NoteText(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

std::string HeadNote(const v1::SignedTreeHead& sth) {
  v1::TreeHead th;
  if (!th.ParseFromString(sth.tree_head())) return "(unparsable head)";
  return absl::StrCat("size ", th.tree_size(), ", root ", crypto::Hex(th.root_hash()), ", signed ",
                      FormatRfc3339(FromTimestamp(th.timestamp())), " by log key ", NoteText(th.log_key_id()));
}

// The "name value" lines of a file, each name once except `hash`.
struct Lines {
  std::map<std::string, std::pair<std::string, int>> single;  // name -> (value, line number)
  std::vector<std::string> hashes;
};

absl::StatusOr<Lines> Split(std::string_view text) {
  Lines out;
  int number = 0;
  bool magic = false;
  for (absl::string_view raw : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++number;
    absl::string_view line = absl::StripTrailingAsciiWhitespace(raw);
    if (line.empty() || line[0] == '#') continue;
    if (!magic) {
      if (line != kMagic) {
        return absl::InvalidArgumentError(absl::StrCat("line ", number, ": not an Accord audit proof file (expected '",
                                                       kMagic, "')"));
      }
      magic = true;
      continue;
    }
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    if (kv.second.empty()) return absl::InvalidArgumentError(absl::StrCat("line ", number, ": '", kv.first, "' has no value"));
    if (kv.first == "hash") {
      out.hashes.push_back(kv.second);
      continue;
    }
    if (!out.single.emplace(kv.first, std::make_pair(kv.second, number)).second) {
      return absl::InvalidArgumentError(absl::StrCat("line ", number, ": '", kv.first, "' given twice"));
    }
  }
  if (!magic) return absl::InvalidArgumentError("empty file: not an Accord audit proof file");
  return out;
}

class Reader {
 public:
  explicit Reader(Lines lines) : lines_(std::move(lines)) {}

  absl::StatusOr<std::string> Text(const std::string& name) {
    auto it = lines_.single.find(name);
    if (it == lines_.single.end()) return absl::InvalidArgumentError(absl::StrCat("missing '", name, "' line"));
    std::string value = it->second.first;
    line_ = it->second.second;
    lines_.single.erase(it);
    return value;
  }
  absl::StatusOr<std::string> Bytes(const std::string& name) {
    absl::StatusOr<std::string> hex = Text(name);
    if (!hex.ok()) return hex;
    absl::StatusOr<std::string> bytes = crypto::Unhex(*hex);
    if (!bytes.ok()) return Error(name, bytes.status().message());
    return bytes;
  }
  absl::StatusOr<uint64_t> Number(const std::string& name) {
    absl::StatusOr<std::string> text = Text(name);
    if (!text.ok()) return text.status();
    uint64_t v = 0;
    if (!absl::SimpleAtoi(*text, &v)) return Error(name, "not a non-negative integer");
    return v;
  }
  absl::StatusOr<v1::SignedTreeHead> Head(const std::string& name) {
    absl::StatusOr<std::string> bytes = Bytes(name);
    if (!bytes.ok()) return bytes.status();
    v1::SignedTreeHead sth;
    if (!sth.ParseFromString(*bytes)) return Error(name, "not a serialized SignedTreeHead");
    return sth;
  }
  absl::Status Hashes(google::protobuf::RepeatedPtrField<std::string>* out) {
    for (std::size_t i = 0; i < lines_.hashes.size(); ++i) {
      absl::StatusOr<std::string> h = crypto::Unhex(lines_.hashes[i]);
      if (!h.ok() || h->size() != kHashSize) {
        return absl::InvalidArgumentError(absl::StrCat("hash ", i + 1, " is not 64 hex characters"));
      }
      out->Add(*std::move(h));
    }
    lines_.hashes.clear();
    return absl::OkStatus();
  }
  absl::Status Done() {
    if (!lines_.hashes.empty()) return absl::InvalidArgumentError("'hash' lines do not belong in this kind of proof");
    if (!lines_.single.empty()) {
      const auto& [name, where] = *lines_.single.begin();
      return absl::InvalidArgumentError(absl::StrCat("line ", where.second, ": unexpected '", name, "'"));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Error(const std::string& name, absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("line ", line_, ": '", name, "': ", why));
  }
  Lines lines_;
  int line_ = 0;
};

#define ACCORD_ASSIGN(lhs, expr)         \
  do {                                   \
    auto value_ = (expr);                \
    if (!value_.ok()) return value_.status(); \
    lhs = *std::move(value_);            \
  } while (0)

absl::StatusOr<v1::TreeHead> CheckHead(const v1::SignedTreeHead& sth, std::string_view key, const char* which) {
  absl::StatusOr<v1::TreeHead> th = VerifySignedTreeHead(sth, key);
  if (!th.ok()) {
    return absl::Status(th.status().code(), absl::StrCat(which, ": ", th.status().message()));
  }
  return th;
}

}  // namespace

std::string FormatProofFile(const ProofFile& p) {
  std::string out = absl::StrCat(kMagic, "\n# Lines starting with '#' are notes for people; `accord audit check-proof`\n",
                                 "# ignores them and prints only what it verified. Format: docs/audit.md.\n",
                                 "kind ", KindName(p.kind), "\n");
  auto hashes = [&](const google::protobuf::RepeatedPtrField<std::string>& hs) {
    for (const std::string& h : hs) absl::StrAppend(&out, "hash ", crypto::Hex(h), "\n");
  };
  auto head = [&](const char* name, const v1::SignedTreeHead& sth) {
    absl::StrAppend(&out, "# ", name, ": ", HeadNote(sth), "\n", name, " ", crypto::Hex(sth.SerializeAsString()), "\n");
  };
  switch (p.kind) {
    case ProofKind::kInclusion: {
      v1::AuditRecord record;
      if (record.ParseFromString(p.leaf)) absl::StrAppend(&out, "# record: ", DescribeRecord(record), "\n");
      absl::StrAppend(&out, "leaf-index ", p.inclusion.leaf_index(), "\ntree-size ", p.inclusion.tree_size(),
                      "\nleaf ", crypto::Hex(p.leaf), "\n# audit path, leaf to root\n");
      hashes(p.inclusion.hashes());
      if (!p.heads.empty()) head("head", p.heads[0]);
      break;
    }
    case ProofKind::kConsistency:
      absl::StrAppend(&out, "first-size ", p.consistency.first_size(), "\nsecond-size ",
                      p.consistency.second_size(), "\n");
      hashes(p.consistency.hashes());
      if (p.heads.size() > 0) head("first-head", p.heads[0]);
      if (p.heads.size() > 1) head("second-head", p.heads[1]);
      break;
    case ProofKind::kHead:
      if (!p.heads.empty()) head("head", p.heads[0]);
      break;
  }
  return out;
}

absl::StatusOr<ProofFile> ParseProofFile(std::string_view text) {
  absl::StatusOr<Lines> lines = Split(text);
  if (!lines.ok()) return lines.status();
  Reader r(*std::move(lines));
  ProofFile p;
  std::string kind;
  ACCORD_ASSIGN(kind, r.Text("kind"));
  v1::SignedTreeHead sth;
  if (kind == "inclusion") {
    p.kind = ProofKind::kInclusion;
    uint64_t v = 0;
    ACCORD_ASSIGN(v, r.Number("leaf-index"));
    p.inclusion.set_leaf_index(v);
    ACCORD_ASSIGN(v, r.Number("tree-size"));
    p.inclusion.set_tree_size(v);
    ACCORD_ASSIGN(p.leaf, r.Bytes("leaf"));
    if (absl::Status s = r.Hashes(p.inclusion.mutable_hashes()); !s.ok()) return s;
    ACCORD_ASSIGN(sth, r.Head("head"));
    p.heads.push_back(sth);
  } else if (kind == "consistency") {
    p.kind = ProofKind::kConsistency;
    uint64_t v = 0;
    ACCORD_ASSIGN(v, r.Number("first-size"));
    p.consistency.set_first_size(v);
    ACCORD_ASSIGN(v, r.Number("second-size"));
    p.consistency.set_second_size(v);
    if (absl::Status s = r.Hashes(p.consistency.mutable_hashes()); !s.ok()) return s;
    ACCORD_ASSIGN(sth, r.Head("first-head"));
    p.heads.push_back(sth);
    ACCORD_ASSIGN(sth, r.Head("second-head"));
    p.heads.push_back(sth);
  } else if (kind == "head") {
    p.kind = ProofKind::kHead;
    ACCORD_ASSIGN(sth, r.Head("head"));
    p.heads.push_back(sth);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown proof kind '", kind,
                                                   "' (expected inclusion, consistency or head)"));
  }
  if (absl::Status s = r.Done(); !s.ok()) return s;
  return p;
}

absl::StatusOr<CheckedProof> CheckProofFile(const ProofFile& p, std::string_view log_public_key) {
  CheckedProof out;
  out.kind = p.kind;
  const std::size_t want = p.kind == ProofKind::kConsistency ? 2 : 1;
  if (p.heads.size() != want) {
    return absl::InvalidArgumentError(absl::StrCat("a ", KindName(p.kind), " proof needs ", want, " signed head(s)"));
  }
  const char* names[] = {p.kind == ProofKind::kConsistency ? "first head" : "head", "second head"};
  for (std::size_t i = 0; i < p.heads.size(); ++i) {
    v1::TreeHead th;
    ACCORD_ASSIGN(th, CheckHead(p.heads[i], log_public_key, names[i]));
    out.heads.push_back(std::move(th));
  }
  if (p.kind == ProofKind::kInclusion) {
    const v1::TreeHead& head = out.heads[0];
    if (p.inclusion.tree_size() != head.tree_size()) {
      return absl::InvalidArgumentError(absl::StrCat("the proof is for tree size ", p.inclusion.tree_size(),
                                                     " but the head is for size ", head.tree_size()));
    }
    v1::AuditRecord record;
    if (!record.ParseFromString(p.leaf)) return absl::InvalidArgumentError("the leaf is not an AuditRecord");
    if (record.sequence() != p.inclusion.leaf_index()) {
      return absl::UnauthenticatedError(absl::StrCat("the record carries sequence ", record.sequence(),
                                                     " but the proof is for leaf ", p.inclusion.leaf_index()));
    }
    if (absl::Status s = VerifyInclusion(LeafHash(p.leaf), p.inclusion, head.root_hash()); !s.ok()) return s;
    out.record = std::move(record);
  } else if (p.kind == ProofKind::kConsistency) {
    if (p.consistency.first_size() != out.heads[0].tree_size() ||
        p.consistency.second_size() != out.heads[1].tree_size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the proof is from size ", p.consistency.first_size(), " to ", p.consistency.second_size(),
          " but the heads are for sizes ", out.heads[0].tree_size(), " and ", out.heads[1].tree_size()));
    }
    if (absl::Status s = VerifyConsistency(p.consistency, out.heads[0].root_hash(), out.heads[1].root_hash());
        !s.ok()) {
      return s;
    }
  }
  return out;
}

}  // namespace accord::audit
