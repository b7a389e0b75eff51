#include "agents/sdk/inbox_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "crypto/hash.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace accord::agents {
namespace {

namespace fs = std::filesystem;

std::string MessageJson(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(m, &out, options).ok()) return "null";
  return out;
}

// A JSON string escaped as protobuf escapes the header's strings: UTF-8 kept
// as it is (C escapes such as \303\242 for "â" would not be JSON).
std::string Quote(const std::string& s) {
  google::protobuf::Value v;
  v.set_string_value(s);
  return MessageJson(v);
}

// Decodes a section by its content type; only accord.v1 messages are accepted.
std::string SectionJson(const crypto::OpenedSection& s) {
  if (s.content_type.rfind("accord.v1.", 0) != 0) return "{\"error\":\"unknown content type\"}";
  const google::protobuf::Descriptor* d =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(s.content_type);
  if (d == nullptr) return "{\"error\":\"unknown content type\"}";
  std::unique_ptr<google::protobuf::Message> m(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
  if (!m->ParseFromArray(s.plaintext.data(), static_cast<int>(s.plaintext.size()))) {
    return "{\"error\":\"content does not parse\"}";
  }
  return MessageJson(*m);
}

}  // namespace

absl::Status WriteFileDurably(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot create ", tmp, ": ", std::strerror(errno)));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return absl::UnavailableError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot store ", path, ": ", std::strerror(errno)));
  }
  int dir = ::open(fs::path(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return absl::OkStatus();
}

absl::Status InboxWriter::Init() const {
  std::error_code ec;
  fs::create_directories(fs::path(dir_) / "quarantine", ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot create ", dir_, ": ", ec.message()));
  return absl::OkStatus();
}

std::string InboxWriter::FileNameFor(const std::string& event_id) {
  std::string safe;
  for (char c : event_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    safe.push_back(ok ? c : '_');
  }
  if (safe.size() > 80) safe.resize(80);
  // The digest keeps distinct ids distinct after sanitising.
  return absl::StrCat(safe, "-", crypto::Hex(crypto::Sha256(event_id)).substr(0, 12), ".json");
}

std::string InboxWriter::ToJson(const v1::Delivery& delivery, const crypto::OpenedEvent& event) {
  std::vector<std::string> sections;
  for (const crypto::OpenedSection& s : event.sections) {
    sections.push_back(absl::StrCat(Quote(s.name), ": ", SectionJson(s)));
  }
  std::vector<std::string> withheld;
  for (const std::string& name : event.not_for_me) withheld.push_back(Quote(name));
  v1::EventHeader header = event.header;
  for (auto& ref : *header.mutable_sections()) ref.clear_ciphertext_sha256();
  return absl::StrCat(
      "{\n  \"event_id\": ", Quote(event.header.event_id()),
      ",\n  \"queue_sequence\": ", delivery.queue_sequence(),
      ",\n  \"notification_only\": ", delivery.notification_only() ? "true" : "false",
      ",\n  \"received_at\": ", Quote(absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone())),
      ",\n  \"header\": ", MessageJson(header),
      ",\n  \"sections\": {", absl::StrJoin(sections, ", "), "}",
      ",\n  \"withheld\": [", absl::StrJoin(withheld, ", "), "]\n}\n");
}

absl::StatusOr<bool> InboxWriter::Write(const v1::Delivery& delivery,
                                        const crypto::OpenedEvent& event) const {
  const std::string path = (fs::path(dir_) / FileNameFor(event.header.event_id())).string();
  std::error_code ec;
  if (fs::exists(path, ec)) return false;
  if (auto s = WriteFileDurably(path, ToJson(delivery, event)); !s.ok()) return s;
  return true;
}

absl::StatusOr<bool> InboxWriter::WriteNotice(const v1::Delivery& delivery, const v1::NoticeBody& notice) const {
  const std::string path = (fs::path(dir_) / ("notice-" + FileNameFor(notice.notice_id()))).string();
  std::error_code ec;
  if (fs::exists(path, ec)) return false;
  const std::string json = absl::StrCat(
      "{\n  \"notice_id\": ", Quote(notice.notice_id()), ",\n  \"queue_sequence\": ", delivery.queue_sequence(),
      ",\n  \"received_at\": ", Quote(absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone())),
      ",\n  \"notice\": ", MessageJson(notice), "\n}\n");
  if (auto s = WriteFileDurably(path, json); !s.ok()) return s;
  return true;
}

absl::Status InboxWriter::Quarantine(const v1::Delivery& delivery, const absl::Status& why) const {
  v1::EventHeader claimed;
  claimed.ParseFromString(delivery.envelope().header());
  const std::string name = claimed.event_id().empty()
                               ? absl::StrCat("seq-", delivery.queue_sequence(), ".txt")
                               : FileNameFor(claimed.event_id()) + ".rejected.txt";
  return WriteFileDurably(
      (fs::path(dir_) / "quarantine" / name).string(),
      absl::StrCat("queue_sequence: ", delivery.queue_sequence(), "\nclaimed_event_id: ",
                   claimed.event_id(), "\nclaimed_sender: ", claimed.sender(), "\nreason: ",
                   why.ToString(), "\n"));
}

}  // namespace accord::agents
