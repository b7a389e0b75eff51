#include "policy/policy.h"

namespace accord::policy {

int Policy::AgencyIndex(const std::string& id) const {
  auto it = agency_index_.find(id);
  return it == agency_index_.end() ? -1 : it->second;
}

int Policy::SectionIndex(const std::string& name) const {
  auto it = section_index_.find(name);
  return it == section_index_.end() ? -1 : it->second;
}

Mask Policy::AgenciesOfKind(v1::AgencyKind kind) const {
  Mask m = 0;
  for (std::size_t i = 0; i < agencies_.size(); ++i) {
    if (agencies_[i].kind == kind) m |= Bit(static_cast<int>(i));
  }
  return m;
}

void PolicyBuilder::AddAgency(Agency a) {
  p_->agency_index_.emplace(a.id, static_cast<int>(p_->agencies_.size()));
  p_->agencies_.push_back(std::move(a));
}

void PolicyBuilder::AddSection(std::string name) {
  p_->section_index_.emplace(name, static_cast<int>(p_->sections_.size()));
  p_->sections_.push_back(std::move(name));
}

}  // namespace accord::policy
