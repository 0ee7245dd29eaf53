#include <fmt/format.h>

#include <chrono>

#include "app/verify_directory.h"
#include "cli/cli_common.h"
#include "cli/verify_render.h"
#include "core/encoding.h"

namespace vellum::cli {
namespace {

void PrintTable(const ledger::VerifyReport& r, bool unreadable, double secs) {
  PrintVerifyFindings(r);
  if (unreadable) {
    fmt::print("FAILED: the ledger cannot be opened\n");
    return;
  }
  fmt::print("{}: {} events, {} bytes, {} checkpoints, {} witnessed checkpoints, root {} ({:.2f} s)\n",
             r.ok() ? "OK" : "FAILED", r.events, r.bytes, r.checkpoints, r.witness_checkpoints,
             core::Base64Encode(core::AsBytes(r.root)), secs);
}

}  // namespace

void RegisterVerify(CLI::App& app, Globals& g, Runner& run) {
  struct Opts {
    std::vector<std::string> witness;
    std::string witness_key;
    bool require_signed = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "verify",
      "Check the whole ledger as it is, writing nothing: chain, Merkle tree, checkpoints, signatures, projection "
      "(exit 1 on problems)");
  cmd->add_option("--witness", o->witness, "A witness file of checkpoints to check the ledger against (repeatable)");
  cmd->add_option("--witness-key", o->witness_key,
                  "Verifier key trusted for witness checkpoints (default: keys/ledger.pub)");
  cmd->add_flag("--require-signed", o->require_signed,
                "Fail when events follow the latest checkpoint (no signature covers them yet)");
  cmd->callback([&g, &run, o] {
    run = [&g, o]() -> int {
      app::DirectoryVerifyOptions options;
      options.witness_files = o->witness;
      options.require_signed = o->require_signed;
      options.on_lock_wait = NoticeLockWait(g);
      if (!o->witness_key.empty()) {
        auto k = core::ParseVerifierKey(o->witness_key);
        if (!k.ok()) return Fail(k.status().WithContext("--witness-key"));
        options.witness_key = *k;
      }
      const auto start = std::chrono::steady_clock::now();
      auto r = [&] {
        VerifyProgressLine progress(g);
        options.progress = progress.callback();
        return app::VerifyDirectory(g.data_dir, options);
      }();
      const bool unreadable = !r.ok() && r.status().code() == StatusCode::kDataLoss;
      if (unreadable) {
        // Damage that stops the files from being read as a ledger at all is a finding, not a usage error.
        ledger::VerifyReport finding;
        finding.problems.push_back({"open", std::nullopt, g.data_dir, r.status().message()});
        r = std::move(finding);
      }
      if (!r.ok()) return Fail(r.status());
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const Format f = OutputFormat(g, Format::kTable);
      if (f == Format::kTable) {
        PrintTable(*r, unreadable, secs);
      } else {
        PrintJson(VerifyReportJson(*r, unreadable), f == Format::kJson);
      }
      return r->ok() ? kExitOk : kExitVerifyFailed;
    };
  });
}

}  // namespace vellum::cli
