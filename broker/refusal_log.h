// Audits refused calls: every refused publish, plan, consent record or read
// and ack becomes an AUDIT_ACTION_REJECTED record, written durably before the
// refusal is answered. A token bucket per caller bounds how fast refusals can
// grow the log; refusals beyond it are counted, and the count is audited with
// the caller's next record or by Flush().
#ifndef ACCORD_BROKER_REFUSAL_LOG_H_
#define ACCORD_BROKER_REFUSAL_LOG_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "accord/v1/audit.pb.h"
#include "accord/v1/envelope.pb.h"
#include "broker/logger.h"
#include "broker/ordered_writes.h"
#include "policy/policy_holder.h"

namespace accord::broker {

// What is known about a refused call; empty fields are left out of the record.
struct Refusal {
  std::string call;                 // "publish", "plan_share", "record_consent", "get_consent", "ack"
  const v1::EventHeader* header = nullptr;  // when the request's header parsed
  std::string header_sha256;        // of the header bytes as received
  std::vector<std::string> rule_ids;
  uint64_t queue_sequence = 0;      // ack
  std::string subject_ref;          // get_consent
};

// Attaches the id of the policy rule behind a refusal to the status, for the
// record (a status payload: the message stays what the caller reads).
absl::Status NamingRule(absl::Status status, std::string_view rule_id);
std::vector<std::string> RulesNamed(const absl::Status& status);
// Marks a status whose code alone does not say "refused" (DATA_LOSS for a
// section that does not match its signed digest) as the caller's fault.
absl::Status AsRefusal(absl::Status status);

struct RefusalLimits {
  int burst = 20;                   // records a caller may cause at once
  int per_minute = 60;              // and sustained
};

class RefusalLog {
 public:
  // Records are written through `writes` (the Exchange's writer queue: they
  // share the publishes' batch, and a refusal is answered only once its
  // record is synced).
  RefusalLog(OrderedWrites* writes, policy::PolicyHolder* policy, Logger* log, std::function<absl::Time()> now,
             RefusalLimits limits);

  // True for the codes that mean "refused" (the caller's request was not
  // acceptable), not "failed" (the broker could not do it: UNAVAILABLE, ...),
  // and for statuses marked by AsRefusal.
  static bool IsRefusal(const absl::Status& status);

  // Audits `status` if it is a refusal and returns it unchanged. When the
  // record cannot be written the refusal is still returned (and logged).
  absl::Status Refused(const std::string& caller, const Refusal& refusal, absl::Status status);

  // Audits the counts of refusals not yet recorded, one record per caller
  // (the broker calls it every minute and at shutdown).
  void Flush();

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time refilled;
    uint64_t not_recorded = 0;
    absl::Time first_not_recorded;
  };
  bool Take(Bucket* b, absl::Time now) const;
  absl::Status Write(v1::AuditRecord record, absl::Time now);

  OrderedWrites* writes_;
  policy::PolicyHolder* policy_;
  Logger* log_;
  const std::function<absl::Time()> now_;
  const RefusalLimits limits_;
  absl::Mutex mu_;
  std::map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_REFUSAL_LOG_H_
