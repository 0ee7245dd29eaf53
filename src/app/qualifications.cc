// Credentials and training records, and the gates other modules ask (AC-8).

#include "app/account_support.h"
#include "app/vellum.h"
#include "app/vellum_impl.h"
#include "core/clock.h"
#include "identity/accounts.h"

namespace vellum::app {

using identity::Action;

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
