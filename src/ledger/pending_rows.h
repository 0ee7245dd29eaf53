// Projection rows that have been decided but not yet committed to the
// projection store, and a ProjectionTxn that captures rows instead of writing
// them. Together they let the sequencer decide command N+1 against the effects
// of command N while command N's rows are still on their way to SQLite.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/projection_store.h"

namespace vellum::ledger {

// Rows in append order, with lookups. Not thread-safe.
class RowSet {
 public:
  void PutEvent(const storage::EventIndexRow& row);
  void PutVersion(const storage::RecordVersionRow& row);
  void Append(const RowSet& other);
  void Clear();
  bool empty() const { return events_.empty() && versions_.empty(); }

  const std::vector<storage::EventIndexRow>& events() const { return events_; }
  const std::vector<storage::RecordVersionRow>& versions() const { return versions_; }

  std::optional<storage::RecordVersionRow> Latest(const std::string& type, const std::string& id) const;
  std::optional<storage::RecordVersionRow> Version(const std::string& type, const std::string& id,
                                                   uint64_t version) const;
  std::optional<storage::RecordVersionRow> BySeq(uint64_t seq) const;
  std::optional<storage::EventIndexRow> Event(uint64_t seq) const;
  // Forgets rows of events with seq < `count` (they are committed).
  void EraseBelow(uint64_t count);
  // Forgets rows of events with seq >= `seq` (their append failed).
  void EraseFrom(uint64_t seq);

 private:
  void KeepIf(const std::function<bool(uint64_t seq)>& keep);
  static std::string Key(const std::string& type, const std::string& id);
  std::vector<storage::EventIndexRow> events_;
  std::vector<storage::RecordVersionRow> versions_;
  std::map<std::string, std::map<uint64_t, size_t>> by_record_;  // key → version → index
  std::map<uint64_t, size_t> version_by_seq_;
  std::map<uint64_t, size_t> event_by_seq_;
};

// Rows in flight between the sequencer and the projection store. Thread-safe.
// Reads fall through to `base` (the latest committed projection).
class PendingRows final : public storage::ProjectionReader {
 public:
  // REQUIRES: base outlives this object and is used only through it.
  explicit PendingRows(storage::ProjectionReader* base) : base_(base) {}
  void Add(const RowSet& rows);
  void EraseBelow(uint64_t count);
  void EraseFrom(uint64_t seq);

  StatusOr<std::optional<storage::RecordVersionRow>> LatestVersion(const std::string& type,
                                                                   const std::string& id) override;
  StatusOr<std::optional<storage::RecordVersionRow>> LatestVersionBefore(const std::string& type,
                                                                         const std::string& id,
                                                                         uint64_t seq) override;
  StatusOr<std::optional<storage::RecordVersionRow>> Version(const std::string& type, const std::string& id,
                                                             uint64_t version) override;
  StatusOr<std::optional<storage::RecordVersionRow>> VersionBySeq(uint64_t seq) override;
  StatusOr<std::optional<storage::EventIndexRow>> IndexedEvent(uint64_t seq) override;
  StatusOr<Counts> CountRows() override;

 private:
  std::mutex mu_;
  RowSet rows_;
  storage::ProjectionReader* base_;
};

// A ProjectionTxn whose writes are captured in a RowSet; reads see the
// captured rows first, then `base`. Commit is not supported.
class CapturingTxn final : public storage::ProjectionTxn {
 public:
  explicit CapturingTxn(storage::ProjectionReader* base) : base_(base) {}
  RowSet& rows() { return rows_; }

  StatusOr<std::optional<storage::RecordVersionRow>> LatestVersion(const std::string& type,
                                                                   const std::string& id) override;
  StatusOr<std::optional<storage::RecordVersionRow>> LatestVersionBefore(const std::string& type,
                                                                         const std::string& id,
                                                                         uint64_t seq) override;
  StatusOr<std::optional<storage::RecordVersionRow>> Version(const std::string& type, const std::string& id,
                                                             uint64_t version) override;
  StatusOr<std::optional<storage::RecordVersionRow>> VersionBySeq(uint64_t seq) override;
  StatusOr<std::optional<storage::EventIndexRow>> IndexedEvent(uint64_t seq) override;
  StatusOr<Counts> CountRows() override;
  Status PutEvent(const storage::EventIndexRow& row) override;
  Status PutRecordVersion(const storage::RecordVersionRow& row) override;
  Status Commit(uint64_t applied_count) override;

 private:
  storage::ProjectionReader* base_;
  RowSet rows_;
  // Latest-version reads answered by `base`, remembered for the life of the
  // capture: a command's decide and its apply ask for the same record, and the
  // base does not change while one command runs.
  std::map<std::string, std::optional<storage::RecordVersionRow>> latest_from_base_;
};

// Writes captured rows into a real transaction.
Status WriteRows(const RowSet& rows, storage::ProjectionTxn& txn);

}  // namespace vellum::ledger
