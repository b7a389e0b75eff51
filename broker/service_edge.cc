#include "broker/service_edge.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/peer_certificate.h"
#include "broker/quoted.h"

namespace accord::broker {

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::StatusOr<std::string> CallerIdentity::Of(grpc::CallbackServerContext* ctx) const {
  if (health != nullptr) {
    if (absl::Status s = health->CheckCalls(); !s.ok()) return s;
  }
  std::string agency;
  if (dev_plaintext) {
    auto it = ctx->client_metadata().find("x-accord-dev-agency");
    if (it == ctx->client_metadata().end()) {
      return absl::UnauthenticatedError("development mode: set the x-accord-dev-agency metadata");
    }
    agency.assign(it->second.data(), it->second.size());
  } else {
    std::shared_ptr<const grpc::AuthContext> auth = ctx->auth_context();
    if (auth == nullptr || !auth->IsPeerAuthenticated()) {
      return absl::UnauthenticatedError("no verified client certificate");
    }
    // The verified certificate itself, not gRPC's pick of its common names.
    std::vector<grpc::string_ref> pem = auth->FindPropertyValues("x509_pem_cert");
    if (pem.size() != 1) return absl::UnauthenticatedError("no single verified client certificate");
    const std::string_view cert(pem[0].data(), pem[0].size());
    absl::StatusOr<std::string> cn = names != nullptr ? names->CommonName(cert) : SingleCommonName(cert);
    if (!cn.ok()) return cn.status();
    agency = *std::move(cn);
  }
  if (!directory->Knows(agency)) {
    return absl::PermissionDeniedError(absl::StrCat(Quoted(agency), " is not an agency of this partnership"));
  }
  return agency;
}

}  // namespace accord::broker
