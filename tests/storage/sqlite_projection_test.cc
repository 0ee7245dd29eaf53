// SqliteProjectionStore: records.db, the projection of the ledger (schema,
// write transactions, the applied-count bookmark recovery resumes from, point
// reads, event queries and snapshot isolation of readers).
#include "storage/embedded/sqlite_projection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "testing/projection_rows.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using vellum::testing::Ev;
using vellum::testing::ReadFileOrDie;
using vellum::testing::TempDir;
using vellum::testing::Ver;

// Column names of a table, read with SQLite directly (independent of the store).
std::set<std::string> Columns(const std::string& db_path, const std::string& table) {
  sqlite3* db = nullptr;
  std::set<std::string> out;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    std::string sql = "SELECT name FROM pragma_table_info('" + table + "')";
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
      while (sqlite3_step(st) == SQLITE_ROW) {
        out.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

std::string JournalMode(const std::string& db_path) {
  sqlite3* db = nullptr;
  std::string mode;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      mode = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return mode;
}

// The first column of every row `sql` returns, as text, read with SQLite directly.
std::vector<std::string> RawColumn(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> out;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
      while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char* t = sqlite3_column_text(st, 0);
        out.push_back(t ? reinterpret_cast<const char*>(t) : "");
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

class SqliteProjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, SqliteProjectionStore::Open(Path(), /*create=*/true));
  }
  std::string Path() const { return tmp_.Sub("records.db"); }

  // Commits `events` and `versions` as one transaction.
  void Commit(const std::vector<EventIndexRow>& events,
              const std::vector<RecordVersionRow>& versions, uint64_t applied) {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->BeginWrite());
    for (const auto& e : events) ASSERT_OK(txn->PutEvent(e));
    for (const auto& v : versions) ASSERT_OK(txn->PutRecordVersion(v));
    ASSERT_OK(txn->Commit(applied));
  }

  // What a fresh snapshot of the store holds: its applied count and row counts.
  void ExpectStored(uint64_t applied, uint64_t events, uint64_t versions) {
    ASSERT_OK_AND_ASSIGN(uint64_t got_applied, store_->AppliedCount());
    EXPECT_EQ(got_applied, applied);
    ASSERT_OK_AND_ASSIGN(auto r, store_->BeginRead(true));
    ASSERT_OK_AND_ASSIGN(auto counts, r->CountRows());
    EXPECT_EQ(counts.events, events);
    EXPECT_EQ(counts.record_versions, versions);
  }

  std::vector<uint64_t> Query(const EventQuery& q) {
    std::vector<uint64_t> out;
    Status s = store_->QueryEvents(q, [&](uint64_t seq) {
      out.push_back(seq);
      return true;
    });
    EXPECT_OK(s);
    return out;
  }

  TempDir tmp_;
  std::unique_ptr<SqliteProjectionStore> store_;
};

TEST_F(SqliteProjectionTest, SchemaIsCreatedInWalMode) {
  EXPECT_EQ(Columns(Path(), "events"),
            (std::set<std::string>{"seq", "ts", "type", "actor", "record_type", "record_id",
                                   "record_version", "leaf_hash"}));
  EXPECT_EQ(Columns(Path(), "record_versions"),
            (std::set<std::string>{"record_type", "record_id", "version", "seq", "ts", "deleted",
                                   "content", "content_hash"}));
  EXPECT_EQ(Columns(Path(), "meta"), (std::set<std::string>{"key", "value"}));
  // Schema version 2: record versions are a rowid table keyed by seq, found by
  // record through a unique index.
  EXPECT_THAT(RawColumn(Path(), "SELECT value FROM meta WHERE key='schema_version'"), ElementsAre("2"));
  EXPECT_THAT(RawColumn(Path(), "SELECT name FROM pragma_table_info('record_versions') WHERE pk > 0"),
              ElementsAre("seq"));
  EXPECT_THAT(RawColumn(Path(), "SELECT name FROM pragma_index_info('record_versions_by_record') ORDER BY seqno"),
              ElementsAre("record_type", "record_id", "version"));
  EXPECT_THAT(RawColumn(Path(), "SELECT \"unique\" FROM pragma_index_list('record_versions') "
                                "WHERE name='record_versions_by_record'"),
              ElementsAre("1"));
  EXPECT_EQ(JournalMode(Path()), "wal");
  ASSERT_OK_AND_ASSIGN(uint64_t applied, store_->AppliedCount());
  EXPECT_EQ(applied, 0u);
}

