// accord audit verify|who-saw|prove|check-proof|head: the auditor's tools
// (DESIGN.md §7, docs/audit.md). They read the log from the broker's database
// (--data, read-only) or from a running broker over mutual TLS (--broker, as
// an auditor agency: cli/audit_source.h), and check what they read with the
// log's public key; check-proof needs nothing but a proof file and the key.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "broker/audit/answer_checks.h"
#include "broker/audit/audit_answers.h"
#include "broker/audit/offline_verify.h"
#include "broker/audit/proof_file.h"
#include "broker/audit/record_format.h"
#include "cli/args.h"
#include "cli/audit_remote_verify.h"
#include "cli/audit_source.h"
#include "cli/commands.h"
#include "crypto/hash.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"

namespace accord::cli {
namespace {

constexpr char kUsage[] =
    "usage: accord audit <command> ...\n\n"
    "  verify LOG --partnership PDIR         recompute the whole log and check it\n"
    "  who-saw LOG [--subject REF] [--case REF] [--event ID] [--agency A]\n"
    "          [--from T] [--to T] [--action NAME]... [--format table|csv|json]\n"
    "                                         who saw what, each row checked against a signed head\n"
    "  prove LOG --leaf N [--size M] --out FILE          inclusion proof file\n"
    "  prove LOG --from-size A [--to-size B] --out FILE  consistency proof file\n"
    "  check-proof FILE --log-key PDIR/public/log.pub [--head KEPT]   check a proof file alone\n"
    "  head LOG [--size N] --out FILE                    a signed head to keep\n\n"
    "LOG is --data DIR (the broker's database, read-only) or --broker HOST:PORT --as AGENCY\n"
    "--partnership PDIR (a running broker, over mutual TLS as an auditor agency).\n"
    "Exit codes: 0 ok; 1 verification failed; 2 bad usage or input. Details: docs/audit.md.\n";

int Usage(const std::string& command, const std::string& usage, const std::vector<FlagSpec>& flags,
          const absl::StatusOr<Args>& args) {
  if (!args.ok()) std::cerr << "accord audit " << command << ": " << args.status().message() << "\n";
  const bool help = args.ok() && args->help();
  (help ? std::cout : std::cerr) << usage << "\n" << FlagHelp(flags);
  return help ? 0 : 2;
}

int Error(const std::string& command, const absl::Status& s) {
  std::cerr << "accord audit " << command << ": " << s.message() << "\n";
  return 2;
}

// What the log gave that does not check out: exit 1, like a failed verify.
int NotVerified(const std::string& command, const AuditSource& source, const absl::Status& s) {
  std::cout << "accord audit " << command << ": what " << source.name() << " sent does NOT verify: "
            << s.message() << "\n";
  return 1;
}

bool HasLog(const absl::StatusOr<Args>& args) { return args.ok() && (args->Has("data") || args->Has("broker")); }

// The flags of a command that reads the log, then its own.
std::vector<FlagSpec> WithSource(std::vector<FlagSpec> own) {
  std::vector<FlagSpec> flags = AuditSourceFlags();
  flags.push_back({"log-key", true, "the log's public key file, instead of PDIR/public/log.pub"});
  flags.insert(flags.end(), own.begin(), own.end());
  return flags;
}

absl::StatusOr<uint64_t> Number(const Args& args, const std::string& flag) {
  uint64_t v = 0;
  if (!absl::SimpleAtoi(args.GetOr(flag, ""), &v)) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be a non-negative whole number"));
  }
  return v;
}

// The log's public key from --log-key FILE or --partnership PDIR.
absl::StatusOr<std::string> LogPublicKey(const Args& args) {
  if (auto file = args.Get("log-key")) return crypto::ReadSigningPublicKey(*file);
  if (auto dir = args.Get("partnership")) {
    return crypto::ReadSigningPublicKey(crypto::PartnershipPaths(*dir).LogPublicKey());
  }
  return absl::InvalidArgumentError("give the log's public key: --partnership PDIR or --log-key FILE");
}

// The key if one was given; for --data the database is the auditor's own copy
// and commands may run without it (saying so), a broker is always checked.
absl::StatusOr<std::optional<std::string>> OptionalLogKey(const Args& args, const AuditSource& source) {
  if (!source.remote() && !args.Has("log-key") && !args.Has("partnership")) return std::optional<std::string>();
  absl::StatusOr<std::string> key = LogPublicKey(args);
  if (!key.ok()) return key.status();
  return std::optional<std::string>(*std::move(key));
}

absl::Status WriteOutput(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text;
    return absl::OkStatus();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::StatusOr<audit::ProofFile> ReadProofFile(const std::string& path) {
  absl::StatusOr<std::string> text = crypto::ReadFileToString(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<audit::ProofFile> proof = audit::ParseProofFile(*text);
  if (!proof.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", proof.status().message()));
  return proof;
}

std::string HeadLine(const v1::TreeHead& h) {
  return absl::StrCat("size ", h.tree_size(), ", root ", crypto::Hex(h.root_hash()), ", signed ",
                      audit::FormatRfc3339(audit::FromTimestamp(h.timestamp())), " by log key ", h.log_key_id());
}

// ---- verify -------------------------------------------------------------

const std::vector<FlagSpec> kVerifyFlags = WithSource({
    {"kept-head", true, "a head or proof file kept earlier; the log must agree with it (repeatable)"},
    {"all-signatures", false, "verify every stored head's signature, not only the latest (slower)"},
    {"skip-index", false, "--data: do not check that the who-saw index matches the records (faster)"},
    {"quiet", false, "no progress lines on stderr"}});

void PrintVerified(const audit::VerifyReport& r, std::size_t kept, bool index, bool remote) {
  const double seconds = absl::ToDoubleSeconds(r.elapsed);
  std::cout << "audit log verified: " << r.records << " records\n";
  if (r.latest_head) std::cout << "  latest head  " << HeadLine(*r.latest_head) << "\n";
  else std::cout << "  latest head  none (empty log)\n";
  std::cout << "  root         " << crypto::Hex(r.root) << " (recomputed)\n"
            << "  heads        " << r.heads << (remote ? " heads (stored, and sent with the records) match the records; "
                                                    : " stored heads match the records; ")
            << r.signatures << " signature(s) verified\n";
  if (kept > 0) std::cout << "  kept heads   " << kept << " agree with the log\n";
  if (index) std::cout << "  index        " << r.index_entries << " entries match the records\n";
  std::cout << absl::StrFormat("  time         %.2f s (%.0f records/s)\n", seconds,
                               seconds > 0 ? static_cast<double>(r.records) / seconds : 0.0);
}

int Verify(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, kVerifyFlags);
  if (!args.ok() || args->help() || !args->positionals().empty() || !HasLog(args)) {
    return Usage("verify",
                 "usage: accord audit verify --data DIR --partnership PDIR [--kept-head FILE]...\n"
                 "       accord audit verify --broker HOST:PORT --as AGENCY --partnership PDIR [--kept-head FILE]...\n\n"
                 "Reads every record, recomputes every hash, checks there are no gaps or reordering,\n"
                 "that the stored signed heads match and the latest is signed by the log key, and\n"
                 "that every head you kept still matches. Reports the first bad record. With\n"
                 "--broker it fetches every record and head from the broker (GetLeaves,\n"
                 "ListTreeHeadSizes) and needs no database.\n",
                 kVerifyFlags, args);
  }
  absl::StatusOr<std::string> key = LogPublicKey(*args);
  if (!key.ok()) return Error("verify", key.status());
  std::vector<v1::SignedTreeHead> kept;
  for (const std::string& file : args->GetAll("kept-head")) {
    absl::StatusOr<audit::ProofFile> proof = ReadProofFile(file);
    if (!proof.ok()) return Error("verify", proof.status());
    for (const v1::SignedTreeHead& h : proof->heads) kept.push_back(h);
  }
  const bool quiet = args->Has("quiet");
  absl::StatusOr<audit::VerifyReport> r;
  bool index = false;
  if (args->Has("broker")) {
    if (args->Has("skip-index") || args->Has("data")) {
      return Error("verify", absl::InvalidArgumentError(
                                 "--skip-index is for --data: the index is not visible from outside the broker"));
    }
    absl::StatusOr<std::unique_ptr<AuditSource>> source = OpenAuditSource(*args);
    if (!source.ok()) return Error("verify", source.status());
    AnswersVerifyOptions options;
    options.stream.log_public_key = *key;
    options.stream.kept_heads = kept;
    options.stream.all_signatures = args->Has("all-signatures");
    if (!quiet) options.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    r = VerifyFromAnswers(**source, options);
  } else {
    audit::VerifyOptions options;
    options.log_public_key = *key;
    options.kept_heads = kept;
    options.all_signatures = args->Has("all-signatures");
    options.check_index = index = !args->Has("skip-index");
    if (!quiet) {
      options.progress = [](const audit::VerifyProgress& p) {
        const bool records = p.phase == audit::VerifyProgress::Phase::kRecords;
        std::fprintf(stderr, "verify: %llu of %llu %s (%.0f%%), %.0f s\n",
                     static_cast<unsigned long long>(p.done), static_cast<unsigned long long>(p.expected),
                     records ? "records" : "index entries",
                     p.expected ? 100.0 * static_cast<double>(p.done) / static_cast<double>(p.expected) : 0.0,
                     absl::ToDoubleSeconds(p.elapsed));
      };
    }
    r = audit::VerifyDataDirectory(*args->Get("data"), options);
  }
  if (!r.ok()) return Error("verify", r.status());
  if (!r->ok()) {
    std::cout << "audit log FAILED verification at record " << r->finding->index << ":\n  "
              << r->finding->problem << "\n";
    return 1;
  }
  PrintVerified(*r, kept.size(), index, args->Has("broker"));
  return 0;
}

// ---- who-saw ------------------------------------------------------------

const std::vector<FlagSpec> kWhoSawFlags = WithSource({
    {"subject", true, "subject pseudonym (64 hex)"},
    {"case", true, "case reference"},
    {"event", true, "event id"},
    {"agency", true, "agency as actor or recipient"},
    {"from", true, "earliest record time, RFC 3339 (inclusive)"},
    {"to", true, "latest record time, RFC 3339 (exclusive)"},
    {"action", true, "routed, delivered, withheld, ... (repeatable; default: the actions that "
                     "show someone seeing: routed, delivered, acknowledged, meeting_pack_pulled, notified)"},
    {"limit", true, "at most this many rows (default 1000)"},
    {"format", true, "table (default), csv or json (json includes each row's leaf and inclusion proof)"}});

absl::StatusOr<v1::WhoSawQuery> WhoSawQueryFrom(const Args& args) {
  v1::WhoSawQuery q;
  q.set_subject_ref(args.GetOr("subject", ""));
  q.set_case_ref(args.GetOr("case", ""));
  q.set_event_id(args.GetOr("event", ""));
  q.set_agency(args.GetOr("agency", ""));
  for (const char* flag : {"from", "to"}) {
    if (!args.Has(flag)) continue;
    absl::StatusOr<absl::Time> t = audit::ParseRfc3339(*args.Get(flag));
    if (!t.ok()) return t.status();
    *(std::string(flag) == "from" ? q.mutable_from() : q.mutable_to()) = audit::ToTimestamp(*t);
  }
  for (const std::string& name : args.GetAll("action")) {
    absl::StatusOr<v1::AuditAction> a = audit::ParseAction(name);
    if (!a.ok()) return a.status();
    q.add_actions(*a);
  }
  if (args.Has("limit")) {
    absl::StatusOr<uint64_t> limit = Number(args, "limit");
    if (!limit.ok() || *limit == 0 || *limit > 1000000) {
      return absl::InvalidArgumentError("--limit must be from 1 to 1000000");
    }
    q.set_limit(static_cast<uint32_t>(*limit));
  }
  return q;
}

// Rows as received, each record parsed from its leaf bytes: for a database
// read without the log key.
absl::StatusOr<audit::CheckedWhoSaw> UncheckedRows(const v1::WhoSawResponse& response) {
  audit::CheckedWhoSaw out;
  out.signed_head = response.head();
  out.head.ParseFromString(response.head().tree_head());
  for (const v1::WhoSawRow& row : response.rows()) {
    v1::WhoSawRow& r = out.rows.emplace_back(row);
    if (!r.mutable_record()->ParseFromString(row.leaf())) {
      return absl::DataLossError(absl::StrCat("audit record ", row.leaf_index(), " does not parse"));
    }
  }
  return out;
}

int WhoSaw(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, kWhoSawFlags);
  if (!args.ok() || args->help() || !args->positionals().empty() || !HasLog(args)) {
    return Usage("who-saw",
                 "usage: accord audit who-saw (--data DIR | --broker HOST:PORT --as AGENCY) --partnership PDIR\n"
                 "       [--subject REF] [--case REF] [--event ID] [--agency A] [--from T] [--to T]\n"
                 "       [--action NAME]... [--format table|csv|json]\n\n"
                 "Answers through the log's indexes; rows come in log order with their leaf index.\n"
                 "Each row's inclusion proof is checked, from the record's bytes as received, against\n"
                 "a head signed by the log key (with --data only when the key is given). Run\n"
                 "`accord audit verify` to check the whole log.\n",
                 kWhoSawFlags, args);
  }
  absl::StatusOr<v1::WhoSawQuery> q = WhoSawQueryFrom(*args);
  if (!q.ok()) return Error("who-saw", q.status());
  const std::string format = args->GetOr("format", "table");
  if (format != "table" && format != "csv" && format != "json") {
    return Error("who-saw", absl::InvalidArgumentError("--format must be table, csv or json"));
  }
  absl::StatusOr<std::unique_ptr<AuditSource>> source = OpenAuditSource(*args);
  if (!source.ok()) return Error("who-saw", source.status());
  absl::StatusOr<std::optional<std::string>> key = OptionalLogKey(*args, **source);
  if (!key.ok()) return Error("who-saw", key.status());
  absl::StatusOr<v1::WhoSawResponse> response = (*source)->WhoSaw(*q);
  if (!response.ok()) return Error("who-saw", response.status());
  absl::StatusOr<audit::CheckedWhoSaw> rows =
      *key ? audit::CheckWhoSawResponse(*response, **key) : UncheckedRows(*response);
  if (!rows.ok()) {
    if (!*key) return Error("who-saw", rows.status());
    return NotVerified("who-saw", **source, rows.status());
  }
  if (format == "csv") {
    std::cout << audit::WhoSawCsv(rows->rows);
  } else if (format == "json") {
    std::cout << audit::WhoSawJson(rows->rows, rows->signed_head, rows->head);
  } else {
    std::cout << audit::WhoSawTable(rows->rows) << "Proofs are against the head of size " << rows->head.tree_size()
              << " (root " << crypto::Hex(rows->head.root_hash()) << ")"
              << (*key ? ", each checked" : "; not checked: give --partnership or --log-key") << ".\n"
              << "`accord audit prove --leaf N` writes one to a file.\n";
  }
  return 0;
}

// ---- prove / head -------------------------------------------------------

const std::vector<FlagSpec> kProveFlags = WithSource({
    {"leaf", true, "inclusion proof for this leaf index"},
    {"size", true, "tree size for the inclusion proof (default: the latest head)"},
    {"from-size", true, "consistency proof from the head of this size"},
    {"to-size", true, "... to the head of this size (default: the latest head)"},
    {"out", true, "where to write the proof file ('-' for stdout)"}});

// The size `flag` gives, 0 (the latest) if it is absent.
absl::StatusOr<uint64_t> SizeFlag(const Args& args, const std::string& flag) {
  if (!args.Has(flag)) return 0;
  absl::StatusOr<uint64_t> size = Number(args, flag);
  if (size.ok() && *size == 0) return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be positive"));
  return size;
}

// Writes `file` after checking it with the key (if there is one).
int WriteProof(const std::string& command, const Args& args, const AuditSource& source,
               const std::optional<std::string>& key, const audit::ProofFile& file, const std::string& what) {
  if (key) {
    if (absl::StatusOr<audit::CheckedProof> checked = audit::CheckProofFile(file, *key); !checked.ok()) {
      return NotVerified(command, source, checked.status());
    }
  }
  if (absl::Status s = WriteOutput(*args.Get("out"), audit::FormatProofFile(file)); !s.ok()) return Error(command, s);
  if (*args.Get("out") != "-") std::cout << "wrote " << what << " to " << *args.Get("out") << "\n";
  return 0;
}

int Prove(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, kProveFlags);
  const bool inclusion = args.ok() && args->Has("leaf");
  const bool consistency = args.ok() && args->Has("from-size");
  if (!args.ok() || args->help() || !args->positionals().empty() || !HasLog(args) || !args->Has("out") ||
      inclusion == consistency) {
    return Usage("prove",
                 "usage: accord audit prove LOG --leaf N [--size M] --out FILE\n"
                 "       accord audit prove LOG --from-size A [--to-size B] --out FILE\n\n"
                 "Writes a self-contained proof file (the record or both heads included) that\n"
                 "`accord audit check-proof FILE --log-key log.pub` checks without the database.\n"
                 "LOG is --data DIR or --broker HOST:PORT --as AGENCY --partnership PDIR; what it\n"
                 "sends is checked before the file is written (with --data when a key is given).\n"
                 "Sizes must be sizes the log had after an append (it signs a head for each).\n",
                 kProveFlags, args);
  }
  absl::StatusOr<std::unique_ptr<AuditSource>> source = OpenAuditSource(*args);
  if (!source.ok()) return Error("prove", source.status());
  absl::StatusOr<std::optional<std::string>> key = OptionalLogKey(*args, **source);
  if (!key.ok()) return Error("prove", key.status());
  audit::ProofFile file;
  if (inclusion) {
    absl::StatusOr<uint64_t> leaf = Number(*args, "leaf");
    if (!leaf.ok()) return Error("prove", leaf.status());
    absl::StatusOr<uint64_t> size = SizeFlag(*args, "size");
    if (!size.ok()) return Error("prove", size.status());
    v1::GetInclusionProofRequest request;
    request.set_leaf_index(*leaf);
    request.set_tree_size(*size);
    absl::StatusOr<v1::GetInclusionProofResponse> got = (*source)->GetInclusionProof(request);
    if (!got.ok()) return Error("prove", got.status());
    file.kind = audit::ProofKind::kInclusion;
    file.leaf = got->leaf();
    file.inclusion = got->proof();
    file.heads = {got->head()};
    return WriteProof("prove", *args, **source, *key, file,
                      absl::StrCat("inclusion proof for record ", *leaf, " in the log of size ",
                                   audit::TreeSizeOf(got->head())));
  }
  absl::StatusOr<uint64_t> from = SizeFlag(*args, "from-size");
  if (!from.ok()) return Error("prove", from.status());
  absl::StatusOr<uint64_t> to = SizeFlag(*args, "to-size");
  if (!to.ok()) return Error("prove", to.status());
  v1::GetSignedTreeHeadRequest first_request;
  first_request.set_tree_size(*from);
  absl::StatusOr<v1::SignedTreeHead> first = (*source)->SignedTreeHead(first_request);
  if (!first.ok()) return Error("prove", first.status());
  v1::GetConsistencyProofRequest request;
  request.set_first_size(*from);
  request.set_second_size(*to);
  absl::StatusOr<v1::GetConsistencyProofResponse> got = (*source)->GetConsistencyProof(request);
  if (!got.ok()) return Error("prove", got.status());
  file.kind = audit::ProofKind::kConsistency;
  file.consistency = got->proof();
  file.heads = {*first, got->head()};
  return WriteProof("prove", *args, **source, *key, file,
                    absl::StrCat("consistency proof from size ", *from, " to ", audit::TreeSizeOf(got->head())));
}

const std::vector<FlagSpec> kHeadFlags = WithSource({
    {"size", true, "the head for this tree size (default: the latest)"},
    {"out", true, "where to write the head file ('-' for stdout)"}});

int Head(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, kHeadFlags);
  if (!args.ok() || args->help() || !args->positionals().empty() || !HasLog(args) || !args->Has("out")) {
    return Usage("head",
                 "usage: accord audit head LOG [--size N] --out FILE\n\n"
                 "Writes a signed tree head for you to keep. Later, `accord audit verify\n"
                 "--kept-head FILE`, `accord audit check-proof --head FILE` and consistency proofs\n"
                 "show the log still contains it. LOG is --data DIR or --broker HOST:PORT --as\n"
                 "AGENCY --partnership PDIR.\n",
                 kHeadFlags, args);
  }
  absl::StatusOr<uint64_t> size = SizeFlag(*args, "size");
  if (!size.ok()) return Error("head", size.status());
  absl::StatusOr<std::unique_ptr<AuditSource>> source = OpenAuditSource(*args);
  if (!source.ok()) return Error("head", source.status());
  absl::StatusOr<std::optional<std::string>> key = OptionalLogKey(*args, **source);
  if (!key.ok()) return Error("head", key.status());
  v1::GetSignedTreeHeadRequest request;
  request.set_tree_size(*size);
  absl::StatusOr<v1::SignedTreeHead> head = (*source)->SignedTreeHead(request);
  if (!head.ok()) return Error("head", head.status());
  if (*size != 0 && audit::TreeSizeOf(*head) != *size) {
    return NotVerified("head", **source,
                       absl::InvalidArgumentError(absl::StrCat("asked for the head of size ", *size, ", got one for ",
                                                               audit::TreeSizeOf(*head))));
  }
  audit::ProofFile file;
  file.kind = audit::ProofKind::kHead;
  file.heads = {*head};
  return WriteProof("head", *args, **source, *key, file,
                    absl::StrCat("the signed head for size ", audit::TreeSizeOf(*head)));
}

