// vellum user …: accounts (AC-1, AC-3, AC-6) and the security policy (CC-1).
#include <fmt/format.h>

#include "cli/cli_common.h"
#include "cli/credentials_input.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/sha256.h"

namespace vellum::cli {

void RegisterQualifications(CLI::App* user, Globals& g, Runner& run);

namespace {

namespace json = boost::json;
using identity::Role;

StatusOr<std::vector<Role>> ParseRoles(const std::vector<std::string>& names) {
  std::vector<Role> roles;
  for (const auto& n : names) {
    auto r = identity::ParseRole(n);
    if (!r) {
      return InvalidArgumentError(fmt::format(
          "unknown role \"{}\" (annotator, reviewer, adjudicator, project_manager, quality, system_administrator)", n));
    }
    roles.push_back(*r);
  }
  return roles;
}

json::object UserJson(const identity::User& u) {
  json::object o = identity::ToContent(u);
  o["id"] = u.id;
  o["version"] = u.version;
  return o;
}

void PrintUserTable(const std::vector<identity::User>& users) {
  fmt::print("{:<20}  {:<32}  {:<8}  {:<11}  {}\n", "user", "name", "kind", "status", "roles");
  for (const auto& u : users) {
    std::string roles;
    for (Role r : u.roles) roles += (roles.empty() ? "" : ",") + std::string(identity::RoleName(r));
    fmt::print("{:<20}  {:<32}  {:<8}  {:<11}  {}\n", u.id, u.name.substr(0, 32), identity::KindName(u.kind),
               identity::StatusName(u.status), roles);
  }
}

int PrintEvent(const Globals& g, const StatusOr<ledger::Event>& e) {
  if (!e.ok()) return Fail(e.status());
  if (OutputFormat(g, Format::kTable) == Format::kTable) {
    fmt::print("{} recorded at seq {} ({})\n", e->type, e->seq, core::FormatTimestamp(e->ts));
  } else {
    PrintJson(json::object{{"seq", e->seq}, {"type", e->type}, {"ts", core::FormatTimestamp(e->ts)}},
              OutputFormat(g, Format::kJson) == Format::kJson);
  }
  return kExitOk;
}

}  // namespace

void RegisterUser(CLI::App& app, Globals& g, Runner& run) {
  CLI::App* user = app.add_subcommand("user", "Accounts: add, list, show, roles, deactivate, unlock, passwords, API keys");
  user->require_subcommand(1);

  struct Opts {
    std::string id, name, email, reason, password_file, source_system, source_version, key_id;
    std::vector<std::string> roles;
    bool service = false;
  };

  {
    auto o = std::make_shared<Opts>();
    CLI::App* c = user->add_subcommand("add", "Create an account (a person must choose a new password at first sign-in)");
    c->add_option("--id", o->id, "User id (never reused)")->required();
    c->add_option("--name", o->name, "Printed name")->required();
    c->add_option("--email", o->email, "Email address (people)");
    c->add_option("--role", o->roles, "Role (repeatable)")->required();
    c->add_flag("--service", o->service, "A service account for a machine (uses API keys, no password)");
    c->add_option("--source-system", o->source_system, "Service accounts: the system whose input they carry");
    c->add_option("--source-version", o->source_version, "Service accounts: that system's version");
    c->add_option("--password-file", o->password_file, "File holding the initial password (otherwise asked for)");
    c->add_option("--reason", o->reason, "Why the account is created");
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        auto roles = ParseRoles(o->roles);
        if (!roles.ok()) return Fail(roles.status());
        identity::User u;
        u.id = o->id;
        u.name = o->name;
        u.email = o->email;
        u.roles = *roles;
        u.kind = o->service ? identity::AccountKind::kService : identity::AccountKind::kPerson;
        u.source_system = o->source_system;
        u.source_version = o->source_version;
        Status valid = identity::ValidateNewUser(u);
        if (!valid.ok()) return Fail(valid);
        std::string password;
        if (!o->service) {
          auto p = ReadSecret("initial password for " + o->id + ": ", o->password_file);
          if (!p.ok()) return Fail(p.status());
          password = std::move(*p);
        }
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        std::optional<std::string> reason;
        if (!o->reason.empty()) reason = o->reason;
        return PrintEvent(g, s->vellum->CreateUser(s->principal, std::move(u), password, reason));
      };
    });
  }
  {
    CLI::App* c = user->add_subcommand("list", "Every account with its roles and status");
    c->callback([&g, &run] {
      run = [&g]() -> int {
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        auto users = s->vellum->ListUsers(s->principal);
        if (!users.ok()) return Fail(users.status());
        Format f = OutputFormat(g, Format::kTable);
        if (f == Format::kTable) {
          PrintUserTable(*users);
        } else if (f == Format::kJsonl) {
          for (const auto& u : *users) PrintJson(UserJson(u), false);
        } else {
          json::array a;
          for (const auto& u : *users) a.push_back(UserJson(u));
          PrintJson(a, true);
        }
        return kExitOk;
      };
    });
  }
  {
    auto o = std::make_shared<Opts>();
    CLI::App* c = user->add_subcommand("show", "One account (your own without user.read)");
    c->add_option("--id", o->id, "User id (default: yourself)");
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        auto u = s->vellum->GetUser(s->principal, o->id.empty() ? s->principal.user_id : o->id);
        if (!u.ok()) return Fail(u.status());
        if (OutputFormat(g, Format::kJson) == Format::kTable) PrintUserTable({*u});
        else PrintJson(UserJson(*u), OutputFormat(g, Format::kJson) == Format::kJson);
        return kExitOk;
      };
    });
  }
  {
    auto o = std::make_shared<Opts>();
    CLI::App* c = user->add_subcommand("role", "Replace an account's roles");
    c->add_option("--id", o->id, "User id")->required();
    c->add_option("--set", o->roles, "The roles it will hold (repeatable)")->required();
    c->add_option("--reason", o->reason, "Why (required)")->required();
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        auto roles = ParseRoles(o->roles);
        if (!roles.ok()) return Fail(roles.status());
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        return PrintEvent(g, s->vellum->SetRoles(s->principal, o->id, *roles, o->reason));
      };
    });
  }
  for (const char* verb : {"deactivate", "unlock"}) {
    auto o = std::make_shared<Opts>();
    std::string v = verb;
    CLI::App* c = user->add_subcommand(
        verb, v == "deactivate" ? "Deactivate an account (never deleted; the id is never reused)"
                                : "Unlock an account locked after failed sign-ins");
    c->add_option("--id", o->id, "User id")->required();
    c->add_option("--reason", o->reason, "Why (required)")->required();
    c->callback([&g, &run, o, v] {
      run = [&g, o, v]() -> int {
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        return PrintEvent(g, v == "deactivate" ? s->vellum->DeactivateUser(s->principal, o->id, o->reason)
                                               : s->vellum->UnlockUser(s->principal, o->id, o->reason));
      };
    });
  }
  {
    auto o = std::make_shared<Opts>();
    CLI::App* c = user->add_subcommand(
        "passwd", "Change your password, or (administrators, with --id) set another's, who must then change it");
    c->add_option("--id", o->id, "Another user's id (administrators)");
    c->add_option("--reason", o->reason, "Why (required with --id)");
    c->add_option("--password-file", o->password_file,
                  "File with the current password on the first line and the new one on the second "
                  "(with --id: the new one only)");
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        std::string current, next;
        if (!o->password_file.empty()) {
          auto text = ReadInput(o->password_file, 16384);
          if (!text.ok()) return Fail(InvalidArgumentError("cannot read the password file"));
          size_t nl = text->find('\n');
          if (o->id.empty()) {
            if (nl == std::string::npos) return Fail(InvalidArgumentError("the password file needs two lines"));
            current = text->substr(0, nl);
            next = text->substr(nl + 1, text->find('\n', nl + 1) - nl - 1);
          } else {
            next = text->substr(0, nl);
          }
        } else {
          if (o->id.empty()) {
            auto c1 = ReadSecret("current password: ", "");
            if (!c1.ok()) return Fail(c1.status());
            current = std::move(*c1);
          }
          auto n1 = ReadSecret("new password (at least 15 characters): ", "");
          if (!n1.ok()) return Fail(n1.status());
          auto n2 = ReadSecret("the new password again: ", "");
          if (!n2.ok()) return Fail(n2.status());
          if (*n1 != *n2) return Fail(InvalidArgumentError("the two new passwords differ"));
          next = std::move(*n1);
        }
        if (!next.empty() && next.back() == '\r') next.pop_back();
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        if (o->id.empty() || o->id == s->principal.user_id) {
          Status done = s->vellum->ChangeOwnPassword(s->principal, current, next);
          if (!done.ok()) return Fail(done);
          fmt::print(stderr, "Password changed.\n");
          return kExitOk;
        }
        return PrintEvent(g, s->vellum->ResetPassword(s->principal, o->id, next, o->reason));
      };
    });
  }
  RegisterQualifications(user, g, run);
  {
    auto record = std::make_shared<std::string>();
    auto report_hash = std::make_shared<std::string>();
    CLI::App* review = user->add_subcommand(
        "review", "The periodic account review (quality): print the report, or record its review");
    review->add_option("--record", *record, "Record that you reviewed the report, with your conclusion");
    review->add_option("--report-hash", *report_hash, "sha256:… of the report you reviewed (printed with it)");
    review->callback([&g, &run, record, report_hash] {
      run = [&g, record, report_hash]() -> int {
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        if (record->empty()) {
          auto report = s->vellum->AccountReviewReport(s->principal);
          if (!report.ok()) return Fail(report.status());
          auto canonical = core::CanonicalJson(*report);
          if (!canonical.ok()) return Fail(canonical.status());
          PrintJson(*report, OutputFormat(g, Format::kJson) != Format::kJsonl);
          fmt::print(stderr, "report {}\n", core::HashToTagged(core::Sha256(*canonical)));
          return kExitOk;
        }
        auto h = core::HashFromTagged(*report_hash);
        if (!h.ok()) return Fail(h.status().WithContext("--report-hash"));
        return PrintEvent(g, s->vellum->RecordAccountReview(s->principal, *h, *record));
      };
    });
  }
  {
    CLI::App* totp = user->add_subcommand("totp", "Your optional TOTP second factor (RFC 6238)");
    totp->require_subcommand(1);
    CLI::App* enroll = totp->add_subcommand(
        "enroll", "Create your secret, printed once as an otpauth:// URI; then confirm with a code");
    enroll->callback([&g, &run] {
      run = [&g]() -> int {
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        auto uri = s->vellum->BeginTotpEnrollment(s->principal);
        if (!uri.ok()) return Fail(uri.status());
        fmt::print("{}\n", *uri);
        fmt::print(stderr, "Add this to your authenticator app (it holds your secret: show it to nobody), "
                           "then run: vellum user totp confirm\n");
        return kExitOk;
      };
    });
    auto code_file = std::make_shared<std::string>();
    CLI::App* confirm = totp->add_subcommand("confirm", "Confirm enrolment with the code your app shows now");
    confirm->add_option("--code-file", *code_file, "File holding the code (otherwise asked for)");
    confirm->callback([&g, &run, code_file] {
      run = [&g, code_file]() -> int {
        auto code = ReadSecret("TOTP code: ", *code_file);
        if (!code.ok()) return Fail(code.status());
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        return PrintEvent(g, s->vellum->ConfirmTotpEnrollment(s->principal, *code));
      };
    });
    auto o = std::make_shared<Opts>();
    CLI::App* reset = totp->add_subcommand("reset", "Administrators: remove a user's second factor (lost device)");
    reset->add_option("--id", o->id, "User id")->required();
    reset->add_option("--reason", o->reason, "Why (required)")->required();
    reset->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        return PrintEvent(g, s->vellum->ResetTotp(s->principal, o->id, o->reason));
      };
    });
  }
  {
    CLI::App* keys = user->add_subcommand("apikey", "API keys of service accounts (shown once, stored hashed)");
    keys->require_subcommand(1);
    auto o = std::make_shared<Opts>();
    CLI::App* c = keys->add_subcommand("create", "Issue a key; it is printed once and cannot be shown again");
    c->add_option("--id", o->id, "Service account")->required();
    c->add_option("--reason", o->reason, "Why (required)")->required();
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        std::string key_id;
        auto key = s->vellum->CreateApiKey(s->principal, o->id, o->reason, &key_id);
        if (!key.ok()) return Fail(key.status());
        fmt::print("{}\n", *key);
        fmt::print(stderr,
                   "Key id {} (revoke with: vellum user apikey revoke --key-id {} --reason …).\n"
                   "Store the key in a file only the service can read; pass it with --api-key-file.\n",
                   key_id, key_id);
        return kExitOk;
      };
    });
    auto r = std::make_shared<Opts>();
    CLI::App* rv = keys->add_subcommand("revoke", "Revoke a key");
    rv->add_option("--key-id", r->key_id, "Key id (printed by create; listed in `user show` and the user.api_key_created event)")->required();
    rv->add_option("--reason", r->reason, "Why (required)")->required();
    rv->callback([&g, &run, r] {
      run = [&g, r]() -> int {
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        return PrintEvent(g, s->vellum->RevokeApiKey(s->principal, r->key_id, r->reason));
      };
    });
  }
}

