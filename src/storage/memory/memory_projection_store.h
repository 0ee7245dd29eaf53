// The in-memory engine's projection. Nothing is durable beyond the process:
// it serves tests and measurements, never a data directory. The ledger, its
// queries and verify run on it unchanged, as they will on another engine
// (PostgreSQL); and it measures the write pipeline with a projection that costs
// next to nothing, beside records.db (bench/pipeline_bench.cc). Rows are only
// ever added (a record change is a new version row), so a snapshot is simply
// the committed rows of the events applied when it began.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "storage/projection_store.h"

namespace vellum::storage {

struct MemoryProjectionState {
  mutable std::shared_mutex mu;  // guards everything below
  uint64_t applied = 0;
  std::optional<RecoveryNote> unrecorded_recovery;
  std::map<uint64_t, EventIndexRow> events;        // by seq
  std::map<uint64_t, RecordVersionRow> versions;   // by seq
  std::map<std::pair<std::string, std::string>, std::vector<uint64_t>> by_record;  // version seqs, oldest first
  bool writing = false;  // one write transaction at a time
};

class MemoryProjectionStore final : public ProjectionStore {
 public:
  explicit MemoryProjectionStore(std::shared_ptr<MemoryProjectionState> state = nullptr);

  StatusOr<uint64_t> AppliedCount() override;
  StatusOr<std::optional<RecoveryNote>> UnrecordedRecovery() override;
  StatusOr<std::unique_ptr<ProjectionTxn>> BeginWrite() override;
  StatusOr<std::unique_ptr<ProjectionReader>> BeginRead(bool snapshot) override;
  Status QueryEvents(const EventQuery& q, const std::function<bool(uint64_t)>& fn) override;
  StatusOr<std::vector<RecordVersionRow>> ListRecords(const std::string& type) override;
  StatusOr<std::vector<RecordVersionRow>> History(const std::string& type, const std::string& id) override;
  StatusOr<std::vector<std::string>> SchemaDifferences() override { return std::vector<std::string>(); }
  StatusOr<std::vector<std::string>> StructureDamage() override { return std::vector<std::string>(); }

  const std::shared_ptr<MemoryProjectionState>& state() const { return state_; }

 private:
  std::shared_ptr<MemoryProjectionState> state_;
};

}  // namespace vellum::storage
