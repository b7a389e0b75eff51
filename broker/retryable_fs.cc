#include "broker/retryable_fs.h"

#include <string>
#include <utility>

namespace accord::broker {
namespace {

rocksdb::IOStatus Retryable(rocksdb::IOStatus s) {
  if (s.IsIOError()) s.SetRetryable(true);
  return s;
}

class RetryableOpenErrors : public rocksdb::FileSystemWrapper {
 public:
  explicit RetryableOpenErrors(std::shared_ptr<rocksdb::FileSystem> base) : FileSystemWrapper(std::move(base)) {}

  const char* Name() const override { return "AccordRetryableOpenErrors"; }

  rocksdb::IOStatus NewSequentialFile(const std::string& f, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSSequentialFile>* r,
                                      rocksdb::IODebugContext* dbg) override {
    return Retryable(target()->NewSequentialFile(f, o, r, dbg));
  }
  rocksdb::IOStatus NewRandomAccessFile(const std::string& f, const rocksdb::FileOptions& o,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* r,
                                        rocksdb::IODebugContext* dbg) override {
    return Retryable(target()->NewRandomAccessFile(f, o, r, dbg));
  }
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    return Retryable(target()->NewWritableFile(f, o, r, dbg));
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override {
    return Retryable(target()->ReopenWritableFile(f, o, r, dbg));
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override {
    return Retryable(target()->ReuseWritableFile(f, old, o, r, dbg));
  }
  rocksdb::IOStatus NewRandomRWFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    return Retryable(target()->NewRandomRWFile(f, o, r, dbg));
  }
  rocksdb::IOStatus NewDirectory(const std::string& d, const rocksdb::IOOptions& o,
                                 std::unique_ptr<rocksdb::FSDirectory>* r, rocksdb::IODebugContext* dbg) override {
    return Retryable(target()->NewDirectory(d, o, r, dbg));
  }
};

}  // namespace

std::shared_ptr<rocksdb::FileSystem> WithRetryableOpenErrors(std::shared_ptr<rocksdb::FileSystem> base) {
  return std::make_shared<RetryableOpenErrors>(std::move(base));
}

}  // namespace accord::broker