// A new records.db has 16 KiB pages and checkpoints its WAL every 4 MiB
// (256 pages); a file made with other pages keeps them and works as before.
TEST_F(SqliteProjectionTest, NewFileHas16KiBPagesAnOlderFileKeepsItsOwn) {
  EXPECT_THAT(RawColumn(Path(), "PRAGMA page_size"), ElementsAre("16384"));
  const std::string old_path = tmp_.Sub("old.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(old_path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA page_size=4096; PRAGMA user_version=0; CREATE TABLE t(a); DROP TABLE t",
                           nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  ASSERT_OK_AND_ASSIGN(auto old, SqliteProjectionStore::Open(old_path, /*create=*/false));
  ASSERT_OK_AND_ASSIGN(auto txn, old->BeginWrite());
  ASSERT_OK(txn->PutEvent(Ev(0, 10, "ledger.genesis", "system")));
  ASSERT_OK(txn->Commit(1));
  ASSERT_OK_AND_ASSIGN(uint64_t applied, old->AppliedCount());
  EXPECT_EQ(applied, 1u);
  EXPECT_THAT(RawColumn(old_path, "PRAGMA page_size"), ElementsAre("4096"));
  ASSERT_OK_AND_ASSIGN(auto differences, old->SchemaDifferences());
  EXPECT_THAT(differences, ::testing::IsEmpty());
}

// AT-9: the schema docs/formats/records-db.md publishes, statement for statement, is the one
// a new records.db has (the offline verifier compares records.db with that text).
TEST_F(SqliteProjectionTest, PublishedSchemaIsTheSchema) {
  const std::string doc = ReadFileOrDie(vellum::testing::SourceDir() + "/docs/formats/records-db.md");
  const size_t begin = doc.find("```sql\n");
  ASSERT_NE(begin, std::string::npos);
  const size_t end = doc.find("```", begin + 7);
  ASSERT_NE(end, std::string::npos);
  std::vector<std::string> published;
  std::string block = doc.substr(begin + 7, end - begin - 7);
  for (size_t at = 0; (at = block.find(";\n")) != std::string::npos; block.erase(0, at + 2)) {
    published.push_back(block.substr(0, at));
  }
  EXPECT_EQ(block, "");  // nothing after the last statement
  EXPECT_THAT(RawColumn(Path(), "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid"),
              ElementsAreArray(published));
  EXPECT_THAT(RawColumn(Path(), "SELECT name FROM sqlite_schema WHERE sql IS NULL"),
              ElementsAre("sqlite_autoindex_meta_1"));
}

TEST_F(SqliteProjectionTest, OpenWithoutCreateNeedsAnExistingFile) {
  EXPECT_FALSE(SqliteProjectionStore::Open(tmp_.Sub("missing.db"), /*create=*/false).ok());
  // Reopening an existing database keeps its rows.
  Commit({Ev(0, 10, "ledger.genesis", "system")}, {}, 1);
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, SqliteProjectionStore::Open(Path(), /*create=*/false));
  ASSERT_OK_AND_ASSIGN(uint64_t applied, store_->AppliedCount());
  EXPECT_EQ(applied, 1u);
  ASSERT_OK_AND_ASSIGN(auto r, store_->BeginRead(true));
  ASSERT_OK_AND_ASSIGN(auto e, r->IndexedEvent(0));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(*e, Ev(0, 10, "ledger.genesis", "system"));
}

TEST_F(SqliteProjectionTest, NewerSchemaVersionIsRefused) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(Path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value=99 WHERE key='schema_version'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_THAT(SqliteProjectionStore::Open(Path(), false),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("schema version 99")));
  EXPECT_THAT(SqliteProjectionStore::OpenReadOnly(Path()),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("schema version 99")));
}

// A records.db written by a Vellum with schema version 1 (record_versions keyed
// by (record_type, record_id, version), WITHOUT ROWID), created with SQLite directly.
void WriteSchemaV1(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* sql = R"sql(
    PRAGMA journal_mode=WAL;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
    CREATE TABLE events (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, type TEXT NOT NULL,
      actor TEXT NOT NULL, record_type TEXT, record_id TEXT, record_version INTEGER,
      leaf_hash BLOB NOT NULL) STRICT;
    CREATE INDEX events_by_actor ON events(actor);
    CREATE INDEX events_by_type ON events(type);
    CREATE TABLE record_versions (record_type TEXT NOT NULL, record_id TEXT NOT NULL,
      version INTEGER NOT NULL, seq INTEGER NOT NULL UNIQUE, ts INTEGER NOT NULL,
      deleted INTEGER NOT NULL, content TEXT, content_hash BLOB,
      PRIMARY KEY (record_type, record_id, version)) STRICT, WITHOUT ROWID;
    INSERT INTO meta VALUES ('schema_version', 1), ('applied_count', 4);
    INSERT INTO events VALUES (0, 10, 'ledger.genesis', 'system', NULL, NULL, NULL, x'0000000000000000000000000000000000000000000000000000000000000000');
    INSERT INTO events VALUES (1, 11, 'record.created', 'u', 'note', 'n-2', 1, x'0100000000000000000000000000000000000000000000000000000000000000');
    INSERT INTO events VALUES (2, 12, 'record.created', 'u', 'note', 'n-1', 1, x'0200000000000000000000000000000000000000000000000000000000000000');
    INSERT INTO events VALUES (3, 13, 'record.deleted', 'u', 'note', 'n-2', 2, x'0300000000000000000000000000000000000000000000000000000000000000');
    INSERT INTO record_versions VALUES ('note', 'n-2', 1, 1, 11, 0, '{"a":1}', x'aa00000000000000000000000000000000000000000000000000000000000000');
    INSERT INTO record_versions VALUES ('note', 'n-1', 1, 2, 12, 0, '{"b":1}', x'bb00000000000000000000000000000000000000000000000000000000000000');
    INSERT INTO record_versions VALUES ('note', 'n-2', 2, 3, 13, 1, NULL, NULL);
  )sql";
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

