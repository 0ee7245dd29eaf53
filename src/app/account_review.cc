// The periodic account review (§11.300(b)): a report of every account that a
// quality user checks, and the record that they checked exactly that report.
#include "app/account_support.h"
#include "app/vellum.h"
#include "app/vellum_impl.h"
#include "core/clock.h"
#include "core/sha256.h"
#include "identity/accounts.h"

namespace vellum::app {

namespace json = boost::json;
using identity::Action;
using identity::SecurityPolicy;
using identity::User;

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

}  // namespace vellum::app
