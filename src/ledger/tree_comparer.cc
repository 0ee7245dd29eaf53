#include "ledger/tree_comparer.h"

#include <fmt/format.h>

namespace vellum::ledger {
namespace {

// Entries read from a level file at a time.
constexpr size_t kNodeChunk = 4096;

}  // namespace

std::string TreeReadProblem(int level, const Status& s) {
  return fmt::format("cannot read the tree file for level {}: {}", level, s.message());
}

std::string CompareStoredNode(int level, uint64_t index, const core::Hash& h, std::span<const core::Hash> stored,
                              uint64_t stored_first) {
  if (index >= stored_first + stored.size()) {
    return fmt::format("ledger/tree/level-{:02}.hash lacks entry {} (the tree files are shorter than the ledger)",
                       level, index);
  }
  if (stored[index - stored_first] != h) {
    return fmt::format("ledger/tree/level-{:02}.hash entry {} differs from the hash recomputed from the events",
                       level, index);
  }
  return {};
}

std::string TreeComparer::Compare(int level, uint64_t index, const core::Hash& h) {
  Chunk& c = chunks_[level];
  if (index < c.first || index >= c.first + c.hashes.size()) {
    auto nodes = log_->ReadNodes(level, index, kNodeChunk);
    if (!nodes.ok()) return TreeReadProblem(level, nodes.status());
    c.first = index;
    c.hashes = std::move(*nodes);
  }
  return CompareStoredNode(level, index, h, c.hashes, c.first);
}

}  // namespace vellum::ledger
