// The ledger's Merkle tree as C2SP tlog-tiles (https://c2sp.org/tlog-tiles):
// static files that standard transparency-log clients read to check a signed
// checkpoint, prove inclusion and consistency, and audit the tree, without any
// Vellum code. A tile at level L holds up to 256 consecutive hashes of tree
// level 8·L, which are exactly a slice of that level's tree file
// (docs/formats/tree.md); each hash of a tile at level L ≥ 1 is the Merkle
// tree hash of a full tile at level L − 1.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/sha256.h"
#include "core/status.h"
#include "ledger/merkle.h"
#include "storage/log_store.h"

namespace vellum::ledger {

inline constexpr int kTileHeight = 8;
inline constexpr uint64_t kTileWidth = 256;  // hashes in a full tile

// "tile/<L>/<N>[.p/<W>]": N in zero-padded three-digit path elements, all but
// the last prefixed with "x" (1234067 → x001/x234/067); ".p/<W>" only for a
// partial tile (width 1–255). REQUIRES: 1 <= width <= 256.
std::string TilePath(int level, uint64_t index, uint64_t width);
// "tile/entries/<N>[.p/<W>]": the entry bundle beside level 0 tile N.
std::string EntryBundlePath(uint64_t index, uint64_t width);

// How many hashes the tiles of `level` hold for a tree of `size` leaves:
// floor(size / 256^level). The level's last tile is partial when this is not a
// multiple of 256; a level with none has no tile.
uint64_t TileLevelHashes(uint64_t size, int level);

// The Merkle tree hash of a full tile's 256 hashes: the subtree of height 8 on them.
Hash TileRoot(std::span<const Hash, kTileWidth> hashes);

// Stored subtree hashes as the tiles carry them: those of tree levels 0, 8, 16, …
// are read from `log`, every other level is computed from the tile level below
// it. RootAt over this source proves a checkpoint's root from the tiles' hashes alone.
class TileLevelsSource final : public SubtreeSource {
 public:
  // REQUIRES: log outlives this object.
  explicit TileLevelsSource(const storage::LogStore* log) : log_(log) {}
  StatusOr<Hash> Subtree(int level, uint64_t index) const override;

 private:
  const storage::LogStore* log_;
};

}  // namespace vellum::ledger
