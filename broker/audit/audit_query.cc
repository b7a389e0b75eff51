// AuditLog::Query: who saw what, through the audit_index column family.
// Picks the most selective index the query names (by counting its entries,
// capped at the best so far), then reads only those records and checks every
// constraint on each, so an index key shared by two values costs a read, not
// a wrong row.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "broker/audit/audit_log.h"
#include "broker/audit/storage_layout.h"

namespace accord::audit {
namespace {

constexpr uint32_t kDefaultQueryLimit = 1000;

absl::Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", s.ToString()));
}

// Smallest key greater than every key starting with `prefix`.
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}

// The query's constraints, checked against each candidate record.
struct Filter {
  std::string subject, case_ref, event_id, agency;
  std::vector<int> actions;
  std::optional<int64_t> from_micros, to_micros;  // [from, to)

  bool Matches(const RecordFields& f) const {
    if (!subject.empty() &&
        std::find(f.subject_refs.begin(), f.subject_refs.end(), subject) == f.subject_refs.end()) {
      return false;
    }
    if (!case_ref.empty() && f.case_ref != case_ref) return false;
    if (!event_id.empty() && f.event_id != event_id) return false;
    if (!agency.empty() && !f.Names(agency)) return false;
    if (std::find(actions.begin(), actions.end(), f.action) == actions.end()) return false;
    if (from_micros && f.time_micros < *from_micros) return false;
    if (to_micros && f.time_micros >= *to_micros) return false;
    return true;
  }
};

int64_t Micros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

// One way to find candidate leaves: index key ranges [begin, end). Ranges of
// the string and action kinds list leaves in ascending order; time does not.
struct Access {
  std::vector<std::pair<std::string, std::string>> ranges;
  bool leaf_ordered = true;
};

Access PrefixAccess(std::string prefix) {
  Access a;
  std::string end = PrefixEnd(prefix);
  a.ranges.emplace_back(std::move(prefix), std::move(end));
  return a;
}

}  // namespace

std::vector<v1::AuditAction> DefaultWhoSawActions() {
  return {v1::AUDIT_ACTION_ROUTED, v1::AUDIT_ACTION_DELIVERED, v1::AUDIT_ACTION_ACKNOWLEDGED,
          v1::AUDIT_ACTION_MEETING_PACK_PULLED, v1::AUDIT_ACTION_NOTIFIED};
}

