#include "identity/accounts.h"

#include <fmt/format.h>

#include "core/encoding.h"
#include "core/json.h"
#include "records/records.h"

namespace vellum::identity {
namespace {

namespace json = boost::json;
using ledger::EventDraft;
using storage::ProjectionReader;
using storage::RecordVersionRow;

StatusOr<std::optional<RecordVersionRow>> LatestUserRow(ProjectionReader& state, const std::string& user_id) {
  return state.LatestVersion(kUserType, user_id);
}

// The row a draft would leave, so a second draft can build on it in the same command.
StatusOr<RecordVersionRow> RowAfter(const EventDraft& d, const json::object& content) {
  RecordVersionRow row;
  row.record_type = d.record->type;
  row.record_id = d.record->id;
  row.version = d.record->version;
  ASSIGN_OR_RETURN(row.content, core::CanonicalJson(content));
  row.content_hash = *d.record->content_hash;
  return row;
}

// The user id of a failed sign-in as the event records it. Whatever an
// unauthenticated caller sends must become one small event (AC-6): bytes that
// are not UTF-8 would make the event unencodable and a huge id would exceed the
// event size limit, and either way the attempt would go unrecorded (and answer
// with a message of its own). Such ids are recorded as "hex:" + their first
// 64 bytes in hex.
std::string RecordableUserId(const std::string& tried) {
  constexpr size_t kMaxBytes = 256;
  if (tried.size() <= kMaxBytes && core::IsValidUtf8(tried)) return tried;
  return "hex:" + core::HexEncode(std::string_view(tried).substr(0, 64));
}

}  // namespace

StatusOr<std::optional<User>> LoadUser(ProjectionReader& state, const std::string& user_id) {
  ASSIGN_OR_RETURN(auto row, LatestUserRow(state, user_id));
  if (!row) return std::optional<User>();
  if (row->deleted) return DataLossError(fmt::format("user record {} is a tombstone; accounts are never deleted", user_id));
  ASSIGN_OR_RETURN(json::object content, records::ParseStoredContent(*row));
  ASSIGN_OR_RETURN(User u, FromContent(user_id, content));
  u.version = row->version;
  return std::optional<User>(std::move(u));
}

StatusOr<SecurityPolicy> LoadPolicy(ProjectionReader& state) {
  ASSIGN_OR_RETURN(auto row, state.LatestVersion(kPolicyType, kSecurityPolicyId));
  if (!row) return SecurityPolicy{};
  ASSIGN_OR_RETURN(json::object content, records::ParseStoredContent(*row));
  return PolicyFromContent(content);
}

StatusOr<ledger::Decider> DecideCreateUser(User user, std::optional<std::string> reason) {
  RETURN_IF_ERROR(ValidateNewUser(user));
  return ledger::Decider([user = std::move(user), reason = std::move(reason)](
                             ProjectionReader& state) -> StatusOr<std::vector<EventDraft>> {
    ASSIGN_OR_RETURN(auto row, LatestUserRow(state, user.id));
    if (row) return AlreadyExistsError(fmt::format("user id {} is already taken; user ids are never reused", user.id));
    ASSIGN_OR_RETURN(EventDraft d,
                     records::DraftVersion(kUserCreated, kUserType, user.id, std::nullopt, ToContent(user), reason));
    d.data["user"] = user.id;
    return std::vector<EventDraft>{std::move(d)};
  });
}

ledger::Decider DecideChangeUser(std::string user_id, std::string event_type, std::function<Status(User&)> change,
                                 std::optional<std::string> reason, bool record_anyway) {
  return [user_id = std::move(user_id), event_type = std::move(event_type), change = std::move(change),
          reason = std::move(reason), record_anyway](ProjectionReader& state) -> StatusOr<std::vector<EventDraft>> {
    ASSIGN_OR_RETURN(auto row, LatestUserRow(state, user_id));
    if (!row) return NotFoundError(fmt::format("no user {}", user_id));
    ASSIGN_OR_RETURN(auto user, LoadUser(state, user_id));
    User next = *user;
    RETURN_IF_ERROR(change(next));
    json::object content = ToContent(next);
    ASSIGN_OR_RETURN(std::string canonical, core::CanonicalJson(content));
    if (canonical == row->content) {
      if (!record_anyway) return InvalidArgumentError(fmt::format("user {} is already so: nothing to change", user_id));
      EventDraft d;
      d.type = event_type;
      d.reason = reason;
      d.data["user"] = user_id;
      return std::vector<EventDraft>{std::move(d)};
    }
    ASSIGN_OR_RETURN(EventDraft d, records::DraftVersion(event_type, kUserType, user_id, row, content, reason));
    d.data["user"] = user_id;
    return std::vector<EventDraft>{std::move(d)};
  };
}

ledger::Decider DecideLoginFailure(std::string user_tried, std::string what) {
  return [user_tried = std::move(user_tried), what = std::move(what)](
             ProjectionReader& state) -> StatusOr<std::vector<EventDraft>> {
    EventDraft failed;
    failed.type = kLoginFailed;
    failed.data["user_tried"] = RecordableUserId(user_tried);
    if (failed.data["user_tried"].as_string() != user_tried) {
      failed.data["user_tried_bytes"] = user_tried.size();
    }
    failed.data["failure"] = what;
    std::optional<User> user;
    if (ledger::ValidateId("user id", user_tried).ok()) {
      ASSIGN_OR_RETURN(user, LoadUser(state, user_tried));
    }
    if (!user || user->status != AccountStatus::kActive) return std::vector<EventDraft>{std::move(failed)};
    ASSIGN_OR_RETURN(SecurityPolicy policy, LoadPolicy(state));
    ASSIGN_OR_RETURN(auto row, LatestUserRow(state, user_tried));
    User counted = *user;
    ++counted.failed_logins;
    json::object content = ToContent(counted);
    ASSIGN_OR_RETURN(EventDraft d, records::DraftVersion(kLoginFailed, kUserType, user_tried, row, content,
                                                         std::string("failed login attempt")));
    d.data = failed.data;
    d.data["failed_logins"] = counted.failed_logins;
    std::vector<EventDraft> out;
    if (counted.failed_logins < policy.lockout_threshold) {
      out.push_back(std::move(d));
      return out;
    }
    ASSIGN_OR_RETURN(RecordVersionRow after, RowAfter(d, content));
    User locked = counted;
    locked.status = AccountStatus::kLocked;
    ASSIGN_OR_RETURN(EventDraft lock,
                     records::DraftVersion(kAccountLocked, kUserType, user_tried, after, ToContent(locked),
                                           fmt::format("{} consecutive failed login attempts", counted.failed_logins)));
    lock.data["user"] = user_tried;
    lock.data["failed_logins"] = counted.failed_logins;
    lock.data["threshold"] = policy.lockout_threshold;
    out.push_back(std::move(d));
    out.push_back(std::move(lock));
    return out;
  };
}

ledger::Decider DecideLoginSuccess(std::string user_id, json::object data) {
  return [user_id = std::move(user_id), data = std::move(data)](
             ProjectionReader& state) -> StatusOr<std::vector<EventDraft>> {
    ASSIGN_OR_RETURN(auto user, LoadUser(state, user_id));
    if (!user) return NotFoundError(fmt::format("no user {}", user_id));
    if (user->failed_logins == 0) {
      EventDraft d;
      d.type = kLoginSucceeded;
      d.data = data;
      d.data["user"] = user_id;
      return std::vector<EventDraft>{std::move(d)};
    }
    ASSIGN_OR_RETURN(auto row, LatestUserRow(state, user_id));
    User reset = *user;
    reset.failed_logins = 0;
    ASSIGN_OR_RETURN(EventDraft d, records::DraftVersion(kLoginSucceeded, kUserType, user_id, row, ToContent(reset),
                                                         std::string("successful login resets the failure count")));
    for (const auto& kv : data) d.data[kv.key()] = kv.value();
    d.data["user"] = user_id;
    return std::vector<EventDraft>{std::move(d)};
  };
}

ledger::Decider DecideNotice(std::string event_type, json::object data) {
  return [event_type = std::move(event_type), data = std::move(data)](
             ProjectionReader&) -> StatusOr<std::vector<EventDraft>> {
    EventDraft d;
    d.type = event_type;
    d.data = data;
    return std::vector<EventDraft>{std::move(d)};
  };
}

StatusOr<ledger::Decider> DecideChangePolicy(SecurityPolicy policy, std::string reason) {
  RETURN_IF_ERROR(ValidatePolicy(policy));
  RETURN_IF_ERROR(records::CheckReason(reason, "change the security policy"));
  return ledger::Decider([policy, reason = std::move(reason)](
                             ProjectionReader& state) -> StatusOr<std::vector<EventDraft>> {
    ASSIGN_OR_RETURN(auto row, state.LatestVersion(kPolicyType, kSecurityPolicyId));
    ASSIGN_OR_RETURN(SecurityPolicy current, LoadPolicy(state));
    if (row && current == policy) return InvalidArgumentError("the security policy is already so: nothing to change");
    ASSIGN_OR_RETURN(EventDraft d, records::DraftVersion(kPolicyChanged, kPolicyType, kSecurityPolicyId, row,
                                                         ToContent(policy), reason));
    return std::vector<EventDraft>{std::move(d)};
  });
}

}  // namespace vellum::identity
