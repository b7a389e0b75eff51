#include "agents/sdk/outbox.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rocksdb/write_batch.h"

namespace accord::agents {
namespace {

// Keys: "q" + be64(seq) pending records, "s" + be64(seq) sent records,
// "e" + event_id -> be64(seq) for de-duplication, "n" next sequence.
std::string Be64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint64_t FromBe64(std::string_view s) {
  uint64_t v = 0;
  for (char c : s.substr(0, 8)) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

std::string PendingKey(uint64_t seq) { return "q" + Be64(seq); }
std::string SentKey(uint64_t seq) { return "s" + Be64(seq); }

absl::Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat("outbox ", what, ": ", s.ToString()));
}

rocksdb::WriteOptions Synced() {
  rocksdb::WriteOptions o;
  o.sync = true;
  return o;
}

}  // namespace

Outbox::Outbox(std::unique_ptr<rocksdb::DB> db, uint64_t next_seq)
    : db_(std::move(db)), next_seq_(next_seq) {}

Outbox::~Outbox() = default;

absl::StatusOr<std::unique_ptr<Outbox>> Outbox::Open(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.keep_log_file_num = 2;
  rocksdb::DB* raw = nullptr;
  if (auto s = FromRocks(rocksdb::DB::Open(options, dir, &raw), "open " + dir); !s.ok()) return s;
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string next;
  uint64_t next_seq = 1;
  rocksdb::Status got = db->Get(rocksdb::ReadOptions(), "n", &next);
  if (got.ok()) {
    next_seq = FromBe64(next);
  } else if (!got.IsNotFound()) {
    return FromRocks(got, "read");
  }
  return std::unique_ptr<Outbox>(new Outbox(std::move(db), next_seq));
}

absl::StatusOr<int> Outbox::AddAll(const std::vector<OutgoingEvent>& events) {
  absl::MutexLock lock(&mu_);
  rocksdb::WriteBatch batch;
  uint64_t seq = next_seq_;
  int added = 0;
  std::set<std::string> in_batch;
  for (const OutgoingEvent& e : events) {
    const std::string id_key = "e" + e.header.event_id();
    std::string ignored;
    rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), id_key, &ignored);
    if (got.ok() || !in_batch.insert(e.header.event_id()).second) continue;
    if (!got.IsNotFound()) return FromRocks(got, "read");
    agent::OutboxRecord record;
    record.set_seq(seq);
    *record.mutable_header() = e.header;
    for (const crypto::PlainSection& s : e.sections) {
      agent::PlainSectionRecord* r = record.add_sections();
      r->set_name(s.name);
      r->set_content_type(s.content_type);
      r->set_plaintext(s.plaintext);
    }
    record.set_source(e.source);
    record.set_added_unix_micros(absl::ToUnixMicros(absl::Now()));
    batch.Put(PendingKey(seq), record.SerializeAsString());
    batch.Put(id_key, Be64(seq));
    ++seq;
    ++added;
  }
  if (added == 0) return 0;
  batch.Put("n", Be64(seq));
  if (auto s = FromRocks(db_->Write(Synced(), &batch), "write"); !s.ok()) return s;
  next_seq_ = seq;
  return added;
}

absl::StatusOr<std::optional<agent::OutboxRecord>> Outbox::Next() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->Seek("q");
  if (!it->Valid() || !it->key().starts_with("q")) {
    if (auto s = FromRocks(it->status(), "scan"); !s.ok()) return s;
    return std::optional<agent::OutboxRecord>();
  }
  agent::OutboxRecord record;
  if (!record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
    return absl::DataLossError("outbox record does not parse");
  }
  return std::optional<agent::OutboxRecord>(std::move(record));
}

absl::StatusOr<agent::OutboxRecord> Outbox::Load(uint64_t seq) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), PendingKey(seq), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("outbox has no pending record ", seq));
  }
  if (auto st = FromRocks(s, "read"); !st.ok()) return st;
  agent::OutboxRecord record;
  if (!record.ParseFromString(value)) return absl::DataLossError("outbox record does not parse");
  return record;
}

absl::Status Outbox::Store(const agent::OutboxRecord& record, bool move_to_sent) {
  rocksdb::WriteBatch batch;
  if (move_to_sent) {
    batch.Delete(PendingKey(record.seq()));
    batch.Put(SentKey(record.seq()), record.SerializeAsString());
  } else {
    batch.Put(PendingKey(record.seq()), record.SerializeAsString());
  }
  return FromRocks(db_->Write(Synced(), &batch), "write");
}

absl::Status Outbox::RecordSealed(uint64_t seq, const v1::Envelope& envelope) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<agent::OutboxRecord> record = Load(seq);
  if (!record.ok()) return record.status();
  *record->mutable_sealed() = envelope;
  return Store(*record, false);
}

absl::Status Outbox::ClearSealed(uint64_t seq, const std::string& error) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<agent::OutboxRecord> record = Load(seq);
  if (!record.ok()) return record.status();
  record->clear_sealed();
  record->set_attempts(record->attempts() + 1);
  record->set_last_error(error);
  return Store(*record, false);
}

absl::Status Outbox::RecordAttempt(uint64_t seq, const std::string& error) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<agent::OutboxRecord> record = Load(seq);
  if (!record.ok()) return record.status();
  record->set_attempts(record->attempts() + 1);
  record->set_last_error(error);
  return Store(*record, false);
}

absl::Status Outbox::MarkSent(uint64_t seq, const v1::Receipt& receipt) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<agent::OutboxRecord> record = Load(seq);
  if (!record.ok()) return record.status();
  *record->mutable_receipt() = receipt;
  // Plaintext is no longer needed once the broker holds the sealed event.
  record->clear_sections();
  return Store(*record, true);
}

absl::Status Outbox::MarkRefused(uint64_t seq, const absl::Status& refusal) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<agent::OutboxRecord> record = Load(seq);
  if (!record.ok()) return record.status();
  record->set_refused_code(absl::StatusCodeToString(refusal.code()));
  record->set_refused_reason(std::string(refusal.message()));
  record->set_last_error(refusal.ToString());
  record->clear_sections();
  record->clear_sealed();
  return Store(*record, true);
}

absl::StatusOr<uint64_t> Outbox::PendingCount() {
  uint64_t n = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("q"); it->Valid() && it->key().starts_with("q"); it->Next()) ++n;
  if (auto s = FromRocks(it->status(), "scan"); !s.ok()) return s;
  return n;
}

absl::StatusOr<std::vector<agent::OutboxRecord>> Outbox::Sent() {
  std::vector<agent::OutboxRecord> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("s"); it->Valid() && it->key().starts_with("s"); it->Next()) {
    agent::OutboxRecord record;
    if (!record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("sent record does not parse");
    }
    out.push_back(std::move(record));
  }
  if (auto s = FromRocks(it->status(), "scan"); !s.ok()) return s;
  return out;
}

}  // namespace accord::agents
