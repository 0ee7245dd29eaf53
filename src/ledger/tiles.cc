#include "ledger/tiles.h"

#include <fmt/format.h>

#include <vector>

namespace vellum::ledger {
namespace {

std::string TileIndexPath(uint64_t index) {
  // Three-digit groups, most significant first; all but the last marked with "x".
  std::string out = fmt::format("{:03}", index % 1000);
  for (index /= 1000; index > 0; index /= 1000) out = fmt::format("x{:03}/", index % 1000) + out;
  return out;
}

std::string WidthSuffix(uint64_t width) { return width == kTileWidth ? "" : fmt::format(".p/{}", width); }

// The Merkle tree hash of 2^k hashes, combined pairwise in place.
Hash PerfectRoot(std::vector<Hash> hashes) {
  for (size_t n = hashes.size(); n > 1; n /= 2) {
    for (size_t i = 0; i < n / 2; ++i) hashes[i] = NodeHash(hashes[2 * i], hashes[2 * i + 1]);
  }
  return hashes.front();
}

}  // namespace

std::string TilePath(int level, uint64_t index, uint64_t width) {
  return fmt::format("tile/{}/{}{}", level, TileIndexPath(index), WidthSuffix(width));
}

std::string EntryBundlePath(uint64_t index, uint64_t width) {
  return fmt::format("tile/entries/{}{}", TileIndexPath(index), WidthSuffix(width));
}

uint64_t TileLevelHashes(uint64_t size, int level) {
  const int shift = kTileHeight * level;
  return shift >= 64 ? 0 : size >> shift;
}

Hash TileRoot(std::span<const Hash, kTileWidth> hashes) {
  return PerfectRoot(std::vector<Hash>(hashes.begin(), hashes.end()));
}

StatusOr<Hash> TileLevelsSource::Subtree(int level, uint64_t index) const {
  const int base = level - level % kTileHeight;
  const int above = level - base;
  if (above == 0) return log_->Node(level, index);
  const uint64_t count = uint64_t{1} << above;
  ASSIGN_OR_RETURN(std::vector<Hash> hashes, log_->ReadNodes(base, index << above, count));
  if (hashes.size() != count) {
    return OutOfRangeError(fmt::format("tree level {} holds no complete subtree {} (tile level {} ends first)", level,
                                       index, base / kTileHeight));
  }
  return PerfectRoot(std::move(hashes));
}

}  // namespace vellum::ledger
