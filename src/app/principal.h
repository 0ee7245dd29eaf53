// Principal: who is acting, as established by authentication — never taken
// from a caller's say-so. Every command of the application service takes one;
// the events it causes carry its user id, printed name, session, client and
// (for machines) source system (AT-2, AC-7, DC-1).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "identity/roles.h"
#include "identity/user.h"
#include "ledger/event.h"

namespace vellum::app {

// A Principal stands for one request: interfaces authenticate every request
// (the CLI every command, the HTTP server every call) and pass the result on;
// the authority check re-reads the account at each action.
struct Principal {
  std::string user_id;
  std::string name;
  identity::AccountKind kind = identity::AccountKind::kPerson;
  std::vector<identity::Role> roles;  // as at authentication; re-read at every action
  std::string session_id;             // "s-…" for a login, "k-…" for an API key
  std::string client;                 // workstation / client address
  std::optional<boost::json::object> source;  // service accounts: {system, version}
  bool must_change_password = false;

  ledger::Actor Actor() const {
    ledger::Actor a;
    a.id = user_id;
    a.name = name;
    a.session = session_id;
    if (!client.empty()) a.client = client;
    a.source = source;
    return a;
  }
};

}  // namespace vellum::app
