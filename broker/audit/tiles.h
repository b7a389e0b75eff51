// How the log stores its subtree hashes: in tiles (docs/audit.md §Storage),
// after the tlog-tiles layout of Go's checksum database. Only the hashes of
// levels 0, 8, 16, ... are stored, 256 consecutive hashes of one level to a
// RocksDB entry; every other complete subtree hash is recomputed from the
// tile below it (at most 255 node hashes). The offline verifier thus reads one
// tile entry per 256 records instead of two node entries per record, and the
// prover still answers from O(log n) reads.
#ifndef ACCORD_BROKER_AUDIT_TILES_H_
#define ACCORD_BROKER_AUDIT_TILES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/audit/merkle.h"

namespace accord::audit {

inline constexpr int kTileHeight = 8;                 // tree levels per tile level
inline constexpr uint64_t kTileWidth = 256;           // hashes per full tile
inline constexpr std::size_t kFullTileBytes = kTileWidth * kHashSize;
inline constexpr int kMaxTileLevels = 8;              // 8 * 8 = 64 tree levels
inline constexpr std::size_t kTileKeySize = 9;

// audit_tiles key: u8(tile_level) be64(tile_index). Tile (t, i) holds the
// hashes of tree level 8t, indices 256i .. 256i+255, concatenated; the
// rightmost tile of a level holds only those that exist so far.
std::string TileKey(int tile_level, uint64_t tile_index);

// Reads the stored tile (t, i): its bytes, NOT_FOUND if absent.
using TileFetcher = absl::FunctionRef<absl::StatusOr<std::string>(int tile_level, uint64_t tile_index)>;

// The hash of complete subtree (level, index) from the tile that holds its
// descendants at level 8 * (level / 8). DATA_LOSS if the tile is missing,
// malformed or too short to contain them.
absl::StatusOr<std::string> SubtreeHashFromTiles(TileFetcher fetch, int level, uint64_t index);

// The writer's side: keeps the rightmost tile of each tile level in memory and
// extends it as CompactRange::Append reports new subtree hashes. Copyable, so
// that a staged append can be discarded.
class TileWriter {
 public:
  using Put = absl::FunctionRef<void(const std::string& key, const std::string& tile)>;

  TileWriter() = default;
  // The rightmost tiles of a tree of `size` leaves (one read per tile level).
  static absl::StatusOr<TileWriter> Load(TileFetcher fetch, uint64_t size);

  // Takes the subtree hash (level, index) if its level is stored; hashes must
  // arrive in the order CompactRange::Append reports them. A tile that becomes
  // full is handed to `put` at once. INTERNAL if the order is broken.
  absl::Status Add(int level, uint64_t index, const std::string& hash, Put put);
  // Hands every partial tile changed since the last Flush to `put`.
  void Flush(Put put);

 private:
  struct Row {
    uint64_t index = 0;   // tile index of the rightmost tile
    std::string hashes;   // its hashes so far
    bool dirty = false;
  };
  std::vector<Row> rows_;  // by tile level
};

}  // namespace accord::audit

#endif  // ACCORD_BROKER_AUDIT_TILES_H_
