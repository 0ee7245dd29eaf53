// Verify's comparison of tree nodes recomputed from the events with the
// stored level files (ledger/tree/level-NN.hash).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "core/status.h"
#include "storage/log_store.h"

namespace vellum::ledger {

// The problem message for a level file that could not be read.
std::string TreeReadProblem(int level, const Status& s);

// Compares node `index` of `level`, recomputed as `h`, with the stored entries
// `stored` of that level, which begin at entry `stored_first` and end where the
// level file ends, unless they are a full read. Returns a problem message or empty.
// REQUIRES: index >= stored_first.
std::string CompareStoredNode(int level, uint64_t index, const core::Hash& h, std::span<const core::Hash> stored,
                              uint64_t stored_first);

// Compares the tree nodes recomputed from events with the stored tree files,
// reading each level file sequentially in chunks.
class TreeComparer {
 public:
  // REQUIRES: log outlives this object.
  explicit TreeComparer(const storage::LogStore* log) : log_(log) {}

  // Returns a problem message or empty.
  std::string Compare(int level, uint64_t index, const core::Hash& h);

 private:
  struct Chunk {
    uint64_t first = 0;
    std::vector<core::Hash> hashes;
  };
  const storage::LogStore* log_;
  std::map<int, Chunk> chunks_;
};

}  // namespace vellum::ledger
