#include "app/provision.h"

#include "core/random.h"
#include "identity/password_policy.h"

namespace vellum::app {

StatusOr<Principal> SignIn(Vellum& v, const std::string& user_id, const std::string& password,
                           const std::string& client) {
  LoginRequest r;
  r.user_id = user_id;
  r.password = password;
  r.client = client;
  ASSIGN_OR_RETURN(Session s, v.Login(r));
  return s.principal;
}

StatusOr<Principal> ProvisionPerson(Vellum& v, const Principal& admin, identity::User user,
                                    const std::string& password, const std::string& reason) {
  // A one-time password nobody needs to know: long and random, never shown. A
  // random token may by chance contain a short user id ("u-0"), which the
  // password rules refuse: draw again then.
  std::string first;
  for (int tries = 0; tries < 64; ++tries) {
    first = "one-time-" + core::RandomToken(24);
    if (identity::CheckNewPassword(first, identity::PasswordPolicy{}, user.id, user.name).ok()) break;
  }
  const std::string id = user.id;
  RETURN_IF_ERROR(v.CreateUser(admin, std::move(user), first, reason).status());
  ASSIGN_OR_RETURN(Principal once, SignIn(v, id, first, admin.client));
  RETURN_IF_ERROR(v.ChangeOwnPassword(once, first, password));
  RETURN_IF_ERROR(v.Logout(once));
  return SignIn(v, id, password, admin.client);
}

}  // namespace vellum::app
