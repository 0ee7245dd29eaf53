// Account commands as ledger deciders (pure: state + command → events).
// Every change to an account, every login, failure, lockout, unlock, logout
// and policy change is an event (AT-1, AC-6): the trail is computer-generated
// by the same path as any other change.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "identity/security_policy.h"
#include "identity/user.h"
#include "ledger/ledger.h"
#include "storage/projection_store.h"

namespace vellum::identity {

// Event types.
inline constexpr char kUserCreated[] = "user.created";
inline constexpr char kUserChanged[] = "user.changed";
inline constexpr char kUserRolesChanged[] = "user.roles_changed";
inline constexpr char kUserDeactivated[] = "user.deactivated";
inline constexpr char kUserUnlocked[] = "user.unlocked";
inline constexpr char kPasswordChanged[] = "user.password_changed";
inline constexpr char kPasswordSet[] = "user.password_set";  // by an administrator; forces a change
inline constexpr char kSecondFactorChanged[] = "user.second_factor_changed";
inline constexpr char kApiKeyCreated[] = "user.api_key_created";
inline constexpr char kApiKeyRevoked[] = "user.api_key_revoked";
inline constexpr char kLoginSucceeded[] = "security.login_succeeded";
inline constexpr char kLoginFailed[] = "security.login_failed";
inline constexpr char kAccountLocked[] = "security.account_locked";
inline constexpr char kLogout[] = "security.logout";
inline constexpr char kSessionExpired[] = "security.session_expired";
inline constexpr char kPolicyChanged[] = "policy.changed";

// The current account, or nullopt if the id was never used.
StatusOr<std::optional<User>> LoadUser(storage::ProjectionReader& state, const std::string& user_id);
// The security policy in force (the defaults until it is first changed).
StatusOr<SecurityPolicy> LoadPolicy(storage::ProjectionReader& state);

// A new account (version 1). kAlreadyExists if the id was ever used (AC-1).
StatusOr<ledger::Decider> DecideCreateUser(User user, std::optional<std::string> reason);

// Applies `change` to the current account and records the new version as
// `event_type`. kNotFound for an unknown id; errors from `change` pass through.
// When the change leaves the account as it was: kInvalidArgument, unless
// `record_anyway` — for facts that matter even when the record is unchanged
// (a password set again), recorded as `event_type` naming the user in `data`.
ledger::Decider DecideChangeUser(std::string user_id, std::string event_type,
                                 std::function<Status(User&)> change, std::optional<std::string> reason,
                                 bool record_anyway = false);

// Outcome of a password check for `user_tried`, recorded whatever it was
// (AC-6). `what` is a short code: "wrong_password", "unknown_user",
// "locked", "deactivated", "wrong_second_factor", "password_expired".
// The id is recorded as tried (data.user_tried) unless it is not UTF-8 or
// longer than 256 bytes: then as "hex:" + its first 64 bytes in hex, with its
// length in data.user_tried_bytes, so any attempt makes one small event.
// For an existing active account a failure increments its count and, at the
// policy's threshold, locks it (a second event, security.account_locked).
ledger::Decider DecideLoginFailure(std::string user_tried, std::string what);
// A successful login: resets the failure count if it was not zero.
ledger::Decider DecideLoginSuccess(std::string user_id, boost::json::object data);

// An event about the actor's session or account that changes no record.
ledger::Decider DecideNotice(std::string event_type, boost::json::object data);

// Sets the security policy (kInvalidArgument out of range; kInvalidArgument
// when nothing changes). The reason is required.
StatusOr<ledger::Decider> DecideChangePolicy(SecurityPolicy policy, std::string reason);

}  // namespace vellum::identity
