#include "crypto/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "crypto/hash.h"

namespace accord::crypto {
namespace {

constexpr char kMagic[] = "accord-key v1";
constexpr char kSigningSecret[] = "ed25519-secret";
constexpr char kEncryptionSecret[] = "x25519-secret";
constexpr char kLinkage[] = "linkage-key";
constexpr char kSigningPublic[] = "ed25519-public";

void Wipe(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
}

// The parsed fields of a key file. The secret is decoded straight into
// SecretBytes and every intermediate copy is wiped.
struct KeyFields {
  std::string key_id;
  std::string public_key;
  SecretBytes secret;
};

std::string Errno(const std::string& what, const std::string& path) {
  return absl::StrCat(what, " ", path, ": ", std::strerror(errno));
}

// Writes `text` to a new file; never replaces an existing one.
absl::Status WriteNew(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat("key file ", path, " already exists"));
    }
    return absl::PermissionDeniedError(Errno("cannot create key file", path));
  }
  absl::Status status;
  if (::fchmod(fd, mode) != 0) status = absl::InternalError(Errno("cannot chmod", path));
  std::size_t done = 0;
  while (status.ok() && done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      status = absl::InternalError(Errno("cannot write", path));
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (status.ok() && ::fsync(fd) != 0) status = absl::InternalError(Errno("cannot sync", path));
  ::close(fd);
  if (!status.ok()) ::unlink(path.c_str());
  return status;
}

std::string Render(const char* kind, std::string_view public_key, std::string_view secret) {
  std::string text = absl::StrCat(kMagic, "\nkind: ", kind, "\n");
  if (!public_key.empty()) {
    absl::StrAppend(&text, "key-id: ", KeyIdOf(public_key), "\npublic: ", Hex(public_key), "\n");
  }
  if (!secret.empty()) absl::StrAppend(&text, "secret: ", Hex(secret), "\n");
  return text;
}

absl::StatusOr<KeyFields> ReadFields(const std::string& path,
                                                              const char* kind,
                                                              bool secret) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(Errno("cannot open key file", path));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return absl::InternalError(Errno("cannot stat", path));
  }
  if (secret && (st.st_mode & 077) != 0) {
    ::close(fd);
    return absl::PermissionDeniedError(absl::StrCat(
        "key file ", path, " is accessible by group or others (mode ",
        absl::StrFormat("%04o", st.st_mode & 07777), "); run: chmod 600 ", path));
  }
  SecretBytes buffer(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < buffer.size()) {
    ssize_t n = ::read(fd, buffer.data() + done, buffer.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  std::map<std::string, std::string> fields;
  std::vector<std::string> lines =
      absl::StrSplit(absl::string_view(reinterpret_cast<const char*>(buffer.data()), done),
                     '\n', absl::SkipEmpty());
  const bool magic_ok = !lines.empty() && lines[0] == kMagic;
  for (std::size_t i = 1; magic_ok && i < lines.size(); ++i) {
    std::pair<std::string, std::string> kv = absl::StrSplit(lines[i], absl::MaxSplits(": ", 1));
    fields[kv.first] = kv.second;
    Wipe(kv.second);
  }
  for (std::string& line : lines) Wipe(line);
  auto wipe_all = [&fields] {
    for (auto& [k, v] : fields) Wipe(v);
  };
  if (!magic_ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not an Accord key file (first line must be '", kMagic, "')"));
  }
  if (fields["kind"] != kind) {
    wipe_all();
    return absl::InvalidArgumentError(absl::StrCat(path, " holds a '", fields["kind"],
                                                   "' key, expected '", kind, "'"));
  }
  KeyFields out;
  out.key_id = fields["key-id"];
  if (!fields["public"].empty()) {
    absl::StatusOr<std::string> pk = Unhex(fields["public"]);
    if (!pk.ok()) {
      wipe_all();
      return absl::InvalidArgumentError(absl::StrCat(path, ": public key: ", pk.status().message()));
    }
    out.public_key = *pk;
    if (KeyIdOf(out.public_key) != out.key_id) {
      wipe_all();
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": key-id ", out.key_id, " does not match the public key"));
    }
  }
  if (secret) {
    absl::StatusOr<std::string> sk = Unhex(fields["secret"]);
    wipe_all();
    if (!sk.ok() || sk->empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": missing or malformed secret"));
    }
    out.secret = SecretBytes(*sk);
    Wipe(*sk);
  }
  wipe_all();
  return out;
}

}  // namespace

absl::Status WriteSigningKey(const std::string& path, const SigningKey& key) {
  SecretBytes seed = key.Seed();
  std::string text = Render(kSigningSecret, key.public_key(), seed.view());
  absl::Status s = WriteNew(path, text, 0600);
  Wipe(text);
  return s;
}

absl::Status WriteEncryptionKey(const std::string& path, const EncryptionKey& key) {
  SecretBytes secret = key.Secret();
  std::string text = Render(kEncryptionSecret, key.public_key(), secret.view());
  absl::Status s = WriteNew(path, text, 0600);
  Wipe(text);
  return s;
}

absl::Status WriteLinkageKey(const std::string& path, const SecretBytes& key) {
  std::string text = Render(kLinkage, "", key.view());
  absl::Status s = WriteNew(path, text, 0600);
  Wipe(text);
  return s;
}

absl::Status WriteSigningPublicKey(const std::string& path, std::string_view public_key) {
  return WriteNew(path, Render(kSigningPublic, public_key, ""), 0644);
}

absl::StatusOr<SigningKey> ReadSigningKey(const std::string& path) {
  absl::StatusOr<KeyFields> f = ReadFields(path, kSigningSecret, true);
  if (!f.ok()) return f.status();
  absl::StatusOr<SigningKey> key = SigningKey::FromSeed(f->secret.view());
  if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", key.status().message()));
  if (key->public_key() != f->public_key) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": public key does not belong to the secret key"));
  }
  return key;
}

absl::StatusOr<EncryptionKey> ReadEncryptionKey(const std::string& path) {
  absl::StatusOr<KeyFields> f = ReadFields(path, kEncryptionSecret, true);
  if (!f.ok()) return f.status();
  absl::StatusOr<EncryptionKey> key = EncryptionKey::FromSecret(f->secret.view());
  if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", key.status().message()));
  if (key->public_key() != f->public_key) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": public key does not belong to the secret key"));
  }
  return key;
}

absl::StatusOr<SecretBytes> ReadLinkageKey(const std::string& path) {
  absl::StatusOr<KeyFields> f = ReadFields(path, kLinkage, true);
  if (!f.ok()) return f.status();
  if (f->secret.size() != 32) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": linkage key must be 32 bytes"));
  }
  return std::move(f->secret);
}

absl::StatusOr<std::string> ReadSigningPublicKey(const std::string& path) {
  absl::StatusOr<KeyFields> f = ReadFields(path, kSigningPublic, false);
  if (!f.ok()) return f.status();
  if (f->public_key.size() != 32) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": Ed25519 public key must be 32 bytes"));
  }
  return f->public_key;
}

}  // namespace accord::crypto
