#include "ledger/memory_tree.h"

#include <cassert>
#include <string>

namespace vellum::ledger {

StatusOr<Hash> MemoryTree::Subtree(int level, uint64_t index) const {
  if (level < 0 || static_cast<size_t>(level) >= levels_.size() ||
      index >= levels_[static_cast<size_t>(level)].size()) {
    return OutOfRangeError("no complete subtree at level " + std::to_string(level) + ", index " +
                           std::to_string(index) + " in a tree of " + std::to_string(size()) +
                           " leaves");
  }
  return levels_[static_cast<size_t>(level)][index];
}

void MemoryTree::Append(const Hash& leaf_hash) {
  builder_.Append(leaf_hash, [this](int level, uint64_t index, const Hash& hash) {
    const auto l = static_cast<size_t>(level);
    if (levels_.size() <= l) levels_.resize(l + 1);
    // The builder completes subtrees in order, so each level only grows at its end.
    assert(levels_[l].size() == index);
    (void)index;
    levels_[l].push_back(hash);
  });
}

}  // namespace vellum::ledger
