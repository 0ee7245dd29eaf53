#include "storage/embedded/sqlite_projection.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>

#include "storage/embedded/sqlite_db.h"

namespace vellum::storage {
namespace {

using sqlite::Database;
using sqlite::ScopedReset;
using sqlite::Statement;

// Version 2 keys record_versions by seq (version 1: by (type, id, version),
// WITHOUT ROWID); Open migrates a version 1 file (MigrateFromV1).
constexpr int kSchemaVersion = 2;

constexpr char kMetaSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
)sql";

// record_versions is a rowid table keyed by the event's seq: each batch appends
// at the end of its B-tree, and verify's ranges by seq are sequential reads.
// Keyed by (type, id, version) instead, every insert landed at a random place
// in a B-tree holding the whole content, plus an insert into a seq index; and
// each row of a range read was an index lookup then a primary-key lookup.
// The record lookups use the unique index record_versions_by_record. The
// columns keep version 1's order.
constexpr char kRecordVersionsTable[] = R"sql(
CREATE TABLE IF NOT EXISTS record_versions (
  record_type  TEXT NOT NULL,
  record_id    TEXT NOT NULL,
  version      INTEGER NOT NULL,
  seq          INTEGER PRIMARY KEY,
  ts           INTEGER NOT NULL,
  deleted      INTEGER NOT NULL,
  content      TEXT,
  content_hash BLOB
) STRICT;
)sql";

constexpr char kRecordVersionsIndex[] = R"sql(
CREATE UNIQUE INDEX IF NOT EXISTS record_versions_by_record
  ON record_versions(record_type, record_id, version);
)sql";

// events keeps its record columns although QueryEvents finds a record's events
// through record_versions: verify compares them, as stored, with the replay.
constexpr char kEventsTable[] = R"sql(
CREATE TABLE IF NOT EXISTS events (
  seq            INTEGER PRIMARY KEY,
  ts             INTEGER NOT NULL,
  type           TEXT NOT NULL,
  actor          TEXT NOT NULL,
  record_type    TEXT,
  record_id      TEXT,
  record_version INTEGER,
  leaf_hash      BLOB NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS events_by_actor ON events(actor);
CREATE INDEX IF NOT EXISTS events_by_type ON events(type);
)sql";

constexpr char kVersionColumns[] =
    "record_type, record_id, version, seq, ts, deleted, content, content_hash";
constexpr char kEventColumns[] =
    "seq, ts, type, actor, record_type, record_id, record_version, leaf_hash";

// Rows per multi-row INSERT in a projection write (8 parameters each).
constexpr int kBulkRows = 32;
// records.db's page size when it is created, and how much WAL it checkpoints at.
constexpr int kPageBytes = 16384;
constexpr int kWalCheckpointBytes = 4 << 20;

// INSERT OR ROLLBACK of kBulkRows rows of 8 columns. OR ROLLBACK: a
// statement that may fail after writing some of its rows needs a statement
// journal (a copy of every page it touches) to undo just itself; a failed
// projection write abandons the whole transaction anyway, so there is
// nothing to undo separately.
std::string BulkInsert(std::string_view table, std::string_view columns) {
  std::string sql = fmt::format("INSERT OR ROLLBACK INTO {} ({}) VALUES ", table, columns);
  for (int row = 0; row < kBulkRows; ++row) {
    sql += row == 0 ? "(" : ",(";
    for (int col = 1; col <= 8; ++col) sql += fmt::format("{}?{}", col == 1 ? "" : ",", row * 8 + col);
    sql += ')';
  }
  return sql;
}

core::Hash BlobToHash(std::string_view blob) {
  core::Hash h{};
  if (blob.size() == h.size()) std::memcpy(h.data(), blob.data(), h.size());
  return h;
}

