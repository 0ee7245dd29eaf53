// Vellum: one open data directory — the application service every interface
// (CLI now, HTTP later) goes through. Each command passes the same path:
// validate → decide (on the sequencer) → append (durable) → apply → respond.
//
// Layout of a data directory (docs/formats/ledger-files.md):
//   vellum.toml, keys/ledger.key (0600), keys/ledger.pub, ledger/…, records.db,
//   auth.db (0600: password hashes, second-factor secrets, key and token hashes), LOCK
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "app/config.h"
#include "app/data_dir_lock.h"
#include "app/principal.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/signed_note.h"
#include "ledger/event.h"
#include "ledger/ledger.h"
#include "identity/qualifications.h"
#include "identity/roles.h"
#include "identity/security_policy.h"
#include "identity/user.h"
#include "ledger/verifier.h"
#include "records/records.h"
#include "storage/projection_store.h"

namespace vellum::app {

// The first system administrator, created by init (AC-1). The password is
// checked against the policy and stored only as an argon2id hash.
struct FirstAdministrator {
  std::string id;
  std::string name;
  std::string email;
  std::string password;
};

struct InitOptions {
  std::string origin;  // empty: "vellum/<random id>"
  Config config;       // origin is taken from `origin`
  FirstAdministrator admin;
};

struct LoginRequest {
  std::string user_id;
  std::string password;
  std::optional<std::string> totp_code;  // required when the account has a second factor
  std::string client;                    // workstation / client address
};

// A new session: the token is a secret, handed out once and stored only as a hash.
struct Session {
  std::string token;
  Principal principal;
};

struct OpenOptions {
  core::Env* env = nullptr;      // default: Env::Default()
  core::Clock* clock = nullptr;  // default: the system clock
  // How long to wait for another process that holds the data directory, and
  // whom to tell when that takes a while (see data_dir_lock.h).
  int lock_wait_ms = 10000;
  LockWaitNotice on_lock_wait;
  // See ledger::LedgerOptions::checkpoint_at_close.
  std::function<bool()> checkpoint_at_close;
  // Told, before it starts, that records.db is rebuilt from the ledger because
  // a power cut or system crash left it with writes not on disk (power_cut_rebuild.h):
  // what happened, in a sentence. It takes a while on a large ledger.
  std::function<void(const std::string&)> on_rebuild_at_open;
};

// A record version with the event that made it.
struct RecordVersionView {
  storage::RecordVersionRow row;
  ledger::Event event;
};

class Vellum {
 public:
  // Creates a data directory with a new ledger key, the genesis event and a
  // first checkpoint. Fails with kAlreadyExists if `dir` already holds a ledger.
  static StatusOr<std::unique_ptr<Vellum>> Init(const std::string& dir, const InitOptions& init,
                                                const OpenOptions& options = {});
  // Opens an existing data directory (kNotFound if there is none), recovering
  // from a crash. Holds the directory's lock until destroyed.
  static StatusOr<std::unique_ptr<Vellum>> Open(const std::string& dir, const OpenOptions& options = {});
  ~Vellum();

  const std::string& dir() const;
  const Config& config() const;
  const ledger::OpenReport& open_report() const;
  const core::NoteVerifier& ledger_key() const;