void RegisterQualifications(CLI::App* user, Globals& g, Runner& run) {
  struct Opts {
    std::string id, type, issuer, number, expires, document, subject, completed, trainer, reason;
  };
  CLI::App* cred = user->add_subcommand("credential", "Credentials (type, issuer, number, expiry, document hash)");
  cred->require_subcommand(1);
  {
    auto o = std::make_shared<Opts>();
    CLI::App* c = cred->add_subcommand("add", "Record (or renew) a credential");
    c->add_option("--id", o->id, "User id")->required();
    c->add_option("--type", o->type, "Credential type, e.g. board_certification")->required();
    c->add_option("--issuer", o->issuer, "Issuing body")->required();
    c->add_option("--number", o->number, "Credential number")->required();
    c->add_option("--expires", o->expires, "Expiry date (YYYY-MM-DD); valid through that day");
    c->add_option("--document", o->document, "Scanned document: its SHA-256 is recorded (the file stays outside)");
    c->add_option("--reason", o->reason, "Why (required)")->required();
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        identity::Credential cr;
        cr.user_id = o->id;
        cr.type = o->type;
        cr.issuer = o->issuer;
        cr.number = o->number;
        if (!o->expires.empty()) {
          auto t = core::ParseTimestamp(o->expires);
          if (!t.ok()) return Fail(t.status().WithContext("--expires"));
          cr.expires = *t;
        }
        if (!o->document.empty()) {
          auto bytes = ReadInput(o->document, 256u << 20);
          if (!bytes.ok()) return Fail(bytes.status().WithContext("--document"));
          cr.document = core::HashToTagged(core::Sha256(*bytes));
        }
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        return PrintEvent(g, s->vellum->RecordCredential(s->principal, std::move(cr), o->reason));
      };
    });
  }
  {
    auto o = std::make_shared<Opts>();
    CLI::App* c = cred->add_subcommand("revoke", "Revoke a credential");
    c->add_option("--id", o->id, "User id")->required();
    c->add_option("--type", o->type, "Credential type")->required();
    c->add_option("--reason", o->reason, "Why (required)")->required();
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        return PrintEvent(g, s->vellum->RevokeCredential(s->principal, o->id, o->type, o->reason));
      };
    });
  }
  CLI::App* training = user->add_subcommand("training", "Training records (e.g. on a guideline version)");
  training->require_subcommand(1);
  {
    auto o = std::make_shared<Opts>();
    CLI::App* c = training->add_subcommand("add", "Record completed training");
    c->add_option("--id", o->id, "User id")->required();
    c->add_option("--subject", o->subject, "What was trained, e.g. g-chest-ct@4")->required();
    c->add_option("--completed", o->completed, "Date completed (YYYY-MM-DD)")->required();
    c->add_option("--trainer", o->trainer, "Who trained or assessed")->required();
    c->add_option("--reason", o->reason, "Why (required)")->required();
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        identity::Training t;
        t.user_id = o->id;
        t.subject = o->subject;
        t.trainer = o->trainer;
        auto when = core::ParseTimestamp(o->completed);
        if (!when.ok()) return Fail(when.status().WithContext("--completed"));
        t.completed = *when;
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        return PrintEvent(g, s->vellum->RecordTraining(s->principal, std::move(t), o->reason));
      };
    });
  }
}

