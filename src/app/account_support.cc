// Helpers shared by the identity commands of the application service.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/account_support.h"
#include "app/vellum.h"
#include "core/encoding.h"
#include "core/password_hash.h"
#include "core/sha256.h"
#include "identity/accounts.h"
#include "identity/password_policy.h"
#include "records/records.h"

namespace vellum::app {

namespace json = boost::json;
using identity::Role;
using identity::SecurityPolicy;
using identity::User;

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

Status RequireReason(const std::string& reason, std::string_view what) { return records::CheckReason(reason, what); }

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

}  // namespace vellum::app