  // ---- Sign-in and sessions (AC-2, AC-6, AC-7) ----
  // Checks the password (and second factor), records the outcome (every
  // failure is an event; the threshold locks the account) and opens a session.
  // Every failure is the same kUnauthenticated message, whatever the reason,
  // and costs the same time: nothing reveals whether a user id exists.
  StatusOr<Session> Login(const LoginRequest& request);
  // The principal of a session token; kUnauthenticated when unknown, ended or
  // timed out (idle or absolute lifetime; recorded as security.session_expired).
  StatusOr<Principal> Authenticate(std::string_view token, const std::string& client);
  // The principal of a service account's API key (DC-1).
  StatusOr<Principal> AuthenticateApiKey(std::string_view key, const std::string& client);
  Status Logout(const Principal& p);
  // The actor's own password: the current one, then a new one under the policy.
  Status ChangeOwnPassword(const Principal& p, std::string_view current, std::string_view next);
  // Optional TOTP second factor (RFC 6238). Enrolment stores a new secret and
  // returns its otpauth:// URI (shown once, for an authenticator app); it takes
  // effect only when confirmed with a current code. Then every sign-in needs a
  // code, and a code is never accepted twice.
  StatusOr<std::string> BeginTotpEnrollment(const Principal& p);
  StatusOr<ledger::Event> ConfirmTotpEnrollment(const Principal& p, std::string_view code);
  // An administrator removes a user's second factor (a lost device), with a reason.
  StatusOr<ledger::Event> ResetTotp(const Principal& p, const std::string& user_id, std::string reason);

  // ---- Accounts (user.manage unless said otherwise) ----
  // A person's account needs `initial_password` (they must change it at first
  // login); a service account has none (it uses API keys).
  StatusOr<ledger::Event> CreateUser(const Principal& p, identity::User user, std::string_view initial_password,
                                     std::optional<std::string> reason);
  StatusOr<ledger::Event> SetRoles(const Principal& p, const std::string& user_id, std::vector<identity::Role> roles,
                                   std::string reason);
  StatusOr<ledger::Event> DeactivateUser(const Principal& p, const std::string& user_id, std::string reason);
  StatusOr<ledger::Event> UnlockUser(const Principal& p, const std::string& user_id, std::string reason);
  StatusOr<ledger::Event> ResetPassword(const Principal& p, const std::string& user_id, std::string_view password,
                                        std::string reason);
  // A new API key for a service account, returned once (only its hash is kept).
  // `key_id`, if given, receives the key's id (not a secret: revoking takes it).
  StatusOr<std::string> CreateApiKey(const Principal& p, const std::string& user_id, std::string reason,
                                     std::string* key_id = nullptr);
  StatusOr<ledger::Event> RevokeApiKey(const Principal& p, const std::string& key_id, std::string reason);
  // user.read
  StatusOr<std::vector<identity::User>> ListUsers(const Principal& p);
  StatusOr<identity::User> GetUser(const Principal& p, const std::string& user_id);
  // The security policy (readable by every signed-in user); changing it needs policy.change.
  StatusOr<identity::SecurityPolicy> GetPolicy(const Principal& p);
  StatusOr<ledger::Event> SetPolicy(const Principal& p, identity::SecurityPolicy policy, std::string reason);

  // ---- The periodic account review (§11.300(b), account.review) ----
  // Every account with its roles, status, last sign-in, password age, second
  // factor and API keys, as of now; `report_hash` of the result is what a
  // review records.
  StatusOr<boost::json::object> AccountReviewReport(const Principal& p);
  // Records that the reviewer checked the report with this SHA-256 (from
  // AccountReviewReport, as canonical JSON) and what they concluded.
  StatusOr<ledger::Event> RecordAccountReview(const Principal& p, const core::Hash& report_hash,
                                              std::string conclusion);

  // ---- Qualifications (credential.manage; AC-8) ----
  StatusOr<ledger::Event> RecordCredential(const Principal& p, identity::Credential credential, std::string reason);
  StatusOr<ledger::Event> RevokeCredential(const Principal& p, const std::string& user_id, const std::string& type,
                                           std::string reason);
  StatusOr<ledger::Event> RecordTraining(const Principal& p, identity::Training training, std::string reason);
  // Gates for other modules: OK when `user_id` is qualified now; kPermissionDenied naming what is missing.
  Status CheckCredential(const std::string& user_id, const std::string& type);
  Status CheckTraining(const std::string& user_id, const std::string& subject);

