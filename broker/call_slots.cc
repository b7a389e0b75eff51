#include "broker/call_slots.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace accord::broker {

CallSlots::Slot::Slot(CallSlots* owner, std::string agency, Kind kind)
    : owner_(owner), agency_(std::move(agency)), kind_(kind) {}

CallSlots::Slot::Slot(Slot&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), agency_(std::move(other.agency_)), kind_(other.kind_) {}

CallSlots::Slot& CallSlots::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = std::exchange(other.owner_, nullptr);
    agency_ = std::move(other.agency_);
    kind_ = other.kind_;
  }
  return *this;
}

CallSlots::Slot::~Slot() { Release(); }

void CallSlots::Slot::Release() {
  if (owner_ != nullptr) owner_->Release(agency_, kind_);
  owner_ = nullptr;
}

CallSlots::CallSlots(int max_calls_per_agency, int max_streams_per_agency)
    : max_calls_(max_calls_per_agency), max_streams_(max_streams_per_agency) {}

absl::StatusOr<CallSlots::Slot> CallSlots::Acquire(const std::string& agency, Kind kind) {
  absl::MutexLock lock(&mu_);
  Counts& c = in_use_[agency];
  if (kind == Kind::kCall) {
    if (c.calls >= max_calls_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "'", agency, "' already has ", c.calls, " calls in progress (limits.max_calls_per_agency); retry shortly"));
    }
    ++c.calls;
  } else {
    if (c.streams >= max_streams_) {
      return absl::ResourceExhaustedError(absl::StrCat("'", agency, "' already has ", c.streams,
                                                       " open Subscribe streams (limits.max_streams_per_agency); "
                                                       "close one before opening another"));
    }
    ++c.streams;
  }
  return Slot(this, agency, kind);
}

int CallSlots::InUse(const std::string& agency, Kind kind) const {
  absl::MutexLock lock(&mu_);
  auto it = in_use_.find(agency);
  if (it == in_use_.end()) return 0;
  return kind == Kind::kCall ? it->second.calls : it->second.streams;
}

void CallSlots::Release(const std::string& agency, Kind kind) {
  absl::MutexLock lock(&mu_);
  Counts& c = in_use_[agency];
  (kind == Kind::kCall ? c.calls : c.streams) -= 1;
}

}  // namespace accord::broker
