// Where a change that is not a publish is written so that it joins the
// publishes' group commit (docs/architecture.md §Inside the broker): the
// Exchange implements it with its writer queue. Code the Exchange owns or
// that sits beside it (the refusal log, meeting packs) writes through it
// instead of calling Store::Apply, without depending on the Exchange.
#ifndef ACCORD_BROKER_ORDERED_WRITES_H_
#define ACCORD_BROKER_ORDERED_WRITES_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "broker/store.h"

namespace accord::broker {

class OrderedWrites {
 public:
  virtual ~OrderedWrites() = default;
  // Writes `m` durably, in order with everything queued before it; returns
  // its positions once the write is synced, or the error that failed it
  // (nothing of `m` is stored then). `now` is the time of a write of its own.
  virtual absl::StatusOr<Assigned> WriteOrdered(Mutation m, absl::Time now) = 0;
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_ORDERED_WRITES_H_