std::string_view HashBlob(const core::Hash& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

// The row at a statement over kVersionColumns / kEventColumns, written into an
// existing row, whose strings keep their storage (range reads overwrite the
// rows of the previous run).
// What a row holds when its stored form is not one Vellum writes (a NULL where a
// value goes or the reverse, an empty id, a hash that is not 32 bytes, a deleted
// flag other than 0 or 1): such a row equals no row a replay makes, so verify
// names it, although read into the struct it could look like one (NULL and ''
// both read as "", a short blob as the zero hash of a tombstone).
constexpr char kNotAsWritten[] = "(stored in a form Vellum does not write)";

void ReadRowInto(const Statement& s, RecordVersionRow* r) {
  r->record_type.assign(s.ColumnText(0));
  r->record_id.assign(s.ColumnText(1));
  r->version = static_cast<uint64_t>(s.ColumnInt(2));
  r->seq = static_cast<uint64_t>(s.ColumnInt(3));
  r->ts = s.ColumnInt(4);
  const int64_t deleted = s.ColumnInt(5);
  r->deleted = deleted != 0;
  r->content.assign(s.ColumnText(6));
  r->content_hash = BlobToHash(s.ColumnBlob(7));
  const bool as_written =
      (deleted == 1 && s.ColumnIsNull(6) && s.ColumnIsNull(7)) ||
      (deleted == 0 && !s.ColumnIsNull(6) && !s.ColumnIsNull(7) && s.ColumnBlob(7).size() == r->content_hash.size());
  if (!as_written) r->content.assign(kNotAsWritten);
}

void ReadRowInto(const Statement& s, EventIndexRow* r) {
  r->seq = static_cast<uint64_t>(s.ColumnInt(0));
  r->ts = s.ColumnInt(1);
  r->type.assign(s.ColumnText(2));
  r->actor.assign(s.ColumnText(3));
  r->record_type.assign(s.ColumnText(4));
  r->record_id.assign(s.ColumnText(5));
  r->record_version = static_cast<uint64_t>(s.ColumnInt(6));
  r->leaf_hash = BlobToHash(s.ColumnBlob(7));
  const int nulls = s.ColumnIsNull(4) + s.ColumnIsNull(5) + s.ColumnIsNull(6);
  const bool as_written = s.ColumnBlob(7).size() == r->leaf_hash.size() &&
                          (nulls == 3 || (nulls == 0 && !r->record_type.empty() && !r->record_id.empty() &&
                                          s.ColumnInt(6) > 0));
  if (!as_written) r->type.assign(kNotAsWritten);
}

RecordVersionRow ReadVersionRow(const Statement& s) {
  RecordVersionRow r;
  ReadRowInto(s, &r);
  return r;
}

EventIndexRow ReadEventRow(const Statement& s) {
  EventIndexRow r;
  ReadRowInto(s, &r);
  return r;
}

// Prepared reads shared by the write transaction and read snapshots. Their
// plans (EXPLAIN QUERY PLAN, SQLite 3.40, schema version 2):
//   latest, latest_before, history: SEARCH record_versions USING INDEX
//     record_versions_by_record (record_type=? AND record_id=?), walked in
//     version order; latest_before's `seq < ?` is the rowid, read from the
//     index entry.
//   version: SEARCH ... USING INDEX record_versions_by_record (record_type=? AND
//     record_id=? AND version=?)
//   by_seq, event: SEARCH ... USING INTEGER PRIMARY KEY (rowid=?)
//   events_range, versions_range: SEARCH ... USING INTEGER PRIMARY KEY
//     (rowid>? AND rowid<?), i.e. a sequential walk of the table.
struct Readers {
  Statement latest, latest_before, version, by_seq, event, events_range, versions_range;

  Status Prepare(Database& db) {
    ASSIGN_OR_RETURN(latest, db.Prepare(fmt::format(
        "SELECT {} FROM record_versions WHERE record_type=?1 AND record_id=?2 "
        "ORDER BY version DESC LIMIT 1", kVersionColumns)));
    ASSIGN_OR_RETURN(latest_before, db.Prepare(fmt::format(
        "SELECT {} FROM record_versions WHERE record_type=?1 AND record_id=?2 AND seq < ?3 "
        "ORDER BY version DESC LIMIT 1", kVersionColumns)));
    ASSIGN_OR_RETURN(version, db.Prepare(fmt::format(
        "SELECT {} FROM record_versions WHERE record_type=?1 AND record_id=?2 AND version=?3",
        kVersionColumns)));
    ASSIGN_OR_RETURN(by_seq, db.Prepare(fmt::format(
        "SELECT {} FROM record_versions WHERE seq=?1", kVersionColumns)));
    ASSIGN_OR_RETURN(event, db.Prepare(fmt::format(
        "SELECT {} FROM events WHERE seq=?1", kEventColumns)));
    // Both ranges walk a table keyed by seq in order.
    ASSIGN_OR_RETURN(
        events_range,
        db.Prepare(fmt::format("SELECT {} FROM events WHERE seq >= ?1 AND seq < ?2 ORDER BY seq",
                               kEventColumns)));
    ASSIGN_OR_RETURN(versions_range,
                     db.Prepare(fmt::format(
                         "SELECT {} FROM record_versions WHERE seq >= ?1 AND seq < ?2 ORDER BY seq",
                         kVersionColumns)));
    return OkStatus();
  }

  static StatusOr<std::optional<RecordVersionRow>> OneVersion(Statement& s) {
    ScopedReset reset(s);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<RecordVersionRow>();
    return std::optional<RecordVersionRow>(ReadVersionRow(s));
  }

  // The arguments outlive OneVersion, which resets the statement: bound without copies.
  StatusOr<std::optional<RecordVersionRow>> Latest(const std::string& type, const std::string& id) {
    latest.BindTextNoCopy(1, type).BindTextNoCopy(2, id);
    return OneVersion(latest);
  }
  StatusOr<std::optional<RecordVersionRow>> LatestBefore(const std::string& type, const std::string& id,
                                                         uint64_t seq) {
    latest_before.Bind(1, type).Bind(2, id).Bind(3, static_cast<int64_t>(seq));
    return OneVersion(latest_before);
  }
  StatusOr<std::optional<RecordVersionRow>> Version(const std::string& type, const std::string& id,
                                                    uint64_t v) {
    version.BindTextNoCopy(1, type).BindTextNoCopy(2, id).Bind(3, static_cast<int64_t>(v));
    return OneVersion(version);
  }
  StatusOr<std::optional<RecordVersionRow>> BySeq(uint64_t seq) {
    by_seq.Bind(1, static_cast<int64_t>(seq));
    return OneVersion(by_seq);
  }
  // A count and a maximum each in a query of its own: alone, each has a fast
  // path (a count walks the pages of the table's smallest B-tree without
  // reading its rows; the maximum of a rowid is its last entry), while one
  // query asking both read every row of the table, contents and all (a
  // tenth of a whole verify of 318,000 events).
  StatusOr<ProjectionReader::Counts> CountRows(Database& db) {
    auto one = [&](const char* sql) -> StatusOr<int64_t> {
      ASSIGN_OR_RETURN(Statement s, db.Prepare(sql));
      ASSIGN_OR_RETURN(bool row, s.Step());
      return row ? s.ColumnInt(0) : 0;
    };
    ProjectionReader::Counts c;
    ASSIGN_OR_RETURN(int64_t events, one("SELECT count(*) FROM events"));
    ASSIGN_OR_RETURN(c.max_event_seq, one("SELECT coalesce(max(seq), -1) FROM events"));
    ASSIGN_OR_RETURN(int64_t versions, one("SELECT count(*) FROM record_versions"));
    ASSIGN_OR_RETURN(c.max_version_seq, one("SELECT coalesce(max(seq), -1) FROM record_versions"));
    c.events = static_cast<uint64_t>(events);
    c.record_versions = static_cast<uint64_t>(versions);
    return c;
  }

  // SQLite integers are signed: a bound past INT64_MAX is clamped (no row lies beyond it).
  static int64_t SqlSeq(uint64_t seq) {
    return static_cast<int64_t>(std::min<uint64_t>(seq, std::numeric_limits<int64_t>::max()));
  }

  // Every row of a range statement, written over the rows *out holds (then
  // beyond them), which it is cut to.
  template <typename Row>
  static Status ReadRange(Statement& s, uint64_t from, uint64_t to, std::vector<Row>* out) {
    s.Bind(1, SqlSeq(from)).Bind(2, SqlSeq(to));
    ScopedReset reset(s);
    size_t n = 0;
    for (;; ++n) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      if (n == out->size()) out->emplace_back();
      ReadRowInto(s, &(*out)[n]);
    }
    out->resize(n);
    return OkStatus();
  }
  Status EventsInRange(uint64_t from, uint64_t to, std::vector<EventIndexRow>* out) {
    return ReadRange(events_range, from, to, out);
  }
  Status VersionsInRange(uint64_t from, uint64_t to, std::vector<RecordVersionRow>* out) {
    return ReadRange(versions_range, from, to, out);
  }

  StatusOr<std::optional<EventIndexRow>> Event(uint64_t seq) {
    event.Bind(1, static_cast<int64_t>(seq));
    ScopedReset reset(event);
    ASSIGN_OR_RETURN(bool row, event.Step());
    if (!row) return std::optional<EventIndexRow>();
    return std::optional<EventIndexRow>(ReadEventRow(event));
  }
};

