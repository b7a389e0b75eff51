// The agency a client certificate speaks for: the value of its subject's one
// and only common name. A certificate with no CN or more than one is refused,
// whatever the TLS library would have picked (gRPC reports the first).
#ifndef ACCORD_BROKER_PEER_CERTIFICATE_H_
#define ACCORD_BROKER_PEER_CERTIFICATE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace accord::broker {

// `pem`: the verified peer certificate, PEM-encoded. UNAUTHENTICATED unless
// its subject has exactly one CN, of printable ASCII.
absl::StatusOr<std::string> SingleCommonName(std::string_view pem);

}  // namespace accord::broker

#endif  // ACCORD_BROKER_PEER_CERTIFICATE_H_
