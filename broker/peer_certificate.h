// The agency a client certificate speaks for: the value of its subject's one
// and only common name. A certificate with no CN or more than one is refused,
// whatever the TLS library would have picked (gRPC reports the first).
#ifndef ACCORD_BROKER_PEER_CERTIFICATE_H_
#define ACCORD_BROKER_PEER_CERTIFICATE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace accord::broker {

// `pem`: the verified peer certificate, PEM-encoded. UNAUTHENTICATED unless
// its subject has exactly one CN, of printable ASCII.
absl::StatusOr<std::string> SingleCommonName(std::string_view pem);

// SingleCommonName with its answers kept, keyed by the certificate's exact
// bytes: every call of a connection presents the same PEM, and parsing it
// with OpenSSL 3's decoders took a fifth of the broker's CPU per publish
// (docs/performance.md). Only names are kept, never refusals; the same
// bytes always give the same name, so a hit answers exactly what a parse
// would. Which certificates may connect at all is still decided by the TLS
// handshake, and whether the name is an agency by the caller. Bounded: when
// `capacity` certificates are held, the next new one clears the rest.
class PeerNameCache {
 public:
  explicit PeerNameCache(std::size_t capacity = 4096) : capacity_(capacity) {}
  PeerNameCache(const PeerNameCache&) = delete;
  PeerNameCache& operator=(const PeerNameCache&) = delete;

  absl::StatusOr<std::string> CommonName(std::string_view pem);
  std::size_t size() const;

 private:
  const std::size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> names_ ABSL_GUARDED_BY(mu_);
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_PEER_CERTIFICATE_H_
