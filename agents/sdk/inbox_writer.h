// Writes each verified, opened event as one JSON file for the agency's case
// system, durably (temp file, fsync, rename) and exactly once per event id.
// Events that fail verification go to quarantine/ with the reason, never to
// the case system.
#ifndef ACCORD_AGENTS_SDK_INBOX_WRITER_H_
#define ACCORD_AGENTS_SDK_INBOX_WRITER_H_

#include <string>

#include "absl/status/statusor.h"
#include "accord/v1/broker.pb.h"
#include "crypto/envelope.h"

namespace accord::agents {

class InboxWriter {
 public:
  explicit InboxWriter(std::string dir) : dir_(std::move(dir)) {}

  // Creates the folder (and quarantine/) if needed.
  absl::Status Init() const;

  // Returns false if this event id was already written (a redelivery).
  absl::StatusOr<bool> Write(const v1::Delivery& delivery, const crypto::OpenedEvent& event) const;
  absl::Status Quarantine(const v1::Delivery& delivery, const absl::Status& why) const;
  // A verified broker notice, as notice-<id>.json; false if already written.
  absl::StatusOr<bool> WriteNotice(const v1::Delivery& delivery, const v1::NoticeBody& notice) const;

  // File name used for an event id (ids may hold ':' or '/').
  static std::string FileNameFor(const std::string& event_id);
  // JSON rendering of an opened event (also used by `accord inbox`).
  static std::string ToJson(const v1::Delivery& delivery, const crypto::OpenedEvent& event);

 private:
  std::string dir_;
};

// Writes `data` to `path` atomically and durably.
absl::Status WriteFileDurably(const std::string& path, const std::string& data);

}  // namespace accord::agents

#endif  // ACCORD_AGENTS_SDK_INBOX_WRITER_H_
