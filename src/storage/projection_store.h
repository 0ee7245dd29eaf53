// ProjectionStore: the queryable state derived from the ledger's events
// (record versions and the event index). It is never the truth: every row can
// be rebuilt from the events, and `vellum verify` checks that it equals a replay.
//
// Writes happen only inside a ProjectionTxn opened by the ledger's sequencer;
// the txn also records how many events have been applied, so recovery knows
// where to resume. Reads through the txn see its own uncommitted writes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/sha256.h"
#include "core/status.h"

namespace vellum::storage {

// Events [first_seq, last_seq] (inclusive).
struct RecoveredRange {
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  friend bool operator==(const RecoveredRange&, const RecoveredRange&) = default;
};

// What crash recovery did that no `system.recovered` event records yet
// (docs/formats/records-db.md, the recovery note).
struct RecoveryNote {
  std::optional<RecoveredRange> applied;  // events it applied to the projection
  // Cuts already made: lines that were not JSON, bytes of an incomplete last line.
  uint64_t lines_removed = 0;
  uint64_t bytes_removed = 0;
  // The cut about to be made, noted before it is: the ledger's lines before it
  // (the removed ones included) and what it removes; it takes every byte of an
  // incomplete last line. No cut when cut_events is 0.
  uint64_t cut_events = 0;
  uint64_t cut_lines = 0;
  uint64_t cut_bytes = 0;
  // The first seq a system.recovered event recording this note can have.
  uint64_t RecordedFrom() const {
    const uint64_t after_applied = applied ? applied->last_seq + 1 : 0;
    return std::max(after_applied, cut_events - cut_lines);
  }
  friend bool operator==(const RecoveryNote&, const RecoveryNote&) = default;
};

// One row of the event index: what `vellum log` filters on.
struct EventIndexRow {
  uint64_t seq = 0;
  int64_t ts = 0;  // microseconds since the epoch, UTC
  std::string type;
  std::string actor;
  std::string record_type;  // empty when the event concerns no record
  std::string record_id;
  uint64_t record_version = 0;
  core::Hash leaf_hash{};  // RFC 9162 leaf hash of the stored event line
  friend bool operator==(const EventIndexRow&, const EventIndexRow&) = default;
};

// One version of a record.
struct RecordVersionRow {
  std::string record_type;
  std::string record_id;
  uint64_t version = 0;
  uint64_t seq = 0;  // event that made this version
  int64_t ts = 0;
  bool deleted = false;       // a tombstone
  std::string content;        // canonical JSON object; empty for a tombstone
  core::Hash content_hash{};  // SHA-256 of content; zero for a tombstone
  friend bool operator==(const RecordVersionRow&, const RecordVersionRow&) = default;
};

struct EventQuery {
  std::optional<std::string> record_type;
  std::optional<std::string> record_id;
  std::optional<std::string> actor;
  std::optional<std::string> type;
  std::optional<int64_t> since;  // inclusive, µs
  std::optional<int64_t> until;  // exclusive, µs
  uint64_t from_seq = 0;         // only seq >= from_seq
  uint64_t limit = 0;            // 0 = no limit
};

// Read access, shared by the write transaction and read-only views.
class ProjectionReader {
 public:
  virtual ~ProjectionReader() = default;
  // Latest version (including a tombstone), or nullopt if the record never existed.
  virtual StatusOr<std::optional<RecordVersionRow>> LatestVersion(const std::string& type,
                                                                  const std::string& id) = 0;
  // Latest version made by an event before `seq` (the state a replay of event `seq` sees).
  virtual StatusOr<std::optional<RecordVersionRow>> LatestVersionBefore(const std::string& type,
                                                                        const std::string& id,
                                                                        uint64_t seq) = 0;
  virtual StatusOr<std::optional<RecordVersionRow>> Version(const std::string& type,
                                                            const std::string& id,
                                                            uint64_t version) = 0;
  virtual StatusOr<std::optional<RecordVersionRow>> VersionBySeq(uint64_t seq) = 0;
  virtual StatusOr<std::optional<EventIndexRow>> IndexedEvent(uint64_t seq) = 0;
  // Every event-index row, and every record-version row, with from <= seq < to, in seq
  // order, in place of what *out held: an engine may overwrite the rows there, so
  // that a caller reading run after run into one vector reuses their storage. A
  // sequential read for verify, which compares runs of consecutive events with their
  // replay; an engine serves it with one ordered range scan instead of a lookup per
  // sequence number. The defaults do the lookups. On an error *out is unspecified.
  // REQUIRES: from <= to, and to - from rows fit in memory (callers pass bounded runs).
  virtual Status EventsInRange(uint64_t from, uint64_t to, std::vector<EventIndexRow>* out);
  virtual Status VersionsInRange(uint64_t from, uint64_t to, std::vector<RecordVersionRow>* out);
  // Row counts and the highest sequence referenced, to find rows no event explains.
  struct Counts {
    uint64_t events = 0;
    uint64_t record_versions = 0;
    int64_t max_event_seq = -1;
    int64_t max_version_seq = -1;
  };
  virtual StatusOr<Counts> CountRows() = 0;
  // Calls fn(type, id) for every record with a version (tombstones included),
  // once or more, until fn returns false: what a cache of the records that
  // exist is filled from (ledger/record_key_filter.h). A view that cannot
  // list them fails with kFailedPrecondition, and the cache stays unused.
  virtual Status ForEachRecordKey(const std::function<bool(std::string_view type, std::string_view id)>& fn) {
    (void)fn;
    return FailedPreconditionError("this projection view does not list its record keys");
  }
  // For a view opened without a snapshot: the reads until EndReads share one
  // read transaction (seeing the state as of the first of them) instead of
  // opening and closing one each, which cost half of every lookup. A no-op by
  // default and for a snapshot view.
  virtual Status BeginReads() { return OkStatus(); }
  virtual Status EndReads() { return OkStatus(); }

