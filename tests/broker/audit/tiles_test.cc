// Tiles against the plain tree: every complete subtree hash recomputed from
// the stored tiles equals the one CompactRange computes, across three tile
// levels, and the writer refuses hashes out of order.
#include "broker/audit/tiles.h"

#include <gtest/gtest.h>

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/audit/merkle.h"
#include "broker/audit/merkle_tree.h"
#include "broker/audit/storage_layout.h"

namespace accord::audit {
namespace {

struct Tree {
  std::map<std::string, std::string> stored;              // what reaches the database
  std::map<std::pair<int, uint64_t>, std::string> nodes;  // every complete subtree
  CompactRange range;
  TileWriter tiles;

  void Append(uint64_t n) {
    auto put = [&](const std::string& k, const std::string& v) { stored[k] = v; };
    for (uint64_t i = 0; i < n; ++i) {
      range.Append(LeafHash(absl::StrCat("leaf ", range.size())), [&](int level, uint64_t index, const std::string& h) {
        nodes[{level, index}] = h;
        ASSERT_TRUE(tiles.Add(level, index, h, put).ok());
      });
    }
    tiles.Flush(put);
  }
  absl::StatusOr<std::string> Fetch(int t, uint64_t i) const {
    auto it = stored.find(TileKey(t, i));
    if (it == stored.end()) return absl::NotFoundError("no tile");
    return it->second;
  }
};

TEST(TilesTest, EverySubtreeHashComesBackFromTheTiles) {
  Tree tree;
  tree.Append(70'000);  // past 256 and 65,536: tiles at levels 0, 8 and 16
  EXPECT_EQ(tree.stored.count(TileKey(2, 0)), 1u);
  EXPECT_EQ(tree.stored.at(TileKey(2, 0)).size(), kHashSize);  // one level-16 subtree so far
  EXPECT_EQ(tree.stored.at(TileKey(0, 0)).size(), kFullTileBytes);
  EXPECT_EQ(tree.stored.at(TileKey(0, 70'000 / 256)).size(), (70'000 % 256) * kHashSize);
  auto fetch = [&](int t, uint64_t i) { return tree.Fetch(t, i); };
  std::size_t checked = 0;
  for (const auto& [at, hash] : tree.nodes) {
    if (at.first < 12 && at.second % 97 != 0) continue;  // a spread of the low levels, all the high ones
    absl::StatusOr<std::string> got = SubtreeHashFromTiles(fetch, at.first, at.second);
    ASSERT_TRUE(got.ok()) << got.status() << " level " << at.first << " index " << at.second;
    ASSERT_EQ(*got, hash) << "level " << at.first << " index " << at.second;
    ++checked;
  }
  EXPECT_GT(checked, 1000u);
  // Roots and proofs through tiles match the tree's own root.
  absl::StatusOr<std::string> root =
      TreeRoot([&](int level, uint64_t index) { return SubtreeHashFromTiles(fetch, level, index); }, 70'000);
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(*root, tree.range.Root());
}

TEST(TilesTest, ReloadedWriterContinuesTheSameTiles) {
  Tree whole;
  whole.Append(600);
  for (uint64_t split : {1u, 255u, 256u, 257u, 511u, 512u, 599u}) {
    Tree part;
    part.Append(split);
    auto fetch = [&](int t, uint64_t i) { return part.Fetch(t, i); };
    absl::StatusOr<TileWriter> reloaded = TileWriter::Load(fetch, split);
    ASSERT_TRUE(reloaded.ok()) << reloaded.status();
    part.tiles = *std::move(reloaded);
    part.Append(600 - split);
    EXPECT_EQ(part.stored, whole.stored) << "split at " << split;
  }
}

TEST(TilesTest, MissingShortOrRaggedTilesAreDataLoss) {
  Tree tree;
  tree.Append(300);
  auto fetch = [&](int t, uint64_t i) { return tree.Fetch(t, i); };
  EXPECT_EQ(SubtreeHashFromTiles(fetch, 0, 300).status().code(), absl::StatusCode::kDataLoss);  // not stored yet
  tree.stored[TileKey(0, 1)].pop_back();
  EXPECT_EQ(SubtreeHashFromTiles(fetch, 0, 256).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(TileWriter::Load(fetch, 300).status().code(), absl::StatusCode::kDataLoss);
  tree.stored.erase(TileKey(0, 0));
  EXPECT_EQ(SubtreeHashFromTiles(fetch, 3, 0).status().code(), absl::StatusCode::kDataLoss);
}

TEST(TilesTest, HashesOutOfOrderAreRefused) {
  TileWriter tiles;
  auto put = [](const std::string&, const std::string&) {};
  ASSERT_TRUE(tiles.Add(0, 0, std::string(kHashSize, 'a'), put).ok());
  EXPECT_EQ(tiles.Add(0, 2, std::string(kHashSize, 'b'), put).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(tiles.Add(0, 1, "short", put).code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(tiles.Add(1, 0, std::string(kHashSize, 'c'), put).ok()) << "level 1 is not stored";
}

}  // namespace
}  // namespace accord::audit
