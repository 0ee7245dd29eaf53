#include "identity/user.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/clock.h"
#include "core/display_text.h"
#include "core/json.h"
#include "ledger/event.h"

namespace vellum::identity {
namespace {

namespace json = boost::json;

constexpr std::string_view kFields[] = {"name",  "email",          "kind",           "roles",
                                        "status", "failed_logins", "must_change_password",
                                        "password_changed_at", "second_factor", "source",
                                        "api_keys"};

Status Bad(std::string_view what) { return DataLossError(fmt::format("user record: {}", what)); }

StatusOr<std::string> Str(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  if (v == nullptr || !v->is_string()) return Bad(fmt::format("\"{}\" must be a string", k));
  return std::string(v->get_string());
}

StatusOr<bool> Bool(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  if (v == nullptr || !v->is_bool()) return Bad(fmt::format("\"{}\" must be true or false", k));
  return v->get_bool();
}

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

std::string_view StatusName(AccountStatus s) {
  switch (s) {
    case AccountStatus::kActive: return "active";
    case AccountStatus::kLocked: return "locked";
    case AccountStatus::kDeactivated: return "deactivated";
  }
  return "unknown";
}

std::string_view KindName(AccountKind k) { return k == AccountKind::kPerson ? "person" : "service"; }

json::object ToContent(const User& u) {
  json::array roles;
  std::vector<Role> sorted = u.roles;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (Role r : sorted) roles.push_back(json::string(RoleName(r)));
  json::object o;
  o["name"] = u.name;
  o["email"] = u.email;
  o["kind"] = KindName(u.kind);
  o["roles"] = std::move(roles);
  o["status"] = StatusName(u.status);
  o["failed_logins"] = u.failed_logins;
  o["must_change_password"] = u.must_change_password;
  o["password_changed_at"] =
      u.password_changed_at ? json::value(core::FormatTimestamp(*u.password_changed_at)) : json::value(nullptr);
  o["second_factor"] = u.second_factor;
  o["source"] = u.kind == AccountKind::kService
                    ? json::value(json::object{{"system", u.source_system}, {"version", u.source_version}})
                    : json::value(nullptr);
  std::vector<std::string> keys = u.api_keys;
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  json::array key_ids;
  for (auto& k : keys) key_ids.push_back(json::string(k));
  o["api_keys"] = std::move(key_ids);
  return o;
}

StatusOr<User> FromContent(std::string_view id, const json::object& o) {
  for (const auto& kv : o) {
    if (std::find(std::begin(kFields), std::end(kFields), kv.key()) == std::end(kFields)) {
      return Bad(fmt::format("unknown field \"{}\"", std::string_view(kv.key())));
    }
  }
  User u;
  u.id = id;
  ASSIGN_OR_RETURN(u.name, Str(o, "name"));
  ASSIGN_OR_RETURN(u.email, Str(o, "email"));
  ASSIGN_OR_RETURN(std::string kind, Str(o, "kind"));
  if (kind == "person") u.kind = AccountKind::kPerson;
  else if (kind == "service") u.kind = AccountKind::kService;
  else return Bad("\"kind\" must be person or service");
  const json::value* roles = o.if_contains("roles");
  if (roles == nullptr || !roles->is_array()) return Bad("\"roles\" must be an array");
  for (const auto& r : roles->get_array()) {
    auto role = r.is_string() ? ParseRole(r.get_string()) : std::nullopt;
    if (!role) return Bad("\"roles\" holds an unknown role");
    u.roles.push_back(*role);
  }
  ASSIGN_OR_RETURN(std::string status, Str(o, "status"));
  if (status == "active") u.status = AccountStatus::kActive;
  else if (status == "locked") u.status = AccountStatus::kLocked;
  else if (status == "deactivated") u.status = AccountStatus::kDeactivated;
  else return Bad("\"status\" is unknown");
  const json::value* failed = o.if_contains("failed_logins");
  if (failed == nullptr || !failed->is_number()) return Bad("\"failed_logins\" must be a number");
  boost::system::error_code ec;
  u.failed_logins = failed->to_number<uint32_t>(ec);
  if (ec) return Bad("\"failed_logins\" must be a small non-negative integer");
  ASSIGN_OR_RETURN(u.must_change_password, Bool(o, "must_change_password"));
  const json::value* changed = o.if_contains("password_changed_at");
  if (changed == nullptr) return Bad("\"password_changed_at\" is missing");
  if (changed->is_string()) {
    auto t = core::ParseTimestamp(changed->get_string());
    if (!t.ok()) return Bad("\"password_changed_at\" is not a timestamp");
    u.password_changed_at = *t;
  } else if (!changed->is_null()) {
    return Bad("\"password_changed_at\" must be a timestamp or null");
  }
  ASSIGN_OR_RETURN(u.second_factor, Bool(o, "second_factor"));
  const json::value* source = o.if_contains("source");
  if (source == nullptr) return Bad("\"source\" is missing");
  if (source->is_object()) {
    ASSIGN_OR_RETURN(u.source_system, Str(source->get_object(), "system"));
    ASSIGN_OR_RETURN(u.source_version, Str(source->get_object(), "version"));
  } else if (!source->is_null()) {
    return Bad("\"source\" must be an object or null");
  }
  const json::value* keys = o.if_contains("api_keys");
  if (keys == nullptr || !keys->is_array()) return Bad("\"api_keys\" must be an array");
  for (const auto& k : keys->get_array()) {
    if (!k.is_string()) return Bad("\"api_keys\" must hold key ids");
    u.api_keys.emplace_back(k.get_string());
  }
  return u;
}

Status ValidateNewUser(const User& u) {
  RETURN_IF_ERROR(ledger::ValidateId("user id", u.id));
  if (u.id.find(':') != std::string::npos) {
    // ':' separates the user id in credential and training record ids.
    return InvalidArgumentError("a user id may not contain ':'");
  }
  if (u.id == "system" || u.id == "unauthenticated") {
    return InvalidArgumentError(fmt::format("user id \"{}\" is reserved", u.id));
  }
  // The printed name is what a signature shows (§11.50): something visible, no
  // control or direction character that could make it show another name.
  if (!core::IsValidUtf8(u.name) || core::IsBlankText(u.name) || core::CharacterCount(u.name) > 200 ||
      HasControl(u.name) || core::HasControlCharacters(u.name) || core::HasDirectionControls(u.name)) {
    return InvalidArgumentError(
        "the printed name must be 1 to 200 characters of visible text, without control or direction characters");
  }
  if (u.kind == AccountKind::kPerson) {
    size_t at = u.email.find('@');
    if (u.email.size() > 254 || at == std::string::npos || at == 0 || at + 1 == u.email.size() ||
        u.email.find_first_of(" \t\r\n<>\"") != std::string::npos || !core::IsValidUtf8(u.email)) {
      return InvalidArgumentError("a person's account needs a valid email address");
    }
  }
  if (u.roles.empty()) return InvalidArgumentError("an account needs at least one role");
  // AC-3: whoever manages accounts and configuration never also holds a role that
  // creates, modifies or deletes record data; otherwise an administrator could grant
  // it to themselves, and the matrix's "no" for the administrator would mean nothing.
  if (std::find(u.roles.begin(), u.roles.end(), Role::kSystemAdministrator) != u.roles.end()) {
    for (Role r : u.roles) {
      if (RoleAllows(r, Action::kRecordCreate) || RoleAllows(r, Action::kRecordModify) ||
          RoleAllows(r, Action::kRecordDelete)) {
        return InvalidArgumentError(
            fmt::format("the system_administrator role cannot be combined with the {} role, which "
                        "changes record data (separation of duties)",
                        RoleName(r)));
      }
    }
  }
  if (u.kind == AccountKind::kService) {
    for (Role r : u.roles) {
      if (r == Role::kSystemAdministrator || r == Role::kQuality) {
        return InvalidArgumentError(fmt::format("a service account cannot hold the {} role", RoleName(r)));
      }
    }
    RETURN_IF_ERROR(ledger::ValidateId("source system", u.source_system));
    if (u.source_version.empty() || u.source_version.size() > 100 || HasControl(u.source_version) ||
        !core::IsValidUtf8(u.source_version)) {
      return InvalidArgumentError("a service account needs its source system's version");
    }
  }
  return OkStatus();
}

}  // namespace vellum::identity
