// A thin RAII layer over the SQLite C API: errors become Status values,
// statements are prepared once and reset after use.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vellum::storage::sqlite {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds are 1-based as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT).
  Statement& Bind(int i, int64_t v);
  Statement& Bind(int i, std::string_view text);
  Statement& BindBlob(int i, std::string_view bytes);
  Statement& BindNull(int i);
  // Binds without copying (SQLITE_STATIC), for hot paths whose values are
  // already in memory. REQUIRES: the bytes stay valid until the statement is
  // reset (Run and ScopedReset do that, and Reset clears the bindings).
  Statement& BindTextNoCopy(int i, std::string_view text);
  Statement& BindBlobNoCopy(int i, std::string_view bytes);

  // Steps once: true when a row is available, false when done.
  StatusOr<bool> Step();
  // Steps to completion, expecting no rows.
  Status Run();
  // Clears bindings and resets for reuse.
  void Reset();

  int64_t ColumnInt(int i) const { return sqlite3_column_int64(stmt_, i); }
  std::string_view ColumnText(int i) const;
  std::string_view ColumnBlob(int i) const;
  bool ColumnIsNull(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }

 private:
  Statement& BindBytes(int i, std::string_view bytes, bool text, bool copy);
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when leaving scope, so a reused statement never keeps a read open.
class ScopedReset {
 public:
  explicit ScopedReset(Statement& s) : s_(s) {}
  ~ScopedReset() { s_.Reset(); }
  ScopedReset(const ScopedReset&) = delete;
  ScopedReset& operator=(const ScopedReset&) = delete;

 private:
  Statement& s_;
};

class Database {
 public:
  // Opens (creating if `create`) a database file.
  static StatusOr<std::unique_ptr<Database>> Open(const std::string& path, bool create, bool read_only = false);
  // Opens read-only a file that nothing changes while it is open (SQLite's
  // `immutable=1`): no locks, and no -wal or -shm file is read or created.
  // REQUIRES: the caller keeps writers out, and no -wal file holds commits.
  static StatusOr<std::unique_ptr<Database>> OpenImmutable(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status Exec(std::string_view sql);
  StatusOr<Statement> Prepare(std::string_view sql);
  sqlite3* handle() { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// Copies the database at `from` into a new file `to` with SQLite's online
// backup API, as one consistent snapshot: writers in other connections or
// processes go on meanwhile (records.db and auth.db are WAL databases), and
// the copy holds every commit made before the copy began, none made after.
// `to` must not exist; it is created with permission bits `mode` and is
// durable when this returns.
Status CopyDatabase(const std::string& from, const std::string& to, int mode);

// fsync of the database file at `path` and of its -wal file, if there is one:
// everything SQLite handed to the kernel for them is then on stable storage,
// whatever its `synchronous` setting was when it was written.
Status SyncDatabaseFiles(const std::string& path);

// Maps a SQLite result code to a Status (SQLITE_CORRUPT/NOTADB → kDataLoss, BUSY → kUnavailable).
// The message is "<file name>: <what>: <SQLite's message>"; it never contains bound values.
Status StatusFromSqlite(sqlite3* db, int rc, std::string_view what);

}  // namespace vellum::storage::sqlite
