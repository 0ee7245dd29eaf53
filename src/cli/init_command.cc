#include <fmt/format.h>

#include <unistd.h>

#include <iostream>

#include "cli/cli_common.h"
#include "cli/credentials_input.h"
#include "core/env.h"
#include "core/signed_note.h"

namespace vellum::cli {

void RegisterInit(CLI::App& app, Globals& g, Runner& run) {
  struct Opts {
    std::string origin;
    app::Config config;
    std::string admin, admin_name, admin_email, password_file;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("init", "Create a data directory: ledger key, genesis event, first checkpoint");
  cmd->add_option("--origin", o->origin, "Ledger name in checkpoints (default: vellum/<random id>)");
  cmd->add_option("--checkpoint-every", o->config.checkpoint_every_events, "Checkpoint after this many events")
      ->transform(kNonNegative)
      ->check(kPositive);
  cmd->add_option("--checkpoint-seconds", o->config.checkpoint_every_seconds, "Checkpoint after this many seconds")
      ->transform(kNonNegative)
      ->check(kPositive);
  cmd->add_option("--witness", o->config.witness_files, "Append every checkpoint to this file (repeatable)");
  cmd->add_option("--clock-tolerance-ms", o->config.clock_tolerance_ms,
                  "Stop writes when the clock steps back by more than this")
      ->transform(kNonNegative);
  cmd->add_option("--admin", o->admin, "User id of the first system administrator (asked for when absent)");
  cmd->add_option("--admin-name", o->admin_name, "Their printed name");
  cmd->add_option("--admin-email", o->admin_email, "Their email address");
  cmd->add_option("--password-file", o->password_file,
                  "File holding their password (otherwise asked for without echo; never on the command line)");
  cmd->callback([&g, &run, o] {
    run = [&g, o]() -> int {
      app::InitOptions init;
      init.origin = o->origin;
      init.config = o->config;
      // An existing ledger is refused before anyone is asked for an administrator
      // and a password that could not be used (Vellum::Init checks again).
      if (Status none = app::CheckNoLedgerYet(core::Env::Default(), g.data_dir); !none.ok()) return Fail(none);
      // The first administrator: from options, or asked for on the terminal.
      auto ask = [](const char* prompt, std::string* value) -> Status {
        if (!value->empty()) return OkStatus();
        if (!::isatty(0)) {
          return InvalidArgumentError(fmt::format("{} is required (use --admin, --admin-name, --admin-email)", prompt));
        }
        std::cerr << prompt << ": " << std::flush;
        std::getline(std::cin, *value);
        return value->empty() ? InvalidArgumentError(fmt::format("{} is required", prompt)) : OkStatus();
      };
      for (auto [prompt, value] : {std::pair{"administrator user id", &o->admin},
                                   std::pair{"administrator printed name", &o->admin_name},
                                   std::pair{"administrator email", &o->admin_email}}) {
        Status s = ask(prompt, value);
        if (!s.ok()) return Fail(s);
      }
      auto password = ReadSecret("password for " + o->admin + " (at least 15 characters): ", o->password_file);
      if (!password.ok()) return Fail(password.status());
      if (o->password_file.empty() && ::isatty(0)) {
        auto again = ReadSecret("the same password again: ", "");
        if (!again.ok()) return Fail(again.status());
        if (*again != *password) return Fail(InvalidArgumentError("the two passwords differ"));
      }
      init.admin = {o->admin, o->admin_name, o->admin_email, std::move(*password)};
      auto v = app::Vellum::Init(g.data_dir, init);
      if (!v.ok()) return Fail(v.status());
      boost::json::object out;
      out["data"] = g.data_dir;
      out["origin"] = (*v)->config().origin;
      out["verifier_key"] = core::FormatVerifierKey((*v)->ledger_key());
      out["events"] = (*v)->Size();
      out["administrator"] = o->admin;
      if (OutputFormat(g, Format::kTable) == Format::kTable) {
        fmt::print("Created a Vellum ledger in {}\n  origin        {}\n  verifier key  {}\n", g.data_dir,
                   (*v)->config().origin, core::FormatVerifierKey((*v)->ledger_key()));
        fmt::print("  administrator {}\n", o->admin);
        fmt::print("Keep keys/ledger.key and auth.db secret; give the verifier key to whoever verifies checkpoints.\n"
                   "Sign in with: vellum --data {} login --user {}\n", g.data_dir, o->admin);
      } else {
        PrintJson(out, OutputFormat(g, Format::kJson) == Format::kJson);
      }
      return kExitOk;
    };
  });
}

}  // namespace vellum::cli
