// The in-memory engine's event log. Nothing is durable beyond the process:
// it serves tests and measurements, never a data directory. The ledger and
// verify run on it unchanged, as they will on another engine (PostgreSQL);
// the storage contract (tests/storage/log_store_conformance_test.cc) is
// checked against it and the file engine alike.
//
// The state outlives the store, so closing a store and opening another over
// the same state is a restart: what AppendEvents, SyncTree and PutCheckpoint
// returned OK for is there, and tree nodes past the synced size are gone, as
// after a crash of the file engine. Tests may also edit the state directly, as
// an attacker with access to the storage would.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "storage/log_store.h"

namespace vellum::storage {

struct MemoryLogState {
  static constexpr int kLevels = 64;
  mutable std::shared_mutex mu;  // guards everything below
  std::vector<std::string> events;
  std::array<std::vector<core::Hash>, kLevels> levels;
  uint64_t tree_synced = 0;
  std::map<uint64_t, std::string> checkpoints;  // by tree size
};

class MemoryLogStore final : public LogStore {
 public:
  // Opens a store over `state` (a new one or one an earlier store used),
  // dropping tree nodes past the synced size.
  explicit MemoryLogStore(std::shared_ptr<MemoryLogState> state);

  uint64_t EventCount() const override;
  Status AppendEvents(std::span<const std::string> lines) override;
  Status TruncateEvents(uint64_t count) override;
  uint64_t TornTailBytes() const override { return 0; }
  StatusOr<std::string> ReadEvent(uint64_t seq) const override;
  StatusOr<EventLocation> LocateEvent(uint64_t seq) const override;
  std::unique_ptr<EventCursor> Scan(uint64_t from_seq) const override;

  Status AppendNodes(std::span<const TreeNode> nodes) override;
  StatusOr<core::Hash> Node(int level, uint64_t index) const override;
  StatusOr<std::vector<core::Hash>> ReadNodes(int level, uint64_t first, size_t count) const override;
  uint64_t NodeCount(int level) const override;
  Status SyncTree(uint64_t size) override;
  uint64_t TreeSyncedSize() const override;

  Status PutCheckpoint(uint64_t size, std::string_view note) override;
  StatusOr<CheckpointListing> ScanCheckpoints() const override;
  StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint() const override;

 private:
  std::shared_ptr<MemoryLogState> state_;
};

}  // namespace vellum::storage
