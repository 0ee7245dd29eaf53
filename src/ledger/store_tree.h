// Adapts a LogStore's stored subtree hashes to the Merkle code's SubtreeSource.
#pragma once

#include "ledger/merkle.h"
#include "storage/log_store.h"

namespace vellum::ledger {

class StoreTree final : public SubtreeSource {
 public:
  // REQUIRES: log outlives this object.
  explicit StoreTree(const storage::LogStore* log) : log_(log) {}
  StatusOr<Hash> Subtree(int level, uint64_t index) const override { return log_->Node(level, index); }

 private:
  const storage::LogStore* log_;
};

}  // namespace vellum::ledger