  // The one authority check (AC-5): the actor's account as it is now — active,
  // not locked, no password change pending unless the action is account.own —
  // and its current roles must allow `action`. A refusal is kPermissionDenied
  // and is itself recorded (security.access_denied).
  Status Authorize(const Principal& p, identity::Action action, std::string_view object = {});

  // ---- Records (RV-1) ----
  StatusOr<ledger::Event> CreateRecord(const Principal& p, records::CreateRecord cmd);
  StatusOr<ledger::Event> ModifyRecord(const Principal& p, records::ModifyRecord cmd);
  StatusOr<ledger::Event> DeleteRecord(const Principal& p, records::DeleteRecord cmd);
  // Creates several records as one call (an importer's batch); each has its own result.
  std::vector<StatusOr<ledger::Event>> CreateRecords(const Principal& p, std::vector<records::CreateRecord> cmds);

  // Latest version (a tombstone included) or the given one, with its event.
  StatusOr<RecordVersionView> GetRecord(const Principal& p, const std::string& type, const std::string& id,
                                        std::optional<uint64_t> version = std::nullopt);
  StatusOr<std::vector<RecordVersionView>> History(const Principal& p, const std::string& type,
                                                   const std::string& id);

  // ---- The audit trail (audit.read, AT-8) ----
  // Stored event lines matching the query, in sequence order.
  Status QueryEvents(const Principal& p, const storage::EventQuery& q,
                     const std::function<Status(uint64_t seq, const std::string& line)>& fn);
  StatusOr<std::string> ReadEvent(const Principal& p, uint64_t seq);
  StatusOr<storage::StoredCheckpoint> MakeCheckpoint(const Principal& p);  // ledger.checkpoint
  uint64_t Size() const;

  // The ledger and its store, for this layer's own modules (proofs, bench).
  // Callers outside the app layer go through the commands above.
  ledger::Ledger& ledger();
  storage::LogStore& log();

  // Integrity check of the whole data directory (AT-4). It needs file access to
  // the data directory, which already exceeds every role, and must work on a
  // damaged ledger whose accounts cannot be read: it takes no principal.
  // `check_projection` false leaves out the comparison of records.db with a
  // replay of the events (bench measures the two parts apart).
  StatusOr<ledger::VerifyReport> Verify(const std::vector<std::string>& witness_files,
                                        std::optional<core::NoteVerifier> witness_key,
                                        bool check_projection = true);

 private:
  struct Impl;
  explicit Vellum(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Paths inside a data directory.
std::string ConfigPath(const std::string& dir);
std::string PrivateKeyPath(const std::string& dir);
std::string PublicKeyPath(const std::string& dir);
std::string LedgerDir(const std::string& dir);
std::string RecordsDbPath(const std::string& dir);
std::string AuthDbPath(const std::string& dir);
// Writers hold it exclusively, `vellum verify` shared.
std::string LockPath(const std::string& dir);

// OK when `dir` holds a data directory (its vellum.toml). kNotFound "no Vellum data
// directory at …" when nothing is there, kInvalidArgument when `dir` is a file;
// a directory the process may not enter is kUnavailable, never "no data directory".
Status CheckDataDirectory(core::Env* env, const std::string& dir);
// OK when `dir` holds no ledger yet, so that init may make one there: kAlreadyExists
// when it does, kDataLoss (with what to do) for vellum.toml without ledger/.
Status CheckNoLedgerYet(core::Env* env, const std::string& dir);

// keys/ledger.pub: the key checkpoints are signed with (kDataLoss if it is not one).
StatusOr<core::NoteVerifier> ReadLedgerPublicKey(core::Env* env, const std::string& dir);

// A file of an existing data directory (one with vellum.toml) that is missing
// is damage (kDataLoss), not a usage error (kNotFound).
Status MissingFileIsDamage(const Status& s);
template <typename T>
StatusOr<T> MissingFileIsDamage(StatusOr<T> s) {
  if (!s.ok()) return MissingFileIsDamage(s.status());
  return s;
}

}  // namespace vellum::app
