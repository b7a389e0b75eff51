// The embedded default Store: one RocksDB database with a column family per
// concern (events, queues, meta, consent, cases, meetings, and the audit log's
// own families). Every ApplyBatch (and so every Apply) is one synced WriteBatch.
#ifndef ACCORD_BROKER_ROCKSDB_STORE_H_
#define ACCORD_BROKER_ROCKSDB_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "broker/store.h"
#include "crypto/signing.h"

namespace accord::broker {

// Opens (creating if needed) the database in `dir`. `log_key` signs audit tree
// heads; it must be the same key across restarts.
absl::StatusOr<std::unique_ptr<Store>> OpenRocksDbStore(const std::string& dir,
                                                        crypto::SigningKey log_key);

}  // namespace accord::broker

#endif  // ACCORD_BROKER_ROCKSDB_STORE_H_
