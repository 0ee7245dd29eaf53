// A user account as a versioned record (AC-1): record type "user", id = the
// user id, which belongs to one person (or one machine, for a service
// account) and is never reused or deleted — an account is deactivated.
//
// The content holds no secret: password hashes, second-factor secrets, API
// keys and session tokens live in the secret store (auth.db), never in the
// ledger.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/status.h"
#include "identity/roles.h"

namespace vellum::identity {

inline constexpr char kUserType[] = "user";

enum class AccountKind { kPerson, kService };
enum class AccountStatus { kActive, kLocked, kDeactivated };

struct User {
  std::string id;
  std::string name;   // printed name, shown in every signature manifest and event
  std::string email;  // empty for service accounts
  AccountKind kind = AccountKind::kPerson;
  std::vector<Role> roles;  // sorted, no duplicates
  AccountStatus status = AccountStatus::kActive;
  uint32_t failed_logins = 0;       // consecutive failures since the last success or unlock
  bool must_change_password = true;  // set when an administrator sets the password
  std::optional<int64_t> password_changed_at;  // µs; for expiry
  bool second_factor = false;                  // TOTP enrolled
  // For service accounts: the source system whose input they carry (DC-1).
  std::string source_system;
  std::string source_version;
  // Ids of the service account's API keys in force, sorted (the keys' hashes are
  // in auth.db). The record, not auth.db, says whether a key is in force: a
  // revocation is recorded here first, so it holds even if the process stops
  // before auth.db is updated.
  std::vector<std::string> api_keys;
  uint64_t version = 0;  // record version this was read from (0 = not stored yet)
};

std::string_view StatusName(AccountStatus s);
std::string_view KindName(AccountKind k);

// Content of the user record (canonicalised by the records module).
boost::json::object ToContent(const User& u);
// Strict: every field present with the right type; unknown fields rejected.
StatusOr<User> FromContent(std::string_view id, const boost::json::object& content);

// Validation of what an administrator may set: id, printed name (1–200
// characters of UTF-8, no control characters), email (simple shape check),
// at least one role, the system administrator role alone or with roles that
// change no record data (AC-3), service accounts without the administrator and
// quality roles and with a source system.
Status ValidateNewUser(const User& u);

}  // namespace vellum::identity
