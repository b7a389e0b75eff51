// absl::Time <-> google.protobuf.Timestamp at microsecond precision, the one
// conversion every broker record uses.
#ifndef ACCORD_BROKER_TIMESTAMPS_H_
#define ACCORD_BROKER_TIMESTAMPS_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"

namespace accord::broker {

inline google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

inline absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(t));
}

}  // namespace accord::broker

#endif  // ACCORD_BROKER_TIMESTAMPS_H_
