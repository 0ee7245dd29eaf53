#include <fmt/format.h>

#include "cli/cli_common.h"

namespace vellum::cli {

void RegisterCheckpoint(CLI::App& app, Globals& g, Runner& run) {
  auto verifier_key = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "checkpoint", "Sign a checkpoint of the ledger now and print it (a C2SP tlog-checkpoint signed note)");
  cmd->add_flag("--verifier-key", *verifier_key, "Print the checkpoint signer's C2SP note verifier key instead");
  cmd->callback([&g, &run, verifier_key] {
    run = [&g, verifier_key]() -> int {
      if (*verifier_key) {
        auto key = ReadInput(app::PublicKeyPath(g.data_dir), 4096);
        if (!key.ok()) return Fail(key.status().WithContext("no ledger key (run `vellum init`)"));
        auto parsed = core::ParseVerifierKey(key->substr(0, key->find('\n')));
        if (!parsed.ok()) return Fail(parsed.status());
        fmt::print("{}\n", core::FormatVerifierKey(*parsed));
        return kExitOk;
      }
      auto s = OpenSignedIn(g);
      if (!s.ok()) return Fail(s.status());
      auto cp = s->vellum->MakeCheckpoint(s->principal);
      if (!cp.ok()) return Fail(cp.status());
      fmt::print("{}", cp->note);
      return kExitOk;
    };
  });
}

}  // namespace vellum::cli
