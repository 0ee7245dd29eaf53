#include "identity/qualifications.h"

#include <fmt/format.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/sha256.h"
#include "identity/accounts.h"
#include "records/records.h"

namespace vellum::identity {
namespace {

namespace json = boost::json;
using ledger::EventDraft;
using storage::ProjectionReader;

Status Text(std::string_view what, const std::string& s, size_t max) {
  if (s.empty() || s.size() > max || !core::IsValidUtf8(s) ||
      s.find_first_of(std::string_view("\0\n\r\t", 4)) != std::string::npos) {
    return InvalidArgumentError(fmt::format("{} must be 1 to {} characters of text", what, max));
  }
  return OkStatus();
}

Status Reason(const std::string& reason) { return records::CheckReason(reason, "record a qualification"); }

// The date part of a timestamp ("2027-03-31").
std::string DateOf(int64_t us) { return core::FormatTimestamp(us).substr(0, 10); }

StatusOr<int64_t> DateField(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  if (v == nullptr || !v->is_string()) return DataLossError(fmt::format("\"{}\" must be a date", k));
  return core::ParseTimestamp(v->get_string());
}

StatusOr<std::string> StrField(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  if (v == nullptr || !v->is_string()) return DataLossError(fmt::format("\"{}\" must be a string", k));
  return std::string(v->get_string());
}

json::object CredentialContent(const Credential& c) {
  return json::object{{"user", c.user_id},
                      {"type", c.type},
                      {"issuer", c.issuer},
                      {"number", c.number},
                      {"expires", c.expires ? json::value(DateOf(*c.expires)) : json::value(nullptr)},
                      {"document", c.document ? json::value(*c.document) : json::value(nullptr)},
                      {"status", c.revoked ? "revoked" : "active"}};
}

// Decides a new version of a qualification record for an existing, active or locked person.
StatusOr<std::vector<EventDraft>> Draft(ProjectionReader& state, std::string event_type, const std::string& record_type,
                                        const std::string& user_id, const std::string& id, const json::object& content,
                                        const std::string& reason) {
  ASSIGN_OR_RETURN(auto user, LoadUser(state, user_id));
  if (!user) return NotFoundError(fmt::format("no user {}", user_id));
  if (user->status == AccountStatus::kDeactivated) {
    return FailedPreconditionError(fmt::format("account {} is deactivated", user_id));
  }
  ASSIGN_OR_RETURN(auto row, state.LatestVersion(record_type, id));
  if (row) {
    ASSIGN_OR_RETURN(std::string canonical, core::CanonicalJson(content));
    if (canonical == row->content) return InvalidArgumentError("nothing to change: it is already recorded so");
  }
  ASSIGN_OR_RETURN(EventDraft d, records::DraftVersion(std::move(event_type), record_type, id, row, content, reason));
  d.data["user"] = user_id;
  return std::vector<EventDraft>{std::move(d)};
}

}  // namespace

std::string QualificationId(const std::string& user_id, const std::string& what) { return user_id + ":" + what; }

StatusOr<ledger::Decider> DecideRecordCredential(Credential c, std::string reason) {
  RETURN_IF_ERROR(ledger::ValidateId("user id", c.user_id));
  RETURN_IF_ERROR(ledger::ValidateId("credential type", c.type));
  RETURN_IF_ERROR(Text("issuer", c.issuer, 200));
  RETURN_IF_ERROR(Text("credential number", c.number, 100));
  if (c.document) RETURN_IF_ERROR(core::HashFromTagged(*c.document).status().WithContext("document hash"));
  RETURN_IF_ERROR(Reason(reason));
  c.revoked = false;
  return ledger::Decider([c, reason](ProjectionReader& state) -> StatusOr<std::vector<EventDraft>> {
    return Draft(state, kCredentialRecorded, kCredentialType, c.user_id, QualificationId(c.user_id, c.type),
                 CredentialContent(c), reason);
  });
}

StatusOr<ledger::Decider> DecideRevokeCredential(std::string user_id, std::string type, std::string reason) {
  RETURN_IF_ERROR(ledger::ValidateId("user id", user_id));
  RETURN_IF_ERROR(ledger::ValidateId("credential type", type));
  RETURN_IF_ERROR(Reason(reason));
  return ledger::Decider([user_id, type, reason](ProjectionReader& state) -> StatusOr<std::vector<EventDraft>> {
    ASSIGN_OR_RETURN(auto c, LoadCredential(state, user_id, type));
    if (!c) return NotFoundError(fmt::format("{} holds no {} credential", user_id, type));
    c->revoked = true;
    return Draft(state, kCredentialRevoked, kCredentialType, user_id, QualificationId(user_id, type),
                 CredentialContent(*c), reason);
  });
}

StatusOr<ledger::Decider> DecideRecordTraining(Training t, std::string reason) {
  RETURN_IF_ERROR(ledger::ValidateId("user id", t.user_id));
  RETURN_IF_ERROR(ledger::ValidateId("training subject", t.subject));
  RETURN_IF_ERROR(Text("trainer", t.trainer, 200));
  RETURN_IF_ERROR(Reason(reason));
  json::object content{{"user", t.user_id}, {"subject", t.subject}, {"completed", DateOf(t.completed)},
                       {"trainer", t.trainer}};
  return ledger::Decider([t, content, reason](ProjectionReader& state) -> StatusOr<std::vector<EventDraft>> {
    return Draft(state, kTrainingRecorded, kTrainingType, t.user_id, QualificationId(t.user_id, t.subject), content,
                 reason);
  });
}

StatusOr<std::optional<Credential>> LoadCredential(ProjectionReader& state, const std::string& user_id,
                                                   const std::string& type) {
  ASSIGN_OR_RETURN(auto row, state.LatestVersion(kCredentialType, QualificationId(user_id, type)));
  if (!row || row->deleted) return std::optional<Credential>();
  ASSIGN_OR_RETURN(json::object o, records::ParseStoredContent(*row));
  Credential c;
  c.user_id = user_id;
  c.type = type;
  ASSIGN_OR_RETURN(c.issuer, StrField(o, "issuer"));
  ASSIGN_OR_RETURN(c.number, StrField(o, "number"));
  if (o.contains("expires") && !o.at("expires").is_null()) {
    ASSIGN_OR_RETURN(c.expires, DateField(o, "expires"));
  }
  if (o.contains("document") && !o.at("document").is_null()) {
    ASSIGN_OR_RETURN(c.document, StrField(o, "document"));
  }
  ASSIGN_OR_RETURN(std::string status, StrField(o, "status"));
  c.revoked = status == "revoked";
  return std::optional<Credential>(std::move(c));
}

StatusOr<std::optional<Training>> LoadTraining(ProjectionReader& state, const std::string& user_id,
                                               const std::string& subject) {
  ASSIGN_OR_RETURN(auto row, state.LatestVersion(kTrainingType, QualificationId(user_id, subject)));
  if (!row || row->deleted) return std::optional<Training>();
  ASSIGN_OR_RETURN(json::object o, records::ParseStoredContent(*row));
  Training t;
  t.user_id = user_id;
  t.subject = subject;
  ASSIGN_OR_RETURN(t.completed, DateField(o, "completed"));
  ASSIGN_OR_RETURN(t.trainer, StrField(o, "trainer"));
  return std::optional<Training>(std::move(t));
}

Status RequireCredential(ProjectionReader& state, const std::string& user_id, const std::string& type,
                         int64_t now_us) {
  ASSIGN_OR_RETURN(auto c, LoadCredential(state, user_id, type));
  if (!c) return PermissionDeniedError(fmt::format("{} holds no {} credential", user_id, type));
  if (c->revoked) return PermissionDeniedError(fmt::format("{}'s {} credential was revoked", user_id, type));
  // A credential is valid through its expiry date.
  if (c->expires && now_us >= *c->expires + 86'400'000'000LL) {
    return PermissionDeniedError(fmt::format("{}'s {} credential expired on {}", user_id, type, DateOf(*c->expires)));
  }
  return OkStatus();
}

Status RequireTraining(ProjectionReader& state, const std::string& user_id, const std::string& subject) {
  ASSIGN_OR_RETURN(auto t, LoadTraining(state, user_id, subject));
  if (!t) return PermissionDeniedError(fmt::format("{} has no recorded training on {}", user_id, subject));
  return OkStatus();
}

}  // namespace vellum::identity
