// How a caller's own text appears in error messages and logs: in quotes,
// control and non-ASCII bytes escaped, cut to a few dozen characters with
// the full length stated, so that a huge or hostile input is never echoed.
#ifndef ACCORD_BROKER_QUOTED_H_
#define ACCORD_BROKER_QUOTED_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace accord::broker {

inline constexpr size_t kQuotedMax = 64;

std::string Quoted(std::string_view text, size_t max = kQuotedMax);

}  // namespace accord::broker

#endif  // ACCORD_BROKER_QUOTED_H_