 private:
  // The rows `lookup` finds for each seq of [from, to), in order.
  template <typename Row>
  static Status LookUpEach(ProjectionReader& reader, uint64_t from, uint64_t to,
                           StatusOr<std::optional<Row>> (ProjectionReader::*lookup)(uint64_t),
                           std::vector<Row>* out) {
    out->clear();
    for (uint64_t seq = from; seq < to; ++seq) {
      ASSIGN_OR_RETURN(std::optional<Row> row, (reader.*lookup)(seq));
      if (row) out->push_back(std::move(*row));
    }
    return OkStatus();
  }
};

inline Status ProjectionReader::EventsInRange(uint64_t from, uint64_t to,
                                              std::vector<EventIndexRow>* out) {
  return LookUpEach(*this, from, to, &ProjectionReader::IndexedEvent, out);
}

inline Status ProjectionReader::VersionsInRange(uint64_t from, uint64_t to,
                                                std::vector<RecordVersionRow>* out) {
  return LookUpEach(*this, from, to, &ProjectionReader::VersionBySeq, out);
}

class ProjectionTxn : public ProjectionReader {
 public:
  // Rolls back unless committed.
  ~ProjectionTxn() override = default;
  virtual Status PutEvent(const EventIndexRow& row) = 0;
  virtual Status PutRecordVersion(const RecordVersionRow& row) = 0;
  // The same for a row the caller no longer needs: an engine that keeps rows
  // in memory (the ledger's capture of in-flight rows) takes it without a copy.
  virtual Status PutEvent(EventIndexRow&& row) { return PutEvent(static_cast<const EventIndexRow&>(row)); }
  virtual Status PutRecordVersion(RecordVersionRow&& row) {
    return PutRecordVersion(static_cast<const RecordVersionRow&>(row));
  }
  // Many rows, in seq order: an engine may write them with fewer statements.
  // On failure some may have been written: the transaction is then to be
  // abandoned (rolled back), as after any failed write.
  virtual Status PutEvents(std::span<const EventIndexRow> rows) {
    for (const auto& r : rows) RETURN_IF_ERROR(PutEvent(r));
    return OkStatus();
  }
  virtual Status PutRecordVersions(std::span<const RecordVersionRow> rows) {
    for (const auto& r : rows) RETURN_IF_ERROR(PutRecordVersion(r));
    return OkStatus();
  }
  // Sets (or, with nullopt, clears) the note of what recovery did that no
  // `system.recovered` event records yet, committed with the rows: a crash
  // after the commit and before that event is durable leaves the note, and the
  // next open records it (docs/architecture.md, Recovery). Only the engines a
  // ledger commits into implement it.
  virtual Status SetUnrecordedRecovery(const std::optional<RecoveryNote>& note) {
    (void)note;
    return FailedPreconditionError("this transaction does not keep a recovery note");
  }
  // Commits with `applied_count` = number of events now reflected.
  virtual Status Commit(uint64_t applied_count) = 0;
};

class ProjectionStore {
 public:
  virtual ~ProjectionStore() = default;
  // Number of events reflected in the projection.
  virtual StatusOr<uint64_t> AppliedCount() = 0;
  // The committed note of SetUnrecordedRecovery, if any.
  virtual StatusOr<std::optional<RecoveryNote>> UnrecordedRecovery() = 0;
  // While true, each commit is on stable storage before Commit returns (an
  // engine whose commits always are ignores it). Recovery asks for it around
  // the commit that notes a cut it is about to make.
  virtual Status SetDurableCommits(bool durable) {
    (void)durable;
    return OkStatus();
  }
  // One write transaction at a time (the sequencer's).
  virtual StatusOr<std::unique_ptr<ProjectionTxn>> BeginWrite() = 0;
  // A read-only view. With `snapshot`, a consistent snapshot as of this call;
  // without, every read sees the latest committed state (the sequencer's view).
  virtual StatusOr<std::unique_ptr<ProjectionReader>> BeginRead(bool snapshot = true) = 0;

  // Sequence numbers of matching events, ascending; stops early if fn returns false.
  virtual Status QueryEvents(const EventQuery& q, const std::function<bool(uint64_t seq)>& fn) = 0;
  // The latest version (tombstones included) of every record of `type`, by id.
  virtual StatusOr<std::vector<RecordVersionRow>> ListRecords(const std::string& type) = 0;
  // Every version of one record, oldest first.
  virtual StatusOr<std::vector<RecordVersionRow>> History(const std::string& type,
                                                          const std::string& id) = 0;
  // How the store's tables, indexes and triggers differ from the ones Vellum
  // creates, one sentence each; empty when they are the same. Verify relies on
  // the declared constraints (one row per record version, one per event).
  virtual StatusOr<std::vector<std::string>> SchemaDifferences() = 0;
  // Damage to the store's own structures that reading its rows need not show
  // (SQLite: PRAGMA quick_check, e.g. a zeroed page of an index that a later
  // write would trip over), one sentence each; empty when there is none.
  virtual StatusOr<std::vector<std::string>> StructureDamage() = 0;
};

}  // namespace vellum::storage
