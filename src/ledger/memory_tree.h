// A Merkle tree held entirely in memory: every level of complete-subtree
// hashes in a vector. For tests, benchmarks and `verify`, which recomputes a
// tree from the events and compares it with the stored one.
#pragma once

#include <cstdint>
#include <vector>

#include "ledger/merkle.h"

namespace vellum::ledger {

// Not thread-safe: callers serialise Append against reads.
class MemoryTree : public SubtreeSource {
 public:
  MemoryTree() = default;

  // Errors: kOutOfRange unless that subtree is complete (level < 0 included).
  StatusOr<Hash> Subtree(int level, uint64_t index) const override;

  // Adds a leaf hash (LeafHash(data) of the event bytes) and every subtree it completes.
  void Append(const Hash& leaf_hash);

  uint64_t size() const { return builder_.size(); }
  // Root of the whole tree, without lookups (EmptyRoot() when empty).
  Hash Root() const { return builder_.Root(); }
  // Number of stored levels (0 when empty): level k holds size() >> k entries.
  int levels() const { return static_cast<int>(levels_.size()); }

 private:
  TreeBuilder builder_;
  std::vector<std::vector<Hash>> levels_;
};

}  // namespace vellum::ledger
