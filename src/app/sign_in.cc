// Sign-in, sessions, API-key authentication, the owner's password and second
// factor (AC-2, AC-6, AC-7, DC-1). Secrets go to the secret store, never to the
// ledger, logs or messages; the ledger records that each thing happened.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "app/account_support.h"
#include "app/vellum.h"
#include "app/vellum_impl.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "core/password_hash.h"
#include "core/random.h"
#include "core/totp.h"
#include "identity/accounts.h"
#include "identity/password_policy.h"

namespace vellum::app {

namespace json = boost::json;
using identity::Action;
using identity::SecurityPolicy;
using identity::User;

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

// A second factor is enrolled only once the account's password is its owner's:
// with a password someone else set (or one that expired), only the change
// itself, reading one's own account and the policy, and logging out are allowed
// (§11.300), or whoever set it could bind their own authenticator to the account.
// The refusal is recorded like any other.
Status Vellum::Impl::RefuseSecondFactorWhilePasswordChangePending(Vellum& v, const Principal& p) {
  ASSIGN_OR_RETURN(User user, v.GetUser(p, p.user_id));
  ASSIGN_OR_RETURN(SecurityPolicy policy, v.GetPolicy(p));
  if (!user.must_change_password && !PasswordExpired(policy, user, clock->NowMicros())) return OkStatus();
  Status refused = PermissionDeniedError(fmt::format(
      "{} must change the password before enrolling a second factor (vellum user passwd)", p.user_id));
  RecordDenied(p, Action::kOwnAccount, "own second factor", refused);
  return refused;
}

StatusOr<std::string> Vellum::BeginTotpEnrollment(const Principal& p) {
  RETURN_IF_ERROR(Authorize(p, Action::kOwnAccount, "own second factor"));
  RETURN_IF_ERROR(impl_->RefuseSecondFactorWhilePasswordChangePending(*this, p));
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
  RETURN_IF_ERROR(impl_->RefuseSecondFactorWhilePasswordChangePending(*this, p));
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

}  // namespace vellum::app
