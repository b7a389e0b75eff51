// What the broker raises itself from headers alone (a perpetrator's pattern
// across cases, a schedule step that is due): signed notices, their queue
// entries and audit records (docs/protocol.md §3 Broker notices).
#ifndef ACCORD_BROKER_NOTICES_H_
#define ACCORD_BROKER_NOTICES_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "accord/v1/audit.pb.h"
#include "accord/v1/broker.pb.h"
#include "broker/store.h"
#include "crypto/signing.h"

namespace accord::broker {

// Signed with the log key over PAE(broker-notice type, body).
v1::BrokerNotice SignNotice(const crypto::SigningKey& log_key, const v1::NoticeBody& body);

// The header a delivery is about, for audit records and meeting packs: the
// envelope's, or for a notice one made from its body (event_id = notice id).
v1::EventHeader HeaderOf(const v1::Delivery& delivery);

// The audit record of a notice (actor "broker", the notice id as event id,
// the pattern or schedule as its rule), without a recipient.
v1::AuditRecord NoticeRecord(v1::AuditAction action, const v1::NoticeBody& body, const std::string& policy_hash,
                             absl::Time now);

// Adds `notice` to each recipient's queue with a NOTIFIED record naming the
// rule that raised it.
void EnqueueNotice(const v1::BrokerNotice& notice, const v1::NoticeBody& body,
                   const std::vector<std::string>& recipients, const std::string& policy_hash, absl::Time now,
                   Mutation* m);

}  // namespace accord::broker

#endif  // ACCORD_BROKER_NOTICES_H_
