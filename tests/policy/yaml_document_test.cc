// The one YAML reader: what yaml-cpp accepts silently (duplicate keys, alias
// bombs, several documents, odd keys) is refused with file:line:column, and
// integers are range-checked against their field.
#include "policy/yaml_document.h"

#include <fstream>
#include <limits>

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"

namespace accord::yaml {
namespace {

void ExpectRefused(const std::string& text, const std::string& where, const std::string& what) {
  absl::StatusOr<YAML::Node> n = Parse(text, "y.yaml");
  ASSERT_FALSE(n.ok()) << text;
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(n.status().message().find(where), std::string::npos) << n.status() << " (want " << where << ")";
  EXPECT_NE(n.status().message().find(what), std::string::npos) << n.status() << " (want " << what << ")";
}

// `levels` lists, each of `width` aliases of the previous one: a few hundred
// bytes that stand for width^levels nodes.
std::string AliasBomb(int levels, int width) {
  std::string text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= levels; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < width; ++j) text += (j ? ", *a" : "*a") + std::to_string(i - 1);
    text += "]\n";
  }
  return text;
}

TEST(YamlDocumentTest, ParsesAnOrdinaryDocument) {
  absl::StatusOr<YAML::Node> n = Parse("a: 1\nb: [x, y]\nc: {d: e}\n", "y.yaml");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ((*n)["a"].as<std::string>(), "1");
  EXPECT_EQ((*n)["b"].size(), 2u);
  EXPECT_EQ((*n)["c"]["d"].as<std::string>(), "e");
  absl::StatusOr<YAML::Node> empty = Parse("", "y.yaml");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->IsNull());
}

TEST(YamlDocumentTest, DuplicateKeysAreRefusedAtAnyDepth) {
  ExpectRefused("a: 1\nb: 2\na: 3\n", "y.yaml:3:1", "duplicate key 'a' (first at line 1)");
  ExpectRefused("top:\n  rules: []\n  x: 1\n  rules: [forbid]\n", "y.yaml:4:3", "duplicate key 'rules'");
  ExpectRefused("- when: {senders: [a], senders: [b]}\n", "y.yaml:1:24", "duplicate key 'senders'");
  ExpectRefused("a: 1\n\"a\": 2\n", "y.yaml:2:1", "duplicate key 'a'");
  // The same key in two different mappings is fine.
  EXPECT_TRUE(Parse("- a: 1\n- a: 2\n- {a: {a: 3}}\n", "y.yaml").ok());
}

TEST(YamlDocumentTest, KeysMustBePlainSingleValues) {
  ExpectRefused("? [a, b]\n: 1\n", "y.yaml:1:3", "must be a single value");
  ExpectRefused("? {a: 1}\n: 1\n", "y.yaml:1:3", "must be a single value");
  ExpectRefused("x: &k a\n*k : 1\n", "y.yaml:2:1", "may not be an alias");
  ExpectRefused("~: 1\n", "y.yaml:1:1", "may not be empty");
  ExpectRefused("base: &b {x: 1}\nm:\n  <<: *b\n", "y.yaml:3:3", "merge keys");
}

TEST(YamlDocumentTest, AnAliasBombIsRefusedBeforeItExpands) {
  // 10^9 nodes in under 1 KB: yaml-cpp would accept it and any traversal
  // (the policy hash) would run out of time and memory.
  const std::string bomb = AliasBomb(8, 10);
  ASSERT_LT(bomb.size(), 1000u);
  ExpectRefused(bomb, "y.yaml:", "expands to more than 200000 nodes");
  Limits tight;
  tight.max_nodes = 50;
  EXPECT_FALSE(Parse("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a, *a, *a, *a]\n", "y.yaml", tight).ok());
}

TEST(YamlDocumentTest, AFewAliasesAreFineButNotMany) {
  absl::StatusOr<YAML::Node> n = Parse("core: &core [police, probation]\nto: *core\nalso: *core\n", "y.yaml");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ((*n)["also"][1].as<std::string>(), "probation");
  std::string many = "x: &x 1\nl: [";
  for (int i = 0; i < 65; ++i) many += i ? ", *x" : "*x";
  many += "]\n";
  ExpectRefused(many, "y.yaml:2:", "more than 64 aliases");
}

TEST(YamlDocumentTest, AnAliasInsideItsOwnAnchorIsRefused) {
  ExpectRefused("a: &a [1, *a]\n", "y.yaml:1:", "refers to a node that contains it");
}

TEST(YamlDocumentTest, DeepNestingIsRefused) {
  ExpectRefused(std::string(100, '[') + std::string(100, ']') + "\n", "y.yaml:1:", "nested more than 64 levels");
  EXPECT_TRUE(Parse(std::string(30, '[') + std::string(30, ']') + "\n", "y.yaml").ok());
}