StatusOr<uint64_t> ReadAppliedCount(Database& db) {
  ASSIGN_OR_RETURN(Statement s, db.Prepare("SELECT value FROM meta WHERE key='applied_count'"));
  ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? static_cast<uint64_t>(s.ColumnInt(0)) : 0;
}

// The recovery note's meta rows (records-db.md), in groups that come whole.
constexpr const char* kNoteKeys[] = {"recovery_first_seq",    "recovery_last_seq", "recovery_lines_removed",
                                     "recovery_bytes_removed", "recovery_cut_events", "recovery_cut_lines",
                                     "recovery_cut_bytes"};

// "('recovery_first_seq', …)"
std::string NoteKeyList() {
  std::string list;
  for (const char* k : kNoteKeys) list += fmt::format("{}'{}'", list.empty() ? "(" : ", ", k);
  return list + ")";
}

// Whether records.db's meta holds any row of a recovery note (a file without
// meta yet holds none). Reads only.
StatusOr<bool> HoldsRecoveryNote(Database& db) {
  ASSIGN_OR_RETURN(Statement meta, db.Prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"));
  ASSIGN_OR_RETURN(bool has_meta, meta.Step());
  if (!has_meta) return false;
  ASSIGN_OR_RETURN(Statement s, db.Prepare("SELECT 1 FROM meta WHERE key IN " + NoteKeyList() + " LIMIT 1"));
  return s.Step();
}

StatusOr<std::optional<RecoveryNote>> ReadUnrecordedRecovery(Database& db) {
  ASSIGN_OR_RETURN(Statement s, db.Prepare("SELECT key, value FROM meta WHERE key IN " + NoteKeyList()));
  std::map<std::string, int64_t, std::less<>> rows;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    rows.emplace(std::string(s.ColumnText(0)), s.ColumnInt(1));
  }
  if (rows.empty()) return std::optional<RecoveryNote>();
  std::string listed;
  for (const auto& [k, v] : rows) listed += fmt::format("{}{} = {}", listed.empty() ? "" : ", ", k, v);
  auto malformed = [&] { return DataLossError("records.db's recovery note is malformed (" + listed + ")"); };
  // Each group: all of its keys or none, every value >= 0.
  auto group = [&](std::initializer_list<const char*> keys, std::vector<uint64_t>* out) -> StatusOr<bool> {
    size_t present = 0;
    for (const char* k : keys) {
      auto it = rows.find(k);
      if (it == rows.end()) continue;
      if (it->second < 0) return malformed();
      out->push_back(static_cast<uint64_t>(it->second));
      rows.erase(it);
      ++present;
    }
    if (present != 0 && present != keys.size()) return malformed();
    return present != 0;
  };
  RecoveryNote note;
  std::vector<uint64_t> v;
  ASSIGN_OR_RETURN(bool applied, group({kNoteKeys[0], kNoteKeys[1]}, &v));
  ASSIGN_OR_RETURN(bool removed, group({kNoteKeys[2], kNoteKeys[3]}, &v));
  ASSIGN_OR_RETURN(bool cut, group({kNoteKeys[4], kNoteKeys[5], kNoteKeys[6]}, &v));
  if (!applied && !cut) return malformed();  // a note of nothing
  auto next = v.begin();
  if (applied) {
    note.applied = RecoveredRange{next[0], next[1]};
    next += 2;
  }
  if (removed) {
    note.lines_removed = next[0];
    note.bytes_removed = next[1];
    next += 2;
  }
  if (cut) {
    note.cut_events = next[0];
    note.cut_lines = next[1];
    note.cut_bytes = next[2];
  }
  const bool bad_range = applied && note.applied->last_seq < note.applied->first_seq;
  const bool bad_cut = cut && (note.cut_events == 0 || note.cut_lines > note.cut_events ||
                               (note.cut_lines == 0 && note.cut_bytes == 0));
  if (bad_range || bad_cut) return malformed();
  return std::optional<RecoveryNote>(note);
}

Status WriteUnrecordedRecovery(Database& db, const std::optional<RecoveryNote>& note) {
  RETURN_IF_ERROR(db.Exec("DELETE FROM meta WHERE key IN " + NoteKeyList()));
  if (!note) return OkStatus();
  std::vector<std::pair<const char*, uint64_t>> rows;
  if (note->applied) {
    rows.insert(rows.end(), {{kNoteKeys[0], note->applied->first_seq}, {kNoteKeys[1], note->applied->last_seq}});
  }
  if (note->lines_removed != 0 || note->bytes_removed != 0) {
    rows.insert(rows.end(), {{kNoteKeys[2], note->lines_removed}, {kNoteKeys[3], note->bytes_removed}});
  }
  if (note->cut_events != 0) {
    rows.insert(rows.end(),
                {{kNoteKeys[4], note->cut_events}, {kNoteKeys[5], note->cut_lines}, {kNoteKeys[6], note->cut_bytes}});
  }
  std::string values;
  for (const auto& [k, v] : rows) values += fmt::format("{}('{}', {})", values.empty() ? "" : ", ", k, v);
  if (values.empty()) return OkStatus();
  return db.Exec("INSERT INTO meta(key, value) VALUES " + values);
}

