#include "storage/embedded/sqlite_db.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/encoding.h"

namespace vellum::storage::sqlite {

namespace {

// The database's file name ("records.db", "auth.db"), so an error says which one.
std::string_view FileLabel(sqlite3* db) {
  const char* path = db ? sqlite3_db_filename(db, "main") : nullptr;
  if (path == nullptr || *path == '\0') return "sqlite";
  std::string_view p(path);
  size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

}  // namespace

Status StatusFromSqlite(sqlite3* db, int rc, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return OkStatus();
  std::string msg = fmt::format("{}: {}: {}", FileLabel(db), what,
                                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLossError(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return UnavailableError(msg);
    case SQLITE_FULL:
      return ResourceExhaustedError(msg);
    case SQLITE_CONSTRAINT:
      return AlreadyExistsError(msg);
    case SQLITE_CANTOPEN: {
      // Missing is kNotFound; a file the process may not open is not "missing".
      int err = db ? sqlite3_system_errno(db) : 0;
      if (err == EACCES || err == EPERM || err == EROFS) {
        return UnavailableError(fmt::format("{} ({})", msg, std::strerror(err)));
      }
      return NotFoundError(msg);
    }
    default:
      return InternalError(msg);
  }
}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Statement& Statement::BindBytes(int i, std::string_view bytes, bool text, bool copy) {
  const int n = static_cast<int>(bytes.size());
  sqlite3_destructor_type how = copy ? SQLITE_TRANSIENT : SQLITE_STATIC;
  if (text) sqlite3_bind_text(stmt_, i, bytes.data(), n, how);
  else sqlite3_bind_blob(stmt_, i, bytes.data(), n, how);
  return *this;
}
Statement& Statement::Bind(int i, std::string_view text) { return BindBytes(i, text, true, true); }
Statement& Statement::BindBlob(int i, std::string_view bytes) { return BindBytes(i, bytes, false, true); }
Statement& Statement::BindTextNoCopy(int i, std::string_view text) { return BindBytes(i, text, true, false); }
Statement& Statement::BindBlobNoCopy(int i, std::string_view bytes) { return BindBytes(i, bytes, false, false); }
Statement& Statement::BindNull(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

StatusOr<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return StatusFromSqlite(db_, rc, sqlite3_sql(stmt_));
}

Status Statement::Run() {
  ScopedReset reset(*this);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return OkStatus();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string_view Statement::ColumnText(int i) const {
  const unsigned char* p = sqlite3_column_text(stmt_, i);
  int n = sqlite3_column_bytes(stmt_, i);
  return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string_view();
}

std::string_view Statement::ColumnBlob(int i) const {
  const void* p = sqlite3_column_blob(stmt_, i);
  int n = sqlite3_column_bytes(stmt_, i);
  return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string_view();
}

namespace {

// Process-wide settings, made before SQLite's first use. Every connection is
// used by one thread at a time (SQLITE_OPEN_NOMUTEX), so the only lock left
// shared by all of them is the one around SQLite's memory statistics, taken
// on every allocation and free; the sequencer's reads and the projection's
// writes contended for it. Vellum never reads those statistics.
void ConfigureSqliteOnce() {
  static const bool configured = [] {
    // Fails harmlessly (SQLITE_MISUSE) if SQLite was initialised already.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
}

}  // namespace

namespace {

// A file name as an SQLite URI (https://sqlite.org/uri.html): every byte
// outside the unreserved characters and '/' is percent-encoded, so a path
// with '?', '#' or '%' in it stays one path.
std::string FileUri(const std::string& path, std::string_view query) {
  std::string uri = "file:";
  for (const char ch : path) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || c == '/') {
      uri += ch;
    } else {
      uri += '%';
      uri += core::HexEncode(std::string_view(&ch, 1));
    }
  }
  uri += '?';
  uri += query;
  return uri;
}

StatusOr<sqlite3*> OpenHandle(const std::string& name, int flags, const std::string& path) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(name.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = StatusFromSqlite(db, rc, "open " + path);
    sqlite3_close(db);
    return s;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  return db;
}

}  // namespace

StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path, bool create, bool read_only) {
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (create && !read_only) flags |= SQLITE_OPEN_CREATE;
  ASSIGN_OR_RETURN(sqlite3 * db, OpenHandle(path, flags, path));
  return std::unique_ptr<Database>(new Database(db));
}

StatusOr<std::unique_ptr<Database>> Database::OpenImmutable(const std::string& path) {
  ASSIGN_OR_RETURN(sqlite3 * db,
                   OpenHandle(FileUri(path, "immutable=1"), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, path));
  return std::unique_ptr<Database>(new Database(db));
}

Database::~Database() { sqlite3_close_v2(db_); }

Status CopyDatabase(const std::string& from, const std::string& to, int mode) {
  // The file first, so that SQLite's journal and the copy take its mode (the
  // copy of auth.db holds password hashes: it must never exist readable by others).
  int fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return InternalError(fmt::format("create {}: {}", to, std::strerror(errno)));
  ::fchmod(fd, static_cast<mode_t>(mode));
  ::close(fd);
  ASSIGN_OR_RETURN(auto src, Database::Open(from, /*create=*/false, /*read_only=*/true));
  ASSIGN_OR_RETURN(auto dst, Database::Open(to, /*create=*/false));
  sqlite3_backup* b = sqlite3_backup_init(dst->handle(), "main", src->handle(), "main");
  if (b == nullptr) return StatusFromSqlite(dst->handle(), sqlite3_errcode(dst->handle()), "copy " + from);
  // One step over every page: SQLite holds one read transaction on `from` for
  // the whole copy (a snapshot), instead of restarting when a writer commits.
  int rc = sqlite3_backup_step(b, -1);
  int finish = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return StatusFromSqlite(dst->handle(), rc, "copy " + from);
  if (finish != SQLITE_OK) return StatusFromSqlite(dst->handle(), finish, "copy " + from);
  return OkStatus();
}

Status SyncDatabaseFiles(const std::string& path) {
  for (const std::string& file : {path, path + "-wal"}) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT && file != path) continue;
      return InternalError(fmt::format("open {}: {}", file, std::strerror(errno)));
    }
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return InternalError(fmt::format("fsync {}: {}", file, std::strerror(err)));
  }
  return OkStatus();
}

Status Database::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    Status st = StatusFromSqlite(db_, rc, err ? err : s);
    sqlite3_free(err);
    return st;
  }
  return OkStatus();
}

StatusOr<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt, nullptr);
  if (rc != SQLITE_OK) return StatusFromSqlite(db_, rc, sql);
  return Statement(db_, stmt);
}

}  // namespace vellum::storage::sqlite
