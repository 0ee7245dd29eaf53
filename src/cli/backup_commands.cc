// `vellum backup --out DIR` and `vellum --data NEW restore --from DIR` (SR-2).
#include <fmt/format.h>

#include <functional>
#include <string>

#include "app/backup.h"
#include "cli/cli_common.h"
#include "cli/verify_render.h"
#include "core/sha256.h"

namespace vellum::cli {
namespace {

constexpr char kCopyFailed[] = "FAILED: the copy does not verify; nothing was kept";

// How a command's report reads: "OK: <verb> N events <preposition> DIR …",
// or `failed` when what it made or checked does not verify.
struct Wording {
  const char* verb;
  const char* preposition;
  std::string failed;
};

// What the three commands print: the copy (or the backup checked), its
// verification, and the manifest's hash.
int Report(const Globals& g, const Wording& w, const std::string& where, const app::BackupCopyReport& r) {
  const std::string manifest = core::HashToHex(r.manifest_sha256);
  const Format f = OutputFormat(g, Format::kTable);
  if (f != Format::kTable) {
    PrintJson(boost::json::object{{"ok", r.verify.ok()},
                                  {"directory", where},
                                  {"events", r.events},
                                  {"tree_size", r.tree_size},
                                  {"checkpoint", r.checkpoint_size ? boost::json::value(*r.checkpoint_size)
                                                                   : boost::json::value(nullptr)},
                                  {"files", r.files},
                                  {"bytes", r.bytes},
                                  {"manifest_sha256", manifest},
                                  {"verify", VerifyReportJson(r.verify, false)}},
              f == Format::kJson);
  } else {
    PrintVerifyFindings(r.verify);
    if (r.verify.ok()) {
      fmt::print("OK: {} {} events {} {} ({} files, {} bytes; latest checkpoint {}); verified; manifest sha256 {}\n",
                 w.verb, r.events, w.preposition, where, r.files, r.bytes,
                 r.checkpoint_size ? std::to_string(*r.checkpoint_size) : "none", manifest);
    } else {
      fmt::print("{}\n", w.failed);
    }
  }
  return r.verify.ok() ? kExitOk : kExitVerifyFailed;
}

// Runs `op` with a progress line for its verification, and reports on `where`.
int RunAndReport(const Globals& g, const char* progress_label, const Wording& w, const std::string& where,
                 const std::function<StatusOr<app::BackupCopyReport>(const app::BackupCopyOptions&)>& op) {
  VerifyProgressLine progress(g, progress_label);
  app::BackupCopyOptions options;
  options.verify_progress = progress.callback();
  auto r = op(options);
  if (!r.ok()) return Fail(r.status());
  return Report(g, w, where, *r);
}

}  // namespace

void RegisterBackup(CLI::App& app, Globals& g, Runner& run) {
  auto out = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "backup", "Copy the data directory, while it is in use, into a new directory, and verify the copy");
  cmd->add_option("--out", *out, "The new backup directory (must not exist, or be empty; kept mode 0700)")->required();
  cmd->callback([&g, &run, out] {
    run = [&g, out]() -> int {
      return RunAndReport(g, "verifying the copy", {"backed up", "into", kCopyFailed}, *out,
                          [&](const app::BackupCopyOptions& o) {
                            return app::BackupDataDirectory(g.data_dir, *out, o);
                          });
    };
  });
}

void RegisterRestore(CLI::App& app, Globals& g, Runner& run) {
  auto from = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "restore", "Make a new data directory (--data) from a backup, checking every file and verifying the result");
  cmd->add_option("--from", *from, "The backup directory `vellum backup` made")->required();
  cmd->callback([&g, &run, from] {
    run = [&g, from]() -> int {
      return RunAndReport(g, "verifying the restored copy", {"restored", "into", kCopyFailed}, g.data_dir,
                          [&](const app::BackupCopyOptions& o) {
                            return app::RestoreDataDirectory(*from, g.data_dir, o);
                          });
    };
  });
}

void RegisterVerifyBackup(CLI::App& app, Globals& g, Runner& run) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "verify-backup",
      "Check a backup where it is, writing nothing: every file against its manifest, then its ledger (exit 1 on "
      "problems)");
  cmd->add_option("DIR", *dir, "The backup directory `vellum backup` made")->required();
  cmd->callback([&g, &run, dir] {
    run = [&g, dir]() -> int {
      return RunAndReport(g, "verifying the backup",
                          {"checked", "in", fmt::format("FAILED: the backup in {} does not check out", *dir)}, *dir,
                          [&](const app::BackupCopyOptions& o) { return app::VerifyBackup(*dir, o); });
    };
  });
}

}  // namespace vellum::cli
