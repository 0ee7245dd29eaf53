#include <fmt/format.h>
#include <unistd.h>

#include <boost/json/value_from.hpp>
#include <chrono>
#include <cstdio>

#include "app/verify_directory.h"
#include "cli/cli_common.h"
#include "core/encoding.h"

namespace vellum::cli {
namespace {

// One document whatever was found, so scripts parse one shape.
// `unreadable`: the files could not be read as a ledger at all (no root to show).
boost::json::object ReportJson(const ledger::VerifyReport& r, bool unreadable) {
  boost::json::object out;
  out["ok"] = r.ok();
  out["events"] = r.events;
  out["bytes"] = r.bytes;
  out["checkpoints"] = r.checkpoints;
  out["witness_checkpoints"] = r.witness_checkpoints;
  out["signed_size"] = r.signed_size;
  out["applied"] = r.applied;
  out["root"] = unreadable ? boost::json::value(nullptr)
                          : boost::json::value(core::Base64Encode(core::AsBytes(r.root)));
  boost::json::array probs;
  for (const auto& p : r.problems) {
    boost::json::object po;
    po["area"] = p.area;
    po["seq"] = p.seq ? boost::json::value(*p.seq) : boost::json::value(nullptr);
    po["location"] = p.location;
    po["message"] = p.message;
    probs.push_back(std::move(po));
  }
  out["problems"] = std::move(probs);
  out["problems_not_listed"] = r.problems_not_listed;
  out["notes"] = boost::json::value_from(r.notes);
  return out;
}

void PrintTable(const ledger::VerifyReport& r, bool unreadable, double secs) {
  for (const auto& p : r.problems) {
    fmt::print("PROBLEM [{}]{}{}: {}\n", p.area, p.seq ? fmt::format(" seq {}", *p.seq) : "",
               p.location.empty() ? "" : " at " + p.location, p.message);
  }
  if (r.problems_not_listed) fmt::print("... and {} more problems\n", r.problems_not_listed);
  for (const auto& n : r.notes) fmt::print("NOTE: {}\n", n);
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
      // On a terminal, a verify that takes more than a second shows how far it
      // is on one line of stderr, redrawn in place and erased before the report.
      bool progress_shown = false;
      if (!g.quiet && ::isatty(STDERR_FILENO)) {
        options.progress = [&progress_shown, start](uint64_t checked, uint64_t total) {
          if (std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) return;
          fmt::print(stderr, "\rvellum: verifying: {} of {} events ({:.0f} %)", checked, total,
                     total == 0 ? 100.0 : 100.0 * static_cast<double>(checked) / static_cast<double>(total));
          std::fflush(stderr);
          progress_shown = true;
        };
      }
      auto r = app::VerifyDirectory(g.data_dir, options);
      if (progress_shown) fmt::print(stderr, "\r\033[K");
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
        PrintJson(ReportJson(*r, unreadable), f == Format::kJson);
      }
      return r->ok() ? kExitOk : kExitVerifyFailed;
    };
  });
}

}  // namespace vellum::cli
