// `vellum rebuild-records --reason TEXT`: records.db made again from the
// ledger alone (AT-4), after the ledger files verify; then the ledger is opened
// (which records the rebuild) and the whole data directory verified.
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "app/rebuild_records.h"
#include "app/verify_directory.h"
#include "cli/cli_common.h"
#include "cli/verify_render.h"

namespace vellum::cli {
namespace {

struct RebuildArgs {
  std::string reason;
  std::vector<std::string> witness;
};

int Report(const Globals& g, const app::RebuildRecordsResult& r, const ledger::VerifyReport* after) {
  const bool ok = r.ledger_check.ok() && after && after->ok();
  const Format f = OutputFormat(g, Format::kTable);
  if (f != Format::kTable) {
    boost::json::object o{{"ok", ok},
                          {"rebuilt", r.ledger_check.ok()},
                          {"ledger_check", VerifyReportJson(r.ledger_check, false)}};
    if (r.ledger_check.ok()) {
      o["events"] = r.events;
      o["signed_events"] = r.signed_events;
      o["replaced"] = r.replaced.empty() ? boost::json::value(nullptr) : boost::json::value(r.replaced);
    }
    if (after) o["verify"] = VerifyReportJson(*after, false);
    PrintJson(o, f == Format::kJson);
  } else if (!r.ledger_check.ok()) {
    PrintVerifyFindings(r.ledger_check);
    fmt::print("REFUSED: the ledger files do not verify; records.db was not rebuilt and nothing was changed\n");
  } else {
    if (after) PrintVerifyFindings(*after);
    fmt::print("{}: records.db rebuilt from {} events ({} signed by a checkpoint){}; recorded as a {} event; {}\n",
               ok ? "OK" : "FAILED", r.events, r.signed_events,
               r.replaced.empty() ? "" : fmt::format("; the previous one kept as {}", r.replaced),
               app::kRebuiltEventType, ok ? "verified" : "the result does not verify");
  }
  return ok ? kExitOk : kExitVerifyFailed;
}

}  // namespace

void RegisterRebuildRecords(CLI::App& app, Globals& g, Runner& run) {
  auto a = std::make_shared<RebuildArgs>();
  CLI::App* cmd = app.add_subcommand(
      "rebuild-records",
      "Make records.db again from the ledger alone, after the ledger files verify (no other process may run)");
  cmd->add_option("--reason", a->reason, "Why (recorded in the trail)")->required();
  cmd->add_option("--witness", a->witness, "A witness file of checkpoints to check the ledger against (repeatable)");
  cmd->callback([&g, &run, a] {
    run = [&g, a]() -> int {
      app::RebuildRecordsOptions o;
      o.reason = a->reason;
      o.witness_files = a->witness;
      o.on_lock_wait = NoticeLockWait(g);
      auto r = [&] {
        VerifyProgressLine progress(g, "checking the ledger, then rebuilding");
        auto line = progress.callback();
        if (line) o.progress = [line](const char*, uint64_t done, uint64_t total) { line(done, total); };
        return app::RebuildRecords(g.data_dir, o);
      }();
      if (!r.ok()) return Fail(r.status());
      if (!r->ledger_check.ok()) return Report(g, *r, nullptr);
      // Opening the ledger records the rebuild; then everything is verified.
      {
        auto v = OpenData(g);
        if (!v.ok()) {
          return Fail(v.status().WithContext(
              "records.db was rebuilt, but opening the ledger to record that failed (the next command that opens "
              "it will)"));
        }
      }
      app::DirectoryVerifyOptions verify;
      verify.witness_files = a->witness;
      verify.on_lock_wait = NoticeLockWait(g);
      auto after = [&] {
        VerifyProgressLine progress(g, "verifying the result");
        verify.progress = progress.callback();
        return app::VerifyDirectory(g.data_dir, verify);
      }();
      if (!after.ok()) return Fail(after.status());
      return Report(g, *r, &*after);
    };
  });
}

}  // namespace vellum::cli