// Version 1 held the same rows keyed by (record_type, record_id, version).
// They are copied, not rebuilt from the ledger: a rebuild (applied count 0)
// would drop the leaf hashes recovery checks events past the last checkpoint
// against, and would take the whole ledger through recovery's unapplied-tail
// path in one batch. verify still compares every copied row with a replay.
Status MigrateFromV1(Database& db) {
  RETURN_IF_ERROR(db.Exec("ALTER TABLE record_versions RENAME TO record_versions_v1"));
  RETURN_IF_ERROR(db.Exec(kRecordVersionsTable));
  // In seq order, so the rows are appended as the writer appends them.
  RETURN_IF_ERROR(db.Exec(fmt::format(
      "INSERT INTO record_versions ({0}) SELECT {0} FROM record_versions_v1 ORDER BY seq", kVersionColumns)));
  RETURN_IF_ERROR(db.Exec("DROP TABLE record_versions_v1"));
  RETURN_IF_ERROR(db.Exec(kRecordVersionsIndex));
  return db.Exec(fmt::format("UPDATE meta SET value={} WHERE key='schema_version'", kSchemaVersion));
}

// Every table and index of the current version.
Status CreateSchema(Database& db) {
  RETURN_IF_ERROR(db.Exec(kMetaSchema));
  RETURN_IF_ERROR(db.Exec(kEventsTable));
  RETURN_IF_ERROR(db.Exec(kRecordVersionsTable));
  return db.Exec(kRecordVersionsIndex);
}

// Creates the schema in a new file, migrates an older one, refuses an unknown
// (newer) one. The caller runs it in a transaction: a failed migration leaves
// the file as it was.
Status EnsureSchema(Database& db) {
  RETURN_IF_ERROR(db.Exec(kMetaSchema));
  std::optional<int64_t> version;
  {
    ASSIGN_OR_RETURN(Statement s, db.Prepare("SELECT value FROM meta WHERE key='schema_version'"));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) version = s.ColumnInt(0);
  }
  if (!version) {
    RETURN_IF_ERROR(CreateSchema(db));
    return db.Exec(fmt::format(
        "INSERT INTO meta(key, value) VALUES ('schema_version', {}), ('applied_count', 0)", kSchemaVersion));
  }
  if (*version == 1) return MigrateFromV1(db).WithContext("migrating records.db from schema version 1");
  if (*version != kSchemaVersion) {
    return FailedPreconditionError(
        fmt::format("records.db has schema version {}, this Vellum reads {}", *version, kSchemaVersion));
  }
  return OkStatus();
}

}  // namespace

struct SqliteProjectionStore::Impl {
  std::string path;
  std::unique_ptr<Database> db;  // the writer's connection
  Readers readers;
  Statement put_event, put_version, set_applied;
  // INSERTs of kBulkRows rows at once (see SqliteTxn::PutEvents).
  Statement put_events_bulk, put_versions_bulk;
  bool in_txn = false;
  std::mutex query_mu;  // serialises ad-hoc queries on the query connection
  std::unique_ptr<Database> query_db;
  // OpenReadOnly: no writer connection (`db` is a reader), and when records.db
  // had no -wal file, every connection is opened immutable (see OpenReadOnly).
  bool read_only = false;
  bool immutable = false;
  // Open with an Env naming the boot: commits unsynced under the mark file
  // while `marked` (see sqlite_projection.h).
  core::Env* env = nullptr;
  std::string boot;
  bool marked = false;

  // Closing: every write synced, then the mark removed. Should that fail, the
  // mark stays, and a later boot rebuilds the file.
  ~Impl() {
    if (marked && db) MakeDurable("PRAGMA synchronous=NORMAL").IgnoreError();
  }

  StatusOr<std::unique_ptr<Database>> OpenReaderConnection() const {
    return immutable ? Database::OpenImmutable(path) : Database::Open(path, false, /*read_only=*/true);
  }

  std::string MarkPath() const { return path + kUnsyncedMarkSuffix; }

  // The mark first, durably, then no more syncs.
  Status LeaveUnsynced() {
    if (!marked) RETURN_IF_ERROR(env->WriteFileAtomic(MarkPath(), boot + "\n", 0644));
    marked = true;
    return db->Exec("PRAGMA synchronous=OFF");
  }

  // Every write so far synced, then the mark removed; `sync_pragma` (set
  // first, so that nothing written after the syncs escapes them) says how
  // commits are synced from now on.
  Status MakeDurable(const char* sync_pragma) {
    RETURN_IF_ERROR(db->Exec(sync_pragma));
    if (!marked) return OkStatus();
    RETURN_IF_ERROR(sqlite::SyncDatabaseFiles(path));
    RETURN_IF_ERROR(env->Remove(MarkPath()));
    marked = false;
    const std::string dir = std::filesystem::path(path).parent_path().string();
    return env->SyncDir(dir.empty() ? "." : dir);
  }
};

namespace {

// Binds row `r` as the row at position `row` (0-based) of an INSERT of
// kEventColumns / kVersionColumns, without copies: `r` must outlive the run.
void BindEvent(Statement& s, int row, const EventIndexRow& r) {
  const int b = row * 8;
  s.Bind(b + 1, static_cast<int64_t>(r.seq)).Bind(b + 2, r.ts).BindTextNoCopy(b + 3, r.type)
      .BindTextNoCopy(b + 4, r.actor);
  if (r.record_id.empty()) {
    s.BindNull(b + 5).BindNull(b + 6).BindNull(b + 7);
  } else {
    s.BindTextNoCopy(b + 5, r.record_type).BindTextNoCopy(b + 6, r.record_id)
        .Bind(b + 7, static_cast<int64_t>(r.record_version));
  }
  s.BindBlobNoCopy(b + 8, HashBlob(r.leaf_hash));
}

void BindVersion(Statement& s, int row, const RecordVersionRow& r) {
  const int b = row * 8;
  s.BindTextNoCopy(b + 1, r.record_type).BindTextNoCopy(b + 2, r.record_id)
      .Bind(b + 3, static_cast<int64_t>(r.version)).Bind(b + 4, static_cast<int64_t>(r.seq)).Bind(b + 5, r.ts)
      .Bind(b + 6, int64_t{r.deleted ? 1 : 0});
  if (r.deleted) {
    s.BindNull(b + 7).BindNull(b + 8);
  } else {
    s.BindTextNoCopy(b + 7, r.content).BindBlobNoCopy(b + 8, HashBlob(r.content_hash));
  }
}

// Writes full groups of kBulkRows rows with `bulk`, the rest one by one with `single`.
template <typename Row>
Status PutInBulk(std::span<const Row> rows, Statement& bulk, Statement& single,
                 void (*bind)(Statement&, int, const Row&)) {
  size_t i = 0;
  for (; i + kBulkRows <= rows.size(); i += kBulkRows) {
    for (int k = 0; k < kBulkRows; ++k) bind(bulk, k, rows[i + static_cast<size_t>(k)]);
    RETURN_IF_ERROR(bulk.Run());
  }
  for (; i < rows.size(); ++i) {
    bind(single, 0, rows[i]);
    RETURN_IF_ERROR(single.Run());
  }
  return OkStatus();
}

class SqliteTxn final : public ProjectionTxn {
 public:
  explicit SqliteTxn(SqliteProjectionStore::Impl* m) : m_(m) {}
  ~SqliteTxn() override {
    if (!done_) m_->db->Exec("ROLLBACK").IgnoreError();  // nothing to report from a destructor
    m_->in_txn = false;
  }

