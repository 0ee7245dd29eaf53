// The authority check at the point of every action (AC-3, AC-5, AT-8): reads
// check against the projection now, writes on the ledger's sequencer against
// the state the command is decided on; refusals are recorded.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/account_support.h"
#include "app/vellum.h"
#include "app/vellum_impl.h"
#include "core/clock.h"
#include "identity/accounts.h"

namespace vellum::app {

namespace json = boost::json;
using identity::Action;
using identity::SecurityPolicy;

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

ledger::Decider Vellum::Impl::Guarded(std::shared_ptr<const Principal> p, Action action, ledger::Decider inner,
                                      std::shared_ptr<bool> denied, SharedVerdict verdict) {
  core::Clock* c = clock;
  return [p = std::move(p), action, inner = std::move(inner), denied = std::move(denied), verdict = std::move(verdict),
          c](storage::ProjectionReader& state) -> StatusOr<std::vector<ledger::EventDraft>> {
    Status s;
    if (verdict && verdict->has_value()) {
      s = **verdict;
    } else {
      s = CheckAuthority(state, *p, action, c->NowMicros());
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
  auto r = ledger->Submit(p.Actor(), Guarded(std::make_shared<const Principal>(p), action, std::move(*decider), denied));
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

}  // namespace vellum::app
