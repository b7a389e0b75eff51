#include "policy/yaml_document.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/parser.h"

namespace accord::yaml {
namespace {

std::string At(std::string_view source, const YAML::Mark& m) {
  return absl::StrCat(std::string(source), ":", m.line + 1, ":", m.column + 1);
}

// Text of the input echoed in a message, cut short: a message must not carry
// a megabyte of someone's file.
std::string Quote(std::string_view text) {
  constexpr std::size_t kMax = 40;
  if (text.size() <= kMax) return absl::StrCat("'", std::string(text), "'");
  return absl::StrCat("'", std::string(text.substr(0, kMax)), "...'");
}

// Thrown from the event handler to stop the parser at the first problem.
struct Refusal {
  YAML::Mark mark;
  std::string message;
};

// Checks the event stream of one document; see yaml_document.h.
class Validator : public YAML::EventHandler {
 public:
  explicit Validator(const Limits& limits) : limits_(limits) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) {
      throw Refusal{mark, "more than one YAML document ('---'): a file holds exactly one"};
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node(mark, Kind::kNull, "", anchor);
    Done(anchor, nodes_ - 1);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    Node(mark, Kind::kScalar, value, anchor);
    Done(anchor, nodes_ - 1);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node(mark, Kind::kAlias, "", YAML::NullAnchor);
    if (++aliases_ > limits_.max_aliases) {
      throw Refusal{mark, absl::StrCat("more than ", limits_.max_aliases, " aliases ('*name') in one document")};
    }
    auto it = sizes_.find(anchor);
    if (it == sizes_.end()) {
      throw Refusal{mark, absl::StrCat("alias ", AnchorName(anchor), " refers to a node that contains it")};
    }
    Count(mark, it->second);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Node(mark, Kind::kSequence, "", anchor);
    Open(mark, false, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Node(mark, Kind::kMap, "", anchor);
    Open(mark, true, anchor);
  }
  void OnMapEnd() override { Close(); }
  void OnAnchor(const YAML::Mark&, const std::string& name) override { pending_anchor_name_ = name; }

 private:
  enum class Kind { kNull, kScalar, kAlias, kSequence, kMap };

  struct Frame {
    bool map = false;
    bool expect_key = true;          // maps: the next node is a key
    YAML::anchor_t anchor = YAML::NullAnchor;
    std::uint64_t first_node = 0;    // nodes_ before this container
    std::map<std::string, int> keys;  // key -> line (1-based)
  };

  void Count(const YAML::Mark& mark, std::uint64_t n) {
    nodes_ += n;
    if (nodes_ > limits_.max_nodes) {
      throw Refusal{mark, absl::StrCat("the document expands to more than ", limits_.max_nodes,
                                       " nodes (aliases count as the nodes they repeat)")};
    }
  }

  // Every node: counted (an alias where it is resolved), and checked as a
  // mapping key where it is one.
  void Node(const YAML::Mark& mark, Kind kind, const std::string& value, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) names_[anchor] = pending_anchor_name_;
    if (kind != Kind::kAlias) Count(mark, 1);
    if (frames_.empty() || !frames_.back().map) return;
    Frame& f = frames_.back();
    if (!f.expect_key) {
      f.expect_key = true;
      return;
    }
    f.expect_key = false;
    if (kind == Kind::kAlias) throw Refusal{mark, "a mapping key may not be an alias"};
    if (kind == Kind::kSequence || kind == Kind::kMap) {
      throw Refusal{mark, "a mapping key must be a single value, not a list or a mapping"};
    }
    if (kind == Kind::kNull) throw Refusal{mark, "a mapping key may not be empty (null)"};
    if (value == "<<") throw Refusal{mark, "merge keys ('<<') are not supported: write the keys out"};
    auto [it, fresh] = f.keys.emplace(value, static_cast<int>(mark.line) + 1);
    if (!fresh) {
      throw Refusal{mark, absl::StrCat("duplicate key ", Quote(value), " (first at line ", it->second,
                                       "): a mapping may name each key once")};
    }
  }

  void Open(const YAML::Mark& mark, bool map, YAML::anchor_t anchor) {
    if (static_cast<int>(frames_.size()) >= limits_.max_depth) {
      throw Refusal{mark, absl::StrCat("nested more than ", limits_.max_depth, " levels deep")};
    }
    Frame f;
    f.map = map;
    f.anchor = anchor;
    f.first_node = nodes_ - 1;
    frames_.push_back(std::move(f));
  }

