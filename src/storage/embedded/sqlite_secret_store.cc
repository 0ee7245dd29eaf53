#include "storage/embedded/sqlite_secret_store.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <filesystem>
#include <mutex>

#include "storage/embedded/sqlite_db.h"

namespace vellum::storage {
namespace {

using sqlite::Database;
using sqlite::ScopedReset;
using sqlite::Statement;

// STRICT tables: a value of the wrong type is an error, never silently stored
// (a hash bound as text where a blob belongs would no longer match on lookup).
// Hashes of random tokens are 32-byte blobs, checked here as well as in code.
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS passwords (
  user_id     TEXT PRIMARY KEY,
  hash        TEXT NOT NULL,
  set_at_us   INTEGER NOT NULL,
  must_change INTEGER NOT NULL CHECK (must_change IN (0, 1))
) STRICT;
CREATE TABLE IF NOT EXISTS password_history (
  id        INTEGER PRIMARY KEY,
  user_id   TEXT NOT NULL,
  hash      TEXT NOT NULL,
  set_at_us INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS password_history_by_user ON password_history(user_id, id);
CREATE TABLE IF NOT EXISTS totp (
  user_id   TEXT PRIMARY KEY,
  secret    BLOB NOT NULL,
  last_step INTEGER
) STRICT;
CREATE TABLE IF NOT EXISTS api_keys (
  key_id     TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL,
  key_hash   BLOB NOT NULL UNIQUE CHECK (length(key_hash) = 32),
  created_us INTEGER NOT NULL,
  expires_us INTEGER,
  revoked_us INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS api_keys_by_user ON api_keys(user_id);
CREATE TABLE IF NOT EXISTS sessions (
  session_id     TEXT PRIMARY KEY,
  token_hash     BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  user_id        TEXT NOT NULL,
  created_us     INTEGER NOT NULL,
  last_seen_us   INTEGER NOT NULL,
  ended_us       INTEGER,
  end_reason     TEXT,
  client         TEXT NOT NULL,
  second_factor  INTEGER NOT NULL CHECK (second_factor IN (0, 1)),
  last_reauth_us INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions(user_id);
)sql";

constexpr char kKeyColumns[] = "key_id, user_id, created_us, expires_us, revoked_us";
constexpr char kSessionColumns[] =
    "session_id, user_id, created_us, last_seen_us, ended_us, end_reason, client, second_factor, "
    "last_reauth_us";

std::optional<int64_t> OptionalInt(const Statement& s, int i) {
  if (s.ColumnIsNull(i)) return std::nullopt;
  return s.ColumnInt(i);
}

void BindOptional(Statement& s, int i, std::optional<int64_t> v) {
  if (v)
    s.Bind(i, *v);
  else
    s.BindNull(i);
}

ApiKeyInfo ReadKey(const Statement& s) {
  ApiKeyInfo k;
  k.key_id = s.ColumnText(0);
  k.user_id = s.ColumnText(1);
  k.created_us = s.ColumnInt(2);
  k.expires_us = OptionalInt(s, 3);
  k.revoked_us = OptionalInt(s, 4);
  return k;
}

SessionInfo ReadSession(const Statement& s) {
  SessionInfo r;
  r.session_id = s.ColumnText(0);
  r.user_id = s.ColumnText(1);
  r.created_us = s.ColumnInt(2);
  r.last_seen_us = s.ColumnInt(3);
  r.ended_us = OptionalInt(s, 4);
  r.end_reason = s.ColumnText(5);
  r.client = s.ColumnText(6);
  r.second_factor = s.ColumnInt(7) != 0;
  r.last_reauth_us = OptionalInt(s, 8);
  return r;
}

Status RequireId(std::string_view what, const std::string& id) {
  if (id.empty()) return InvalidArgumentError(fmt::format("auth.db: {} is empty", what));
  return OkStatus();
}

// Only the length is named: the bytes are secret.
Status RequireTokenHash(std::string_view what, std::string_view hash) {
  if (hash.size() != kTokenHashSize) {
    return InvalidArgumentError(
        fmt::format("auth.db: {} must be {} bytes, got {}", what, kTokenHashSize, hash.size()));
  }
  return OkStatus();
}

// Statements bind secrets only as parameters, never into SQL text, so the
// messages SQLite builds (the SQL, the failing constraint's column, the OS
// error) cannot contain them; this adds what the caller was doing.
Status Context(const Status& s, std::string_view what) { return s.ok() ? s : s.WithContext(what); }

// An immediate write transaction that rolls back unless committed. IMMEDIATE
// takes the write lock up front, so a concurrent writer in another process waits
// (busy timeout) instead of failing at COMMIT.
class WriteTxn {
 public:
  explicit WriteTxn(Database& db) : db_(db) {}
  ~WriteTxn() {
    // Nothing to report from a destructor: the error that got us here is returned.
    if (begun_ && !committed_) db_.Exec("ROLLBACK").IgnoreError();
  }
  WriteTxn(const WriteTxn&) = delete;
  WriteTxn& operator=(const WriteTxn&) = delete;

  Status Begin() {
    RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
    begun_ = true;
    return OkStatus();
  }
  Status Commit() {
    RETURN_IF_ERROR(db_.Exec("COMMIT"));
    committed_ = true;
    return OkStatus();
  }

 private:
  Database& db_;
  bool begun_ = false;
  bool committed_ = false;
};

// Refuses a file that group or others may access. Only the mode is read, so the
// error cannot carry any of the file's content.
Status CheckPrivate(core::Env& env, const std::string& path) {
  ASSIGN_OR_RETURN(int mode, env.GetMode(path));
  if ((mode & 077) != 0) {
    return PermissionDeniedError(fmt::format(
        "{} has mode {:04o}: group or others may access it, but it holds password hashes and "
        "must be 0600 (chmod 600 {})",
        path, mode & 07777, path));
  }
  return OkStatus();
}

std::string ParentDir(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

}  // namespace

struct SqliteSecretStore::Impl {
  // One connection, one mutex: every call holds mu for its whole duration, so
  // the prepared statements (which belong to the connection) are never used by
  // two threads at once, and a check-then-update inside a call is atomic with
  // respect to this process. Other processes are kept out by SQLite's locks.
  std::mutex mu;
  // Declared before the statements, so they are finalized first.
  std::unique_ptr<Database> db;
  Statement set_password, add_history, trim_history, get_password, history, clear_must_change;
  Statement set_totp, get_totp, has_totp, remove_totp, use_totp;
  Statement add_key, revoke_key, has_key, find_key, get_key, list_keys;
  Statement create_session, find_session, session_state, touch_session, end_session, end_open_sessions, reauth_session,
      list_sessions;

  int64_t Changes() { return sqlite3_changes64(db->handle()); }

  Status Prepare() {
    const std::pair<Statement*, std::string> statements[] = {
        {&set_password,
         "INSERT INTO passwords (user_id, hash, set_at_us, must_change) VALUES (?1, ?2, ?3, ?4) "
         "ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, "
         "set_at_us = excluded.set_at_us, must_change = excluded.must_change"},
        {&add_history,
         "INSERT INTO password_history (user_id, hash, set_at_us) VALUES (?1, ?2, ?3)"},
        // A new row's id exceeds every existing one, so id order is the order of setting,
        // whatever the (caller-supplied) times say.
        {&trim_history,
         "DELETE FROM password_history WHERE user_id = ?1 AND id NOT IN "
         "(SELECT id FROM password_history WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2)"},
        {&get_password, "SELECT hash, set_at_us, must_change FROM passwords WHERE user_id = ?1"},
        {&history,
         "SELECT hash FROM password_history WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2"},
        {&clear_must_change, "UPDATE passwords SET must_change = 0 WHERE user_id = ?1"},

        {&set_totp,
         "INSERT INTO totp (user_id, secret, last_step) VALUES (?1, ?2, NULL) "
         "ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = NULL"},
        {&get_totp, "SELECT secret FROM totp WHERE user_id = ?1"},
        {&has_totp, "SELECT 1 FROM totp WHERE user_id = ?1"},
        {&remove_totp, "DELETE FROM totp WHERE user_id = ?1"},
        // One statement, so the compare and the update are atomic across processes too.
        {&use_totp,
         "UPDATE totp SET last_step = ?2 WHERE user_id = ?1 AND "
         "(last_step IS NULL OR last_step < ?2)"},

        {&add_key,
         "INSERT INTO api_keys (key_id, user_id, key_hash, created_us, expires_us, revoked_us) "
         "VALUES (?1, ?2, ?3, ?4, ?5, NULL)"},
        {&revoke_key,
         "UPDATE api_keys SET revoked_us = ?2 WHERE key_id = ?1 AND revoked_us IS NULL"},
        {&has_key, "SELECT 1 FROM api_keys WHERE key_id = ?1"},
        {&find_key, fmt::format("SELECT {} FROM api_keys WHERE key_hash = ?1", kKeyColumns)},
        {&get_key, fmt::format("SELECT {} FROM api_keys WHERE key_id = ?1", kKeyColumns)},
        {&list_keys,
         fmt::format("SELECT {} FROM api_keys WHERE user_id = ?1 ORDER BY created_us, key_id",
                     kKeyColumns)},

        {&create_session,
         "INSERT INTO sessions (session_id, token_hash, user_id, created_us, last_seen_us, "
         "ended_us, end_reason, client, second_factor, last_reauth_us) "
         "VALUES (?1, ?2, ?3, ?4, ?4, NULL, NULL, ?5, ?6, NULL)"},
        {&find_session,
         fmt::format("SELECT {} FROM sessions WHERE token_hash = ?1", kSessionColumns)},
        {&session_state, "SELECT ended_us FROM sessions WHERE session_id = ?1"},
        {&touch_session,
         "UPDATE sessions SET last_seen_us = max(last_seen_us, ?2) "
         "WHERE session_id = ?1 AND ended_us IS NULL"},
        {&end_session,
         "UPDATE sessions SET ended_us = ?2, end_reason = ?3 "
         "WHERE session_id = ?1 AND ended_us IS NULL"},
        {&end_open_sessions, "UPDATE sessions SET ended_us = ?1, end_reason = ?2 WHERE ended_us IS NULL"},
        {&reauth_session,
         "UPDATE sessions SET last_reauth_us = max(coalesce(last_reauth_us, ?2), ?2), "
         "last_seen_us = max(last_seen_us, ?2) WHERE session_id = ?1 AND ended_us IS NULL"},
        {&list_sessions,
         fmt::format("SELECT {} FROM sessions WHERE user_id = ?1 ORDER BY created_us, session_id",
                     kSessionColumns)},
    };
    for (const auto& [statement, sql] : statements) {
      ASSIGN_OR_RETURN(*statement, db->Prepare(sql));
    }
    return OkStatus();
  }

  // Whether a row matches `s` (bound by the caller).
  static StatusOr<bool> Exists(Statement& s) {
    ScopedReset reset(s);
    return s.Step();
  }

  // The first row of `s` (bound by the caller) as `read` makes it, or nullopt.
  template <typename Read>
  static auto One(Statement& s, Read read) -> StatusOr<std::optional<decltype(read(s))>> {
    using Row = decltype(read(s));
    ScopedReset reset(s);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<Row>();
    return std::optional<Row>(read(s));
  }

  // Every row of `s` (bound by the caller) as `read` makes it.
  template <typename Read>
  static auto All(Statement& s, Read read) -> StatusOr<std::vector<decltype(read(s))>> {
    ScopedReset reset(s);
    std::vector<decltype(read(s))> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return out;
      out.push_back(read(s));
    }
  }

  // After an UPDATE of an open session matched nothing: says why.
  Status SessionNotOpen(const std::string& session_id) {
    session_state.Bind(1, session_id);
    ScopedReset reset(session_state);
    ASSIGN_OR_RETURN(bool row, session_state.Step());
    if (!row) return NotFoundError(fmt::format("auth.db: no session {}", session_id));
    return FailedPreconditionError(fmt::format("auth.db: session {} has ended", session_id));
  }

  // Runs an UPDATE of one open session and maps "no row changed" to an error.
  Status UpdateOpenSession(Statement& s, const std::string& session_id, std::string_view what) {
    RETURN_IF_ERROR(Context(s.Run(), fmt::format("{} session {}", what, session_id)));
    if (Changes() == 0) return SessionNotOpen(session_id);
    return OkStatus();
  }
};

SqliteSecretStore::SqliteSecretStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteSecretStore::~SqliteSecretStore() = default;

StatusOr<std::unique_ptr<SqliteSecretStore>> SqliteSecretStore::Open(core::Env& env,
                                                                     const std::string& path,
                                                                     bool create) {
  if (!env.Exists(path)) {
    if (!create) return NotFoundError(fmt::format("auth.db not found: {}", path));
    // Created here, not by SQLite, which would use 0644: the file must never exist,
    // even empty, with a mode that others could read once it fills. The umask may
    // have narrowed 0600 (or, if the owner bits are masked, left SQLite unable to
    // write), so the mode is then set exactly.
    {
      ASSIGN_OR_RETURN(auto file, env.OpenAppendable(path, 0600));
      RETURN_IF_ERROR(file->Close());
    }
    RETURN_IF_ERROR(env.Chmod(path, 0600));
  }
  // The new name is durable only once its directory is synced. Done on every
  // creating open, so an open that failed after creating the file is made good
  // by the retry; one directory fsync per process start costs nothing.
  if (create) RETURN_IF_ERROR(env.SyncDir(ParentDir(path)));
  // SQLite gives -wal and -shm the main file's mode when it creates them, but an
  // existing one (restored from a backup, say) keeps its own.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::string p = path + suffix;
    if (*suffix == '\0' || env.Exists(p)) RETURN_IF_ERROR(CheckPrivate(env, p));
  }

  auto m = std::make_unique<Impl>();
  // create=false: the file exists by now, and SQLite must never be the one to create it.
  ASSIGN_OR_RETURN(m->db, Database::Open(path, /*create=*/false));
  // synchronous=FULL: in WAL mode NORMAL does not sync the WAL at commit, so a power
  // cut could undo a commit that was already reported. Here that would bring back a
  // revoked API key or an ended session, restore a password the ledger says was
  // changed, or forget a used TOTP step (a replay). The file is small and writes are
  // rare (logins, password changes), so the fsync per commit costs nothing that
  // matters. secure_delete=ON overwrites deleted content (a removed TOTP secret,
  // a trimmed password hash) instead of leaving it in free pages.
  RETURN_IF_ERROR(
      m->db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; "
                  "PRAGMA temp_store=MEMORY;"));
  {
    WriteTxn txn(*m->db);
    RETURN_IF_ERROR(txn.Begin());
    RETURN_IF_ERROR(m->db->Exec(kSchema));
    ASSIGN_OR_RETURN(Statement s,
                     m->db->Prepare("SELECT value FROM meta WHERE key = 'schema_version'"));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) {
      RETURN_IF_ERROR(m->db->Exec(fmt::format(
          "INSERT INTO meta (key, value) VALUES ('schema_version', {})", kAuthDbSchemaVersion)));
    } else if (s.ColumnInt(0) != kAuthDbSchemaVersion) {
      return FailedPreconditionError(fmt::format("{} has schema version {}, this Vellum reads {}",
                                                 path, s.ColumnInt(0), kAuthDbSchemaVersion));
    }
    s = Statement();  // finished with the read before committing
    RETURN_IF_ERROR(txn.Commit());
  }
  RETURN_IF_ERROR(m->Prepare());
  return std::unique_ptr<SqliteSecretStore>(new SqliteSecretStore(std::move(m)));
}

