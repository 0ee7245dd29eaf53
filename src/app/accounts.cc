// Account administration (AC-1, AC-3): people and service accounts, roles,
// deactivation, unlocking, password resets, API keys, and the security policy.
// Every change is a new version of the account's record with who and why.
#include <fmt/format.h>

#include <algorithm>

#include "app/account_support.h"
#include "app/vellum.h"
#include "app/vellum_impl.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "core/password_hash.h"
#include "core/random.h"
#include "identity/accounts.h"
#include "identity/password_policy.h"

namespace vellum::app {

namespace json = boost::json;
using identity::Action;
using identity::Role;
using identity::SecurityPolicy;
using identity::User;

StatusOr<ledger::Event> Vellum::CreateUser(const Principal& p, User user, std::string_view initial_password,
                                           std::optional<std::string> reason) {
  RETURN_IF_ERROR(identity::ValidateNewUser(user));
  RETURN_IF_ERROR(Authorize(p, Action::kUserManage, "user " + user.id));
  ASSIGN_OR_RETURN(auto reader, impl_->projection->BeginRead(true));
  ASSIGN_OR_RETURN(SecurityPolicy policy, identity::LoadPolicy(*reader));
  std::optional<std::string> hash;
  if (user.kind == identity::AccountKind::kPerson) {
    RETURN_IF_ERROR(identity::CheckNewPassword(initial_password, PasswordRules(policy), user.id, user.name));
    ASSIGN_OR_RETURN(hash, core::HashPassword(initial_password, HashParams(policy)));
    user.must_change_password = true;  // set by someone else: the owner must choose their own (§11.300)
    user.password_changed_at = impl_->clock->NowMicros();
  } else {
    if (!initial_password.empty()) return InvalidArgumentError("a service account has no password; it uses API keys");
    user.must_change_password = false;
  }
  user.status = identity::AccountStatus::kActive;
  user.failed_logins = 0;
  user.second_factor = false;
  user.api_keys.clear();
  const std::string id = user.id;
  const std::optional<int64_t> changed_at = user.password_changed_at;
  ASSIGN_OR_RETURN(ledger::Event e, impl_->SubmitOneAs(p, Action::kUserManage,
                                                       identity::DecideCreateUser(std::move(user), std::move(reason)),
                                                       "user " + id));
  if (hash) RETURN_IF_ERROR(impl_->secrets->SetPasswordHash(id, *hash, *changed_at, true));
  return e;
}

StatusOr<ledger::Event> Vellum::SetRoles(const Principal& p, const std::string& user_id, std::vector<Role> roles,
                                         std::string reason) {
  RETURN_IF_ERROR(RequireReason(reason, "change roles"));
  if (roles.empty()) return InvalidArgumentError("an account needs at least one role");
  // Nobody grants themselves anything (AC-3): another administrator must.
  if (user_id == p.user_id) return FailedPreconditionError("an administrator cannot change their own roles");
  return impl_->SubmitOneAs(p, Action::kUserManage,
                            identity::DecideChangeUser(user_id, identity::kUserRolesChanged,
                                                       [roles](User& u) {
                                                         u.roles = roles;
                                                         std::sort(u.roles.begin(), u.roles.end());
                                                         u.roles.erase(std::unique(u.roles.begin(), u.roles.end()),
                                                                       u.roles.end());
                                                         return identity::ValidateNewUser(u);
                                                       },
                                                       reason),
                            "user " + user_id);
}

StatusOr<ledger::Event> Vellum::DeactivateUser(const Principal& p, const std::string& user_id, std::string reason) {
  RETURN_IF_ERROR(RequireReason(reason, "deactivate an account"));
  if (user_id == p.user_id) return FailedPreconditionError("an administrator cannot deactivate their own account");
  return impl_->SubmitOneAs(p, Action::kUserManage,
                            identity::DecideChangeUser(user_id, identity::kUserDeactivated,
                                                       [](User& u) {
                                                         u.status = identity::AccountStatus::kDeactivated;
                                                         return OkStatus();
                                                       },
                                                       reason),
                            "user " + user_id);
}

StatusOr<ledger::Event> Vellum::UnlockUser(const Principal& p, const std::string& user_id, std::string reason) {
  RETURN_IF_ERROR(RequireReason(reason, "unlock an account"));
  return impl_->SubmitOneAs(p, Action::kUserManage,
                            identity::DecideChangeUser(user_id, identity::kUserUnlocked,
                                                       [](User& u) {
                                                         if (u.status != identity::AccountStatus::kLocked) {
                                                           return FailedPreconditionError("the account is not locked");
                                                         }
                                                         u.status = identity::AccountStatus::kActive;
                                                         u.failed_logins = 0;
                                                         return OkStatus();
                                                       },
                                                       reason),
                            "user " + user_id);
}

StatusOr<ledger::Event> Vellum::ResetPassword(const Principal& p, const std::string& user_id,
                                              std::string_view password, std::string reason) {
  RETURN_IF_ERROR(RequireReason(reason, "set another user's password"));
  RETURN_IF_ERROR(Authorize(p, Action::kUserManage, "user " + user_id));
  ASSIGN_OR_RETURN(auto reader, impl_->projection->BeginRead(true));
  ASSIGN_OR_RETURN(SecurityPolicy policy, identity::LoadPolicy(*reader));
  ASSIGN_OR_RETURN(auto user, identity::LoadUser(*reader, user_id));
  if (!user) return NotFoundError(fmt::format("no user {}", user_id));
  if (user->kind != identity::AccountKind::kPerson) return FailedPreconditionError("service accounts have no password");
  RETURN_IF_ERROR(identity::CheckNewPassword(password, PasswordRules(policy), user->id, user->name));
  ASSIGN_OR_RETURN(std::string hash, core::HashPassword(password, HashParams(policy)));
  ASSIGN_OR_RETURN(auto stored, impl_->secrets->GetPassword(user_id));
  const int64_t now = std::max(impl_->clock->NowMicros(), stored ? stored->set_at_us + 1 : 0);
  ASSIGN_OR_RETURN(ledger::Event e, impl_->SubmitOneAs(p, Action::kUserManage,
                                                       identity::DecideChangeUser(user_id, identity::kPasswordSet,
                                                                                  [now](User& u) {
                                                                                    u.must_change_password = true;
                                                                                    u.password_changed_at = now;
                                                                                    return OkStatus();
                                                                                  },
                                                                                  reason, /*record_anyway=*/true),
                                                       "user " + user_id));
  RETURN_IF_ERROR(impl_->secrets->SetPasswordHash(user_id, hash, now, true));
  return e;
}

namespace {

// A change of the service account's keys in force, recorded as `event_type`
// with the key id in the event's data.
ledger::Decider DecideKeyChange(const std::string& user_id, const std::string& key_id, const char* event_type,
                                std::function<Status(User&)> change, std::string reason) {
  ledger::Decider inner =
      identity::DecideChangeUser(user_id, event_type, std::move(change), std::move(reason), /*record_anyway=*/false);
  return [inner = std::move(inner), key_id](storage::ProjectionReader& state)
             -> StatusOr<std::vector<ledger::EventDraft>> {
    ASSIGN_OR_RETURN(auto drafts, inner(state));
    for (auto& d : drafts) d.data["key_id"] = key_id;
    return drafts;
  };
}

}  // namespace

StatusOr<std::string> Vellum::CreateApiKey(const Principal& p, const std::string& user_id, std::string reason,
                                           std::string* key_id_out) {
  RETURN_IF_ERROR(RequireReason(reason, "issue an API key"));
  RETURN_IF_ERROR(Authorize(p, Action::kUserManage, "user " + user_id));
  std::string key_id = core::HexEncode(core::RandomBytes(8));
  std::string key = "vk_" + core::RandomToken(32);
  auto add = [key_id](User& u) -> Status {
    if (u.kind != identity::AccountKind::kService) return FailedPreconditionError("API keys are for service accounts only");
    if (u.status != identity::AccountStatus::kActive) return FailedPreconditionError("the account is not active");
    u.api_keys.push_back(key_id);
    std::sort(u.api_keys.begin(), u.api_keys.end());
    return OkStatus();
  };
  // The key is in force once the account's record lists it; its hash goes to
  // auth.db right after. Should the process stop in between, the key was never
  // shown to anyone and authenticates nothing.
  ASSIGN_OR_RETURN(ledger::Event e,
                   impl_->SubmitOneAs(p, Action::kUserManage,
                                      DecideKeyChange(user_id, key_id, identity::kApiKeyCreated, add, reason),
                                      "user " + user_id));
  RETURN_IF_ERROR(impl_->secrets->AddApiKey(key_id, user_id, TokenHash(key), e.ts, std::nullopt));
  if (key_id_out != nullptr) *key_id_out = key_id;
  return key;
}

StatusOr<ledger::Event> Vellum::RevokeApiKey(const Principal& p, const std::string& key_id, std::string reason) {
  RETURN_IF_ERROR(RequireReason(reason, "revoke an API key"));
  RETURN_IF_ERROR(ledger::ValidateId("key id", key_id));
  RETURN_IF_ERROR(Authorize(p, Action::kUserManage, "API key " + key_id));
  ASSIGN_OR_RETURN(auto info, impl_->secrets->GetApiKey(key_id));
  if (!info) return NotFoundError(fmt::format("no API key {}", key_id));
  auto remove = [key_id](User& u) -> Status {
    auto it = std::find(u.api_keys.begin(), u.api_keys.end(), key_id);
    if (it == u.api_keys.end()) return FailedPreconditionError(fmt::format("API key {} is already revoked", key_id));
    u.api_keys.erase(it);
    return OkStatus();
  };
  // Recorded first: the account's record stops listing the key, which is what
  // authentication checks, so the revocation holds even if the process stops
  // before auth.db is updated.
  ASSIGN_OR_RETURN(ledger::Event e,
                   impl_->SubmitOneAs(p, Action::kUserManage,
                                      DecideKeyChange(info->user_id, key_id, identity::kApiKeyRevoked, remove, reason),
                                      "API key " + key_id));
  Status revoked = impl_->secrets->RevokeApiKey(key_id, e.ts);
  if (!revoked.ok() && revoked.code() != StatusCode::kFailedPrecondition) return revoked;
  return e;
}

StatusOr<std::vector<User>> Vellum::ListUsers(const Principal& p) {
  RETURN_IF_ERROR(Authorize(p, Action::kUserRead, "users"));
  ASSIGN_OR_RETURN(auto rows, impl_->projection->ListRecords(identity::kUserType));
  std::vector<User> out;
  for (const auto& row : rows) {
    ASSIGN_OR_RETURN(json::object content, records::ParseStoredContent(row));
    ASSIGN_OR_RETURN(User u, identity::FromContent(row.record_id, content));
    u.version = row.version;
    out.push_back(std::move(u));
  }
  return out;
}

StatusOr<User> Vellum::GetUser(const Principal& p, const std::string& user_id) {
  RETURN_IF_ERROR(ledger::ValidateId("user id", user_id));
  RETURN_IF_ERROR(Authorize(p, user_id == p.user_id ? Action::kOwnAccount : Action::kUserRead, "user " + user_id));
  ASSIGN_OR_RETURN(auto reader, impl_->projection->BeginRead(true));
  ASSIGN_OR_RETURN(auto user, identity::LoadUser(*reader, user_id));
  if (!user) return NotFoundError(fmt::format("no user {}", user_id));
  return *user;
}

StatusOr<SecurityPolicy> Vellum::GetPolicy(const Principal& p) {
  RETURN_IF_ERROR(Authorize(p, Action::kOwnAccount, "the security policy"));
  ASSIGN_OR_RETURN(auto reader, impl_->projection->BeginRead(true));
  return identity::LoadPolicy(*reader);
}

StatusOr<ledger::Event> Vellum::SetPolicy(const Principal& p, SecurityPolicy policy, std::string reason) {
  return impl_->SubmitOneAs(p, Action::kPolicyChange, identity::DecideChangePolicy(policy, std::move(reason)),
                            "the security policy");
}

}  // namespace vellum::app