// RV-1, AT-3: an upgrade keeps every version retrievable. A version 1 file is
// migrated in place (its rows copied, its applied count kept), not refused and
// not emptied for a rebuild from the ledger.
TEST_F(SqliteProjectionTest, SchemaVersion1IsMigratedKeepingEveryRow) {
  store_.reset();
  std::string path = tmp_.Sub("v1.db");
  WriteSchemaV1(path);
  ASSERT_OK_AND_ASSIGN(store_, SqliteProjectionStore::Open(path, /*create=*/false));
  ASSERT_OK_AND_ASSIGN(uint64_t applied, store_->AppliedCount());
  EXPECT_EQ(applied, 4u);
  EXPECT_THAT(RawColumn(path, "SELECT value FROM meta WHERE key='schema_version'"), ElementsAre("2"));
  EXPECT_THAT(RawColumn(path, "SELECT name FROM pragma_table_info('record_versions') WHERE pk > 0"),
              ElementsAre("seq"));
  EXPECT_THAT(RawColumn(path, "SELECT name FROM sqlite_schema WHERE name LIKE 'record_versions%' ORDER BY name"),
              ElementsAre("record_versions", "record_versions_by_record"));

  ASSERT_OK_AND_ASSIGN(auto r, store_->BeginRead(true));
  std::vector<RecordVersionRow> rows;
  ASSERT_OK(r->VersionsInRange(0, 100, &rows));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].record_id, "n-2");
  EXPECT_EQ(rows[0].content, "{\"a\":1}");
  EXPECT_EQ(rows[1].seq, 2u);
  EXPECT_EQ(rows[1].record_id, "n-1");
  EXPECT_EQ(rows[1].ts, 12);
  EXPECT_TRUE(rows[2].deleted);
  EXPECT_EQ(rows[2].version, 2u);
  ASSERT_OK_AND_ASSIGN(auto latest, r->LatestVersion("note", "n-2"));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->seq, 3u);
  ASSERT_OK_AND_ASSIGN(auto before, r->LatestVersionBefore("note", "n-2", 3));
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(*before, rows[0]);
  ASSERT_OK_AND_ASSIGN(auto e, r->IndexedEvent(3));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->record_version, 2u);
  r.reset();
  ASSERT_OK_AND_ASSIGN(auto listed, store_->ListRecords("note"));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0], rows[1]);
  EXPECT_EQ(listed[1], rows[2]);

  // The migrated file takes new versions and reopens without another migration.
  Commit({Ev(4, 14, "record.modified", "u", "note", "n-1", 2)}, {Ver("note", "n-1", 2, 4)}, 5);
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, SqliteProjectionStore::Open(path, /*create=*/false));
  ASSERT_OK_AND_ASSIGN(auto h, store_->History("note", "n-1"));
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0], rows[1]);
  EXPECT_EQ(h[1], Ver("note", "n-1", 2, 4));
}

// AT-4: what `vellum verify` opens. A cleanly closed file (no -wal) is read as
// immutable: the rows are there and SQLite creates no -wal or -shm beside it; writes
// are refused; an older schema is refused, not migrated.
TEST_F(SqliteProjectionTest, ReadOnlyOpenReadsAndWritesNothing) {
  namespace fs = std::filesystem;
  Commit({Ev(0, 10, "record.created", "u", "note", "n-1", 1)}, {Ver("note", "n-1", 1, 0)}, 1);
  store_.reset();  // the last connection checkpoints and removes the -wal file
  ASSERT_FALSE(fs::exists(Path() + "-wal"));
  const std::string before = ReadFileOrDie(Path());
  {
    ASSERT_OK_AND_ASSIGN(auto ro, SqliteProjectionStore::OpenReadOnly(Path()));
    ASSERT_OK_AND_ASSIGN(uint64_t applied, ro->AppliedCount());
    EXPECT_EQ(applied, 1u);
    ASSERT_OK_AND_ASSIGN(auto r, ro->BeginRead(true));
    ASSERT_OK_AND_ASSIGN(auto v, r->VersionBySeq(0));
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(*v, Ver("note", "n-1", 1, 0));
    ASSERT_OK_AND_ASSIGN(auto differences, ro->SchemaDifferences());
    EXPECT_THAT(differences, ::testing::IsEmpty());
    EXPECT_THAT(ro->BeginWrite().status(), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("read-only")));
    EXPECT_FALSE(fs::exists(Path() + "-wal"));
    EXPECT_FALSE(fs::exists(Path() + "-shm"));
  }
  EXPECT_EQ(ReadFileOrDie(Path()), before);

  std::string v1 = tmp_.Sub("v1.db");
  WriteSchemaV1(v1);
  const std::string v1_before = ReadFileOrDie(v1);
  EXPECT_THAT(SqliteProjectionStore::OpenReadOnly(v1).status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("schema version 1")));
  EXPECT_EQ(ReadFileOrDie(v1), v1_before);
  EXPECT_THAT(SqliteProjectionStore::OpenReadOnly(tmp_.Sub("missing.db")).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("missing.db")));
}

// The immutable open names the file by an SQLite URI: characters a URI gives
// meaning to ('?', '#', '%', space) stay part of the path.
TEST_F(SqliteProjectionTest, ReadOnlyOpenTakesAnyPath) {
  namespace fs = std::filesystem;
  Commit({Ev(0, 10, "record.created", "u", "note", "n-1", 1)}, {Ver("note", "n-1", 1, 0)}, 1);
  store_.reset();
  const std::string dir = tmp_.Sub("odd ?name#100%");
  fs::create_directories(dir);
  fs::copy_file(Path(), dir + "/records.db");
  ASSERT_OK_AND_ASSIGN(auto ro, SqliteProjectionStore::OpenReadOnly(dir + "/records.db"));
  ASSERT_OK_AND_ASSIGN(uint64_t applied, ro->AppliedCount());
  EXPECT_EQ(applied, 1u);
  EXPECT_FALSE(fs::exists(tmp_.Sub("odd ")));  // no file made under the part before '?'
}

