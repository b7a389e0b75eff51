#include "cli/partnership.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/subprocess.h"
#include "crypto/directory.h"
#include "crypto/encryption.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "crypto/pseudonym.h"
#include "crypto/signing.h"

namespace accord::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::pair<const char*, v1::AgencyKind> kKinds[] = {
    {"police", v1::AGENCY_KIND_POLICE},
    {"probation", v1::AGENCY_KIND_PROBATION},
    {"childrens_services", v1::AGENCY_KIND_CHILDRENS_SERVICES},
    {"victim_services", v1::AGENCY_KIND_VICTIM_SERVICES},
    {"perpetrator_programme", v1::AGENCY_KIND_PERPETRATOR_PROGRAMME},
    {"marac_coordinator", v1::AGENCY_KIND_MARAC_COORDINATOR},
    {"auditor", v1::AGENCY_KIND_AUDITOR},
    {"health", v1::AGENCY_KIND_HEALTH},
    {"education", v1::AGENCY_KIND_EDUCATION},
    {"housing", v1::AGENCY_KIND_HOUSING},
    {"other", v1::AGENCY_KIND_OTHER},
};

bool IsIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 63 || !absl::ascii_islower(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!(absl::ascii_islower(u) || absl::ascii_isdigit(u) || c == '_')) return false;
  }
  return true;
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

absl::Status WriteText(const std::string& path, const std::string& text, mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  if (::chmod(path.c_str(), mode) != 0) {
    return absl::InternalError(absl::StrCat("cannot chmod ", path));
  }
  return absl::OkStatus();
}

std::string Days(absl::Duration validity) {
  return absl::StrCat(std::max<int64_t>(1, absl::ToInt64Hours(validity) / 24));
}

absl::Status MakeKeyAndCsr(const std::string& key, const std::string& csr,
                           const std::string& subject) {
  if (auto s = RunProgram({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                           "ec_paramgen_curve:P-256", "-out", key});
      !s.ok()) {
    return s;
  }
  return RunProgram({"openssl", "req", "-new", "-key", key, "-subj", subject, "-out", csr});
}

// Issues a certificate from the partnership CA with the given extensions.
absl::Status IssueCert(const crypto::PartnershipPaths& p, const std::string& tmp,
                       const std::string& name, const std::string& key,
                       const std::string& cert, const std::string& subject,
                       const std::string& extensions, absl::Duration validity) {
  const std::string csr = absl::StrCat(tmp, "/", name, ".csr");
  const std::string ext = absl::StrCat(tmp, "/", name, ".ext");
  if (auto s = MakeKeyAndCsr(key, csr, subject); !s.ok()) return s;
  if (auto s = WriteText(ext, extensions, 0600); !s.ok()) return s;
  absl::Status s = RunProgram({"openssl", "x509", "-req", "-in", csr, "-CA", p.CaCert(),
                               "-CAkey", p.CaKey(), "-CAcreateserial", "-CAserial",
                               absl::StrCat(tmp, "/ca.srl"), "-days", Days(validity),
                               "-sha256", "-extfile", ext, "-out", cert});
  fs::remove(csr);
  fs::remove(ext);
  if (s.ok() && ::chmod(cert.c_str(), 0644) != 0) {
    return absl::InternalError(absl::StrCat("cannot chmod ", cert));
  }
  return s;
}

absl::Status MakeCa(const crypto::PartnershipPaths& p, const std::string& id,
                    absl::Duration validity) {
  if (auto s = RunProgram({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                           "ec_paramgen_curve:P-256", "-out", p.CaKey()});
      !s.ok()) {
    return s;
  }
  absl::Status s = RunProgram(
      {"openssl", "req", "-x509", "-new", "-key", p.CaKey(), "-sha256", "-days",
       Days(validity), "-subj", absl::StrCat("/O=Accord/CN=Accord partnership CA ", id),
       "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext",
       "keyUsage=critical,keyCertSign,cRLSign", "-out", p.CaCert()});
  if (s.ok() && ::chmod(p.CaCert().c_str(), 0644) != 0) {
    return absl::InternalError("cannot chmod the CA certificate");
  }
  return s;
}

std::string ReadmeText(const PartnershipOptions& o, const std::string& id) {
  std::string agencies;
  for (const AgencySpec& a : o.agencies) {
    absl::StrAppend(&agencies, "| `agencies/", a.id, "/` | ", a.id, " (", AgencyKindName(a.kind),
                    ") only | TLS client certificate and key (CN=", a.id,
                    "), Ed25519 signing key, X25519 encryption key, linkage key |\n");
  }
  return absl::StrCat(
      "# Partnership `", id, "`\n\n",
      "Created by `accord partnership init`. Each folder goes to exactly one party;\n"
      "send secret folders over a channel you trust, and delete them here afterwards.\n\n"
      "| folder | give to | contents |\n|---|---|---|\n"
      "| `public/` | everyone (agencies, broker, auditors) | partnership id, CA certificate, "
      "administrator public key (pin it), log public key, signed directory |\n"
      "| `admin/` | the partnership administrator only, kept offline | administrator signing "
      "key (signs the directory), CA key (issues certificates) |\n"
      "| `broker/` | the broker operator | broker TLS certificate and key, audit log "
      "signing key |\n",
      agencies,
      "\nThe broker must never receive `agencies/*/` (it would be able to read events) or\n"
      "`linkage.key` (it would be able to re-identify subjects). Secret key files are mode\n"
      "0600 and Accord refuses to read them if group or others can.\n");
}

