// accord audit verify|who-saw|prove|check-proof|head: the auditor's tools
// (DESIGN.md §7, docs/audit.md). All of them read the broker's database
// read-only; check-proof needs nothing but a proof file and the log key.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "broker/audit/audit_db.h"
#include "broker/audit/audit_log.h"
#include "broker/audit/offline_verify.h"
#include "broker/audit/proof_file.h"
#include "broker/audit/record_format.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "crypto/hash.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"

namespace accord::cli {
namespace {

using audit::AuditDatabase;
using audit::AuditLog;

constexpr char kUsage[] =
    "usage: accord audit <command> ...\n\n"
    "  verify --data DIR --partnership PDIR   recompute the whole log offline and check it\n"
    "  who-saw --data DIR [--subject REF] [--case REF] [--event ID] [--agency A]\n"
    "          [--from T] [--to T] [--action NAME]... [--format table|csv|json]\n"
    "                                         who saw what, each row with its leaf index\n"
    "  prove --data DIR --leaf N [--size M] --out FILE          inclusion proof file\n"
    "  prove --data DIR --from-size A [--to-size B] --out FILE  consistency proof file\n"
    "  check-proof FILE --log-key PDIR/public/log.pub           check a proof file alone\n"
    "  head --data DIR [--size N] --out FILE                    a signed head to keep\n\n"
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

// The database and the log on it, opened read-only and without the log key.
struct OpenedLog {
  std::unique_ptr<AuditDatabase> db;
  std::unique_ptr<AuditLog> log;
};

absl::StatusOr<OpenedLog> OpenLog(const Args& args) {
  if (!args.Has("data")) return absl::InvalidArgumentError("--data DIR (the broker's data directory) is required");
  OpenedLog out;
  absl::StatusOr<std::unique_ptr<AuditDatabase>> db = AuditDatabase::OpenReadOnly(*args.Get("data"));
  if (!db.ok()) return db.status();
  out.db = *std::move(db);
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(out.db->db(), out.db->cfs(), std::nullopt);
  if (!log.ok()) return log.status();
  out.log = *std::move(log);
  return out;
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

const std::vector<FlagSpec> kVerifyFlags = {
    {"data", true, "the broker's data directory (RocksDB), opened read-only"},
    {"partnership", true, "partnership directory: the log key is PDIR/public/log.pub"},
    {"log-key", true, "the log's public key file, instead of --partnership"},
    {"kept-head", true, "a head or proof file kept earlier; the log must agree with it (repeatable)"},
    {"all-signatures", false, "verify every stored head's signature, not only the latest (slower)"},
    {"skip-index", false, "do not check that the who-saw index matches the records (faster)"},
    {"quiet", false, "no progress lines on stderr"}};

int Verify(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, kVerifyFlags);
  if (!args.ok() || args->help() || !args->positionals().empty() || !args->Has("data")) {
    return Usage("verify",
                 "usage: accord audit verify --data DIR --partnership PDIR [--kept-head FILE]...\n\n"
                 "Reads every record, recomputes every hash, checks there are no gaps or reordering,\n"
                 "that the stored signed heads match and the latest is signed by the log key, and\n"
                 "that every head you kept still matches. Reports the first bad record.\n",
                 kVerifyFlags, args);
  }
  audit::VerifyOptions options;
  absl::StatusOr<std::string> key = LogPublicKey(*args);
  if (!key.ok()) return Error("verify", key.status());
  options.log_public_key = *key;
  for (const std::string& file : args->GetAll("kept-head")) {
    absl::StatusOr<audit::ProofFile> kept = ReadProofFile(file);
    if (!kept.ok()) return Error("verify", kept.status());
    for (const v1::SignedTreeHead& h : kept->heads) options.kept_heads.push_back(h);
  }
  options.all_signatures = args->Has("all-signatures");
  options.check_index = !args->Has("skip-index");
  if (!args->Has("quiet")) {
    options.progress = [](const audit::VerifyProgress& p) {
      const bool records = p.phase == audit::VerifyProgress::Phase::kRecords;
      std::fprintf(stderr, "verify: %llu of %llu %s (%.0f%%), %.0f s\n",
                   static_cast<unsigned long long>(p.done), static_cast<unsigned long long>(p.expected),
                   records ? "records" : "index entries",
                   p.expected ? 100.0 * static_cast<double>(p.done) / static_cast<double>(p.expected) : 0.0,
                   absl::ToDoubleSeconds(p.elapsed));
    };
  }
  absl::StatusOr<audit::VerifyReport> r = audit::VerifyDataDirectory(*args->Get("data"), options);
  if (!r.ok()) return Error("verify", r.status());
  if (!r->ok()) {
    std::cout << "audit log FAILED verification at record " << r->finding->index << ":\n  "
              << r->finding->problem << "\n";
    return 1;
  }
  const double seconds = absl::ToDoubleSeconds(r->elapsed);
  std::cout << "audit log verified: " << r->records << " records\n";
  if (r->latest_head) std::cout << "  latest head  " << HeadLine(*r->latest_head) << "\n";
  else std::cout << "  latest head  none (empty log)\n";
  std::cout << "  root         " << crypto::Hex(r->root) << " (recomputed)\n"
            << "  heads        " << r->heads << " stored heads match the records; " << r->signatures
            << " signature(s) verified\n";
  if (!options.kept_heads.empty()) {
    std::cout << "  kept heads   " << options.kept_heads.size() << " agree with the log\n";
  }
  if (options.check_index) std::cout << "  index        " << r->index_entries << " entries match the records\n";
  std::cout << absl::StrFormat("  time         %.2f s (%.0f records/s)\n", seconds,
                               seconds > 0 ? static_cast<double>(r->records) / seconds : 0.0);
  return 0;
}

// ---- who-saw ------------------------------------------------------------

const std::vector<FlagSpec> kWhoSawFlags = {
    {"data", true, "the broker's data directory, opened read-only"},
    {"subject", true, "subject pseudonym (64 hex)"},
    {"case", true, "case reference"},
    {"event", true, "event id"},
    {"agency", true, "agency as actor or recipient"},
    {"from", true, "earliest record time, RFC 3339 (inclusive)"},
    {"to", true, "latest record time, RFC 3339 (exclusive)"},
    {"action", true, "routed, delivered, withheld, ... (repeatable; default: the actions that "
                     "show someone seeing: routed, delivered, acknowledged, meeting_pack_pulled, notified)"},
    {"limit", true, "at most this many rows (default 1000)"},
    {"format", true, "table (default), csv or json (json includes each row's inclusion proof)"}};

int WhoSaw(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, kWhoSawFlags);
  if (!args.ok() || args->help() || !args->positionals().empty() || !args->Has("data")) {
    return Usage("who-saw",
                 "usage: accord audit who-saw --data DIR [--subject REF] [--case REF] [--event ID]\n"
                 "       [--agency A] [--from T] [--to T] [--action NAME]... [--format table|csv|json]\n\n"
                 "Answers through the log's indexes; rows come in log order with their leaf index.\n"
                 "Run `accord audit verify` first: this reads the log, it does not check it.\n",
                 kWhoSawFlags, args);
  }
  v1::WhoSawQuery q;
  q.set_subject_ref(args->GetOr("subject", ""));
  q.set_case_ref(args->GetOr("case", ""));
  q.set_event_id(args->GetOr("event", ""));
  q.set_agency(args->GetOr("agency", ""));
  for (const char* flag : {"from", "to"}) {
    if (!args->Has(flag)) continue;
    absl::StatusOr<absl::Time> t = audit::ParseRfc3339(*args->Get(flag));
    if (!t.ok()) return Error("who-saw", t.status());
    *(std::string(flag) == "from" ? q.mutable_from() : q.mutable_to()) = audit::ToTimestamp(*t);
  }
  for (const std::string& name : args->GetAll("action")) {
    absl::StatusOr<v1::AuditAction> a = audit::ParseAction(name);
    if (!a.ok()) return Error("who-saw", a.status());
    q.add_actions(*a);
  }
  if (args->Has("limit")) {
    absl::StatusOr<uint64_t> limit = Number(*args, "limit");
    if (!limit.ok() || *limit == 0 || *limit > 1000000) {
      return Error("who-saw", absl::InvalidArgumentError("--limit must be from 1 to 1000000"));
    }
    q.set_limit(static_cast<uint32_t>(*limit));
  }
  const std::string format = args->GetOr("format", "table");
  if (format != "table" && format != "csv" && format != "json") {
    return Error("who-saw", absl::InvalidArgumentError("--format must be table, csv or json"));
  }
  absl::StatusOr<OpenedLog> opened = OpenLog(*args);
  if (!opened.ok()) return Error("who-saw", opened.status());
  absl::StatusOr<std::vector<v1::WhoSawRow>> rows = opened->log->Query(q);
  if (!rows.ok()) return Error("who-saw", rows.status());
  if (format == "csv") {
    std::cout << audit::WhoSawCsv(*rows);
    return 0;
  }
  v1::SignedTreeHead head;
  v1::TreeHead tree_head;
  if (absl::StatusOr<v1::SignedTreeHead> latest = opened->log->LatestSignedHead(); latest.ok()) {
    head = *latest;
    tree_head.ParseFromString(head.tree_head());
  }
  if (format == "json") {
    std::cout << audit::WhoSawJson(*rows, head, tree_head);
    return 0;
  }
  std::cout << audit::WhoSawTable(*rows) << "Proofs are against the head of size " << tree_head.tree_size()
            << " (root " << crypto::Hex(tree_head.root_hash())
            << "); `accord audit prove --leaf N` writes one to a file.\n";
  return 0;
}

// ---- prove / head -------------------------------------------------------

const std::vector<FlagSpec> kProveFlags = {
    {"data", true, "the broker's data directory, opened read-only"},
    {"leaf", true, "inclusion proof for this leaf index"},
    {"size", true, "tree size for the inclusion proof (default: the latest head)"},
    {"from-size", true, "consistency proof from the head of this size"},
    {"to-size", true, "... to the head of this size (default: the latest head)"},
    {"out", true, "where to write the proof file ('-' for stdout)"}};

// The head for `flag`'s size, or the latest head if the flag is absent.
absl::StatusOr<v1::SignedTreeHead> HeadFor(const Args& args, const AuditLog& log, const std::string& flag) {
  if (!args.Has(flag)) return log.LatestSignedHead();
  absl::StatusOr<uint64_t> size = Number(args, flag);
  if (!size.ok()) return size.status();
  return log.SignedHeadAt(*size);
}

uint64_t SizeOf(const v1::SignedTreeHead& h) {
  v1::TreeHead th;
  th.ParseFromString(h.tree_head());
  return th.tree_size();
}

int Prove(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, kProveFlags);
  const bool inclusion = args.ok() && args->Has("leaf");
  const bool consistency = args.ok() && args->Has("from-size");
  if (!args.ok() || args->help() || !args->positionals().empty() || !args->Has("data") || !args->Has("out") ||
      inclusion == consistency) {
    return Usage("prove",
                 "usage: accord audit prove --data DIR --leaf N [--size M] --out FILE\n"
                 "       accord audit prove --data DIR --from-size A [--to-size B] --out FILE\n\n"
                 "Writes a self-contained proof file (the record or both heads included) that\n"
                 "`accord audit check-proof FILE --log-key log.pub` checks without the database.\n"
                 "Sizes must be sizes the log had after an append (it signs a head for each).\n",
                 kProveFlags, args);
  }
  absl::StatusOr<OpenedLog> opened = OpenLog(*args);
  if (!opened.ok()) return Error("prove", opened.status());
  const AuditLog& log = *opened->log;
  audit::ProofFile file;
  std::string what;
  if (inclusion) {
    absl::StatusOr<uint64_t> leaf = Number(*args, "leaf");
    if (!leaf.ok()) return Error("prove", leaf.status());
    absl::StatusOr<v1::SignedTreeHead> head = HeadFor(*args, log, "size");
    if (!head.ok()) return Error("prove", head.status());
    absl::StatusOr<v1::InclusionProof> proof = log.ProveInclusion(*leaf, SizeOf(*head));
    if (!proof.ok()) return Error("prove", proof.status());
    absl::StatusOr<std::string> bytes = log.LeafBytes(*leaf);
    if (!bytes.ok()) return Error("prove", bytes.status());
    file.kind = audit::ProofKind::kInclusion;
    file.leaf = *bytes;
    file.inclusion = *proof;
    file.heads = {*head};
    what = absl::StrCat("inclusion proof for record ", *leaf, " in the log of size ", SizeOf(*head));
  } else {
    absl::StatusOr<v1::SignedTreeHead> first = HeadFor(*args, log, "from-size");
    if (!first.ok()) return Error("prove", first.status());
    absl::StatusOr<v1::SignedTreeHead> second = HeadFor(*args, log, "to-size");
    if (!second.ok()) return Error("prove", second.status());
    absl::StatusOr<v1::ConsistencyProof> proof = log.ProveConsistency(SizeOf(*first), SizeOf(*second));
    if (!proof.ok()) return Error("prove", proof.status());
    file.kind = audit::ProofKind::kConsistency;
    file.consistency = *proof;
    file.heads = {*first, *second};
    what = absl::StrCat("consistency proof from size ", SizeOf(*first), " to ", SizeOf(*second));
  }
  if (absl::Status s = WriteOutput(*args->Get("out"), audit::FormatProofFile(file)); !s.ok()) {
    return Error("prove", s);
  }
  if (*args->Get("out") != "-") std::cout << "wrote " << what << " to " << *args->Get("out") << "\n";
  return 0;
}

