// SecretStore: the authentication material that must never reach the ledger
// (password hashes, TOTP secrets, API-key hashes, session-token hashes).
//
// The ledger records the *fact* of every change ("user.password_changed",
// "apikey.revoked", "session.ended", ...) and is public to an auditor; this
// store holds the material itself and is readable only by the service. It is
// not derivable from the ledger, so it is not a projection: back it up with the
// data directory. Format of the embedded engine: docs/formats/auth-db.md.
//
// Policy (lockout, expiry, idle timeouts, which history depth to check) lives
// in the identity module; this store only keeps and returns state. Failed login
// attempts are not kept here: they are ledger events, and lockout is derived
// from them.
//
// Contract shared by every implementation:
//  - Thread-safe: any method may be called from several threads at once.
//  - Every mutation is durable when it returns OK (a power cut afterwards does
//    not undo it); a failed mutation changed nothing.
//  - No Status message ever contains hash, secret or token bytes (nor an
//    encoding of them). Ids (user, key, session) are not secrets and may appear.
//  - Times are microseconds since the epoch, UTC, as given by the caller (the
//    store never reads a clock).
//  - Error codes: kNotFound for an unknown user/key/session where the call needs
//    one, kAlreadyExists for a duplicate id or hash (and a replayed TOTP step),
//    kFailedPrecondition for a change the record's state forbids (touching an
//    ended session, revoking a revoked key), kInvalidArgument for malformed input
//    (a hash of the wrong length, an empty id).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vellum::storage {

// Length of an API-key hash and a session-token hash: SHA-256 of the random
// token. The tokens carry 256 bits of entropy, so a fast unsalted hash suffices
// (nothing to brute-force) and allows an indexed lookup.
inline constexpr size_t kTokenHashSize = 32;

// Password hashes kept per user, current one included. Older ones are dropped
// when a new one is set, so a reuse check can look back at most this far.
inline constexpr size_t kMaxPasswordHistory = 24;

struct PasswordRecord {
  std::string encoded_hash;  // a crypto_pwhash_str string ("$argon2id$v=19$m=...")
  int64_t set_at_us = 0;
  bool must_change = false;  // set by an administrator: change before anything else
  friend bool operator==(const PasswordRecord&, const PasswordRecord&) = default;
};

// An API key's metadata. The hash is never returned: a caller that looks a key
// up already holds it, and listings must not leak it.
struct ApiKeyInfo {
  std::string key_id;
  std::string user_id;  // the service account the key belongs to
  int64_t created_us = 0;
  std::optional<int64_t> expires_us;  // nullopt: no expiry
  std::optional<int64_t> revoked_us;  // nullopt: not revoked
  friend bool operator==(const ApiKeyInfo&, const ApiKeyInfo&) = default;
};

// A session's state. The token hash is never returned (see ApiKeyInfo).
struct SessionInfo {
  std::string session_id;
  std::string user_id;
  int64_t created_us = 0;
  int64_t last_seen_us = 0;         // created_us until the first Touch
  std::optional<int64_t> ended_us;  // nullopt while the session is open
  std::string end_reason;           // empty while open ("logout", "idle_timeout", ...)
  std::string client;               // workstation / user agent, as given at creation
  bool second_factor = false;       // the login used the TOTP second factor
  // Last re-authentication within the session (ES-3: the first signing in a
  // session needs both components, later ones the password); nullopt: none yet.
  std::optional<int64_t> last_reauth_us;
  friend bool operator==(const SessionInfo&, const SessionInfo&) = default;
};

class SecretStore {
 public:
  virtual ~SecretStore() = default;

  // ---- Passwords ----------------------------------------------------------
  // Makes `encoded_hash` the user's current password (creating the user's entry
  // if needed) and prepends it to the history, which keeps the newest
  // kMaxPasswordHistory hashes.
  virtual Status SetPasswordHash(const std::string& user_id, std::string_view encoded_hash,
                                 int64_t now_us, bool must_change) = 0;
  // The current password, or nullopt if none was ever set.
  virtual StatusOr<std::optional<PasswordRecord>> GetPassword(const std::string& user_id) = 0;
  // The last `n` hashes, newest (the current one) first; fewer if fewer were set.
  virtual StatusOr<std::vector<std::string>> PasswordHistory(const std::string& user_id,
                                                             size_t n) = 0;
  // Clears must_change of the current password. kNotFound if the user has none.
  virtual Status ClearMustChange(const std::string& user_id) = 0;

