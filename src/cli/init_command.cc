#include <fmt/format.h>

#include "cli/cli_common.h"
#include "core/signed_note.h"

namespace vellum::cli {

void RegisterInit(CLI::App& app, Globals& g, Runner& run) {
  struct Opts {
    std::string origin;
    app::Config config;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("init", "Create a data directory: ledger key, genesis event, first checkpoint");
  cmd->add_option("--origin", o->origin, "Ledger name in checkpoints (default: vellum/<random id>)");
  cmd->add_option("--checkpoint-every", o->config.checkpoint_every_events, "Checkpoint after this many events")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--checkpoint-seconds", o->config.checkpoint_every_seconds, "Checkpoint after this many seconds")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--witness", o->config.witness_files, "Append every checkpoint to this file (repeatable)");
  cmd->add_option("--clock-tolerance-ms", o->config.clock_tolerance_ms,
                  "Stop writes when the clock steps back by more than this")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([&g, &run, o] {
    run = [&g, o]() -> int {
      app::InitOptions init;
      init.origin = o->origin;
      init.config = o->config;
      auto v = app::Vellum::Init(g.data_dir, init);
      if (!v.ok()) return Fail(v.status());
      boost::json::object out;
      out["data"] = g.data_dir;
      out["origin"] = (*v)->config().origin;
      out["verifier_key"] = core::FormatVerifierKey((*v)->ledger_key());
      out["events"] = (*v)->Size();
      if (OutputFormat(g, Format::kTable) == Format::kTable) {
        fmt::print("Created a Vellum ledger in {}\n  origin        {}\n  verifier key  {}\n", g.data_dir,
                   (*v)->config().origin, core::FormatVerifierKey((*v)->ledger_key()));
        fmt::print("Keep keys/ledger.key secret; give the verifier key to whoever verifies checkpoints.\n");
      } else {
        PrintJson(out, OutputFormat(g, Format::kJson) == Format::kJson);
      }
      return kExitOk;
    };
  });
}

}  // namespace vellum::cli
