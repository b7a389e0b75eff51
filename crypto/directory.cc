#include "crypto/directory.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "crypto/hash.h"

namespace accord::crypto {
namespace {

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace

absl::StatusOr<v1::SignedDirectoryEntry> SignDirectoryEntry(const v1::DirectoryEntry& entry,
                                                            const SigningKey& admin) {
  v1::SignedDirectoryEntry out;
  if (!entry.SerializeToString(out.mutable_entry())) {
    return absl::InternalError("could not serialize directory entry");
  }
  out.set_signature(admin.Sign(kDirectoryEntryType, out.entry()));
  out.set_admin_key_id(admin.key_id());
  return out;
}

absl::StatusOr<v1::DirectoryEntry> VerifyDirectoryEntry(
    const v1::SignedDirectoryEntry& signed_entry, std::string_view admin_public_key) {
  if (auto s = VerifySignature(admin_public_key, kDirectoryEntryType, signed_entry.entry(),
                               signed_entry.signature());
      !s.ok()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "directory entry is not signed by the partnership administrator: ", s.message()));
  }
  v1::DirectoryEntry entry;
  if (!entry.ParseFromString(signed_entry.entry())) {
    return absl::InvalidArgumentError("signed directory entry does not parse");
  }
  if (entry.signing_public_key().size() != 32 || entry.encryption_public_key().size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("directory entry for '", entry.agency_id(), "' has malformed keys"));
  }
  if (KeyIdOf(entry.signing_public_key()) != entry.signing_key_id() ||
      KeyIdOf(entry.encryption_public_key()) != entry.encryption_key_id()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "directory entry for '", entry.agency_id(), "' has key ids that do not match its keys"));
  }
  return entry;
}

absl::Status CheckValidAt(const v1::DirectoryEntry& entry, absl::Time at) {
  if (entry.has_not_before() && at < ToTime(entry.not_before())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key of '", entry.agency_id(), "' (serial ", entry.serial(), ") is not valid before ",
        absl::FormatTime(ToTime(entry.not_before()), absl::UTCTimeZone())));
  }
  if (entry.has_not_after() && at > ToTime(entry.not_after())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key of '", entry.agency_id(), "' (serial ", entry.serial(), ") expired at ",
        absl::FormatTime(ToTime(entry.not_after()), absl::UTCTimeZone())));
  }
  return absl::OkStatus();
}

absl::StatusOr<VerifiedDirectory> VerifiedDirectory::Create(const v1::Directory& directory,
                                                            std::string_view admin_public_key,
                                                            std::string_view partnership_id) {
  VerifiedDirectory out;
  for (int i = 0; i < directory.entries_size(); ++i) {
    absl::StatusOr<v1::DirectoryEntry> entry =
        VerifyDirectoryEntry(directory.entries(i), admin_public_key);
    if (!entry.ok()) {
      return absl::Status(entry.status().code(),
                          absl::StrCat("directory entry #", i, ": ", entry.status().message()));
    }
    if (entry->partnership_id() != partnership_id) {
      return absl::PermissionDeniedError(absl::StrCat(
          "directory entry #", i, " belongs to partnership '", entry->partnership_id(),
          "', expected '", std::string(partnership_id), "'"));
    }
    out.by_agency_[entry->agency_id()].push_back(Item{*entry, directory.entries(i)});
  }
  for (auto& [agency, items] : out.by_agency_) {
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      return a.entry.serial() > b.entry.serial();
    });
  }
  return out;
}

absl::StatusOr<v1::DirectoryEntry> VerifiedDirectory::Current(std::string_view agency,
                                                              absl::Time now) const {
  auto it = by_agency_.find(agency);
  if (it == by_agency_.end()) {
    return absl::NotFoundError(
        absl::StrCat("agency '", std::string(agency), "' is not in the directory"));
  }
  absl::Status last;
  for (const Item& item : it->second) {
    last = CheckValidAt(item.entry, now);
    if (last.ok()) return item.entry;
  }
  return last;
}

absl::StatusOr<v1::SignedDirectoryEntry> VerifiedDirectory::SignedCurrent(
    std::string_view agency, absl::Time now) const {
  absl::StatusOr<v1::DirectoryEntry> current = Current(agency, now);
  if (!current.ok()) return current.status();
  for (const Item& item : by_agency_.find(agency)->second) {
    if (item.entry.serial() == current->serial()) return item.signed_entry;
  }
  return absl::InternalError("directory entry vanished");
}

absl::StatusOr<v1::DirectoryEntry> VerifiedDirectory::ForSigningKey(std::string_view agency,
                                                                    std::string_view key_id,
                                                                    absl::Time at) const {
  auto it = by_agency_.find(agency);
  if (it == by_agency_.end()) {
    return absl::NotFoundError(
        absl::StrCat("agency '", std::string(agency), "' is not in the directory"));
  }
  for (const Item& item : it->second) {
    if (item.entry.signing_key_id() != key_id) continue;
    if (auto s = CheckValidAt(item.entry, at); !s.ok()) return s;
    return item.entry;
  }
  return absl::NotFoundError(absl::StrCat("agency '", std::string(agency),
                                          "' has no signing key ", std::string(key_id)));
}

std::vector<std::string> VerifiedDirectory::Agencies() const {
  std::vector<std::string> out;
  for (const auto& [agency, items] : by_agency_) out.push_back(agency);
  return out;
}

}  // namespace accord::crypto