// A migration that fails leaves the version 1 file as it was.
TEST_F(SqliteProjectionTest, FailedMigrationLeavesTheFileUnchanged) {
  store_.reset();
  std::string path = tmp_.Sub("v1.db");
  WriteSchemaV1(path);
  // A name the migration needs is taken, so it fails half-way.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE record_versions_v1 (x INTEGER)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto failed = SqliteProjectionStore::Open(path, /*create=*/false);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(), HasSubstr("migrating records.db from schema version 1"));
  EXPECT_THAT(RawColumn(path, "SELECT value FROM meta WHERE key='schema_version'"), ElementsAre("1"));
  EXPECT_THAT(RawColumn(path, "SELECT name FROM pragma_table_info('record_versions') WHERE pk > 0 ORDER BY pk"),
              ElementsAre("record_type", "record_id", "version"));
  EXPECT_THAT(RawColumn(path, "SELECT count(*) FROM record_versions"), ElementsAre("3"));
}

TEST_F(SqliteProjectionTest, WriteTxnCommitsAndCountsApplied) {
  ASSERT_OK_AND_ASSIGN(auto txn, store_->BeginWrite());
  // One writer at a time.
  EXPECT_THAT(store_->BeginWrite(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("already open")));
  ASSERT_OK(txn->PutEvent(Ev(0, 10, "ledger.genesis", "system")));
  ASSERT_OK(txn->PutEvent(Ev(1, 11, "record.created", "u-1", "note", "n-1", 1)));
  ASSERT_OK(txn->PutRecordVersion(Ver("note", "n-1", 1, 1)));
  // The txn reads its own writes.
  ASSERT_OK_AND_ASSIGN(auto latest, txn->LatestVersion("note", "n-1"));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(*latest, Ver("note", "n-1", 1, 1));
  ASSERT_OK_AND_ASSIGN(auto counts, txn->CountRows());
  EXPECT_EQ(counts.events, 2u);
  EXPECT_EQ(counts.record_versions, 1u);
  // Others do not, until commit.
  ASSERT_OK_AND_ASSIGN(auto live, store_->BeginRead(/*snapshot=*/false));
  ASSERT_OK_AND_ASSIGN(auto unseen, live->LatestVersion("note", "n-1"));
  EXPECT_FALSE(unseen.has_value());
  ASSERT_OK(txn->Commit(2));
  txn.reset();
  ASSERT_OK_AND_ASSIGN(uint64_t applied, store_->AppliedCount());
  EXPECT_EQ(applied, 2u);
  ASSERT_OK_AND_ASSIGN(auto seen, live->LatestVersion("note", "n-1"));
  EXPECT_TRUE(seen.has_value());
  // The next transaction can begin.
  ASSERT_OK_AND_ASSIGN(auto txn2, store_->BeginWrite());
}

TEST_F(SqliteProjectionTest, UncommittedTxnRollsBackOnDestroy) {
  Commit({Ev(0, 10, "ledger.genesis", "system")}, {}, 1);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->BeginWrite());
    ASSERT_OK(txn->PutEvent(Ev(1, 11, "record.created", "u-1", "note", "n-1", 1)));
    ASSERT_OK(txn->PutRecordVersion(Ver("note", "n-1", 1, 1)));
  }  // no Commit
  ExpectStored(/*applied=*/1, /*events=*/1, /*versions=*/0);
  ASSERT_OK_AND_ASSIGN(auto r, store_->BeginRead(true));
  ASSERT_OK_AND_ASSIGN(auto e1, r->IndexedEvent(1));
  EXPECT_FALSE(e1.has_value());
  // The same rows can be written again afterwards.
  Commit({Ev(1, 11, "record.created", "u-1", "note", "n-1", 1)}, {Ver("note", "n-1", 1, 1)}, 2);
}