void RegisterPolicy(CLI::App& app, Globals& g, Runner& run) {
  CLI::App* policy = app.add_subcommand("policy", "The security policy (passwords, lockout, sessions)");
  policy->require_subcommand(1);
  CLI::App* show = policy->add_subcommand("show", "The policy in force");
  show->callback([&g, &run] {
    run = [&g]() -> int {
      auto s = OpenSignedIn(g);
      if (!s.ok()) return Fail(s.status());
      auto p = s->vellum->GetPolicy(s->principal);
      if (!p.ok()) return Fail(p.status());
      PrintJson(identity::ToContent(*p), OutputFormat(g, Format::kJson) != Format::kJsonl);
      return kExitOk;
    };
  });
  struct SetOpts {
    std::map<std::string, uint32_t> values;
    std::string reason;
  };
  auto o = std::make_shared<SetOpts>();
  CLI::App* set = policy->add_subcommand("set", "Change settings (a recorded configuration event with a reason)");
  for (const char* f : {"password_min_length", "password_history", "password_max_age_days", "lockout_threshold",
                        "session_idle_minutes", "session_max_hours", "argon2_ops", "argon2_memory_kib",
                        "account_review_days"}) {
    std::string name = f;
    std::string flag = "--" + name;
    for (char& ch : flag) if (ch == '_') ch = '-';
    set->add_option_function<uint32_t>(flag, [o, name](const uint32_t& v) { o->values[name] = v; },
                                       "New value of " + name)
        ->transform(kNonNegative);
  }
  set->add_option("--reason", o->reason, "Why (required)")->required();
  set->callback([&g, &run, o] {
    run = [&g, o]() -> int {
      auto s = OpenSignedIn(g);
      if (!s.ok()) return Fail(s.status());
      auto current = s->vellum->GetPolicy(s->principal);
      if (!current.ok()) return Fail(current.status());
      json::object content = identity::ToContent(*current);
      for (const auto& [k, v] : o->values) content[k] = v;
      auto next = identity::PolicyFromContent(content);
      if (!next.ok()) return Fail(next.status());
      return PrintEvent(g, s->vellum->SetPolicy(s->principal, *next, o->reason));
    };
  });
}

}  // namespace vellum::cli
