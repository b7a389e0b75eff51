// The checks of an EventHeader that need no stored state: format version,
// the sender's own event-id namespace, defined enum values only, pseudonyms,
// field sizes and timestamps. PlanShare and Publish both run them before
// anything else looks at the header; every refusal is INVALID_ARGUMENT,
// PERMISSION_DENIED (wrong sender) or RESOURCE_EXHAUSTED (a limit), with a
// message that quotes the caller's input only in short, escaped form.
#ifndef ACCORD_BROKER_HEADER_CHECKS_H_
#define ACCORD_BROKER_HEADER_CHECKS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "accord/v1/envelope.pb.h"
#include "broker/config.h"

namespace accord::broker {

// Bounds on header fields that are not configurable (docs/protocol.md §Limits).
inline constexpr int kMaxFlags = 32;
inline constexpr int kMaxRelations = 16;
inline constexpr size_t kMaxNameBytes = 64;   // section names, relation names, purposes, reasons
inline constexpr size_t kMaxTextBytes = 256;  // case_ref, actor role and staff_ref, content types

// True when `id` is in `sender`'s namespace: `<sender>-...` or `<sender>:...`
// (agency ids use only a-z, 0-9 and _, so the namespaces never overlap).
bool InSenderNamespace(std::string_view id, std::string_view sender);

bool ValidPseudonym(std::string_view ref);

// `caller` is the authenticated agency. Signature, keys, signing time and
// policy version are the publish path's own checks (exchange.cc).
absl::Status CheckHeader(const v1::EventHeader& h, const std::string& caller, const Limits& limits);

}  // namespace accord::broker

#endif  // ACCORD_BROKER_HEADER_CHECKS_H_