TEST_F(SqliteProjectionTest, DuplicateRowsAreRejected) {
  Commit({Ev(0, 10, "a", "u")}, {Ver("note", "n-1", 1, 0)}, 1);
  ASSERT_OK_AND_ASSIGN(auto txn, store_->BeginWrite());
  EXPECT_THAT(txn->PutEvent(Ev(0, 10, "a", "u")),
              StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_THAT(txn->PutRecordVersion(Ver("note", "n-1", 1, 5)),
              StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  // One version per event.
  EXPECT_THAT(txn->PutRecordVersion(Ver("note", "n-2", 1, 0)),
              StatusIs(StatusCode::kAlreadyExists, ::testing::_));
}

// Rows written many at a time (the projection thread's path) read back exactly
// as rows written one by one, whatever their number against the engine's
// statement size; a failure anywhere in them writes nothing (SR-1).
TEST_F(SqliteProjectionTest, RowsWrittenInBulkReadBackAsWritten) {
  for (size_t n : {1u, 31u, 32u, 33u, 64u, 100u}) {
    SCOPED_TRACE(n);
    TempDir dir;
    ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(dir.Sub("records.db"), true));
    std::vector<EventIndexRow> events;
    std::vector<RecordVersionRow> versions;
    for (uint64_t seq = 0; seq < n; ++seq) {
      if (seq % 5 == 4) {
        events.push_back(Ev(seq, 10 + static_cast<int64_t>(seq), "user.locked", "u-1"));
        continue;
      }
      events.push_back(Ev(seq, 10 + static_cast<int64_t>(seq), "record.created", "u-1", "note",
                          "n-" + std::to_string(seq), 1));
      versions.push_back(Ver("note", "n-" + std::to_string(seq), 1, seq, /*deleted=*/seq % 7 == 3));
    }
    {
      ASSERT_OK_AND_ASSIGN(auto txn, store->BeginWrite());
      ASSERT_OK(txn->PutEvents(events));
      ASSERT_OK(txn->PutRecordVersions(versions));
      ASSERT_OK(txn->Commit(n));
    }
    ASSERT_OK_AND_ASSIGN(auto r, store->BeginRead(true));
    std::vector<EventIndexRow> got_events;
    std::vector<RecordVersionRow> got_versions;
    ASSERT_OK(r->EventsInRange(0, n, &got_events));
    ASSERT_OK(r->VersionsInRange(0, n, &got_versions));
    EXPECT_EQ(got_events, events);
    EXPECT_EQ(got_versions, versions);
  }
}

TEST_F(SqliteProjectionTest, FailedBulkWriteLeavesNothingAndTheStoreUsable) {
  Commit({Ev(0, 10, "ledger.genesis", "system")}, {Ver("note", "n-40", 1, 0)}, 1);
  std::vector<EventIndexRow> events;
  std::vector<RecordVersionRow> versions;
  for (uint64_t seq = 1; seq <= 64; ++seq) {
    events.push_back(Ev(seq, 10, "record.created", "u-1", "note", "n-" + std::to_string(seq), 1));
    versions.push_back(Ver("note", "n-" + std::to_string(seq), 1, seq));
  }
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->BeginWrite());
    ASSERT_OK(txn->PutEvents(events));
    // The 40th row repeats a version records.db already holds: inside the
    // second statement of 32, after the first was written.
    EXPECT_THAT(txn->PutRecordVersions(versions), StatusIs(StatusCode::kAlreadyExists, HasSubstr("UNIQUE")));
    // The failure ended the transaction: nothing more is written or committed through it.
    EXPECT_THAT(txn->PutEvent(Ev(70, 10, "user.locked", "u-1")),
                StatusIs(StatusCode::kFailedPrecondition, HasSubstr("rolled back")));
    EXPECT_THAT(txn->Commit(71), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("rolled back")));
  }  // abandoned
  ExpectStored(/*applied=*/1, /*events=*/1, /*versions=*/1);
  // The next transaction writes them all once the conflict is gone.
  versions.erase(versions.begin() + 39);
  ASSERT_OK_AND_ASSIGN(auto txn, store_->BeginWrite());
  ASSERT_OK(txn->PutEvents(events));
  ASSERT_OK(txn->PutRecordVersions(versions));
  ASSERT_OK(txn->Commit(65));
  txn.reset();
  ExpectStored(/*applied=*/65, /*events=*/65, /*versions=*/64);
}

TEST_F(SqliteProjectionTest, PointReads) {
  Commit(
      {Ev(0, 10, "ledger.genesis", "system"), Ev(1, 11, "record.created", "u-1", "note", "n-1", 1),
       Ev(2, 12, "record.created", "u-1", "note", "n-2", 1),
       Ev(3, 13, "record.modified", "u-2", "note", "n-1", 2),
       Ev(4, 14, "record.deleted", "u-2", "note", "n-1", 3)},
      {Ver("note", "n-1", 1, 1), Ver("note", "n-2", 1, 2), Ver("note", "n-1", 2, 3),
       Ver("note", "n-1", 3, 4, /*deleted=*/true)},
      5);
  ASSERT_OK_AND_ASSIGN(auto r, store_->BeginRead(true));

  ASSERT_OK_AND_ASSIGN(auto latest, r->LatestVersion("note", "n-1"));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(*latest, Ver("note", "n-1", 3, 4, true));  // a tombstone is the latest version
  EXPECT_TRUE(latest->deleted);
  EXPECT_EQ(latest->content, "");
  EXPECT_EQ(latest->content_hash, core::Hash{});
  ASSERT_OK_AND_ASSIGN(auto missing, r->LatestVersion("note", "n-9"));
  EXPECT_FALSE(missing.has_value());
  ASSERT_OK_AND_ASSIGN(auto other_type, r->LatestVersion("task", "n-1"));
  EXPECT_FALSE(other_type.has_value());

  // The state a replay of event `seq` sees.
  ASSERT_OK_AND_ASSIGN(auto before1, r->LatestVersionBefore("note", "n-1", 1));
  EXPECT_FALSE(before1.has_value());
  ASSERT_OK_AND_ASSIGN(auto before3, r->LatestVersionBefore("note", "n-1", 3));
  ASSERT_TRUE(before3.has_value());
  EXPECT_EQ(before3->version, 1u);
  ASSERT_OK_AND_ASSIGN(auto before4, r->LatestVersionBefore("note", "n-1", 4));
  EXPECT_EQ(before4->version, 2u);
  ASSERT_OK_AND_ASSIGN(auto before99, r->LatestVersionBefore("note", "n-1", 99));
  EXPECT_EQ(before99->version, 3u);

  for (uint64_t v = 1; v <= 3; ++v) {
    ASSERT_OK_AND_ASSIGN(auto row, r->Version("note", "n-1", v));
    ASSERT_TRUE(row.has_value()) << v;
    EXPECT_EQ(row->version, v);
  }
  ASSERT_OK_AND_ASSIGN(auto v4, r->Version("note", "n-1", 4));
  EXPECT_FALSE(v4.has_value());

  ASSERT_OK_AND_ASSIGN(auto by3, r->VersionBySeq(3));
  ASSERT_TRUE(by3.has_value());
  EXPECT_EQ(*by3, Ver("note", "n-1", 2, 3));
  ASSERT_OK_AND_ASSIGN(auto by0, r->VersionBySeq(0));
  EXPECT_FALSE(by0.has_value());

  ASSERT_OK_AND_ASSIGN(auto e0, r->IndexedEvent(0));
  ASSERT_TRUE(e0.has_value());
  EXPECT_EQ(*e0, Ev(0, 10, "ledger.genesis", "system"));
  EXPECT_EQ(e0->record_type, "");  // stored as NULL, read back as empty
  EXPECT_EQ(e0->record_version, 0u);
  ASSERT_OK_AND_ASSIGN(auto e3, r->IndexedEvent(3));
  EXPECT_EQ(*e3, Ev(3, 13, "record.modified", "u-2", "note", "n-1", 2));
  ASSERT_OK_AND_ASSIGN(auto e5, r->IndexedEvent(5));
  EXPECT_FALSE(e5.has_value());

  ASSERT_OK_AND_ASSIGN(auto counts, r->CountRows());
  EXPECT_EQ(counts.events, 5u);
  EXPECT_EQ(counts.record_versions, 4u);
  EXPECT_EQ(counts.max_event_seq, 4);
  EXPECT_EQ(counts.max_version_seq, 4);
}

