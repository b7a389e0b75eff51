// accord pseudonym --as AGENCY --family F --given G --dob YYYY-MM-DD: the
// subject reference an agency's systems would compute, for auditors and
// practitioners who need to look a person up in the audit log or an inbox.
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "crypto/hash.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "crypto/pseudonym.h"

namespace accord::cli {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"as", true, "your agency id (its linkage key is read from the partnership folder)"},
    {"partnership", true, "partnership folder (default ./partnership)"},
    {"family", true, "family name"},
    {"given", true, "given name"},
    {"dob", true, "date of birth, YYYY-MM-DD"},
};

constexpr char kUsage[] =
    "usage: accord pseudonym --as AGENCY --family NAME --given NAME --dob YYYY-MM-DD\n\n"
    "Prints the subject pseudonym (keyed BLAKE2b-256 of the normalised name and date\n"
    "of birth, docs/protocol.md) computed with your agency's linkage key. The name\n"
    "never leaves this machine.\n\n";

}  // namespace

int RunPseudonymCommand(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, kFlags);
  if (!args.ok()) {
    std::cerr << "accord pseudonym: " << args.status().message() << "\n";
    return 2;
  }
  if (args->help()) {
    std::cout << kUsage << FlagHelp(kFlags);
    return 0;
  }
  for (const char* f : {"as", "family", "given", "dob"}) {
    if (!args->Has(f)) {
      std::cerr << "accord pseudonym: --" << f << " is required\n\n" << kUsage << FlagHelp(kFlags);
      return 2;
    }
  }
  if (auto s = crypto::InitSodium(); !s.ok()) {
    std::cerr << "accord pseudonym: " << s.message() << "\n";
    return 1;
  }
  const crypto::PartnershipPaths paths(args->GetOr("partnership", "partnership"));
  absl::StatusOr<crypto::SecretBytes> key = crypto::ReadLinkageKey(paths.AgencyLinkageKey(*args->Get("as")));
  if (!key.ok()) {
    std::cerr << "accord pseudonym: " << key.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::string> p =
      crypto::SubjectPseudonym(*key, *args->Get("family"), *args->Get("given"), *args->Get("dob"));
  if (!p.ok()) {
    std::cerr << "accord pseudonym: " << p.status().message() << "\n";
    return 2;
  }
  std::cout << *p << "\n";
  return 0;
}

}  // namespace accord::cli