// ---- check-proof --------------------------------------------------------

const std::vector<FlagSpec> kCheckFlags = {
    {"log-key", true, "the log's public key file (PDIR/public/log.pub)"},
    {"partnership", true, "partnership directory, instead of --log-key"},
    {"head", true, "a head file you kept earlier: the proof must agree with it (repeatable)"}};

// Each kept head must be one of the proof's heads, by size and root: for a
// consistency proof from the kept size, that shows the log now still
// contains what the kept head covered.
absl::Status AgreesWithKept(const audit::CheckedProof& checked, const std::vector<v1::TreeHead>& kept) {
  for (const v1::TreeHead& k : kept) {
    bool covered = false;
    for (const v1::TreeHead& h : checked.heads) {
      if (h.tree_size() != k.tree_size()) continue;
      covered = true;
      if (h.root_hash() != k.root_hash()) {
        return absl::UnauthenticatedError(absl::StrCat(
            "the log's history differs from the head you kept for size ", k.tree_size(), " (signed ",
            audit::FormatRfc3339(audit::FromTimestamp(k.timestamp())), "): its root is ",
            crypto::Hex(k.root_hash().substr(0, 8)), "... but the proof's head for that size says ",
            crypto::Hex(h.root_hash().substr(0, 8)), "...; both are signed by the log key: the log was forked"));
      }
    }
    if (!covered) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the proof does not start from the head you kept (size ", k.tree_size(),
          "); get one that does with `accord audit prove --from-size ", k.tree_size(), "`"));
    }
  }
  return absl::OkStatus();
}

