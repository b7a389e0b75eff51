#include "broker/quoted.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace accord::broker {

std::string Quoted(std::string_view text, size_t max) {
  std::string out = "'";
  size_t shown = 0;
  for (; shown < text.size() && shown < max; ++shown) {
    const unsigned char c = static_cast<unsigned char>(text[shown]);
    if (c == '\'' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      absl::StrAppend(&out, absl::StrFormat("\\x%02x", c));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('\'');
  if (shown < text.size()) absl::StrAppend(&out, "... (", text.size(), " bytes)");
  return out;
}

}  // namespace accord::broker