// ---- Passwords ------------------------------------------------------------

Status SqliteSecretStore::SetPasswordHash(const std::string& user_id, std::string_view encoded_hash,
                                          int64_t now_us, bool must_change) {
  RETURN_IF_ERROR(RequireId("user id", user_id));
  if (encoded_hash.empty()) return InvalidArgumentError("auth.db: the password hash is empty");
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  const std::string what = fmt::format("set password of {}", user_id);
  WriteTxn txn(*m.db);
  RETURN_IF_ERROR(Context(txn.Begin(), what));
  m.set_password.Bind(1, user_id)
      .Bind(2, encoded_hash)
      .Bind(3, now_us)
      .Bind(4, int64_t{must_change ? 1 : 0});
  RETURN_IF_ERROR(Context(m.set_password.Run(), what));
  m.add_history.Bind(1, user_id).Bind(2, encoded_hash).Bind(3, now_us);
  RETURN_IF_ERROR(Context(m.add_history.Run(), what));
  m.trim_history.Bind(1, user_id).Bind(2, static_cast<int64_t>(kMaxPasswordHistory));
  RETURN_IF_ERROR(Context(m.trim_history.Run(), what));
  return Context(txn.Commit(), what);
}

StatusOr<std::optional<PasswordRecord>> SqliteSecretStore::GetPassword(const std::string& user_id) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.get_password.Bind(1, user_id);
  return Impl::One(m.get_password, [](const Statement& s) {
    return PasswordRecord{std::string(s.ColumnText(0)), s.ColumnInt(1), s.ColumnInt(2) != 0};
  });
}