  StatusOr<std::optional<RecordVersionRow>> LatestVersion(const std::string& t, const std::string& id) override {
    return m_->readers.Latest(t, id);
  }
  StatusOr<std::optional<RecordVersionRow>> LatestVersionBefore(const std::string& t, const std::string& id,
                                                                uint64_t seq) override {
    return m_->readers.LatestBefore(t, id, seq);
  }
  StatusOr<std::optional<RecordVersionRow>> Version(const std::string& t, const std::string& id, uint64_t v) override {
    return m_->readers.Version(t, id, v);
  }
  StatusOr<std::optional<RecordVersionRow>> VersionBySeq(uint64_t seq) override { return m_->readers.BySeq(seq); }
  StatusOr<std::optional<EventIndexRow>> IndexedEvent(uint64_t seq) override { return m_->readers.Event(seq); }
  Status EventsInRange(uint64_t from, uint64_t to, std::vector<EventIndexRow>* out) override {
    return m_->readers.EventsInRange(from, to, out);
  }
  Status VersionsInRange(uint64_t from, uint64_t to, std::vector<RecordVersionRow>* out) override {
    return m_->readers.VersionsInRange(from, to, out);
  }
  StatusOr<Counts> CountRows() override { return m_->readers.CountRows(*m_->db); }

  // `r` outlives Run (which resets the statement), so its bytes are bound
  // without copies: the copies were a tenth of the projection thread's time.
  Status PutEvent(const EventIndexRow& r) override {
    RETURN_IF_ERROR(CheckOpen());
    BindEvent(m_->put_event, 0, r);
    return m_->put_event.Run();
  }

  Status PutRecordVersion(const RecordVersionRow& r) override {
    RETURN_IF_ERROR(CheckOpen());
    BindVersion(m_->put_version, 0, r);
    return m_->put_version.Run();
  }

  // Rows kBulkRows at a time through one multi-row INSERT: the per-statement
  // work (step, reset, opening the tables and indexes) is shared by them.
  Status PutEvents(std::span<const EventIndexRow> rows) override {
    RETURN_IF_ERROR(CheckOpen());
    return RolledBackUnlessOk(PutInBulk(rows, m_->put_events_bulk, m_->put_event, BindEvent));
  }
  Status PutRecordVersions(std::span<const RecordVersionRow> rows) override {
    RETURN_IF_ERROR(CheckOpen());
    return RolledBackUnlessOk(PutInBulk(rows, m_->put_versions_bulk, m_->put_version, BindVersion));
  }

  Status SetUnrecordedRecovery(const std::optional<RecoveryNote>& note) override {
    RETURN_IF_ERROR(CheckOpen());
    return RolledBackUnlessOk(WriteUnrecordedRecovery(*m_->db, note));
  }

  Status Commit(uint64_t applied_count) override {
    RETURN_IF_ERROR(CheckOpen());
    m_->set_applied.Bind(1, static_cast<int64_t>(applied_count));
    RETURN_IF_ERROR(m_->set_applied.Run());
    RETURN_IF_ERROR(m_->db->Exec("COMMIT"));
    done_ = true;
    return OkStatus();
  }

 private:
  SqliteProjectionStore::Impl* m_;
  // A failed bulk write (INSERT OR ROLLBACK) may have ended the transaction:
  // later writes would each commit on their own, so they are refused.
  Status RolledBackUnlessOk(Status s) {
    if (!s.ok()) rolled_back_ = true;
    return s;
  }
  Status CheckOpen() const {
    if (rolled_back_) return FailedPreconditionError("the projection transaction was rolled back by a failed write");
    return OkStatus();
  }

