// Projection rows that have been decided but not yet committed to the
// projection store, and a ProjectionTxn that captures rows instead of writing
// them. Together they let the sequencer decide command N+1 against the effects
// of command N while command N's rows are still on their way to SQLite.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "ledger/record_key_filter.h"
#include "storage/projection_store.h"

namespace vellum::ledger {

// Rows in append order, with lookups. Not thread-safe.
//
// Rows arrive in sequence order (one event at a time), so lookups by seq are
// binary searches over the rows themselves, and a record's rows are found
// through one hash entry per record chained through the rows: no per-row
// index nodes or key strings to allocate on the sequencer.
class RowSet {
 public:
  void PutEvent(storage::EventIndexRow row);
  void PutVersion(storage::RecordVersionRow row);
  void Append(RowSet&& other);
  // Forgets every row (the key filter stays).
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

  // The newest row of a record in the set.
  const storage::RecordVersionRow* Latest(const std::string& type, const std::string& id) const {
    return LatestByKey(Key(type, id), type, id);
  }
  // The same with a key made by Key(): a reader that looks in several sets
  // hashes the record once.
  const storage::RecordVersionRow* LatestByKey(uint64_t key, const std::string& type, const std::string& id) const;
  static uint64_t Key(const std::string& type, const std::string& id);
  const storage::RecordVersionRow* Version(const std::string& type, const std::string& id, uint64_t version) const;
  const storage::RecordVersionRow* BySeq(uint64_t seq) const;
  const storage::EventIndexRow* Event(uint64_t seq) const;
  // One past the highest event seq in the set (0 when empty).
  uint64_t end_seq() const { return events_.empty() ? 0 : events_.back().seq + 1; }

  // Every record version put from now on is added to `filter` too (one that
  // is rolled back stays there: a filter may hold keys that do not exist).
  void set_key_filter(RecordKeyFilter* filter) { key_filter_ = filter; }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);
  std::vector<storage::EventIndexRow> events_;
  std::vector<storage::RecordVersionRow> versions_;
  // For versions_[i], the index of the previous row with the same Key (kNone if none).
  std::vector<size_t> prev_same_key_;
  std::unordered_map<uint64_t, size_t> newest_by_key_;  // Key → index of its newest row
  // Whether events_ and versions_ are in ascending seq order (they are when
  // put one event at a time); if not, seq lookups scan.
  bool events_sorted_ = true;
  bool versions_sorted_ = true;
  RecordKeyFilter* key_filter_ = nullptr;
};

// Rows in flight between the sequencer and the projection store, one RowSet
// per group commit. Thread-safe. The sequencer adds each command's rows to the
// open batch, seals it when the batch goes to the projection thread (and drops
// it if the batch's append fails), and erases sealed batches once committed.
// Reads look at the open batch, then the sealed ones newest first, then fall
// through to `base` (the latest committed projection).
class PendingRows final : public storage::ProjectionReader {
 public:
  // REQUIRES: base outlives this object and is used only through it.
  explicit PendingRows(storage::ProjectionReader* base) : base_(base) {}
  // With a filter of the record keys base holds (complete or not yet): every
  // row that enters is added to it, and a record it says is certainly absent
  // is answered without a lookup. REQUIRES: key_filter outlives this object.
  PendingRows(storage::ProjectionReader* base, RecordKeyFilter* key_filter);
  void Add(RowSet&& rows);
  // The open batch itself, for a CapturingTxn that writes into it directly
  // (saving the copy Add makes). REQUIRES: called, and the set used, only on
  // the thread that adds and seals (the sequencer): no other thread reads or
  // writes the open batch.
  RowSet& open_rows() { return *open_; }
  // The open batch, now immutable and shared with the projection thread.
  std::shared_ptr<const RowSet> Seal();
  // Forgets a sealed batch whose events were not stored after all.
  void Drop(const std::shared_ptr<const RowSet>& sealed);
  // Forgets sealed batches whose events all have seq < `count` (they are committed).
  void EraseBelow(uint64_t count);
  // The reads until EndReads share one read transaction of `base`. Its
  // snapshot would miss rows committed and then erased after it was taken, so
  // while it is open nothing may be erased: call EraseBelow only outside.
  Status BeginReads() { return base_->BeginReads(); }
  Status EndReads() { return base_->EndReads(); }

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
  // First answer from the open batch or the sealed ones, newest first,
  // copied under the lock (a sealed set may be dropped once committed).
  template <typename Fn>
  auto Find(const Fn& fn) -> std::optional<std::remove_cvref_t<decltype(*fn(std::declval<const RowSet&>()))>>;

  std::shared_ptr<RowSet> NewOpenSet() const;

  std::mutex mu_;
  RecordKeyFilter* key_filter_ = nullptr;
  std::shared_ptr<RowSet> open_ = NewOpenSet();
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
  // The last latest-version read answered by `base`: a command's decide and
  // its apply ask for the same record one after the other, and the base does
  // not change while one command runs.
  struct BaseAnswer {
    std::string type, id;
    std::optional<storage::RecordVersionRow> row;
  };
  std::optional<BaseAnswer> last_from_base_;
};

// Writes captured rows into a real transaction.
Status WriteRows(const RowSet& rows, storage::ProjectionTxn& txn);

}  // namespace vellum::ledger