StatusOr<std::vector<std::string>> SqliteSecretStore::PasswordHistory(const std::string& user_id,
                                                                      size_t n) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  // At most kMaxPasswordHistory rows exist per user; the clamp keeps n within int64.
  m.history.Bind(1, user_id).Bind(2, static_cast<int64_t>(std::min(n, kMaxPasswordHistory)));
  return Impl::All(m.history, [](const Statement& s) { return std::string(s.ColumnText(0)); });
}

Status SqliteSecretStore::ClearMustChange(const std::string& user_id) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.clear_must_change.Bind(1, user_id);
  RETURN_IF_ERROR(
      Context(m.clear_must_change.Run(), fmt::format("clear must-change of {}", user_id)));
  if (m.Changes() == 0) return NotFoundError(fmt::format("auth.db: {} has no password", user_id));
  return OkStatus();
}

// ---- TOTP -----------------------------------------------------------------

Status SqliteSecretStore::SetTotpSecret(const std::string& user_id, std::string_view secret) {
  RETURN_IF_ERROR(RequireId("user id", user_id));
  if (secret.empty()) return InvalidArgumentError("auth.db: the TOTP secret is empty");
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.set_totp.Bind(1, user_id).BindBlob(2, secret);
  return Context(m.set_totp.Run(), fmt::format("set TOTP secret of {}", user_id));
}