  bool done_ = false;
  bool rolled_back_ = false;
};

class SqliteReader final : public ProjectionReader {
 public:
  static StatusOr<std::unique_ptr<SqliteReader>> Open(const SqliteProjectionStore::Impl& store, bool snapshot) {
    auto r = std::unique_ptr<SqliteReader>(new SqliteReader);
    ASSIGN_OR_RETURN(r->db_, store.OpenReaderConnection());
    RETURN_IF_ERROR(r->readers_.Prepare(*r->db_));
    if (snapshot) {
      RETURN_IF_ERROR(r->db_->Exec("BEGIN"));
      // A deferred transaction takes its snapshot at the first read.
      RETURN_IF_ERROR(r->db_->Exec("SELECT 1 FROM meta LIMIT 1"));
      r->in_txn_ = true;
    }
    return r;
  }
  ~SqliteReader() override {
    readers_ = Readers();
    // Read-only: ending the snapshot cannot lose anything.
    if (in_txn_) db_->Exec("COMMIT").IgnoreError();
  }
  StatusOr<std::optional<RecordVersionRow>> LatestVersion(const std::string& t, const std::string& id) override {
    return readers_.Latest(t, id);
  }
  StatusOr<std::optional<RecordVersionRow>> LatestVersionBefore(const std::string& t, const std::string& id,
                                                                uint64_t seq) override {
    return readers_.LatestBefore(t, id, seq);
  }
  StatusOr<std::optional<RecordVersionRow>> Version(const std::string& t, const std::string& id, uint64_t v) override {
    return readers_.Version(t, id, v);
  }
  StatusOr<std::optional<RecordVersionRow>> VersionBySeq(uint64_t seq) override { return readers_.BySeq(seq); }
  StatusOr<std::optional<EventIndexRow>> IndexedEvent(uint64_t seq) override { return readers_.Event(seq); }
  Status EventsInRange(uint64_t from, uint64_t to, std::vector<EventIndexRow>* out) override {
    return readers_.EventsInRange(from, to, out);
  }
  Status VersionsInRange(uint64_t from, uint64_t to, std::vector<RecordVersionRow>* out) override {
    return readers_.VersionsInRange(from, to, out);
  }
  StatusOr<Counts> CountRows() override { return readers_.CountRows(*db_); }
  // The index holds each version's key in key order: a record's versions come
  // one after another, and fn sees only the first.
  Status ForEachRecordKey(const std::function<bool(std::string_view, std::string_view)>& fn) override {
    ASSIGN_OR_RETURN(Statement keys, db_->Prepare("SELECT record_type, record_id FROM record_versions "
                                                  "INDEXED BY record_versions_by_record"));
    std::string last_type, last_id;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, keys.Step());
      if (!row) return OkStatus();
      const std::string_view type = keys.ColumnText(0), id = keys.ColumnText(1);
      if (type == last_type && id == last_id) continue;
      if (!fn(type, id)) return OkStatus();
      last_type = type;
      last_id = id;
    }
  }
  Status BeginReads() override {
    if (in_txn_) return OkStatus();
    // Deferred: the read transaction starts at the first read.
    RETURN_IF_ERROR(db_->Exec("BEGIN"));
    in_txn_ = in_reads_ = true;
    return OkStatus();
  }
  Status EndReads() override {
    if (!in_reads_) return OkStatus();
    in_txn_ = in_reads_ = false;
    Status s = db_->Exec("COMMIT");
    if (!s.ok()) db_->Exec("ROLLBACK").IgnoreError();  // read-only: nothing to lose
    return s;
  }

 private:
  SqliteReader() = default;
  std::unique_ptr<Database> db_;
  bool in_txn_ = false;
  bool in_reads_ = false;  // in_txn_ from BeginReads, not from a snapshot
  Readers readers_;
};

}  // namespace

SqliteProjectionStore::SqliteProjectionStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteProjectionStore::~SqliteProjectionStore() {
  if (impl_) {
    impl_->readers = Readers();
    impl_->put_event = Statement();
    impl_->put_version = Statement();
    impl_->put_events_bulk = Statement();
    impl_->put_versions_bulk = Statement();
    impl_->set_applied = Statement();
  }
}

StatusOr<std::optional<std::string>> SqliteProjectionStore::UnsyncedMark(core::Env* env, const std::string& path) {
  const std::string mark = path + kUnsyncedMarkSuffix;
  if (!env->Exists(mark)) return std::optional<std::string>();
  ASSIGN_OR_RETURN(std::string boot, env->ReadFile(mark));
  while (!boot.empty() && (boot.back() == '\n' || boot.back() == '\r')) boot.pop_back();
  return std::optional<std::string>(std::move(boot));
}

StatusOr<std::unique_ptr<SqliteProjectionStore>> SqliteProjectionStore::Open(const std::string& path,
                                                                            bool create, core::Env* env) {
  auto m = std::make_unique<Impl>();
  m->path = path;
  if (env != nullptr) m->boot = env->BootId();
  if (!m->boot.empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> mark, UnsyncedMark(env, path));
    if (mark && *mark != m->boot) {
      return DataLossError(fmt::format(
          "{} may have lost changes: it held changes not yet on stable storage when the system stopped (in "
          "boot {}, this is boot {}), so it must be rebuilt from the ledger",
          path, *mark, m->boot));
    }
    m->env = env;
    m->marked = mark.has_value();  // left by a process of this boot: the kernel kept its writes
  }
  ASSIGN_OR_RETURN(m->db, Database::Open(path, create));
  if (m->env != nullptr) {
    // A file holding a recovery note stays unmarked, its commits synced,
    // until the commit that records the recovery removes the note
    // (SetDurableCommits(false)): marked meanwhile, a power cut would have the
    // next boot rebuild it without the note. Else marked before the first
    // write (a new file's header included).
    ASSIGN_OR_RETURN(const bool holds_note, HoldsRecoveryNote(*m->db));
    if (holds_note) {
      RETURN_IF_ERROR(m->MakeDurable("PRAGMA synchronous=NORMAL"));
    } else {
      RETURN_IF_ERROR(m->LeaveUnsynced());
    }
  }
  // 16 KiB pages (a new file only; an existing one keeps its own): each
  // commit appends rows at the end of the events and record_versions B-trees,
  // and larger pages mean fewer WAL frames, splits and checkpoint copies per
  // event (docs/performance.md, twelfth round). The WAL is still checkpointed
  // every 4 MiB, as with SQLite's default 1,000 pages of 4 KiB, so a call's
  // latency does not grow with the page size.
  RETURN_IF_ERROR(m->db->Exec(fmt::format(
      "PRAGMA page_size={}; PRAGMA journal_mode=WAL; PRAGMA synchronous={}; "
      "PRAGMA wal_autocheckpoint={}; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384;",
      kPageBytes, m->marked ? "OFF" : "NORMAL", kWalCheckpointBytes / kPageBytes)));
  // Deferred: opening a file already at this version writes nothing, so it
  // takes no write lock.
  RETURN_IF_ERROR(m->db->Exec("BEGIN"));
  if (Status s = EnsureSchema(*m->db); !s.ok()) {
    m->db->Exec("ROLLBACK").IgnoreError();  // the error to report is `s`
    return s;
  }
  RETURN_IF_ERROR(m->db->Exec("COMMIT"));
  RETURN_IF_ERROR(m->readers.Prepare(*m->db));
  ASSIGN_OR_RETURN(m->put_event, m->db->Prepare(fmt::format(
      "INSERT INTO events ({}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)", kEventColumns)));
  ASSIGN_OR_RETURN(m->put_version, m->db->Prepare(fmt::format(
      "INSERT INTO record_versions ({}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)", kVersionColumns)));
  ASSIGN_OR_RETURN(m->put_events_bulk, m->db->Prepare(BulkInsert("events", kEventColumns)));
  ASSIGN_OR_RETURN(m->put_versions_bulk, m->db->Prepare(BulkInsert("record_versions", kVersionColumns)));
  ASSIGN_OR_RETURN(m->set_applied, m->db->Prepare("UPDATE meta SET value=?1 WHERE key='applied_count'"));
  ASSIGN_OR_RETURN(m->query_db, Database::Open(path, false, /*read_only=*/true));
  return std::unique_ptr<SqliteProjectionStore>(new SqliteProjectionStore(std::move(m)));
}