TEST(YamlDocumentTest, OnlyOneDocument) {
  ExpectRefused("a: 1\n---\nb: 2\n", "y.yaml:2:", "more than one YAML document");
  EXPECT_TRUE(Parse("---\na: 1\n...\n", "y.yaml").ok());
}

TEST(YamlDocumentTest, ParseErrorsAreStatusesWithAPosition) {
  ExpectRefused("a: [1, 2\n", "y.yaml:", "");
  ExpectRefused("a: b: c\n", "y.yaml:1:", "");
  ExpectRefused("a: *nowhere\n", "y.yaml:1:", "");
}

TEST(YamlDocumentTest, SizeIsBoundedBeforeParsing) {
  Limits small;
  small.max_bytes = 100;
  absl::StatusOr<YAML::Node> text = Parse(std::string(101, '#'), "y.yaml", small);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().message(), "y.yaml: 101 bytes is more than the 100 allowed for this file");
  accord::testing::TempDir dir;
  const std::string big = dir.Path("big.yaml");
  // Not even YAML: refused for its size before the parser sees it.
  { std::ofstream(big) << "a: [" << std::string(2u << 20, 'x'); }
  absl::StatusOr<YAML::Node> n = LoadFile(big);
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("is more than the 1048576 allowed"), std::string::npos) << n.status();
  EXPECT_EQ(LoadFile(dir.Path("missing.yaml")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(LoadFile(dir.path().string()).status().code(), absl::StatusCode::kInvalidArgument);
  // A file that is not a regular file is read only up to the bound.
  absl::StatusOr<std::string> zeros = ReadFile("/dev/zero", 1000);
  ASSERT_FALSE(zeros.ok());
  EXPECT_NE(zeros.status().message().find("more than the 1000 bytes"), std::string::npos) << zeros.status();
}

TEST(YamlDocumentTest, IntegersAreRangeCheckedAgainstTheirField) {
  absl::StatusOr<YAML::Node> n = Parse(
      "big: 4294967296\nneg: -1\ntext: 12abc\nhex: 0x10\nok: 16\nplus: +7\nhuge: 99999999999999999999\n"
      "list: [1]\nzero: 0\n",
      "c.yaml");
  ASSERT_TRUE(n.ok()) << n.status();
  uint32_t u32 = 5;
  absl::Status s = ReadInteger<uint32_t>((*n)["big"], "c.yaml", "window_hours", 1, 8784, &u32);
  EXPECT_NE(s.message().find("c.yaml:1:6: window_hours must be a whole number from 1 to 8784 (got '4294967296')"),
            std::string::npos)
      << s;
  int i32 = 5;
  EXPECT_FALSE(ReadInteger<int>((*n)["big"], "c.yaml", "max_sections", 1, std::numeric_limits<int>::max(), &i32).ok())
      << "4294967296 does not fit an int";
  EXPECT_FALSE(ReadInteger<uint32_t>((*n)["neg"], "c.yaml", "n", 0, 100, &u32).ok());
  s = ReadInteger<int>((*n)["text"], "c.yaml", "n", 0, 100, &i32);
  EXPECT_NE(s.message().find("c.yaml:3:7: n must be a whole number from 0 to 100, not '12abc'"), std::string::npos)
      << s;
  EXPECT_FALSE(ReadInteger<int>((*n)["hex"], "c.yaml", "n", 0, 100, &i32).ok());
  EXPECT_FALSE(ReadInteger<int>((*n)["huge"], "c.yaml", "n", 0, 100, &i32).ok());
  EXPECT_FALSE(ReadInteger<int>((*n)["list"], "c.yaml", "n", 0, 100, &i32).ok());
  EXPECT_FALSE(ReadInteger<int>((*n)["zero"], "c.yaml", "max_sections", 1, 64, &i32).ok());
  EXPECT_EQ(u32, 5u) << "a refused value leaves the field alone";
  ASSERT_TRUE(ReadInteger<int>((*n)["ok"], "c.yaml", "n", 0, 100, &i32).ok());
  EXPECT_EQ(i32, 16);
  ASSERT_TRUE(ReadInteger<int>((*n)["plus"], "c.yaml", "n", 0, 100, &i32).ok());
  EXPECT_EQ(i32, 7);
  uint64_t u64 = 0;
  ASSERT_TRUE(ReadInteger<uint64_t>((*n)["big"], "c.yaml", "n", 1, std::numeric_limits<uint64_t>::max(), &u64).ok());
  EXPECT_EQ(u64, 4294967296u);
}

}  // namespace
}  // namespace accord::yaml
