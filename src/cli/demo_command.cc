#include <fmt/format.h>

#include "app/demo.h"
#include "app/provision.h"
#include "cli/cli_common.h"
#include "cli/credentials_input.h"
#include "core/env.h"
#include "core/random.h"

namespace vellum::cli {

void RegisterDemo(CLI::App& app, Globals& g, Runner& run) {
  auto cases = std::make_shared<int>(24);
  CLI::App* cmd = app.add_subcommand(
      "demo", "Create a data directory with a sample annotation project and its team, signed in as quality");
  cmd->add_option("--cases", *cases, "Number of cases")->check(CLI::Range(1, 100000));
  cmd->callback([&g, &run, cases] {
    run = [&g, cases]() -> int {
      app::InitOptions init;
      init.origin = "vellum.demo/chest-ct";
      init.admin = {"admin", "Sam Keller (system administrator)", "admin@demo.vellum.invalid",
                    core::RandomToken(18)};
      auto v = app::Vellum::Init(g.data_dir, init);
      if (!v.ok()) return Fail(v.status().WithContext("the demo needs a new data directory"));
      // Every password is chosen and written down before anyone is provisioned: if the
      // demo is interrupted, the administrator (and whoever was made) can still sign in.
      std::map<std::string, std::string> passwords{{init.admin.id, init.admin.password}};
      for (const std::string& id : app::DemoTeam()) passwords[id] = core::RandomToken(18);
      std::string accounts = "# Demo accounts of this data directory: user id, password\n";
      for (const auto& [id, pw] : passwords) accounts += id + " " + pw + "\n";
      std::string accounts_path = core::JoinPath(g.data_dir, "demo-accounts.txt");
      Status written = core::Env::Default()->WriteFileAtomic(accounts_path, accounts, 0600);
      if (!written.ok()) return Fail(written);
      auto admin = app::SignIn(**v, init.admin.id, init.admin.password, ClientName());
      if (!admin.ok()) return Fail(admin.status());
      auto s = app::FillDemo(**v, *admin, *cases, &passwords);
      if (!s.ok()) return Fail(s.status());
      // The CLI stays signed in as quality, whose role may read the whole trail.
      app::LoginRequest r{"u-qa-1", passwords["u-qa-1"], std::nullopt, ClientName()};
      auto session = (*v)->Login(r);
      if (!session.ok()) return Fail(session.status());
      auto cp = (*v)->MakeCheckpoint(session->principal);
      if (!cp.ok()) return Fail(cp.status());
      Status saved = SaveSessionToken(g.data_dir, session->token);
      if (!saved.ok()) return Fail(saved);
      fmt::print("Demo data written to {}: {} records, {} events; checkpoint at tree size {}.\n", g.data_dir,
                 s->records, (*v)->Size(), cp->size);
      fmt::print("Signed in as u-qa-1 (quality). The team's passwords are in {} (mode 0600).\n", accounts_path);
      fmt::print("Try:\n  vellum --data {0} log --format table\n  vellum --data {0} record history --type annotation "
                 "--id ann-case-0001-u-ann-2\n  vellum --data {0} user list\n  vellum --data {0} verify\n",
                 g.data_dir);
      return kExitOk;
    };
  });
}

}  // namespace vellum::cli
