// Internal to the app layer: helpers shared by the identity commands
// (authority.cc, sign_in.cc, accounts.cc, account_review.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "app/principal.h"
#include "core/password_hash.h"
#include "core/status.h"
#include "identity/password_policy.h"
#include "identity/security_policy.h"
#include "identity/user.h"
#include "ledger/event.h"
#include "storage/secret_store.h"

namespace vellum::app {

inline constexpr int64_t kMicrosPerMinute = 60'000'000;
// One message for every failed sign-in: nothing tells which part was wrong or
// whether the account exists (AC-6).
inline constexpr char kLoginFailedMessage[] =
    "sign-in failed: the user id or password is wrong, or the account cannot sign in now";

// The argon2id cost and the password rules the policy sets.
core::PasswordHashParams HashParams(const identity::SecurityPolicy& p);
identity::PasswordPolicy PasswordRules(const identity::SecurityPolicy& p);
// SHA-256 of a session token or API key: what auth.db keeps.
std::string TokenHash(std::string_view token);
// "annotator, reviewer" (or "no role"), for messages.
std::string RolesText(const std::vector<identity::Role>& roles);
// kInvalidArgument unless `reason` has text and fits in an event.
Status RequireReason(const std::string& reason, std::string_view what);
bool PasswordExpired(const identity::SecurityPolicy& policy, const identity::User& u, int64_t now_us);
// The principal of a signed-in account.
Principal PrincipalOf(const identity::User& u, std::string session_id, std::string client,
                      const identity::SecurityPolicy& policy, int64_t now_us);
// The actor of events made before anyone signed in (failed sign-ins).
ledger::Actor Unauthenticated(const std::string& client);
// The alert channel (AC-6): a warning whenever `events` include a lockout.
void AlertOnLockout(const std::vector<ledger::Event>& events, const std::string& user_id, uint32_t threshold,
                    const std::string& client);
// A stored password whose recorded replacement never reached auth.db.
bool StalePassword(const identity::User& u, const storage::PasswordRecord& stored);

}  // namespace vellum::app