StatusOr<std::unique_ptr<SqliteProjectionStore>> SqliteProjectionStore::OpenReadOnly(const std::string& path) {
  auto m = std::make_unique<Impl>();
  m->path = path;
  m->read_only = true;
  // With no -wal file every commit is in records.db itself, and the caller keeps
  // writers out: SQLite can then read it as immutable, which reads no -wal and
  // creates no -wal or -shm file (so a copy on read-only media verifies too).
  // After a crash the -wal file holds commits, and is read as a writer left it.
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    std::string why = fmt::format("records.db cannot be opened: {} ({})", path, std::strerror(err));
    return err == ENOENT ? NotFoundError(std::move(why)) : UnavailableError(std::move(why));
  }
  m->immutable = ::stat((path + "-wal").c_str(), &st) != 0 && errno == ENOENT;
  ASSIGN_OR_RETURN(m->db, m->OpenReaderConnection());
  // What cannot be read as a projection Vellum wrote is damage, not a usage error.
  auto damaged = [](const Status& s) { return DataLossError("records.db cannot be read: " + s.message()); };
  int64_t version = 0;
  {
    auto stmt = m->db->Prepare("SELECT value FROM meta WHERE key='schema_version'");
    if (!stmt.ok()) return damaged(stmt.status());
    auto row = stmt->Step();
    if (!row.ok()) return damaged(row.status());
    if (*row) version = stmt->ColumnInt(0);
  }
  if (version == 1) {
    return FailedPreconditionError(
        "records.db has schema version 1, from an earlier Vellum: any other vellum command migrates it when it "
        "opens the data directory; verify after that");
  }
  if (version > kSchemaVersion) {  // as Open: a newer Vellum wrote it
    return FailedPreconditionError(
        fmt::format("records.db has schema version {}, this Vellum reads {}", version, kSchemaVersion));
  }
  if (version != kSchemaVersion) {
    return DataLossError(fmt::format("records.db has no valid schema version ({}): it was damaged or replaced", version));
  }
  if (Status s = m->readers.Prepare(*m->db); !s.ok()) return damaged(s);
  ASSIGN_OR_RETURN(m->query_db, m->OpenReaderConnection());
  return std::unique_ptr<SqliteProjectionStore>(new SqliteProjectionStore(std::move(m)));
}

StatusOr<uint64_t> SqliteProjectionStore::AppliedCount() { return ReadAppliedCount(*impl_->db); }

StatusOr<std::optional<RecoveryNote>> SqliteProjectionStore::UnrecordedRecovery() {
  return ReadUnrecordedRecovery(*impl_->db);
}