absl::Status Build(const PartnershipOptions& o, const std::string& id, const std::string& tmp) {
  const crypto::PartnershipPaths p(tmp);
  for (const char* sub : {"public", "admin", "broker", "agencies"}) {
    fs::create_directory(absl::StrCat(tmp, "/", sub));
  }
  fs::permissions(tmp + "/admin", fs::perms::owner_all);
  fs::permissions(tmp + "/broker", fs::perms::owner_all);
  if (auto s = WriteText(p.PartnershipId(), id + "\n", 0644); !s.ok()) return s;

  absl::StatusOr<crypto::SigningKey> admin = crypto::SigningKey::Generate();
  absl::StatusOr<crypto::SigningKey> log = crypto::SigningKey::Generate();
  if (!admin.ok()) return admin.status();
  if (!log.ok()) return log.status();
  if (auto s = crypto::WriteSigningKey(p.AdminKey(), *admin); !s.ok()) return s;
  if (auto s = crypto::WriteSigningPublicKey(p.AdminPublicKey(), admin->public_key()); !s.ok())
    return s;
  if (auto s = crypto::WriteSigningKey(p.LogKey(), *log); !s.ok()) return s;
  if (auto s = crypto::WriteSigningPublicKey(p.LogPublicKey(), log->public_key()); !s.ok())
    return s;

  if (auto s = MakeCa(p, id, o.validity); !s.ok()) return s;
  std::vector<std::string> sans;
  for (const std::string& host : o.broker_hosts) {
    const bool ip = !host.empty() && (absl::ascii_isdigit(static_cast<unsigned char>(host[0])) ||
                                      host.find(':') != std::string::npos);
    sans.push_back(absl::StrCat(ip ? "IP:" : "DNS:", host));
  }
  if (auto s = IssueCert(p, tmp, "broker", p.BrokerTlsKey(), p.BrokerCert(),
                         absl::StrCat("/O=", id, "/CN=broker"),
                         absl::StrCat("basicConstraints=CA:FALSE\n"
                                      "keyUsage=critical,digitalSignature,keyEncipherment\n"
                                      "extendedKeyUsage=serverAuth\nsubjectAltName=",
                                      absl::StrJoin(sans, ","), "\n"),
                         o.validity);
      !s.ok()) {
    return s;
  }

  const crypto::SecretBytes linkage = crypto::GenerateLinkageKey();
  v1::Directory directory;
  directory.set_partnership_id(id);
  for (const AgencySpec& a : o.agencies) {
    const std::string dir = p.AgencyDir(a.id);
    fs::create_directory(dir);
    fs::permissions(dir, fs::perms::owner_all);
    if (auto s = IssueCert(p, tmp, a.id, p.AgencyTlsKey(a.id), p.AgencyCert(a.id),
                           absl::StrCat("/O=", id, "/CN=", a.id),
                           "basicConstraints=CA:FALSE\n"
                           "keyUsage=critical,digitalSignature\n"
                           "extendedKeyUsage=clientAuth\n",
                           o.validity);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<crypto::SigningKey> sk = crypto::SigningKey::Generate();
    absl::StatusOr<crypto::EncryptionKey> ek = crypto::EncryptionKey::Generate();
    if (!sk.ok()) return sk.status();
    if (!ek.ok()) return ek.status();
    if (auto s = crypto::WriteSigningKey(p.AgencySigningKey(a.id), *sk); !s.ok()) return s;
    if (auto s = crypto::WriteEncryptionKey(p.AgencyEncryptionKey(a.id), *ek); !s.ok()) return s;
    if (auto s = crypto::WriteLinkageKey(p.AgencyLinkageKey(a.id), linkage); !s.ok()) return s;

    v1::DirectoryEntry entry;
    entry.set_partnership_id(id);
    entry.set_agency_id(a.id);
    entry.set_kind(a.kind);
    entry.set_display_name(a.id);
    entry.set_signing_public_key(sk->public_key());
    entry.set_signing_key_id(sk->key_id());
    entry.set_encryption_public_key(ek->public_key());
    entry.set_encryption_key_id(ek->key_id());
    *entry.mutable_not_before() = ToProto(o.now - absl::Minutes(5));
    *entry.mutable_not_after() = ToProto(o.now + o.validity);
    entry.set_serial(1);
    absl::StatusOr<v1::SignedDirectoryEntry> signed_entry =
        crypto::SignDirectoryEntry(entry, *admin);
    if (!signed_entry.ok()) return signed_entry.status();
    *directory.add_entries() = *std::move(signed_entry);
  }
  fs::remove(tmp + "/ca.srl");
  if (auto s = WriteText(p.Directory(), directory.SerializeAsString(), 0644); !s.ok()) return s;
  // Prove the result is usable before it becomes visible.
  if (auto d = crypto::LoadVerifiedDirectory(p); !d.ok()) return d.status();
  return WriteText(tmp + "/README.md", ReadmeText(o, id), 0644);
}

}  // namespace