// Verify's sequential reads: ranges are half-open, ordered by seq, skip seqs
// without a row, append to what the caller holds, and agree with point reads
// (the default implementation every other engine inherits).
TEST_F(SqliteProjectionTest, RangeReadsAreOrderedHalfOpenAndMatchPointReads) {
  // Written out of seq order, so the order comes from the read, not the insertion.
  Commit(
      {Ev(3, 13, "record.modified", "u-2", "note", "n-1", 2), Ev(0, 10, "ledger.genesis", "system"),
       Ev(1, 11, "record.created", "u-1", "note", "n-1", 1),
       Ev(2, 12, "record.created", "u-1", "note", "n-2", 1), Ev(5, 15, "user.locked", "u-9")},
      {Ver("note", "n-1", 2, 3), Ver("note", "n-2", 1, 2), Ver("note", "n-1", 1, 1)}, 6);
  ASSERT_OK_AND_ASSIGN(auto r, store_->BeginRead(true));

  // What the vector held is replaced, its rows overwritten (fewer rows than it held, then more).
  std::vector<EventIndexRow> events(5, Ev(99, 0, "replaced", "x", "t", "id", 7));
  ASSERT_OK(r->EventsInRange(1, 5, &events));
  std::vector<uint64_t> seqs;
  for (const auto& e : events) seqs.push_back(e.seq);
  EXPECT_THAT(seqs, ElementsAre(1, 2, 3));  // 4 has no row; 5 is past the end
  EXPECT_EQ(events[0], Ev(1, 11, "record.created", "u-1", "note", "n-1", 1));
  EXPECT_EQ(events[2], Ev(3, 13, "record.modified", "u-2", "note", "n-1", 2));
  ASSERT_OK(r->EventsInRange(0, 100, &events));
  EXPECT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0], Ev(0, 10, "ledger.genesis", "system"));
  EXPECT_EQ(events[4], Ev(5, 15, "user.locked", "u-9"));

  std::vector<RecordVersionRow> versions;
  ASSERT_OK(r->VersionsInRange(0, 100, &versions));
  EXPECT_THAT(versions, ElementsAre(Ver("note", "n-1", 1, 1), Ver("note", "n-2", 1, 2),
                                    Ver("note", "n-1", 2, 3)));
  versions.clear();
  ASSERT_OK(r->VersionsInRange(2, 2, &versions));
  EXPECT_TRUE(versions.empty());
  // Bounds beyond SQLite's signed integers are clamped, not wrapped.
  ASSERT_OK(r->VersionsInRange(3, UINT64_MAX, &versions));
  EXPECT_THAT(versions, ElementsAre(Ver("note", "n-1", 2, 3)));

  // The interface's default (point reads) gives the same rows.
  class PointOnly final : public ProjectionReader {
   public:
    explicit PointOnly(ProjectionReader* r) : r_(r) {}
    StatusOr<std::optional<RecordVersionRow>> LatestVersion(const std::string& t,
                                                            const std::string& id) override {
      return r_->LatestVersion(t, id);
    }
    StatusOr<std::optional<RecordVersionRow>> LatestVersionBefore(const std::string& t,
                                                                  const std::string& id,
                                                                  uint64_t seq) override {
      return r_->LatestVersionBefore(t, id, seq);
    }
    StatusOr<std::optional<RecordVersionRow>> Version(const std::string& t, const std::string& id,
                                                      uint64_t v) override {
      return r_->Version(t, id, v);
    }
    StatusOr<std::optional<RecordVersionRow>> VersionBySeq(uint64_t seq) override {
      return r_->VersionBySeq(seq);
    }
    StatusOr<std::optional<EventIndexRow>> IndexedEvent(uint64_t seq) override {
      return r_->IndexedEvent(seq);
    }
    StatusOr<Counts> CountRows() override { return r_->CountRows(); }

   private:
    ProjectionReader* r_;
  } point(r.get());
  std::vector<EventIndexRow> fast_events, slow_events;
  std::vector<RecordVersionRow> fast_versions, slow_versions;
  ASSERT_OK(r->EventsInRange(0, 7, &fast_events));
  ASSERT_OK(point.EventsInRange(0, 7, &slow_events));
  EXPECT_EQ(fast_events, slow_events);
  ASSERT_OK(r->VersionsInRange(0, 7, &fast_versions));
  ASSERT_OK(point.VersionsInRange(0, 7, &slow_versions));
  EXPECT_EQ(fast_versions, slow_versions);
}

