// Per-agency caps on concurrent unary calls and Subscribe streams, so that
// one agency (a bug, a stolen certificate) cannot take the broker's threads,
// memory or descriptors from the others. A refused call is RESOURCE_EXHAUSTED
// naming the limit. Thread-safe.
#ifndef ACCORD_BROKER_CALL_SLOTS_H_
#define ACCORD_BROKER_CALL_SLOTS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace accord::broker {

class CallSlots {
 public:
  enum class Kind { kCall, kStream };

  // Holds one slot until destroyed (or moved from).
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    ~Slot();

   private:
    friend class CallSlots;
    Slot(CallSlots* owner, std::string agency, Kind kind);
    void Release();
    CallSlots* owner_ = nullptr;
    std::string agency_;
    Kind kind_ = Kind::kCall;
  };

  CallSlots(int max_calls_per_agency, int max_streams_per_agency);

  absl::StatusOr<Slot> Acquire(const std::string& agency, Kind kind);
  int InUse(const std::string& agency, Kind kind) const;

 private:
  struct Counts {
    int calls = 0;
    int streams = 0;
  };
  void Release(const std::string& agency, Kind kind);

  const int max_calls_;
  const int max_streams_;
  mutable absl::Mutex mu_;
  std::map<std::string, Counts> in_use_ ABSL_GUARDED_BY(mu_);
};

}  // namespace accord::broker

#endif  // ACCORD_BROKER_CALL_SLOTS_H_