const std::vector<FlagSpec> kHeadFlags = {
    {"data", true, "the broker's data directory, opened read-only"},
    {"size", true, "the head for this tree size (default: the latest)"},
    {"out", true, "where to write the head file ('-' for stdout)"}};

int Head(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, kHeadFlags);
  if (!args.ok() || args->help() || !args->positionals().empty() || !args->Has("data") || !args->Has("out")) {
    return Usage("head",
                 "usage: accord audit head --data DIR [--size N] --out FILE\n\n"
                 "Writes a signed tree head for you to keep. Later, `accord audit verify\n"
                 "--kept-head FILE` and consistency proofs show the log still contains it.\n",
                 kHeadFlags, args);
  }
  absl::StatusOr<OpenedLog> opened = OpenLog(*args);
  if (!opened.ok()) return Error("head", opened.status());
  absl::StatusOr<v1::SignedTreeHead> head = HeadFor(*args, *opened->log, "size");
  if (!head.ok()) return Error("head", head.status());
  audit::ProofFile file;
  file.kind = audit::ProofKind::kHead;
  file.heads = {*head};
  if (absl::Status s = WriteOutput(*args->Get("out"), audit::FormatProofFile(file)); !s.ok()) {
    return Error("head", s);
  }
  if (*args->Get("out") != "-") {
    std::cout << "wrote the signed head for size " << SizeOf(*head) << " to " << *args->Get("out") << "\n";
  }
  return 0;
}

// ---- check-proof --------------------------------------------------------

const std::vector<FlagSpec> kCheckFlags = {
    {"log-key", true, "the log's public key file (PDIR/public/log.pub)"},
    {"partnership", true, "partnership directory, instead of --log-key"}};

int CheckProof(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, kCheckFlags);
  if (!args.ok() || args->help() || args->positionals().size() != 1) {
    return Usage("check-proof",
                 "usage: accord audit check-proof FILE --log-key PDIR/public/log.pub\n\n"
                 "Checks a proof file from `accord audit prove` or `accord audit head` using only\n"
                 "the file and the log's public key, and prints what it proves.\n",
                 kCheckFlags, args);
  }
  absl::StatusOr<std::string> key = LogPublicKey(*args);
  if (!key.ok()) return Error("check-proof", key.status());
  absl::StatusOr<audit::ProofFile> file = ReadProofFile(args->positionals()[0]);
  if (!file.ok()) return Error("check-proof", file.status());
  absl::StatusOr<audit::CheckedProof> checked = audit::CheckProofFile(*file, *key);
  if (!checked.ok()) {
    std::cout << "proof does NOT verify: " << checked.status().message() << "\n";
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
