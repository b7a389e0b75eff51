#include "broker/audit/tiles.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "broker/audit/merkle.h"
#include "broker/audit/storage_layout.h"

namespace accord::audit {

std::string TileKey(int tile_level, uint64_t tile_index) {
  std::string out(1, static_cast<char>(tile_level));
  out += Be64(tile_index);
  return out;
}

absl::StatusOr<std::string> SubtreeHashFromTiles(TileFetcher fetch, int level, uint64_t index) {
  if (level < 0 || level >= kMaxTileLevels * kTileHeight) {
    return absl::InvalidArgumentError(absl::StrCat("no subtree at level ", level));
  }
  const int tile_level = level / kTileHeight;
  const int up = level % kTileHeight;  // levels to hash up inside the tile
  const uint64_t first = index << up;  // first descendant at the tile's level
  const uint64_t tile_index = first / kTileWidth;
  const std::size_t offset = static_cast<std::size_t>(first % kTileWidth);
  const std::size_t count = std::size_t{1} << up;
  absl::StatusOr<std::string> tile = fetch(tile_level, tile_index);
  if (absl::IsNotFound(tile.status())) {
    return absl::DataLossError(absl::StrCat("audit log is missing tile ", tile_level, "/", tile_index,
                                            ", which holds the hash of subtree (level ", level, ", index ", index,
                                            "); run `accord audit verify`"));
  }
  if (!tile.ok()) return tile.status();
  if (tile->size() % kHashSize != 0 || tile->size() > kFullTileBytes ||
      tile->size() < (offset + count) * kHashSize) {
    return absl::DataLossError(absl::StrCat("audit log tile ", tile_level, "/", tile_index, " has ", tile->size(),
                                            " bytes, too few for subtree (level ", level, ", index ", index,
                                            ") or not whole hashes; run `accord audit verify`"));
  }
  std::vector<Hash> row(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::memcpy(row[i].data(), tile->data() + (offset + i) * kHashSize, kHashSize);
  }
  for (std::size_t width = count; width > 1; width /= 2) {
    for (std::size_t i = 0; i < width / 2; ++i) row[i] = NodeHashOf(row[2 * i], row[2 * i + 1]);
  }
  return ToString(row[0]);
}

absl::StatusOr<TileWriter> TileWriter::Load(TileFetcher fetch, uint64_t size) {
  TileWriter w;
  for (int t = 0; t < kMaxTileLevels; ++t) {
    const uint64_t hashes = t == 0 ? size : size >> (kTileHeight * t);  // complete subtrees at level 8t
    if (hashes == 0) break;
    Row row;
    row.index = hashes / kTileWidth;
    const uint64_t partial = hashes % kTileWidth;
    if (partial != 0) {
      absl::StatusOr<std::string> tile = fetch(t, row.index);
      if (absl::IsNotFound(tile.status())) {
        return absl::DataLossError(absl::StrCat("audit log is missing its rightmost tile ", t, "/", row.index,
                                                "; run `accord audit verify`"));
      }
      if (!tile.ok()) return tile.status();
      if (tile->size() != partial * kHashSize) {
        return absl::DataLossError(absl::StrCat("audit log tile ", t, "/", row.index, " holds ", tile->size(),
                                                " bytes but a tree of ", size, " records needs ",
                                                partial * kHashSize, "; run `accord audit verify`"));
      }
      row.hashes = *std::move(tile);
    }
    w.rows_.push_back(std::move(row));
  }
  return w;
}

absl::Status TileWriter::Add(int level, uint64_t index, const std::string& hash, Put put) {
  if (level % kTileHeight != 0) return absl::OkStatus();
  const std::size_t t = static_cast<std::size_t>(level / kTileHeight);
  if (t >= static_cast<std::size_t>(kMaxTileLevels) || hash.size() != kHashSize) {
    return absl::InternalError(absl::StrCat("no tile for subtree hash at level ", level));
  }
  if (rows_.size() <= t) rows_.resize(t + 1);
  Row& row = rows_[t];
  const uint64_t tile_index = index / kTileWidth;
  if (row.hashes.size() == kFullTileBytes) row = Row{row.index + 1, {}, false};  // already put
  if (row.index != tile_index || row.hashes.size() != (index % kTileWidth) * kHashSize) {
    return absl::InternalError(absl::StrCat("subtree hash (level ", level, ", index ", index,
                                            ") arrived out of order for tile ", t, "/", row.index));
  }
  row.hashes += hash;
  row.dirty = true;
  if (row.hashes.size() == kFullTileBytes) {
    put(TileKey(static_cast<int>(t), row.index), row.hashes);
    row.dirty = false;
  }
  return absl::OkStatus();
}

void TileWriter::Flush(Put put) {
  for (std::size_t t = 0; t < rows_.size(); ++t) {
    if (!rows_[t].dirty) continue;
    put(TileKey(static_cast<int>(t), rows_[t].index), rows_[t].hashes);
    rows_[t].dirty = false;
  }
}

}  // namespace accord::audit
