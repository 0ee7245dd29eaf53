// Projection rows that have been decided but not yet committed to the
// projection store, and a ProjectionTxn that captures rows instead of writing
// them. Together they let the sequencer decide command N+1 against the effects
// of command N while command N's rows are still on their way to SQLite.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
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
  void PutEvent(storage::EventIndexRow row);
  void PutVersion(storage::RecordVersionRow row);
  void Append(RowSet&& other);
  void Clear();
  // A point to roll back to: RollbackTo(mark) forgets every row put since.
  struct Mark {
    size_t events = 0;
    size_t versions = 0;
  };
  Mark mark() const { return {events_.size(), versions_.size()}; }
  void RollbackTo(Mark m);
  bool empty() const { return events_.empty() && versions_.empty(); }

  const std::vector<storage::EventIndexRow>& events() const { return events_; }
  const std::vector<storage::RecordVersionRow>& versions() const { return versions_; }

  std::optional<storage::RecordVersionRow> Latest(const std::string& type, const std::string& id) const;
  // The same with a key made by Key(): a reader that looks in several sets
  // builds the key once.
  std::optional<storage::RecordVersionRow> LatestByKey(const std::string& key) const;
  static std::string Key(const std::string& type, const std::string& id);
  std::optional<storage::RecordVersionRow> Version(const std::string& type, const std::string& id,
                                                   uint64_t version) const;
  std::optional<storage::RecordVersionRow> BySeq(uint64_t seq) const;
  std::optional<storage::EventIndexRow> Event(uint64_t seq) const;
  // One past the highest event seq in the set (0 when empty).
  uint64_t end_seq() const { return events_.empty() ? 0 : events_.back().seq + 1; }

 private:
  std::vector<storage::EventIndexRow> events_;
  std::vector<storage::RecordVersionRow> versions_;
  std::map<std::string, std::map<uint64_t, size_t>> by_record_;  // key → version → index
  std::map<uint64_t, size_t> version_by_seq_;
  std::map<uint64_t, size_t> event_by_seq_;
};

// Rows in flight between the sequencer and the projection store, one RowSet
// per group commit. Thread-safe. The sequencer adds each command's rows to the
// open batch, seals it once the batch is durable (or discards it if the append
// failed), and the projection thread erases sealed batches once committed.
// Reads look at the open batch, then the sealed ones newest first, then fall
// through to `base` (the latest committed projection).
class PendingRows final : public storage::ProjectionReader {
 public:
  // REQUIRES: base outlives this object and is used only through it.
  explicit PendingRows(storage::ProjectionReader* base) : base_(base) {}
  void Add(RowSet&& rows);
  // The open batch itself, for a CapturingTxn that writes into it directly
  // (saving the copy Add makes). REQUIRES: called, and the set used, only on
  // the thread that adds and seals (the sequencer): no other thread reads or
  // writes the open batch.
  RowSet& open_rows() { return *open_; }
  // The open batch, now immutable and shared with the projection thread.
  std::shared_ptr<const RowSet> Seal();
  void DiscardOpen();
  // Forgets sealed batches whose events all have seq < `count` (they are committed).
  void EraseBelow(uint64_t count);

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
  // First answer from the open batch or the sealed ones, newest first.
  template <typename Fn>
  auto Find(const Fn& fn) -> decltype(fn(std::declval<const RowSet&>()));

  std::mutex mu_;
  std::shared_ptr<RowSet> open_ = std::make_shared<RowSet>();
  std::deque<std::shared_ptr<const RowSet>> sealed_;
  storage::ProjectionReader* base_;
};

// A ProjectionTxn whose writes are captured in a RowSet; reads see the
// captured rows first, then `base`. Commit is not supported.
class CapturingTxn final : public storage::ProjectionTxn {
 public:
  explicit CapturingTxn(storage::ProjectionReader* base) : base_(base), rows_(&own_rows_) {}
  // Captures into `*target` (which may already hold rows; reads see them)
  // instead of a set of its own. REQUIRES: target outlives this object.
  CapturingTxn(storage::ProjectionReader* base, RowSet* target) : base_(base), rows_(target) {}
  RowSet& rows() { return *rows_; }

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
  Status PutEvent(storage::EventIndexRow&& row) override;
  Status PutRecordVersion(storage::RecordVersionRow&& row) override;
  Status Commit(uint64_t applied_count) override;

 private:
  storage::ProjectionReader* base_;
  RowSet own_rows_;
  RowSet* rows_;
  // Latest-version reads answered by `base`, remembered for the life of the
  // capture: a command's decide and its apply ask for the same record, and the
  // base does not change while one command runs.
  std::map<std::string, std::optional<storage::RecordVersionRow>> latest_from_base_;
};

// Writes captured rows into a real transaction.
Status WriteRows(const RowSet& rows, storage::ProjectionTxn& txn);

}  // namespace vellum::ledger
