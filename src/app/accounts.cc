// Vellum's identity commands: the authority check, sign-in, sessions and
// account administration (AC-1..AC-7). Secrets (password hashes, key and token
// hashes) go to the secret store, never to the ledger, logs or messages; the
// ledger records that each change happened, who made it and why.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "app/vellum.h"
#include "app/vellum_impl.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "core/password_hash.h"
#include "core/random.h"
#include "core/sha256.h"
#include "core/totp.h"
#include "identity/accounts.h"
#include "identity/password_policy.h"

namespace vellum::app {

namespace json = boost::json;
using identity::Action;
using identity::Role;
using identity::SecurityPolicy;
using identity::User;

namespace {

constexpr int64_t kMicrosPerMinute = 60'000'000;
// One message for every failed sign-in: nothing tells which part was wrong or
// whether the account exists (AC-6).
constexpr char kLoginFailedMessage[] =
    "sign-in failed: the user id or password is wrong, or the account cannot sign in now";

core::PasswordHashParams HashParams(const SecurityPolicy& p) {
  core::PasswordHashParams h;
  h.ops_limit = p.argon2_ops;
  h.mem_limit = static_cast<size_t>(p.argon2_memory_kib) * 1024;
  return h;
}

identity::PasswordPolicy PasswordRules(const SecurityPolicy& p) {
  identity::PasswordPolicy r;
  r.min_length = p.password_min_length;
  r.history = p.password_history;
  r.max_age_days = p.password_max_age_days;
  return r;
}

std::string TokenHash(std::string_view token) { return std::string(core::AsBytes(core::Sha256(token))); }

std::string RolesText(const std::vector<Role>& roles) {
  std::string s;
  for (Role r : roles) {
    if (!s.empty()) s += ", ";
    s += identity::RoleName(r);
  }
  return s.empty() ? "no role" : s;
}

Status RequireReason(const std::string& reason, std::string_view what) {
  if (reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return InvalidArgumentError(fmt::format("a reason is required to {}", what));
  }
  if (reason.size() > records::kMaxReasonBytes) return InvalidArgumentError("the reason is too long");
  return OkStatus();
}

bool PasswordExpired(const SecurityPolicy& policy, const User& u, int64_t now_us) {
  if (!u.password_changed_at) return false;
  return identity::PasswordExpired(PasswordRules(policy), *u.password_changed_at / 1'000'000, now_us / 1'000'000);
}

Principal PrincipalOf(const User& u, std::string session_id, std::string client, const SecurityPolicy& policy,
                      int64_t now_us) {
  Principal p;
  p.user_id = u.id;
  p.name = u.name;
  p.kind = u.kind;
  p.roles = u.roles;
  p.session_id = std::move(session_id);
  p.client = std::move(client);
  if (u.kind == identity::AccountKind::kService) {
    p.source = json::object{{"system", u.source_system}, {"version", u.source_version}};
  }
  p.must_change_password = u.must_change_password || PasswordExpired(policy, u, now_us);
  return p;
}

ledger::Actor Unauthenticated(const std::string& client) {
  ledger::Actor a;
  a.id = "unauthenticated";
  a.name = "(not signed in)";
  if (!client.empty()) a.client = client;
  return a;
}

// The alert channel (AC-6): a warning an operator's log monitoring picks up
// whenever a command's events include a lockout.
void AlertOnLockout(const std::vector<ledger::Event>& events, const std::string& user_id, uint32_t threshold,
                    const std::string& client) {
  for (const auto& e : events) {
    if (e.type == identity::kAccountLocked) {
      spdlog::warn("security: account {} locked after {} failed attempts (last from {})", user_id, threshold,
                   client.empty() ? "an unknown client" : client);
    }
  }
}

// A change of password is recorded (the account's password_changed_at) before
// the new hash is stored in auth.db. A stored hash older than the recorded
// change is one whose replacement was lost when the process stopped between the
// two writes: it must not open the account.
bool StalePassword(const User& u, const storage::PasswordRecord& stored) {
  return u.password_changed_at && stored.set_at_us < *u.password_changed_at;
}

}  // namespace

// ---- the authority check ----

Status Vellum::Impl::CheckAuthority(storage::ProjectionReader& state, const Principal& p, Action action,
                                    int64_t now_us) {
  ASSIGN_OR_RETURN(auto user, identity::LoadUser(state, p.user_id));
  if (!user) return PermissionDeniedError(fmt::format("account {} does not exist", p.user_id));
  if (user->status == identity::AccountStatus::kDeactivated) {
    return PermissionDeniedError(fmt::format("account {} is deactivated", p.user_id));
  }
  if (user->status == identity::AccountStatus::kLocked) {
    return PermissionDeniedError(fmt::format("account {} is locked; an administrator must unlock it", p.user_id));
  }
  if (action != Action::kOwnAccount) {
    ASSIGN_OR_RETURN(SecurityPolicy policy, identity::LoadPolicy(state));
    if (user->must_change_password || PasswordExpired(policy, *user, now_us)) {
      return PermissionDeniedError(fmt::format(
          "{} must change the password before doing anything else (vellum user passwd)", p.user_id));
    }
  }
  if (!identity::AnyRoleAllows(user->roles, action)) {
    return PermissionDeniedError(fmt::format("{} ({}) may not {}", p.user_id, RolesText(user->roles),
                                             identity::ActionName(action)));
  }
  return OkStatus();
}

ledger::Decider Vellum::Impl::Guarded(const Principal& p, Action action, ledger::Decider inner,
                                      std::shared_ptr<bool> denied, SharedVerdict verdict) {
  core::Clock* c = clock;
  return [p, action, inner = std::move(inner), denied = std::move(denied), verdict = std::move(verdict),
          c](storage::ProjectionReader& state) -> StatusOr<std::vector<ledger::EventDraft>> {
    Status s;
    if (verdict && verdict->has_value()) {
      s = **verdict;
    } else {
      s = CheckAuthority(state, p, action, c->NowMicros());
      if (verdict) *verdict = s;
    }
    if (!s.ok()) {
      *denied = true;
      return s;
    }
    return inner(state);
  };
}

void Vellum::Impl::RecordDenied(const Principal& p, Action action, std::string_view object, const Status& why) {
  json::object data{{"action", identity::ActionName(action)}, {"object", object}, {"refusal", why.message()}};
  auto r = Submit(p.Actor(), identity::DecideNotice("security.access_denied", std::move(data)));
  if (!r.ok()) spdlog::warn("could not record a refused action of {}: {}", p.user_id, r.status().ToString());
}

StatusOr<std::vector<ledger::Event>> Vellum::Impl::SubmitAs(const Principal& p, Action action,
                                                            StatusOr<ledger::Decider> decider,
                                                            std::string_view object) {
  RETURN_IF_ERROR(decider.status());
  auto denied = std::make_shared<bool>(false);
  auto r = ledger->Submit(p.Actor(), Guarded(p, action, std::move(*decider), denied));
  if (*denied) RecordDenied(p, action, object, r.status());
  return r;
}

StatusOr<ledger::Event> Vellum::Impl::SubmitOneAs(const Principal& p, Action action,
                                                  StatusOr<ledger::Decider> decider, std::string_view object) {
  ASSIGN_OR_RETURN(auto events, SubmitAs(p, action, std::move(decider), object));
  if (events.size() != 1) return InternalError("the command was expected to append exactly one event");
  return std::move(events.front());
}

Status Vellum::Authorize(const Principal& p, Action action, std::string_view object) {
  ASSIGN_OR_RETURN(auto reader, impl_->projection->BeginRead(true));
  Status s = Impl::CheckAuthority(*reader, p, action, impl_->clock->NowMicros());
  if (!s.ok()) impl_->RecordDenied(p, action, object, s);
  return s;
}

// ---- sign-in and sessions ----

StatusOr<Session> Vellum::Login(const LoginRequest& r) {
  ASSIGN_OR_RETURN(auto reader, impl_->projection->BeginRead(true));
  ASSIGN_OR_RETURN(SecurityPolicy policy, identity::LoadPolicy(*reader));
  std::optional<User> user;
  if (ledger::ValidateId("user id", r.user_id).ok()) {
    ASSIGN_OR_RETURN(user, identity::LoadUser(*reader, r.user_id));
  }
  std::optional<storage::PasswordRecord> stored;
  if (user && user->kind == identity::AccountKind::kPerson) {
    ASSIGN_OR_RETURN(stored, impl_->secrets->GetPassword(user->id));
  }
  // Always one argon2id verification with the current parameters, so the
  // time taken does not tell known from unknown ids (AC-6).
  const core::PasswordHashParams params = HashParams(policy);
  const bool password_ok = core::VerifyPassword(stored ? stored->encoded_hash : core::DummyHash(params), r.password);
  if (stored) {
    // A hash made before the policy raised the cost verifies faster: make up the
    // difference, or the time would still tell this id exists.
    if (auto made_with = core::ParamsOfHash(stored->encoded_hash)) {
      for (const auto& pad : core::TimingPads(*made_with, params)) core::VerifyPassword(core::DummyHash(pad), r.password);
    }
  }
  std::string failure;
  if (!user || !stored) failure = "unknown_user";
  else if (user->status == identity::AccountStatus::kDeactivated) failure = "deactivated";
  else if (user->status == identity::AccountStatus::kLocked) failure = "locked";
  else if (StalePassword(*user, *stored)) failure = "password_change_incomplete";
  else if (!password_ok) failure = "wrong_password";
  else if (user->second_factor) {
    // Second factor (AC-2): a current TOTP code, never one already used.
    auto secret = impl_->secrets->GetTotpSecret(user->id);
    std::optional<uint64_t> step;
    if (secret.ok() && *secret && r.totp_code) {
      step = core::VerifyTotp(**secret, *r.totp_code, impl_->clock->NowMicros() / 1'000'000);
    }
    if (!step) failure = "wrong_second_factor";
    else if (!impl_->secrets->UseTotpStep(user->id, static_cast<int64_t>(*step)).ok()) failure = "reused_second_factor";
  }
  if (failure == "password_change_incomplete") {
    spdlog::warn("security: a password change of {} is recorded but its new password was never stored (the process "
                 "stopped in between); the old password is refused until an administrator sets a new one",
                 user->id);
  }
  if (!failure.empty()) {
    auto events = impl_->Submit(Unauthenticated(r.client), identity::DecideLoginFailure(r.user_id, failure));
    if (!events.ok()) return events.status();
    AlertOnLockout(*events, r.user_id, policy.lockout_threshold, r.client);
    return UnauthenticatedError(kLoginFailedMessage);
  }
  const int64_t now = impl_->clock->NowMicros();
  if (core::NeedsRehash(stored->encoded_hash, params)) {
    // The policy's cost changed since this password was set: store it at the new cost.
    auto rehashed = core::HashPassword(r.password, params);
    if (rehashed.ok()) {
      Status s = impl_->secrets->SetPasswordHash(user->id, *rehashed, stored->set_at_us, stored->must_change);
      // The old hash still works; only the cost upgrade is lost. The code, never the message:
      // a store message could in principle quote what it was given.
      if (!s.ok()) spdlog::warn("could not store a rehashed password for {}: {}", user->id, StatusCodeName(s.code()));
    }
  }
  std::string session_id = "s-" + core::HexEncode(core::RandomBytes(12));
  std::string token = core::RandomToken(32);
  RETURN_IF_ERROR(impl_->secrets->CreateSession(session_id, TokenHash(token), user->id, now, r.client,
                                                user->second_factor));
  Principal p = PrincipalOf(*user, session_id, r.client, policy, now);
  json::object data{{"client", r.client}, {"second_factor", user->second_factor}};
  auto ok = impl_->Submit(p.Actor(), identity::DecideLoginSuccess(user->id, std::move(data)));
  if (!ok.ok()) {
    impl_->secrets->EndSession(session_id, now, "not_recorded").IgnoreError();  // best effort: it was never usable
    return ok.status();
  }
  return Session{std::move(token), std::move(p)};
}

StatusOr<Principal> Vellum::Authenticate(std::string_view token, const std::string& client) {
  if (token.empty() || token.size() > 256) return UnauthenticatedError("not signed in (run `vellum login`)");
  ASSIGN_OR_RETURN(auto session, impl_->secrets->FindSession(TokenHash(token)));
  if (!session || session->ended_us) return UnauthenticatedError("not signed in, or the session has ended (run `vellum login`)");
  ASSIGN_OR_RETURN(auto reader, impl_->projection->BeginRead(true));
  ASSIGN_OR_RETURN(SecurityPolicy policy, identity::LoadPolicy(*reader));
  ASSIGN_OR_RETURN(auto user, identity::LoadUser(*reader, session->user_id));
  if (!user) return UnauthenticatedError("the session's account does not exist");
  const int64_t now = impl_->clock->NowMicros();
  std::string expired;
  if (user->status != identity::AccountStatus::kActive) {
    expired = user->status == identity::AccountStatus::kLocked ? "account_locked" : "account_deactivated";
  } else if (now - session->last_seen_us > static_cast<int64_t>(policy.session_idle_minutes) * kMicrosPerMinute) {
    expired = "idle_timeout";
  } else if (now - session->created_us > static_cast<int64_t>(policy.session_max_hours) * 60 * kMicrosPerMinute) {
    expired = "lifetime";
  }
  Principal p = PrincipalOf(*user, session->session_id, client.empty() ? session->client : client, policy, now);
  if (!expired.empty()) {
    RETURN_IF_ERROR(impl_->secrets->EndSession(session->session_id, now, expired));
    RETURN_IF_ERROR(impl_->Submit(p.Actor(), identity::DecideNotice(identity::kSessionExpired,
                                                                    json::object{{"why", expired}}))
                        .status());
    return UnauthenticatedError(expired == "idle_timeout" ? "the session timed out after inactivity; sign in again (vellum login)"
                                : expired == "lifetime"   ? "the session reached its maximum lifetime; sign in again (vellum login)"
                                                          : "the session ended: the account can no longer sign in");
  }
  RETURN_IF_ERROR(impl_->secrets->TouchSession(session->session_id, now));
  return p;
}

StatusOr<Principal> Vellum::AuthenticateApiKey(std::string_view key, const std::string& client) {
  if (key.empty() || key.size() > 256) return UnauthenticatedError("no valid API key");
  ASSIGN_OR_RETURN(auto info, impl_->secrets->FindApiKey(TokenHash(key)));
  const int64_t now = impl_->clock->NowMicros();
  if (!info || info->revoked_us || (info->expires_us && *info->expires_us <= now)) {
    return UnauthenticatedError("the API key is unknown, revoked or expired");
  }
  ASSIGN_OR_RETURN(auto reader, impl_->projection->BeginRead(true));
  ASSIGN_OR_RETURN(SecurityPolicy policy, identity::LoadPolicy(*reader));
  ASSIGN_OR_RETURN(auto user, identity::LoadUser(*reader, info->user_id));
  if (!user || user->kind != identity::AccountKind::kService) return UnauthenticatedError("the API key's account is not a service account");
  if (!std::binary_search(user->api_keys.begin(), user->api_keys.end(), info->key_id)) {
    return UnauthenticatedError("the API key is unknown, revoked or expired");
  }
  if (user->status != identity::AccountStatus::kActive) return UnauthenticatedError("the API key's account cannot act now");
  return PrincipalOf(*user, "k-" + info->key_id, client, policy, now);
}

Status Vellum::Logout(const Principal& p) {
  if (p.session_id.rfind("s-", 0) != 0) return FailedPreconditionError("only a signed-in session can be ended");
  RETURN_IF_ERROR(impl_->secrets->EndSession(p.session_id, impl_->clock->NowMicros(), "logout"));
  return impl_->Submit(p.Actor(), identity::DecideNotice(identity::kLogout, json::object{})).status();
}

Status Vellum::ChangeOwnPassword(const Principal& p, std::string_view current, std::string_view next) {
  RETURN_IF_ERROR(Authorize(p, Action::kOwnAccount, "own password"));
  ASSIGN_OR_RETURN(auto reader, impl_->projection->BeginRead(true));
  ASSIGN_OR_RETURN(SecurityPolicy policy, identity::LoadPolicy(*reader));
  ASSIGN_OR_RETURN(auto user, identity::LoadUser(*reader, p.user_id));
  if (!user || user->kind != identity::AccountKind::kPerson) return FailedPreconditionError("service accounts have no password");
  ASSIGN_OR_RETURN(auto stored, impl_->secrets->GetPassword(p.user_id));
  if (!stored || StalePassword(*user, *stored) || !core::VerifyPassword(stored->encoded_hash, current)) {
    // A wrong current password counts towards lockout like a failed sign-in.
    ASSIGN_OR_RETURN(auto events, impl_->Submit(p.Actor(), identity::DecideLoginFailure(p.user_id, "wrong_current_password")));
    AlertOnLockout(events, p.user_id, policy.lockout_threshold, p.client);
    return UnauthenticatedError("the current password is wrong");
  }
  RETURN_IF_ERROR(identity::CheckNewPassword(next, PasswordRules(policy), user->id, user->name));
  ASSIGN_OR_RETURN(auto history, impl_->secrets->PasswordHistory(p.user_id, policy.password_history));
  RETURN_IF_ERROR(identity::CheckPasswordReuse(next, PasswordRules(policy), history));
  ASSIGN_OR_RETURN(std::string hash, core::HashPassword(next, HashParams(policy)));
  // Later than the stored hash's time even on a clock that has not moved, so a
  // lost write of the new hash is told apart (StalePassword).
  const int64_t now = std::max(impl_->clock->NowMicros(), stored->set_at_us + 1);
  // The event first: if it cannot be recorded, the password does not change.
  RETURN_IF_ERROR(impl_->Submit(p.Actor(), identity::DecideChangeUser(p.user_id, identity::kPasswordChanged,
                                                                      [now](User& u) {
                                                                        u.must_change_password = false;
                                                                        u.password_changed_at = now;
                                                                        u.failed_logins = 0;  // proved they know it
                                                                        return OkStatus();
                                                                      },
                                                                      std::string("password changed by its owner"),
                                                                      /*record_anyway=*/true))
                      .status());
  return impl_->secrets->SetPasswordHash(p.user_id, hash, now, false);
}

StatusOr<std::string> Vellum::BeginTotpEnrollment(const Principal& p) {
  RETURN_IF_ERROR(Authorize(p, Action::kOwnAccount, "own second factor"));
  ASSIGN_OR_RETURN(User user, GetUser(p, p.user_id));
  if (user.kind != identity::AccountKind::kPerson) return FailedPreconditionError("service accounts use API keys");
  if (user.second_factor) {
    return FailedPreconditionError("a second factor is already enrolled; an administrator can reset it");
  }
  std::string secret = core::GenerateTotpSecret(core::TotpAlgorithm::kSha1);
  RETURN_IF_ERROR(impl_->secrets->SetTotpSecret(p.user_id, secret));
  return core::TotpKeyUri(impl_->config.origin.substr(0, impl_->config.origin.find(':')), p.user_id, secret);
}

StatusOr<ledger::Event> Vellum::ConfirmTotpEnrollment(const Principal& p, std::string_view code) {
  RETURN_IF_ERROR(Authorize(p, Action::kOwnAccount, "own second factor"));
  ASSIGN_OR_RETURN(auto secret, impl_->secrets->GetTotpSecret(p.user_id));
  if (!secret) return FailedPreconditionError("no enrolment in progress (vellum user totp enroll)");
  auto step = core::VerifyTotp(*secret, code, impl_->clock->NowMicros() / 1'000'000);
  if (!step) return InvalidArgumentError("the code does not match; check the authenticator's clock and try again");
  RETURN_IF_ERROR(impl_->secrets->UseTotpStep(p.user_id, static_cast<int64_t>(*step)));
  return impl_->SubmitOneAs(p, Action::kOwnAccount,
                            identity::DecideChangeUser(p.user_id, identity::kSecondFactorChanged,
                                                       [](User& u) {
                                                         u.second_factor = true;
                                                         return OkStatus();
                                                       },
                                                       std::string("TOTP second factor enrolled by its owner")),
                            "own second factor");
}

StatusOr<ledger::Event> Vellum::ResetTotp(const Principal& p, const std::string& user_id, std::string reason) {
  RETURN_IF_ERROR(RequireReason(reason, "remove a second factor"));
  ASSIGN_OR_RETURN(ledger::Event e, impl_->SubmitOneAs(p, Action::kUserManage,
                                                       identity::DecideChangeUser(user_id, identity::kSecondFactorChanged,
                                                                                  [](User& u) {
                                                                                    u.second_factor = false;
                                                                                    return OkStatus();
                                                                                  },
                                                                                  reason),
                                                       "user " + user_id));
  Status removed = impl_->secrets->RemoveTotp(user_id);
  if (!removed.ok() && removed.code() != StatusCode::kNotFound) return removed;
  return e;
}

// ---- accounts ----

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

StatusOr<std::string> Vellum::CreateApiKey(const Principal& p, const std::string& user_id, std::string reason) {
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

// ---- the periodic account review ----

StatusOr<json::object> Vellum::AccountReviewReport(const Principal& p) {
  RETURN_IF_ERROR(Authorize(p, Action::kAccountReview, "the account review"));
  ASSIGN_OR_RETURN(auto rows, impl_->projection->ListRecords(identity::kUserType));
  ASSIGN_OR_RETURN(auto reader, impl_->projection->BeginRead(true));
  ASSIGN_OR_RETURN(SecurityPolicy policy, identity::LoadPolicy(*reader));
  const int64_t now = impl_->clock->NowMicros();
  json::array accounts;
  for (const auto& row : rows) {
    ASSIGN_OR_RETURN(json::object content, records::ParseStoredContent(row));
    ASSIGN_OR_RETURN(User u, identity::FromContent(row.record_id, content));
    std::optional<uint64_t> last_login;
    storage::EventQuery q;
    q.actor = u.id;
    q.type = identity::kLoginSucceeded;
    RETURN_IF_ERROR(impl_->projection->QueryEvents(q, [&](uint64_t seq) {
      last_login = seq;
      return true;
    }));
    json::object a = identity::ToContent(u);
    a["id"] = u.id;
    a["version"] = row.version;
    a["last_sign_in"] = nullptr;
    if (last_login) {
      ASSIGN_OR_RETURN(auto ev, reader->IndexedEvent(*last_login));
      if (ev) a["last_sign_in"] = core::FormatTimestamp(ev->ts);
    }
    a["password_expired"] = PasswordExpired(policy, u, now);
    json::array keys;
    ASSIGN_OR_RETURN(auto api_keys, impl_->secrets->ListApiKeys(u.id));
    for (const auto& k : api_keys) {
      keys.push_back(json::object{{"key_id", k.key_id},
                                  {"created", core::FormatTimestamp(k.created_us)},
                                  {"revoked", k.revoked_us ? json::value(core::FormatTimestamp(*k.revoked_us))
                                                           : json::value(nullptr)}});
    }
    a["api_keys"] = std::move(keys);
    accounts.push_back(std::move(a));
  }
  return json::object{{"as_of", core::FormatTimestamp(now)},
                      {"ledger_size", impl_->ledger->Size()},
                      {"review_interval_days", policy.account_review_days},
                      {"accounts", std::move(accounts)}};
}

StatusOr<ledger::Event> Vellum::RecordAccountReview(const Principal& p, const core::Hash& report_hash,
                                                    std::string conclusion) {
  RETURN_IF_ERROR(RequireReason(conclusion, "record an account review"));
  json::object data{{"report", core::HashToTagged(report_hash)}};
  return impl_->SubmitOneAs(p, Action::kAccountReview,
                            [data, conclusion](storage::ProjectionReader&) -> StatusOr<std::vector<ledger::EventDraft>> {
                              ledger::EventDraft d;
                              d.type = "account.reviewed";
                              d.data = data;
                              d.reason = conclusion;
                              return std::vector<ledger::EventDraft>{std::move(d)};
                            },
                            "the account review");
}

// ---- qualifications ----

StatusOr<ledger::Event> Vellum::RecordCredential(const Principal& p, identity::Credential c, std::string reason) {
  std::string object = "credential " + identity::QualificationId(c.user_id, c.type);
  return impl_->SubmitOneAs(p, Action::kCredentialManage, identity::DecideRecordCredential(std::move(c), std::move(reason)),
                            object);
}

StatusOr<ledger::Event> Vellum::RevokeCredential(const Principal& p, const std::string& user_id,
                                                 const std::string& type, std::string reason) {
  return impl_->SubmitOneAs(p, Action::kCredentialManage,
                            identity::DecideRevokeCredential(user_id, type, std::move(reason)),
                            "credential " + identity::QualificationId(user_id, type));
}

StatusOr<ledger::Event> Vellum::RecordTraining(const Principal& p, identity::Training t, std::string reason) {
  std::string object = "training " + identity::QualificationId(t.user_id, t.subject);
  return impl_->SubmitOneAs(p, Action::kCredentialManage, identity::DecideRecordTraining(std::move(t), std::move(reason)),
                            object);
}

Status Vellum::CheckCredential(const std::string& user_id, const std::string& type) {
  ASSIGN_OR_RETURN(auto reader, impl_->projection->BeginRead(true));
  return identity::RequireCredential(*reader, user_id, type, impl_->clock->NowMicros());
}

Status Vellum::CheckTraining(const std::string& user_id, const std::string& subject) {
  ASSIGN_OR_RETURN(auto reader, impl_->projection->BeginRead(true));
  return identity::RequireTraining(*reader, user_id, subject);
}

}  // namespace vellum::app