int CheckProof(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, kCheckFlags);
  if (!args.ok() || args->help() || args->positionals().size() != 1) {
    return Usage("check-proof",
                 "usage: accord audit check-proof FILE --log-key PDIR/public/log.pub [--head KEPT]...\n\n"
                 "Checks a proof file from `accord audit prove` or `accord audit head` using only\n"
                 "the file and the log's public key, and prints what it proves. With --head, a\n"
                 "head file you kept earlier, the proof must also agree with it: a consistency\n"
                 "proof from its size shows the log still holds everything it covered.\n",
                 kCheckFlags, args);
  }
  absl::StatusOr<std::string> key = LogPublicKey(*args);
  if (!key.ok()) return Error("check-proof", key.status());
  absl::StatusOr<audit::ProofFile> file = ReadProofFile(args->positionals()[0]);
  if (!file.ok()) return Error("check-proof", file.status());
  std::vector<v1::TreeHead> kept;
  for (const std::string& path : args->GetAll("head")) {
    absl::StatusOr<audit::ProofFile> head_file = ReadProofFile(path);
    if (!head_file.ok()) return Error("check-proof", head_file.status());
    if (head_file->kind != audit::ProofKind::kHead) {
      return Error("check-proof", absl::InvalidArgumentError(
                                      absl::StrCat(path, " is not a head file (`accord audit head` writes one)")));
    }
    absl::StatusOr<audit::CheckedProof> checked = audit::CheckProofFile(*head_file, *key);
    if (!checked.ok()) {
      return Error("check-proof", absl::InvalidArgumentError(absl::StrCat(path, ": ", checked.status().message())));
    }
    kept.push_back(checked->heads[0]);
  }
  absl::StatusOr<audit::CheckedProof> checked = audit::CheckProofFile(*file, *key);
  absl::Status agrees = checked.ok() ? AgreesWithKept(*checked, kept) : checked.status();
  if (absl::IsInvalidArgument(agrees) && checked.ok()) return Error("check-proof", agrees);
  if (!agrees.ok()) {
    std::cout << "proof does NOT verify: " << agrees.message() << "\n";
    return 1;
  }
  const v1::TreeHead& head = checked->heads.back();
  switch (checked->kind) {
    case audit::ProofKind::kInclusion:
      std::cout << "OK: record " << checked->record->sequence() << " is in the audit log of size "
                << head.tree_size() << "\n  record " << audit::DescribeRecord(*checked->record)
                << "\n  head   " << HeadLine(head) << "\n";
      break;
    case audit::ProofKind::kConsistency:
      std::cout << "OK: the log of size " << checked->heads[0].tree_size() << " is contained unchanged in the log of size "
                << head.tree_size() << "\n  first  " << HeadLine(checked->heads[0]) << "\n  second "
                << HeadLine(head) << "\n";
      break;
    case audit::ProofKind::kHead:
      std::cout << "OK: signed tree head\n  head   " << HeadLine(head) << "\n";
      break;
  }
  if (!kept.empty()) std::cout << "  kept   " << kept.size() << " head(s) you kept agree with it\n";
  return 0;
}

}  // namespace

int RunAuditCommand(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    (argv.empty() ? std::cerr : std::cout) << kUsage;
    return argv.empty() ? 2 : 0;
  }
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "verify") return Verify(rest);
  if (argv[0] == "who-saw") return WhoSaw(rest);
  if (argv[0] == "prove") return Prove(rest);
  if (argv[0] == "check-proof") return CheckProof(rest);
  if (argv[0] == "head") return Head(rest);
  std::cerr << "accord audit: unknown command '" << argv[0] << "'\n\n" << kUsage;
  return 2;
}

}  // namespace accord::cli
