// Provisioning through the product's own path: an administrator creates an
// account with a one-time password, its owner signs in, sets the real
// password (as every person must at first sign-in) and signs in again. Used
// by tools that set up whole teams at once (the demo, the benchmark).
#pragma once

#include <string>

#include "app/vellum.h"

namespace vellum::app {

// Signs in as the administrator `admin_id`.
StatusOr<Principal> SignIn(Vellum& v, const std::string& user_id, const std::string& password,
                           const std::string& client);

// Creates `user` (by `admin`) and returns its owner's signed-in principal,
// with `password` as the owner's chosen password.
StatusOr<Principal> ProvisionPerson(Vellum& v, const Principal& admin, identity::User user,
                                    const std::string& password, const std::string& reason);

}  // namespace vellum::app
