// The embedded engine's secret store: <data>/auth.db, SQLite in WAL mode with
// synchronous=FULL, file mode 0600. Schema and rationale: docs/formats/auth-db.md.
#pragma once

#include <memory>
#include <string>

#include "core/env.h"
#include "storage/secret_store.h"

namespace vellum::storage {

// Schema version written to (and required in) auth.db's meta table.
inline constexpr int kAuthDbSchemaVersion = 1;

class SqliteSecretStore final : public SecretStore {
 public:
  // Opens auth.db at `path`. With `create`, a missing file is created with mode
  // 0600 (exactly, whatever the umask) before SQLite sees it; without, a missing
  // file is kNotFound. An existing file (or its -wal/-shm companion) that group
  // or others may access is refused with kPermissionDenied naming the mode.
  // `env` serves those file-system steps during Open only (SQLite does its own I/O).
  static StatusOr<std::unique_ptr<SqliteSecretStore>> Open(core::Env& env, const std::string& path,
                                                           bool create);
  ~SqliteSecretStore() override;
  SqliteSecretStore(const SqliteSecretStore&) = delete;
  SqliteSecretStore& operator=(const SqliteSecretStore&) = delete;

  Status SetPasswordHash(const std::string& user_id, std::string_view encoded_hash, int64_t now_us,
                         bool must_change) override;
  StatusOr<std::optional<PasswordRecord>> GetPassword(const std::string& user_id) override;
  StatusOr<std::vector<std::string>> PasswordHistory(const std::string& user_id, size_t n) override;
  Status ClearMustChange(const std::string& user_id) override;

  Status SetTotpSecret(const std::string& user_id, std::string_view secret) override;
  StatusOr<std::optional<std::string>> GetTotpSecret(const std::string& user_id) override;
  Status RemoveTotp(const std::string& user_id) override;
  Status UseTotpStep(const std::string& user_id, int64_t step) override;

  Status AddApiKey(const std::string& key_id, const std::string& user_id, std::string_view key_hash,
                   int64_t created_us, std::optional<int64_t> expires_us) override;
  Status RevokeApiKey(const std::string& key_id, int64_t revoked_us) override;
  StatusOr<std::optional<ApiKeyInfo>> FindApiKey(std::string_view key_hash) override;
  StatusOr<std::optional<ApiKeyInfo>> GetApiKey(const std::string& key_id) override;
  StatusOr<std::vector<ApiKeyInfo>> ListApiKeys(const std::string& user_id) override;

  Status CreateSession(const std::string& session_id, std::string_view token_hash,
                       const std::string& user_id, int64_t created_us, const std::string& client,
                       bool second_factor) override;
  StatusOr<std::optional<SessionInfo>> FindSession(std::string_view token_hash) override;
  Status TouchSession(const std::string& session_id, int64_t now_us) override;
  Status EndSession(const std::string& session_id, int64_t ended_us,
                    std::string_view reason) override;
  StatusOr<uint64_t> EndOpenSessions(int64_t ended_us, std::string_view reason) override;
  Status MarkReauthenticated(const std::string& session_id, int64_t now_us) override;
  StatusOr<std::vector<SessionInfo>> ListSessions(const std::string& user_id) override;

  struct Impl;

 private:
  explicit SqliteSecretStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vellum::storage