  void Close() {
    const Frame f = std::move(frames_.back());
    frames_.pop_back();
    Done(f.anchor, f.first_node);
  }

  // The anchored node is complete: an alias of it repeats this many nodes.
  void Done(YAML::anchor_t anchor, std::uint64_t first_node) {
    if (anchor != YAML::NullAnchor) sizes_[anchor] = nodes_ - first_node;
  }

  std::string AnchorName(YAML::anchor_t anchor) const {
    auto it = names_.find(anchor);
    return it == names_.end() || it->second.empty() ? "" : absl::StrCat("'*", it->second, "'");
  }

  const Limits limits_;
  int documents_ = 0;
  int aliases_ = 0;
  std::uint64_t nodes_ = 0;
  std::vector<Frame> frames_;
  std::map<YAML::anchor_t, std::uint64_t> sizes_;  // complete anchored nodes
  std::map<YAML::anchor_t, std::string> names_;
  std::string pending_anchor_name_;
};

absl::Status Validate(const std::string& text, std::string_view source, const Limits& limits) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  Validator validator(limits);
  try {
    while (parser.HandleNextDocument(validator)) {
    }
  } catch (const Refusal& r) {
    return absl::InvalidArgumentError(absl::StrCat(At(source, r.mark), ": ", r.message));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(At(source, e.mark), ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(source), ": cannot parse: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<YAML::Node> Parse(std::string_view text, std::string_view source, const Limits& limits) {
  if (text.size() > limits.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(source), ": ", text.size(), " bytes is more than the ",
                                                   limits.max_bytes, " allowed for this file"));
  }
  const std::string copy(text);
  if (absl::Status s = Validate(copy, source, limits); !s.ok()) return s;
  try {
    return YAML::Load(copy);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(At(source, e.mark), ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(source), ": cannot parse: ", e.what()));
  }
}

absl::StatusOr<std::string> ReadFile(const std::string& path, std::size_t max_bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", ec ? ec.message() : "no such file"));
  }
  if (fs::is_directory(st)) return absl::InvalidArgumentError(absl::StrCat(path, " is a folder, not a file"));
  if (fs::is_regular_file(st)) {
    const std::uintmax_t size = fs::file_size(path, ec);
    if (!ec && size > max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", size, " bytes is more than the ", max_bytes, " allowed for this file"));
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  // Read one byte past the bound: the file may have grown, or not be a
  // regular file at all (a pipe, a device).
  std::string text(max_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": read error"));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": more than the ", max_bytes, " bytes allowed for this file"));
  }
  return text;
}

absl::StatusOr<YAML::Node> LoadFile(const std::string& path, const Limits& limits) {
  absl::StatusOr<std::string> text = ReadFile(path, limits.max_bytes);
  if (!text.ok()) return text.status();
  return Parse(*text, path, limits);
}

std::string Where(std::string_view source, const YAML::Node& node) { return At(source, node.Mark()); }

absl::Status ErrorAt(std::string_view source, const YAML::Node& node, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(Where(source, node), ": ", std::string(message)));
}

absl::StatusOr<std::int64_t> ReadInt64(const YAML::Node& node, std::string_view source, std::string_view what,
                                       std::int64_t min, std::int64_t max) {
  const std::string range = absl::StrCat(" must be a whole number from ", min, " to ", max);
  if (!node.IsDefined() || !node.IsScalar()) {
    return ErrorAt(source, node, absl::StrCat(std::string(what), range));
  }
  const std::string& text = node.Scalar();
  // Plain decimal only: yaml-cpp would also read 0x10 and 010 (octal), and
  // SimpleAtoi would skip white space.
  std::string_view digits = text;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  const bool decimal = !digits.empty() && std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit);
  std::int64_t v = 0;
  if (!decimal) {
    return ErrorAt(source, node, absl::StrCat(std::string(what), range, ", not ", Quote(text)));
  }
  if (!absl::SimpleAtoi(text, &v) || v < min || v > max) {
    return ErrorAt(source, node, absl::StrCat(std::string(what), range, " (got ", Quote(text), ")"));
  }
  return v;
}

}  // namespace accord::yaml
