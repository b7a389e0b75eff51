// RocksDB treats an I/O error in a flush as fatal: the database stops taking
// writes until it is reopened, even when the cause (no free descriptor, say)
// is gone a second later. A file that could not be opened or created holds
// nothing yet, so retrying is always safe: this file system marks such errors
// retryable, which RocksDB answers by resuming on its own once the open works.
#ifndef ACCORD_BROKER_RETRYABLE_FS_H_
#define ACCORD_BROKER_RETRYABLE_FS_H_

#include <memory>

#include "rocksdb/file_system.h"

namespace accord::broker {

std::shared_ptr<rocksdb::FileSystem> WithRetryableOpenErrors(std::shared_ptr<rocksdb::FileSystem> base);

}  // namespace accord::broker

#endif  // ACCORD_BROKER_RETRYABLE_FS_H_