// synchronous=FULL syncs the WAL at each commit (NORMAL leaves that to the
// checkpoints). SQLite changes it only outside a transaction. Unsynced commits
// are all synced first, and the mark removed meanwhile: a durable commit is
// one the next boot finds, so that boot must not rebuild records.db.
Status SqliteProjectionStore::SetDurableCommits(bool durable) {
  if (impl_->read_only) return FailedPreconditionError("records.db is open read-only");
  if (impl_->env != nullptr) return durable ? impl_->MakeDurable("PRAGMA synchronous=FULL") : impl_->LeaveUnsynced();
  return impl_->db->Exec(durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

StatusOr<int> SqliteProjectionStore::PageBytes() {
  ASSIGN_OR_RETURN(Statement s, impl_->db->Prepare("PRAGMA page_size"));
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return InternalError("PRAGMA page_size returned nothing");
  return static_cast<int>(s.ColumnInt(0));
}

int SqliteProjectionStore::NewFilePageBytes() { return kPageBytes; }

StatusOr<std::unique_ptr<ProjectionTxn>> SqliteProjectionStore::BeginWrite() {
  if (impl_->read_only) return FailedPreconditionError("records.db was opened read-only");
  if (impl_->in_txn) return FailedPreconditionError("a projection write transaction is already open");
  RETURN_IF_ERROR(impl_->db->Exec("BEGIN IMMEDIATE"));
  impl_->in_txn = true;
  return std::unique_ptr<ProjectionTxn>(new SqliteTxn(impl_.get()));
}

StatusOr<std::unique_ptr<ProjectionReader>> SqliteProjectionStore::BeginRead(bool snapshot) {
  ASSIGN_OR_RETURN(auto r, SqliteReader::Open(*impl_, snapshot));
  return std::unique_ptr<ProjectionReader>(std::move(r));
}

// Every index costs time on the write path, so there are only two on events
// (actor, type). A record's events are found through record_versions_by_record,
// and a time range through the sequence numbers: time never decreases along the
// ledger, so the first event at or after a time is a binary search.
namespace {

StatusOr<uint64_t> FirstSeqAtOrAfter(Database& db, int64_t ts) {
  ASSIGN_OR_RETURN(Statement max, db.Prepare("SELECT coalesce(max(seq) + 1, 0) FROM events"));
  ASSIGN_OR_RETURN(bool row, max.Step());
  uint64_t lo = 0, hi = row ? static_cast<uint64_t>(max.ColumnInt(0)) : 0;
  ASSIGN_OR_RETURN(Statement at, db.Prepare("SELECT ts FROM events WHERE seq >= ?1 ORDER BY seq LIMIT 1"));
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    at.Bind(1, static_cast<int64_t>(mid));
    ScopedReset reset(at);
    ASSIGN_OR_RETURN(bool found, at.Step());
    if (found && at.ColumnInt(0) < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

}  // namespace

Status SqliteProjectionStore::QueryEvents(const EventQuery& q, const std::function<bool(uint64_t)>& fn) {
  // SQLite integers are signed 64-bit: no event lies past INT64_MAX, and a larger
  // limit is no limit (binding either as int64 would wrap or fail).
  constexpr uint64_t kMaxSqlInt = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (q.from_seq > kMaxSqlInt) return OkStatus();
  std::lock_guard lock(impl_->query_mu);
  Database& db = *impl_->query_db;
  uint64_t from = q.from_seq;
  std::optional<uint64_t> to;
  if (q.since) {
    ASSIGN_OR_RETURN(uint64_t s, FirstSeqAtOrAfter(db, *q.since));
    from = std::max(from, s);
  }
  if (q.until) {
    ASSIGN_OR_RETURN(uint64_t u, FirstSeqAtOrAfter(db, *q.until));
    to = u;
  }
  // Plans (EXPLAIN QUERY PLAN): by record type [and id], SEARCH v USING
  // COVERING INDEX record_versions_by_record (record_type=? [AND record_id=?]),
  // SEARCH e USING INTEGER PRIMARY KEY (rowid=?), a temporary B-tree for the
  // order; with an actor or action too, SEARCH e USING COVERING INDEX
  // events_by_actor / events_by_type (actor=? AND rowid>?), then v by rowid; by
  // record id alone (no index starts with it), e by rowid range, v by rowid.
  const bool by_record = q.record_type || q.record_id;
  std::string sql = by_record ? "SELECT e.seq FROM record_versions v JOIN events e ON e.seq = v.seq WHERE e.seq >= ?1"
                              : "SELECT e.seq FROM events e WHERE e.seq >= ?1";
  int n = 1;
  std::vector<std::pair<int, std::variant<int64_t, std::string>>> binds;
  binds.push_back({n, static_cast<int64_t>(from)});
  auto add = [&](const char* clause, std::variant<int64_t, std::string> v) {
    ++n;
    sql += fmt::format(" AND {}?{}", clause, n);
    binds.push_back({n, std::move(v)});
  };
  if (to) add("e.seq < ", static_cast<int64_t>(*to));
  if (q.record_type) add("v.record_type = ", *q.record_type);
  if (q.record_id) add("v.record_id = ", *q.record_id);
  if (q.actor) add("e.actor = ", *q.actor);
  if (q.type) add("e.type = ", *q.type);
  sql += " ORDER BY e.seq";
  if (q.limit > 0 && q.limit <= kMaxSqlInt) sql += fmt::format(" LIMIT {}", q.limit);
  ASSIGN_OR_RETURN(Statement s, db.Prepare(sql));
  for (auto& [i, v] : binds) {
    if (std::holds_alternative<int64_t>(v)) s.Bind(i, std::get<int64_t>(v));
    else s.Bind(i, std::get<std::string>(v));
  }
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return OkStatus();
    if (!fn(static_cast<uint64_t>(s.ColumnInt(0)))) return OkStatus();
  }
}

StatusOr<std::vector<RecordVersionRow>> SqliteProjectionStore::ListRecords(const std::string& type) {
  std::lock_guard lock(impl_->query_mu);
  // record_versions_by_record (type, id, version) serves both the grouping and
  // the max: SEARCH v USING INDEX record_versions_by_record (record_type=?), and
  // for the max SEARCH w USING COVERING INDEX (record_type=? AND record_id=?).
  ASSIGN_OR_RETURN(Statement s, impl_->query_db->Prepare(fmt::format(
      "SELECT {} FROM record_versions v WHERE record_type=?1 AND version = "
      "(SELECT max(version) FROM record_versions w WHERE w.record_type=v.record_type AND w.record_id=v.record_id) "
      "ORDER BY record_id", kVersionColumns)));
  s.Bind(1, type);
  std::vector<RecordVersionRow> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadVersionRow(s));
  }
}

StatusOr<std::vector<RecordVersionRow>> SqliteProjectionStore::History(const std::string& type,
                                                                       const std::string& id) {
  std::lock_guard lock(impl_->query_mu);
  ASSIGN_OR_RETURN(Statement s, impl_->query_db->Prepare(fmt::format(
      "SELECT {} FROM record_versions WHERE record_type=?1 AND record_id=?2 ORDER BY version", kVersionColumns)));
  s.Bind(1, type).Bind(2, id);
  std::vector<RecordVersionRow> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadVersionRow(s));
  }
}

namespace {

// Every table, index and trigger of a database by name: {type, SQL} (SQLite
// keeps the statement that created each; automatic indexes have none).
StatusOr<std::map<std::string, std::pair<std::string, std::string>>> SchemaOf(Database& db) {
  ASSIGN_OR_RETURN(Statement s, db.Prepare("SELECT name, type, coalesce(sql, '') FROM sqlite_schema"));
  std::map<std::string, std::pair<std::string, std::string>> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out[std::string(s.ColumnText(0))] = {std::string(s.ColumnText(1)), std::string(s.ColumnText(2))};
  }
}

}  // namespace

StatusOr<std::vector<std::string>> SqliteProjectionStore::SchemaDifferences() {
  // The reference is the schema itself, created afresh in memory, so this
  // check never lags behind a change of the schema. A migrated file has the
  // same definitions (MigrateFromV1 creates its tables from the same text).
  ASSIGN_OR_RETURN(auto reference_db, Database::Open(":memory:", true));
  RETURN_IF_ERROR(CreateSchema(*reference_db));
  ASSIGN_OR_RETURN(auto want, SchemaOf(*reference_db));
  std::lock_guard lock(impl_->query_mu);
  ASSIGN_OR_RETURN(auto have, SchemaOf(*impl_->query_db));
  std::vector<std::string> out;
  for (const auto& [name, def] : want) {
    auto it = have.find(name);
    if (it == have.end()) {
      out.push_back(fmt::format("{} {} is missing", def.first, name));
    } else if (it->second != def) {
      out.push_back(fmt::format("{} {} is not defined as Vellum defines it", def.first, name));
    }
  }
  for (const auto& [name, def] : have) {
    if (!want.count(name)) out.push_back(fmt::format("{} {} was added", def.first, name));
  }
  return out;
}

StatusOr<std::vector<std::string>> SqliteProjectionStore::StructureDamage() {
  // quick_check reads every page once (B-tree structure, page use, NOT NULL); it
  // leaves out integrity_check's index-against-table comparison, which costs
  // several times as much and which the row-for-row comparison of verify covers
  // for the tables it reads.
  std::lock_guard lock(impl_->query_mu);
  ASSIGN_OR_RETURN(Statement s, impl_->query_db->Prepare("PRAGMA quick_check(20)"));
  std::vector<std::string> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    std::string line(s.ColumnText(0));
    if (line != "ok") out.push_back("SQLite's structure check: " + line);
  }
  return out;
}

}  // namespace vellum::storage
