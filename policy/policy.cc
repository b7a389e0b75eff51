#include "policy/policy.h"

namespace accord::policy {

const RelationSpec* Relations::Find(std::string_view name) const {
  for (const RelationSpec& r : specs) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

int Policy::AgencyIndex(const std::string& id) const {
  auto it = agency_index_.find(id);
  return it == agency_index_.end() ? -1 : it->second;
}

Mask SectionSet::Bases() const {
  Mask m = any_role;
  for (Mask r : role) m |= r;
  return m;
}

bool SectionSet::empty() const { return Bases() == 0; }

Mask SectionSet::Matching(int r, bool forbid) const {
  if (r > 0 && r < kRoleSlots) return any_role | role[static_cast<std::size_t>(r)];
  if (!forbid) return any_role;
  return any_role | role[1] | role[2] | role[3] | role[4];
}

int Policy::SectionIndex(std::string_view name) const {
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