StatusOr<std::optional<std::string>> SqliteSecretStore::GetTotpSecret(const std::string& user_id) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.get_totp.Bind(1, user_id);
  return Impl::One(m.get_totp, [](const Statement& s) { return std::string(s.ColumnBlob(0)); });
}

Status SqliteSecretStore::RemoveTotp(const std::string& user_id) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.remove_totp.Bind(1, user_id);
  RETURN_IF_ERROR(Context(m.remove_totp.Run(), fmt::format("remove TOTP secret of {}", user_id)));
  if (m.Changes() == 0)
    return NotFoundError(fmt::format("auth.db: {} has no TOTP secret", user_id));
  return OkStatus();
}

Status SqliteSecretStore::UseTotpStep(const std::string& user_id, int64_t step) {
  if (step < 0) return InvalidArgumentError(fmt::format("auth.db: TOTP step {} is negative", step));
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.use_totp.Bind(1, user_id).Bind(2, step);
  RETURN_IF_ERROR(Context(m.use_totp.Run(), fmt::format("use TOTP step of {}", user_id)));
  if (m.Changes() == 1) return OkStatus();
  m.has_totp.Bind(1, user_id);
  ASSIGN_OR_RETURN(bool has, Impl::Exists(m.has_totp));
  if (!has) return NotFoundError(fmt::format("auth.db: {} has no TOTP secret", user_id));
  return AlreadyExistsError(
      fmt::format("auth.db: TOTP step {} of {} is not later than the last one used (replayed code)",
                  step, user_id));
}

