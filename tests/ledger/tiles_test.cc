// The C2SP tlog-tiles layout of the tree (ledger/tiles.h; AT-5, AT-9): paths, how many
// hashes each tile level holds, and a tile's Merkle tree hash.
#include "ledger/tiles.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "ledger/memory_tree.h"
#include "ledger/merkle.h"

namespace vellum::ledger {
namespace {

// The examples of https://c2sp.org/tlog-tiles (AT-9: readable by standard clients).
TEST(TilesTest, PathsFollowTheSpecification) {
  EXPECT_EQ(TilePath(0, 0, kTileWidth), "tile/0/000");
  EXPECT_EQ(TilePath(0, 999, kTileWidth), "tile/0/999");
  EXPECT_EQ(TilePath(0, 1000, kTileWidth), "tile/0/x001/000");
  EXPECT_EQ(TilePath(2, 1234067, kTileWidth), "tile/2/x001/x234/067");
  EXPECT_EQ(TilePath(1, 1, 17), "tile/1/001.p/17");
  EXPECT_EQ(TilePath(0, 273, 112), "tile/0/273.p/112");
  EXPECT_EQ(TilePath(5, 0, 1), "tile/5/000.p/1");
  EXPECT_EQ(EntryBundlePath(1234067, kTileWidth), "tile/entries/x001/x234/067");
  EXPECT_EQ(EntryBundlePath(0, 255), "tile/entries/000.p/255");
}

// "a tree of size 70,000 will be represented by 273 full level 0 tiles, one
// partial level 0 tile of width 112, one full level 1 tile, one partial level 1
// tile of width 17, and one partial level 2 tile of width 1."
TEST(TilesTest, HashesPerLevelFollowTheSpecification) {
  EXPECT_EQ(TileLevelHashes(70000, 0), 70000u);
  EXPECT_EQ(TileLevelHashes(70000, 1), 273u);  // 256 + 17
  EXPECT_EQ(TileLevelHashes(70000, 2), 1u);
  EXPECT_EQ(TileLevelHashes(70000, 3), 0u);
  EXPECT_EQ(TileLevelHashes(256, 1), 1u);  // a full level 0 tile and a level 1 tile of width 1
  EXPECT_EQ(TileLevelHashes(255, 1), 0u);
  EXPECT_EQ(TileLevelHashes(UINT64_MAX, 7), 255u);
  EXPECT_EQ(TileLevelHashes(UINT64_MAX, 8), 0u);
  EXPECT_EQ(TileLevelHashes(UINT64_MAX, 63), 0u);
}

// A full tile's hash is the root of the subtree of height 8 on its hashes.
TEST(TilesTest, TileRootIsTheRootOfItsSubtree) {
  MemoryTree tree;
  std::array<Hash, kTileWidth> leaves;
  for (size_t i = 0; i < kTileWidth; ++i) {
    leaves[i] = LeafHash("event " + std::to_string(i));
    tree.Append(leaves[i]);
  }
  EXPECT_EQ(TileRoot(leaves), tree.Root());
  leaves[200][3] ^= 1;
  EXPECT_NE(TileRoot(leaves), tree.Root());
}

}  // namespace
}  // namespace vellum::ledger