  // ---- TOTP (RFC 6238) ----------------------------------------------------
  // Sets (or replaces) the user's shared secret. A new secret is a new
  // credential: the record of used steps starts afresh.
  virtual Status SetTotpSecret(const std::string& user_id, std::string_view secret) = 0;
  virtual StatusOr<std::optional<std::string>> GetTotpSecret(const std::string& user_id) = 0;
  // kNotFound if the user has no secret.
  virtual Status RemoveTotp(const std::string& user_id) = 0;
  // Records that a code for time step `step` was accepted. kAlreadyExists if this
  // step or a later one was already used (replay protection, RFC 6238 §5.2);
  // kNotFound if the user has no secret. Call it after the code checked out and
  // before accepting the login: only one of two concurrent uses of a step wins.
  virtual Status UseTotpStep(const std::string& user_id, int64_t step) = 0;

  // ---- API keys (service accounts, DC-1) ----------------------------------
  // REQUIRES: key_hash.size() == kTokenHashSize (else kInvalidArgument).
  // kAlreadyExists if key_id or key_hash is taken.
  virtual Status AddApiKey(const std::string& key_id, const std::string& user_id,
                           std::string_view key_hash, int64_t created_us,
                           std::optional<int64_t> expires_us) = 0;
  // kNotFound for an unknown key, kFailedPrecondition if already revoked (the
  // first revocation time stays).
  virtual Status RevokeApiKey(const std::string& key_id, int64_t revoked_us) = 0;
  // The key with this hash, revoked or expired ones included (the caller decides
  // and says why it refused); nullopt if none.
  virtual StatusOr<std::optional<ApiKeyInfo>> FindApiKey(std::string_view key_hash) = 0;
  // The key with this id, revoked or expired ones included; nullopt if none.
  virtual StatusOr<std::optional<ApiKeyInfo>> GetApiKey(const std::string& key_id) = 0;
  // Every key of a user, oldest first.
  virtual StatusOr<std::vector<ApiKeyInfo>> ListApiKeys(const std::string& user_id) = 0;

  // ---- Sessions (AC-7) ----------------------------------------------------
  // REQUIRES: token_hash.size() == kTokenHashSize. kAlreadyExists if session_id
  // or token_hash is taken.
  virtual Status CreateSession(const std::string& session_id, std::string_view token_hash,
                               const std::string& user_id, int64_t created_us,
                               const std::string& client, bool second_factor) = 0;
  // The session with this token hash, ended ones included; nullopt if none.
  virtual StatusOr<std::optional<SessionInfo>> FindSession(std::string_view token_hash) = 0;
  // Records activity: last_seen_us becomes max(last_seen_us, now_us), so a late
  // caller never moves it back. kNotFound / kFailedPrecondition (ended).
  virtual Status TouchSession(const std::string& session_id, int64_t now_us) = 0;
  // Ends an open session for `reason`. kNotFound / kFailedPrecondition (ended).
  virtual Status EndSession(const std::string& session_id, int64_t ended_us,
                            std::string_view reason) = 0;
  // Ends every open session for `reason` (a restored data directory: no
  // session of the copy may go on). Returns how many were open.
  virtual StatusOr<uint64_t> EndOpenSessions(int64_t ended_us, std::string_view reason) = 0;
  // Records a successful re-authentication; also counts as activity (as Touch).
  // kNotFound / kFailedPrecondition (ended).
  virtual Status MarkReauthenticated(const std::string& session_id, int64_t now_us) = 0;
  // Every session of a user, ended ones included, oldest first.
  virtual StatusOr<std::vector<SessionInfo>> ListSessions(const std::string& user_id) = 0;
};

}  // namespace vellum::storage