// ---- API keys -------------------------------------------------------------

Status SqliteSecretStore::AddApiKey(const std::string& key_id, const std::string& user_id,
                                    std::string_view key_hash, int64_t created_us,
                                    std::optional<int64_t> expires_us) {
  RETURN_IF_ERROR(RequireId("API key id", key_id));
  RETURN_IF_ERROR(RequireId("user id", user_id));
  RETURN_IF_ERROR(RequireTokenHash("an API key hash", key_hash));
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.add_key.Bind(1, key_id).Bind(2, user_id).BindBlob(3, key_hash).Bind(4, created_us);
  BindOptional(m.add_key, 5, expires_us);
  Status s = m.add_key.Run();
  if (s.code() == StatusCode::kAlreadyExists) {
    m.has_key.Bind(1, key_id);
    ASSIGN_OR_RETURN(bool id_taken, Impl::Exists(m.has_key));
    if (id_taken) return AlreadyExistsError(fmt::format("auth.db: API key {} exists", key_id));
    // Two random 256-bit keys do not collide: the same key was issued twice.
    return AlreadyExistsError(
        fmt::format("auth.db: API key {}: its hash is already registered to another key", key_id));
  }
  return Context(s, fmt::format("add API key {}", key_id));
}

Status SqliteSecretStore::RevokeApiKey(const std::string& key_id, int64_t revoked_us) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.revoke_key.Bind(1, key_id).Bind(2, revoked_us);
  RETURN_IF_ERROR(Context(m.revoke_key.Run(), fmt::format("revoke API key {}", key_id)));
  if (m.Changes() == 1) return OkStatus();
  m.has_key.Bind(1, key_id);
  ASSIGN_OR_RETURN(bool exists, Impl::Exists(m.has_key));
  if (!exists) return NotFoundError(fmt::format("auth.db: no API key {}", key_id));
  return FailedPreconditionError(fmt::format("auth.db: API key {} is already revoked", key_id));
}