TEST_F(SqliteProjectionTest, CountRowsOfEmptyStore) {
  ASSERT_OK_AND_ASSIGN(auto r, store_->BeginRead(true));
  ASSERT_OK_AND_ASSIGN(auto counts, r->CountRows());
  EXPECT_EQ(counts.events, 0u);
  EXPECT_EQ(counts.record_versions, 0u);
  EXPECT_EQ(counts.max_event_seq, -1);
  EXPECT_EQ(counts.max_version_seq, -1);
}

TEST_F(SqliteProjectionTest, HistoryIsOldestFirst) {
  // Inserted out of version order on purpose.
  Commit({},
         {Ver("note", "n-1", 3, 7, true), Ver("note", "n-1", 1, 2), Ver("note", "n-2", 1, 3),
          Ver("note", "n-1", 2, 5)},
         8);
  ASSERT_OK_AND_ASSIGN(auto h, store_->History("note", "n-1"));
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0], Ver("note", "n-1", 1, 2));
  EXPECT_EQ(h[1], Ver("note", "n-1", 2, 5));
  EXPECT_EQ(h[2], Ver("note", "n-1", 3, 7, true));
  ASSERT_OK_AND_ASSIGN(auto none, store_->History("note", "n-3"));
  EXPECT_TRUE(none.empty());
}

class QueryEventsTest : public SqliteProjectionTest {
 protected:
  void SetUp() override {
    SqliteProjectionTest::SetUp();
    // seq: ts, type, actor, record
    Commit({Ev(0, 100, "ledger.genesis", "system"),
            Ev(1, 200, "record.created", "alice", "note", "n-1", 1),
            Ev(2, 300, "record.created", "bob", "task", "t-1", 1),
            Ev(3, 400, "record.modified", "alice", "note", "n-1", 2),
            Ev(4, 500, "record.created", "alice", "note", "n-2", 1),
            Ev(5, 600, "record.deleted", "bob", "note", "n-1", 3),
            Ev(6, 700, "checkpoint.made", "system"),
            Ev(7, 800, "record.modified", "bob", "task", "t-1", 2)},
           // Every record event makes a version: the store finds a record's
           // events through its versions.
           {Ver("note", "n-1", 1, 1), Ver("task", "t-1", 1, 2), Ver("note", "n-1", 2, 3),
            Ver("note", "n-2", 1, 4), Ver("note", "n-1", 3, 5, true), Ver("task", "t-1", 2, 7)},
           8);
  }
};

TEST_F(QueryEventsTest, EachFilter) {
  EXPECT_THAT(Query({}), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7));
  EventQuery q;
  q.record_type = "note";
  EXPECT_THAT(Query(q), ElementsAre(1, 3, 4, 5));
  q = {};
  q.record_id = "n-1";
  EXPECT_THAT(Query(q), ElementsAre(1, 3, 5));
  q = {};
  q.actor = "bob";
  EXPECT_THAT(Query(q), ElementsAre(2, 5, 7));
  q = {};
  q.type = "record.created";
  EXPECT_THAT(Query(q), ElementsAre(1, 2, 4));
  q = {};
  q.since = 400;  // inclusive
  EXPECT_THAT(Query(q), ElementsAre(3, 4, 5, 6, 7));
  q = {};
  q.until = 400;  // exclusive
  EXPECT_THAT(Query(q), ElementsAre(0, 1, 2));
  q = {};
  q.from_seq = 6;  // seq >= from_seq
  EXPECT_THAT(Query(q), ElementsAre(6, 7));
  q = {};
  q.limit = 3;
  EXPECT_THAT(Query(q), ElementsAre(0, 1, 2));
}

TEST_F(QueryEventsTest, Combinations) {
  EventQuery q;
  q.record_type = "note";
  q.record_id = "n-1";
  q.actor = "alice";
  EXPECT_THAT(Query(q), ElementsAre(1, 3));
  q.type = "record.modified";
  EXPECT_THAT(Query(q), ElementsAre(3));

  q = {};
  q.actor = "alice";
  q.since = 250;
  q.until = 500;
  EXPECT_THAT(Query(q), ElementsAre(3));

  q = {};
  q.record_type = "task";
  q.record_id = "n-1";  // an id of another type
  EXPECT_TRUE(Query(q).empty());

  q = {};
  q.actor = "bob";
  q.from_seq = 3;
  q.limit = 1;
  EXPECT_THAT(Query(q), ElementsAre(5));

  q = {};
  q.since = 500;
  q.until = 500;  // empty range
  EXPECT_TRUE(Query(q).empty());

  // Paging: from_seq + limit walk the whole log without gaps or repeats.
  std::vector<uint64_t> paged;
  uint64_t next = 0;
  for (;;) {
    EventQuery page;
    page.from_seq = next;
    page.limit = 3;
    auto got = Query(page);
    if (got.empty()) break;
    paged.insert(paged.end(), got.begin(), got.end());
    next = got.back() + 1;
  }
  EXPECT_THAT(paged, ElementsAre(0, 1, 2, 3, 4, 5, 6, 7));
}