absl::StatusOr<v1::AgencyKind> ParseAgencyKind(const std::string& name) {
  for (const auto& [n, kind] : kKinds) {
    if (name == n) return kind;
  }
  std::vector<std::string> names;
  for (const auto& [n, kind] : kKinds) names.push_back(n);
  return absl::InvalidArgumentError(absl::StrCat("unknown agency kind '", name,
                                                 "'; kinds are: ", absl::StrJoin(names, ", ")));
}

std::string AgencyKindName(v1::AgencyKind kind) {
  for (const auto& [n, k] : kKinds) {
    if (k == kind) return n;
  }
  return "unspecified";
}

absl::StatusOr<std::vector<AgencySpec>> ParseAgencies(const std::string& list) {
  std::vector<AgencySpec> out;
  std::set<std::string> seen;
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    std::string word(absl::StripAsciiWhitespace(item));
    if (word.empty()) return absl::InvalidArgumentError("empty agency name in --agencies");
    std::string id = word, kind_name = word;
    if (auto colon = word.find(':'); colon != std::string::npos) {
      id = word.substr(0, colon);
      kind_name = word.substr(colon + 1);
    }
    if (!IsIdentifier(id)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "agency '", id, "' is not a lower-case identifier (a-z, 0-9, _; starts with a letter; "
          "at most 63 characters)"));
    }
    if (!seen.insert(id).second) {
      return absl::InvalidArgumentError(absl::StrCat("agency '", id, "' is listed twice"));
    }
    absl::StatusOr<v1::AgencyKind> kind = ParseAgencyKind(kind_name);
    if (!kind.ok()) {
      if (kind_name == id) {
        return absl::InvalidArgumentError(absl::StrCat(
            "agency '", id, "' is not a known kind; write it as ", id,
            ":KIND (e.g. ", id, ":police)"));
      }
      return kind.status();
    }
    out.push_back(AgencySpec{id, *kind});
  }
  if (out.size() < 2) return absl::InvalidArgumentError("a partnership needs at least two agencies");
  return out;
}

absl::Status InitPartnership(const PartnershipOptions& o) {
  if (o.dir.empty()) return absl::InvalidArgumentError("no partnership directory given");
  std::error_code ec;
  const fs::path target = fs::absolute(fs::path(o.dir).lexically_normal(), ec);
  fs::path clean = target;
  if (!clean.has_filename()) clean = clean.parent_path();
  if (fs::exists(clean, ec) && !(fs::is_directory(clean, ec) && fs::is_empty(clean, ec))) {
    return absl::AlreadyExistsError(absl::StrCat(
        clean.string(), " already exists and is not empty; refusing to overwrite a partnership"));
  }
  const std::string id = o.partnership_id.empty() ? clean.filename().string() : o.partnership_id;
  if (id.empty() || id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") !=
                        std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "partnership id '", id, "' must use only a-z, 0-9, '_' and '-' (use --id)"));
  }
  if (o.agencies.size() < 2) {
    return absl::InvalidArgumentError("a partnership needs at least two agencies");
  }
  const fs::path parent = clean.parent_path();
  if (!fs::is_directory(parent, ec)) {
    return absl::NotFoundError(absl::StrCat("parent directory ", parent.string(), " does not exist"));
  }
  if (::access(parent.c_str(), W_OK | X_OK) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write in ", parent.string(), " (permission denied)"));
  }
  std::string tmp_template = (parent / ("." + clean.filename().string() + ".init-XXXXXX")).string();
  if (::mkdtemp(tmp_template.data()) == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat("cannot create a directory in ", parent.string()));
  }
  const std::string tmp = tmp_template;
  absl::Status s = Build(o, id, tmp);
  if (s.ok()) {
    if (fs::exists(clean, ec)) fs::remove(clean, ec);  // the empty directory we were given
    if (::rename(tmp.c_str(), clean.c_str()) != 0) {
      s = absl::AlreadyExistsError(
          absl::StrCat("could not move the new partnership into ", clean.string()));
    } else {
      ::chmod(clean.c_str(), 0755);
    }
  }
  if (!s.ok()) fs::remove_all(tmp, ec);
  return s;
}

}  // namespace accord::cli