StatusOr<std::optional<ApiKeyInfo>> SqliteSecretStore::FindApiKey(std::string_view key_hash) {
  RETURN_IF_ERROR(RequireTokenHash("an API key hash", key_hash));
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  // An indexed lookup by hash leaks nothing useful through timing: the attacker
  // controls the key, not its SHA-256, so cannot steer the search.
  m.find_key.BindBlob(1, key_hash);
  return Impl::One(m.find_key, ReadKey);
}

StatusOr<std::optional<ApiKeyInfo>> SqliteSecretStore::GetApiKey(const std::string& key_id) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.get_key.Bind(1, key_id);
  return Impl::One(m.get_key, ReadKey);
}

StatusOr<std::vector<ApiKeyInfo>> SqliteSecretStore::ListApiKeys(const std::string& user_id) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.list_keys.Bind(1, user_id);
  return Impl::All(m.list_keys, ReadKey);
}

// ---- Sessions -------------------------------------------------------------

Status SqliteSecretStore::CreateSession(const std::string& session_id, std::string_view token_hash,
                                        const std::string& user_id, int64_t created_us,
                                        const std::string& client, bool second_factor) {
  RETURN_IF_ERROR(RequireId("session id", session_id));
  RETURN_IF_ERROR(RequireId("user id", user_id));
  RETURN_IF_ERROR(RequireTokenHash("a session token hash", token_hash));
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.create_session.Bind(1, session_id)
      .BindBlob(2, token_hash)
      .Bind(3, user_id)
      .Bind(4, created_us)
      .Bind(5, client)
      .Bind(6, int64_t{second_factor ? 1 : 0});
  Status s = m.create_session.Run();
  if (s.code() == StatusCode::kAlreadyExists) {
    m.session_state.Bind(1, session_id);
    ASSIGN_OR_RETURN(bool id_taken, Impl::Exists(m.session_state));
    if (id_taken) return AlreadyExistsError(fmt::format("auth.db: session {} exists", session_id));
    return AlreadyExistsError(
        fmt::format("auth.db: session {}: its token hash is already registered to another session",
                    session_id));
  }
  return Context(s, fmt::format("create session {}", session_id));
}

StatusOr<std::optional<SessionInfo>> SqliteSecretStore::FindSession(std::string_view token_hash) {
  RETURN_IF_ERROR(RequireTokenHash("a session token hash", token_hash));
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.find_session.BindBlob(1, token_hash);
  return Impl::One(m.find_session, ReadSession);
}

Status SqliteSecretStore::TouchSession(const std::string& session_id, int64_t now_us) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.touch_session.Bind(1, session_id).Bind(2, now_us);
  return m.UpdateOpenSession(m.touch_session, session_id, "touch");
}

Status SqliteSecretStore::EndSession(const std::string& session_id, int64_t ended_us,
                                     std::string_view reason) {
  if (reason.empty()) return InvalidArgumentError("auth.db: a session's end needs a reason");
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.end_session.Bind(1, session_id).Bind(2, ended_us).Bind(3, reason);
  return m.UpdateOpenSession(m.end_session, session_id, "end");
}

StatusOr<uint64_t> SqliteSecretStore::EndOpenSessions(int64_t ended_us, std::string_view reason) {
  if (reason.empty()) return InvalidArgumentError("auth.db: a session's end needs a reason");
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.end_open_sessions.Bind(1, ended_us).Bind(2, reason);
  RETURN_IF_ERROR(m.end_open_sessions.Run());
  return static_cast<uint64_t>(m.Changes());
}

Status SqliteSecretStore::MarkReauthenticated(const std::string& session_id, int64_t now_us) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.reauth_session.Bind(1, session_id).Bind(2, now_us);
  return m.UpdateOpenSession(m.reauth_session, session_id, "re-authenticate in");
}

StatusOr<std::vector<SessionInfo>> SqliteSecretStore::ListSessions(const std::string& user_id) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.list_sessions.Bind(1, user_id);
  return Impl::All(m.list_sessions, ReadSession);
}

}  // namespace vellum::storage
