#include "storage/memory/memory_log_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

namespace vellum::storage {
namespace {


constexpr char kEventsName[] = "memory/events";

std::string CheckpointName(uint64_t size) { return fmt::format("memory/checkpoints/{}", size); }

// Reads the events [from, end) that existed when the scan began, one at a
// time under the state's lock (appends may run meanwhile).
class MemoryEventCursor final : public EventCursor {
 public:
  MemoryEventCursor(std::shared_ptr<MemoryLogState> state, uint64_t from, uint64_t end)
      : state_(std::move(state)), next_(from), end_(end) {}

  bool Next() override {
    if (next_ >= end_) return false;
    std::shared_lock lock(state_->mu);
    if (next_ >= state_->events.size()) {
      status_ = DataLossError(fmt::format("event {} vanished during the scan", next_));
      return false;
    }
    line_ = state_->events[next_];
    seq_ = next_++;
    return true;
  }
  Status status() const override { return status_; }
  uint64_t seq() const override { return seq_; }
  std::string_view line() const override { return line_; }
  EventLocation location() const override { return {kEventsName, seq_}; }
  uint64_t offset() const override { return seq_; }

 private:
  std::shared_ptr<MemoryLogState> state_;
  uint64_t next_;
  uint64_t end_;
  uint64_t seq_ = 0;
  std::string line_;
  Status status_;
};

}  // namespace

MemoryLogStore::MemoryLogStore(std::shared_ptr<MemoryLogState> state) : state_(std::move(state)) {
  std::unique_lock lock(state_->mu);
  for (int level = 0; level < MemoryLogState::kLevels; ++level) {
    auto& nodes = state_->levels[static_cast<size_t>(level)];
    nodes.resize(std::min<uint64_t>(nodes.size(), state_->tree_synced >> level));
  }
}

uint64_t MemoryLogStore::EventCount() const {
  std::shared_lock lock(state_->mu);
  return state_->events.size();
}

Status MemoryLogStore::AppendEvents(std::span<const std::string> lines) {
  for (const auto& l : lines) {
    if (l.find('\n') != std::string::npos) return InvalidArgumentError("an event line holds a newline");
  }
  std::unique_lock lock(state_->mu);
  state_->events.insert(state_->events.end(), lines.begin(), lines.end());
  return OkStatus();
}

Status MemoryLogStore::TruncateEvents(uint64_t count) {
  std::unique_lock lock(state_->mu);
  if (count > state_->events.size()) return InvalidArgumentError("truncate beyond the end");
  state_->events.resize(count);
  return OkStatus();
}

StatusOr<std::string> MemoryLogStore::ReadEvent(uint64_t seq) const {
  std::shared_lock lock(state_->mu);
  if (seq >= state_->events.size()) return NotFoundError(fmt::format("no event with seq {}", seq));
  return state_->events[seq];
}

StatusOr<EventLocation> MemoryLogStore::LocateEvent(uint64_t seq) const {
  std::shared_lock lock(state_->mu);
  if (seq >= state_->events.size()) return NotFoundError(fmt::format("no event with seq {}", seq));
  return EventLocation{kEventsName, seq};
}

std::unique_ptr<EventCursor> MemoryLogStore::Scan(uint64_t from_seq) const {
  return std::make_unique<MemoryEventCursor>(state_, from_seq, EventCount());
}

Status MemoryLogStore::AppendNodes(std::span<const TreeNode> nodes) {
  std::unique_lock lock(state_->mu);
  for (const auto& n : nodes) {
    if (n.level < 0 || n.level >= MemoryLogState::kLevels) return InvalidArgumentError("tree level out of range");
    auto& level = state_->levels[static_cast<size_t>(n.level)];
    if (n.index != level.size()) {
      return InternalError(fmt::format("tree node {}/{} appended out of order", n.level, n.index));
    }
    level.push_back(n.hash);
  }
  return OkStatus();
}

StatusOr<core::Hash> MemoryLogStore::Node(int level, uint64_t index) const {
  std::shared_lock lock(state_->mu);
  if (level < 0 || level >= MemoryLogState::kLevels || index >= state_->levels[static_cast<size_t>(level)].size()) {
    return OutOfRangeError(fmt::format("tree node {}/{} is not stored", level, index));
  }
  return state_->levels[static_cast<size_t>(level)][index];
}

StatusOr<std::vector<core::Hash>> MemoryLogStore::ReadNodes(int level, uint64_t first, size_t count) const {
  std::shared_lock lock(state_->mu);
  std::vector<core::Hash> out;
  if (level < 0 || level >= MemoryLogState::kLevels) return out;
  const auto& nodes = state_->levels[static_cast<size_t>(level)];
  if (first >= nodes.size()) return out;
  const auto begin = nodes.begin() + static_cast<ptrdiff_t>(first);
  out.assign(begin, begin + static_cast<ptrdiff_t>(std::min<uint64_t>(count, nodes.size() - first)));
  return out;
}

uint64_t MemoryLogStore::NodeCount(int level) const {
  std::shared_lock lock(state_->mu);
  if (level < 0 || level >= MemoryLogState::kLevels) return 0;
  return state_->levels[static_cast<size_t>(level)].size();
}

Status MemoryLogStore::SyncTree(uint64_t size) {
  std::unique_lock lock(state_->mu);
  for (int level = 0; level < MemoryLogState::kLevels; ++level) {
    if ((size >> level) > state_->levels[static_cast<size_t>(level)].size()) {
      return InternalError(fmt::format("cannot sync tree to {}: level {} is incomplete", size, level));
    }
  }
  state_->tree_synced = size;
  return OkStatus();
}

uint64_t MemoryLogStore::TreeSyncedSize() const {
  std::shared_lock lock(state_->mu);
  return state_->tree_synced;
}

Status MemoryLogStore::PutCheckpoint(uint64_t size, std::string_view note) {
  std::unique_lock lock(state_->mu);
  if (!state_->checkpoints.emplace(size, std::string(note)).second) {
    return AlreadyExistsError(fmt::format("a checkpoint for tree size {} exists", size));
  }
  return OkStatus();
}

StatusOr<CheckpointListing> MemoryLogStore::ScanCheckpoints() const {
  std::shared_lock lock(state_->mu);
  CheckpointListing out;
  for (const auto& [size, note] : state_->checkpoints) out.checkpoints.push_back({size, CheckpointName(size), note});
  return out;
}

StatusOr<std::optional<StoredCheckpoint>> MemoryLogStore::LatestCheckpoint() const {
  std::shared_lock lock(state_->mu);
  if (state_->checkpoints.empty()) return std::optional<StoredCheckpoint>();
  const auto& [size, note] = *state_->checkpoints.rbegin();
  return std::optional<StoredCheckpoint>(StoredCheckpoint{size, CheckpointName(size), note});
}

}  // namespace vellum::storage
