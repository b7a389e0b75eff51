#include "crypto/partnership.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "crypto/key_file.h"

namespace accord::crypto {

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  return buffer.str();
}

absl::StatusOr<std::string> ReadPartnershipId(const PartnershipPaths& paths) {
  absl::StatusOr<std::string> text = ReadFileToString(paths.PartnershipId());
  if (!text.ok()) return text.status();
  std::string id(absl::StripAsciiWhitespace(text->substr(0, text->find('\n'))));
  if (id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(paths.PartnershipId(), " is empty"));
  }
  return id;
}

absl::StatusOr<VerifiedDirectory> LoadVerifiedDirectory(const PartnershipPaths& paths) {
  absl::StatusOr<std::string> id = ReadPartnershipId(paths);
  if (!id.ok()) return id.status();
  absl::StatusOr<std::string> admin = ReadSigningPublicKey(paths.AdminPublicKey());
  if (!admin.ok()) return admin.status();
  absl::StatusOr<std::string> bytes = ReadFileToString(paths.Directory());
  if (!bytes.ok()) return bytes.status();
  v1::Directory directory;
  if (!directory.ParseFromString(*bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(paths.Directory(), " is not a Directory"));
  }
  return VerifiedDirectory::Create(directory, *admin, *id);
}

}  // namespace accord::crypto
