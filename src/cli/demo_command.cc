#include <fmt/format.h>

#include "app/demo.h"
#include "cli/cli_common.h"

namespace vellum::cli {

void RegisterDemo(CLI::App& app, Globals& g, Runner& run) {
  auto cases = std::make_shared<int>(24);
  CLI::App* cmd = app.add_subcommand(
      "demo", "Fill a ledger with a sample annotation project (creates the data directory if needed)");
  cmd->add_option("--cases", *cases, "Number of cases")->check(CLI::Range(1, 100000));
  cmd->callback([&g, &run, cases] {
    run = [&g, cases]() -> int {
      auto v = app::Vellum::Open(g.data_dir);
      if (!v.ok() && v.status().code() == StatusCode::kNotFound) {
        app::InitOptions init;
        init.origin = "vellum.demo/chest-ct";
        v = app::Vellum::Init(g.data_dir, init);
      }
      if (!v.ok()) return Fail(v.status());
      auto s = app::FillDemo(**v, *cases);
      if (!s.ok()) return Fail(s.status());
      auto cp = (*v)->ledger().MakeCheckpoint();
      if (!cp.ok()) return Fail(cp.status());
      fmt::print("Demo data written to {}: {} records, {} events; checkpoint at tree size {}.\n", g.data_dir,
                 s->records, s->events, cp->size);
      fmt::print("Try:\n  vellum --data {0} log --format table\n  vellum --data {0} record history --type annotation "
                 "--id ann-case-0001-u-ann-2\n  vellum --data {0} verify\n", g.data_dir);
      return kExitOk;
    };
  });
}

}  // namespace vellum::cli
