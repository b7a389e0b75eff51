#include "broker/peer_certificate.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "broker/quoted.h"
#include "openssl/bio.h"
#include "openssl/objects.h"
#include "openssl/pem.h"
#include "openssl/x509.h"

namespace accord::broker {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

}  // namespace

absl::StatusOr<std::string> SingleCommonName(std::string_view pem) {
  if (pem.empty() || pem.size() > (64u << 10)) {
    return absl::UnauthenticatedError("the client certificate is missing or implausibly large");
  }
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::ResourceExhaustedError("out of memory reading the client certificate");
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) return absl::UnauthenticatedError("the client certificate does not parse");
  const X509_NAME* subject = X509_get_subject_name(cert.get());
  if (subject == nullptr) return absl::UnauthenticatedError("the client certificate has no subject");
  int count = 0;
  std::string cn;
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    ++count;
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, value);
    if (n < 0) return absl::UnauthenticatedError("the client certificate's common name does not decode");
    cn.assign(reinterpret_cast<const char*>(utf8), static_cast<size_t>(n));
    OPENSSL_free(utf8);
  }
  if (count != 1) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the client certificate's subject has ", count,
        " common names; an agency certificate must have exactly one, the agency id"));
  }
  for (char c : cn) {
    if (c < 0x21 || c > 0x7e) {
      return absl::UnauthenticatedError(
          absl::StrCat("the client certificate's common name ", Quoted(cn), " is not an agency id"));
    }
  }
  return cn;
}

absl::StatusOr<std::string> PeerNameCache::CommonName(std::string_view pem) {
  {
    absl::MutexLock lock(&mu_);
    auto it = names_.find(absl::string_view(pem.data(), pem.size()));
    if (it != names_.end()) return it->second;
  }
  absl::StatusOr<std::string> cn = SingleCommonName(pem);
  if (!cn.ok()) return cn;
  absl::MutexLock lock(&mu_);
  if (names_.size() >= capacity_) names_.clear();
  names_.emplace(std::string(pem), *cn);
  return cn;
}

std::size_t PeerNameCache::size() const {
  absl::MutexLock lock(&mu_);
  return names_.size();
}

}  // namespace accord::broker