absl::StatusOr<std::vector<v1::WhoSawRow>> AuditLog::Query(const v1::WhoSawQuery& query,
                                                           uint64_t tree_size) const {
  const uint64_t size_now = size();
  if (tree_size == 0) tree_size = size_now;
  if (tree_size > size_now) {
    return absl::OutOfRangeError(absl::StrCat("tree size ", tree_size, " is beyond the log's size ", size_now));
  }
  Filter filter{query.subject_ref(), query.case_ref(), query.event_id(), query.agency(), {}, {}, {}};
  for (int a : query.actions()) filter.actions.push_back(a);
  if (filter.actions.empty()) {
    for (v1::AuditAction a : DefaultWhoSawActions()) filter.actions.push_back(a);
  }
  if (query.has_from()) filter.from_micros = Micros(query.from());
  if (query.has_to()) filter.to_micros = Micros(query.to());
  if (filter.from_micros && filter.to_micros && *filter.from_micros > *filter.to_micros) {
    return absl::InvalidArgumentError("query time range ends before it starts");
  }

  // Candidate ways in, most selective first by construction; the counts decide.
  std::vector<Access> accesses;
  if (!filter.event_id.empty()) accesses.push_back(PrefixAccess(EventPrefix(filter.event_id)));
  if (!filter.subject.empty()) accesses.push_back(PrefixAccess(SubjectPrefix(filter.subject)));
  if (!filter.case_ref.empty()) accesses.push_back(PrefixAccess(CasePrefix(filter.case_ref)));
  if (!filter.agency.empty()) accesses.push_back(PrefixAccess(AgencyPrefix(filter.agency)));
  if (filter.from_micros || filter.to_micros) {
    Access time;
    time.leaf_ordered = false;
    time.ranges.emplace_back(filter.from_micros ? TimeKeyPrefix(*filter.from_micros) : std::string(kTimePrefix),
                             filter.to_micros ? TimeKeyPrefix(*filter.to_micros)
                                              : PrefixEnd(std::string(kTimePrefix)));
    accesses.push_back(std::move(time));
  }
  Access by_action;
  std::vector<int> actions = filter.actions;
  std::sort(actions.begin(), actions.end());
  actions.erase(std::unique(actions.begin(), actions.end()), actions.end());
  for (int a : actions) {
    std::string p = ActionPrefix(a);
    std::string end = PrefixEnd(p);
    by_action.ranges.emplace_back(std::move(p), std::move(end));
  }
  accesses.push_back(std::move(by_action));

  rocksdb::ReadOptions read;
  // An entry names the leaves [first, first + count) (storage_layout.h).
  auto run_of = [](const rocksdb::Iterator& it) -> std::optional<std::pair<uint64_t, uint64_t>> {
    std::optional<uint64_t> first = LeafOfIndexKey(it.key().ToStringView());
    std::optional<uint64_t> count = RunCount(it.value().ToStringView());
    if (!first || !count) return std::nullopt;
    return std::make_pair(*first, *count);
  };
  auto count = [&](const Access& a, uint64_t cap) {
    uint64_t n = 0;
    for (const auto& [begin, end] : a.ranges) {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cfs_.index));
      for (it->Seek(begin); it->Valid() && it->key().ToStringView() < end && n <= cap; it->Next()) {
        const auto run = run_of(*it);
        n += run ? run->second : 1;
      }
    }
    return n;
  };
  std::size_t best = 0;
  uint64_t best_count = count(accesses[0], uint64_t{1} << 20);
  for (std::size_t i = 1; i < accesses.size() && best_count > 0; ++i) {
    const uint64_t n = count(accesses[i], best_count);
    if (n < best_count) best = i, best_count = n;
  }
  const Access& access = accesses[best];

  // Leaves of the chosen access in ascending order (a merge over its ranges).
  std::vector<uint64_t> leaves;
  if (!access.leaf_ordered || access.ranges.size() > 1) {
    for (const auto& [begin, end] : access.ranges) {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cfs_.index));
      for (it->Seek(begin); it->Valid() && it->key().ToStringView() < end; it->Next()) {
        const auto run = run_of(*it);
        if (!run) return absl::DataLossError("audit_index holds a malformed entry; run `accord audit verify`");
        for (uint64_t leaf = run->first; leaf - run->first < run->second && leaf < tree_size; ++leaf) {
          leaves.push_back(leaf);
        }
      }
      if (!it->status().ok()) return FromRocks(it->status(), "cannot read audit_index");
    }
    std::sort(leaves.begin(), leaves.end());
    leaves.erase(std::unique(leaves.begin(), leaves.end()), leaves.end());
  }
  const uint32_t limit = query.limit() == 0 ? kDefaultQueryLimit : query.limit();
  std::vector<v1::WhoSawRow> rows;
  auto consider = [&](uint64_t leaf) -> absl::Status {
    if (leaf >= tree_size) return absl::OkStatus();
    absl::StatusOr<std::string> bytes = LeafBytes(leaf);
    if (!bytes.ok()) return bytes.status();
    absl::StatusOr<RecordFields> fields = ReadRecordFields(*bytes);
    if (!fields.ok()) return absl::DataLossError(absl::StrCat("audit record ", leaf, " does not parse"));
    if (!filter.Matches(*fields)) return absl::OkStatus();
    v1::WhoSawRow row;
    row.set_leaf_index(leaf);
    if (!row.mutable_record()->ParseFromString(*bytes)) {
      return absl::DataLossError(absl::StrCat("audit record ", leaf, " does not parse"));
    }
    row.set_leaf(*std::move(bytes));
    absl::StatusOr<v1::InclusionProof> proof = ProveInclusion(leaf, tree_size);
    if (!proof.ok()) return proof.status();
    *row.mutable_proof() = *std::move(proof);
    rows.push_back(std::move(row));
    return absl::OkStatus();
  };
  if (access.leaf_ordered && access.ranges.size() == 1) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cfs_.index));
    const auto& [begin, end] = access.ranges[0];
    for (it->Seek(begin); it->Valid() && it->key().ToStringView() < end && rows.size() < limit; it->Next()) {
      const auto run = run_of(*it);
      if (!run) return absl::DataLossError("audit_index holds a malformed entry; run `accord audit verify`");
      for (uint64_t leaf = run->first;
           leaf - run->first < run->second && leaf < tree_size && rows.size() < limit; ++leaf) {
        if (absl::Status s = consider(leaf); !s.ok()) return s;
      }
    }
    if (!it->status().ok()) return FromRocks(it->status(), "cannot read audit_index");
  } else {
    for (std::size_t i = 0; i < leaves.size() && rows.size() < limit; ++i) {
      if (absl::Status s = consider(leaves[i]); !s.ok()) return s;
    }
  }
  return rows;
}

}  // namespace accord::audit
