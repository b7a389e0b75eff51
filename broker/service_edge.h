// What every gRPC service of the broker shares at its edge: who the caller
// is (the CN of its verified client certificate), absl::Status -> gRPC code,
// and the wrapper that runs a unary call for an authenticated caller.
#ifndef ACCORD_BROKER_SERVICE_EDGE_H_
#define ACCORD_BROKER_SERVICE_EDGE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "broker/call_slots.h"
#include "broker/health.h"
#include "broker/partnership_directory.h"
#include "broker/peer_certificate.h"
#include "grpcpp/grpcpp.h"

namespace accord::broker {

// How callers are identified: the CN of the verified client certificate, or,
// in the loopback development mode only, the `x-accord-dev-agency` metadata.
// While `health` says the broker is halted, every call is refused; `slots`
// caps each agency's concurrent calls and streams.
struct CallerIdentity {
  const PartnershipDirectory* directory = nullptr;
  bool dev_plaintext = false;
  const Health* health = nullptr;
  CallSlots* slots = nullptr;
  PeerNameCache* names = nullptr;  // if set, certificates already read are not parsed again
  absl::StatusOr<std::string> Of(grpc::CallbackServerContext* ctx) const;
};

grpc::Status ToGrpc(const absl::Status& s);

// Requests arrive as bytes (every method is registered raw) so that one that
// does not decode is INVALID_ARGUMENT naming the message type, where gRPC's
// typed handlers answer UNIMPLEMENTED with no message.
template <typename Message>
absl::Status Decode(const grpc::ByteBuffer& bytes, Message* message) {
  grpc::ByteBuffer copy(bytes);  // deserializing consumes the buffer
  if (!grpc::SerializationTraits<Message>::Deserialize(&copy, message).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the request does not decode as ", Message::descriptor()->full_name()));
  }
  return absl::OkStatus();
}

template <typename Message>
absl::Status Encode(const Message& message, grpc::ByteBuffer* bytes) {
  bool own = false;
  if (!grpc::SerializationTraits<Message>::Serialize(message, bytes, &own).ok()) {
    return absl::InternalError(absl::StrCat("cannot encode ", Message::descriptor()->full_name()));
  }
  return absl::OkStatus();
}

// Runs `fn(agency, request, &response)` for an authenticated caller within
// its call slot, and finishes the unary call.
template <typename Request, typename Response, typename Fn>
grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in, grpc::ByteBuffer* out,
                                const CallerIdentity& id, Fn fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const absl::Status status = [&]() -> absl::Status {
    absl::StatusOr<std::string> caller = id.Of(ctx);
    if (!caller.ok()) return caller.status();
    absl::StatusOr<CallSlots::Slot> slot = id.slots->Acquire(*caller, CallSlots::Kind::kCall);
    if (!slot.ok()) return slot.status();
    Request request;
    if (absl::Status s = Decode(*in, &request); !s.ok()) return s;
    Response response;
    if (absl::Status s = fn(*caller, request, &response); !s.ok()) return s;
    return Encode(response, out);
  }();
  reactor->Finish(ToGrpc(status));
  return reactor;
}

// As Unary, for a call answered later: `fn(agency, request, finish)` starts
// it and `finish(response or error)` answers it, from any thread (the publish
// path's writer thread). The call slot is held until then.
template <typename Request, typename Response, typename Fn>
grpc::ServerUnaryReactor* UnaryAsync(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                     grpc::ByteBuffer* out, const CallerIdentity& id, Fn fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<std::string> caller = id.Of(ctx);
  absl::StatusOr<CallSlots::Slot> slot =
      caller.ok() ? id.slots->Acquire(*caller, CallSlots::Kind::kCall) : absl::StatusOr<CallSlots::Slot>(caller.status());
  Request request;
  absl::Status s = slot.ok() ? Decode(*in, &request) : slot.status();
  if (!s.ok()) {
    reactor->Finish(ToGrpc(s));
    return reactor;
  }
  auto held = std::make_shared<CallSlots::Slot>(*std::move(slot));
  std::function<void(absl::StatusOr<Response>)> finish = [reactor, out, held](absl::StatusOr<Response> r) mutable {
    const absl::Status status = r.ok() ? Encode(*r, out) : r.status();
    held.reset();
    reactor->Finish(ToGrpc(status));
  };
  fn(*caller, request, std::move(finish));
  return reactor;
}

}  // namespace accord::broker

#endif  // ACCORD_BROKER_SERVICE_EDGE_H_