TEST_F(QueryEventsTest, FiltersAreBoundNotSpliced) {
  // A filter value is data, never SQL.
  EventQuery q;
  q.actor = "alice' OR '1'='1";
  EXPECT_TRUE(Query(q).empty());
  q = {};
  q.record_id = "x\"; DROP TABLE events; --";
  EXPECT_TRUE(Query(q).empty());
  EXPECT_EQ(Query({}).size(), 8u);
}

TEST_F(QueryEventsTest, CallbackStopsEarly) {
  std::vector<uint64_t> seen;
  ASSERT_OK(store_->QueryEvents({}, [&](uint64_t seq) {
    seen.push_back(seq);
    return seen.size() < 2;
  }));
  EXPECT_THAT(seen, ElementsAre(0, 1));
}

TEST_F(SqliteProjectionTest, SnapshotReaderIsIsolatedLiveReaderIsNot) {
  Commit(
      {Ev(0, 10, "ledger.genesis", "system"), Ev(1, 11, "record.created", "u", "note", "n-1", 1)},
      {Ver("note", "n-1", 1, 1)}, 2);
  ASSERT_OK_AND_ASSIGN(auto snapshot, store_->BeginRead(/*snapshot=*/true));
  ASSERT_OK_AND_ASSIGN(auto live, store_->BeginRead(/*snapshot=*/false));

  Commit({Ev(2, 12, "record.modified", "u", "note", "n-1", 2),
          Ev(3, 13, "record.created", "u", "note", "n-2", 1)},
         {Ver("note", "n-1", 2, 2), Ver("note", "n-2", 1, 3)}, 4);

  // The snapshot still sees the state at BeginRead, consistently across reads.
  ASSERT_OK_AND_ASSIGN(auto s_latest, snapshot->LatestVersion("note", "n-1"));
  EXPECT_EQ(s_latest->version, 1u);
  ASSERT_OK_AND_ASSIGN(auto s_new, snapshot->LatestVersion("note", "n-2"));
  EXPECT_FALSE(s_new.has_value());
  ASSERT_OK_AND_ASSIGN(auto s_e2, snapshot->IndexedEvent(2));
  EXPECT_FALSE(s_e2.has_value());
  ASSERT_OK_AND_ASSIGN(auto s_counts, snapshot->CountRows());
  EXPECT_EQ(s_counts.events, 2u);
  EXPECT_EQ(s_counts.record_versions, 1u);

  // The live reader sees every commit.
  ASSERT_OK_AND_ASSIGN(auto l_latest, live->LatestVersion("note", "n-1"));
  EXPECT_EQ(l_latest->version, 2u);
  ASSERT_OK_AND_ASSIGN(auto l_counts, live->CountRows());
  EXPECT_EQ(l_counts.events, 4u);

  Commit({Ev(4, 14, "record.deleted", "u", "note", "n-2", 2)}, {Ver("note", "n-2", 2, 4, true)}, 5);
  ASSERT_OK_AND_ASSIGN(auto l_n2, live->LatestVersion("note", "n-2"));
  EXPECT_TRUE(l_n2->deleted);
  ASSERT_OK_AND_ASSIGN(auto s_n2, snapshot->LatestVersion("note", "n-2"));
  EXPECT_FALSE(s_n2.has_value());

  // A new snapshot starts from the latest commit.
  snapshot.reset();
  ASSERT_OK_AND_ASSIGN(auto fresh, store_->BeginRead(true));
  ASSERT_OK_AND_ASSIGN(auto f_counts, fresh->CountRows());
  EXPECT_EQ(f_counts.events, 5u);
}

TEST_F(SqliteProjectionTest, OpenSnapshotDoesNotBlockTheWriter) {
  ASSERT_OK_AND_ASSIGN(auto snapshot, store_->BeginRead(true));
  // WAL mode: a long-lived reader never stalls the sequencer.
  Commit({Ev(0, 10, "ledger.genesis", "system")}, {}, 1);
  Commit({Ev(1, 11, "x", "system")}, {}, 2);
  ASSERT_OK_AND_ASSIGN(uint64_t applied, store_->AppliedCount());
  EXPECT_EQ(applied, 2u);
}

// The keys a cache of existing records is filled from: each record with a
// version once (its tombstone included), in any order, until told to stop.
TEST_F(SqliteProjectionTest, ForEachRecordKeyListsEachRecordOnce) {
  Commit({}, {Ver("note", "n-1", 1, 1), Ver("note", "n-2", 1, 2), Ver("note", "n-1", 2, 3),
              Ver("task", "n-1", 1, 4), Ver("note", "n-2", 2, 5, /*deleted=*/true)},
         6);
  ASSERT_OK_AND_ASSIGN(auto r, store_->BeginRead(/*snapshot=*/true));
  std::vector<std::pair<std::string, std::string>> keys;
  ASSERT_OK(r->ForEachRecordKey([&](std::string_view type, std::string_view id) {
    keys.emplace_back(type, id);
    return true;
  }));
  std::sort(keys.begin(), keys.end());
  EXPECT_THAT(keys, ElementsAre(std::pair<std::string, std::string>{"note", "n-1"},
                                std::pair<std::string, std::string>{"note", "n-2"},
                                std::pair<std::string, std::string>{"task", "n-1"}));
  int calls = 0;
  ASSERT_OK(r->ForEachRecordKey([&](std::string_view, std::string_view) { return ++calls < 2; }));
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace vellum::storage
