#include <fmt/format.h>

#include <chrono>

#include "cli/cli_common.h"
#include "core/encoding.h"

namespace vellum::cli {

void RegisterVerify(CLI::App& app, Globals& g, Runner& run) {
  struct Opts {
    std::vector<std::string> witness;
    std::string witness_key;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "Check the whole ledger: chain, Merkle tree, checkpoints, signatures, projection (exit 1 on problems)");
  cmd->add_option("--witness", o->witness, "A witness file of checkpoints to check the ledger against (repeatable)");
  cmd->add_option("--witness-key", o->witness_key,
                  "Verifier key trusted for witness checkpoints (default: keys/ledger.pub)");
  cmd->callback([&g, &run, o] {
    run = [&g, o]() -> int {
      std::optional<core::NoteVerifier> wkey;
      if (!o->witness_key.empty()) {
        auto k = core::ParseVerifierKey(o->witness_key);
        if (!k.ok()) return Fail(k.status().WithContext("--witness-key"));
        wkey = *k;
      }
      auto start = std::chrono::steady_clock::now();
      auto v = OpenData(g);
      if (!v.ok() && v.status().code() == StatusCode::kDataLoss) {
        // Damage that stops the ledger from opening at all is a finding, not a usage error.
        Format f = OutputFormat(g, Format::kTable);
        if (f == Format::kTable) {
          fmt::print("PROBLEM [open] at {}: {}\nFAILED: the ledger cannot be opened\n", g.data_dir,
                     v.status().message());
        } else {
          // The same document as below, so scripts parse one shape whatever went wrong.
          boost::json::object problem{{"area", "open"},
                                      {"seq", nullptr},
                                      {"location", g.data_dir},
                                      {"message", v.status().message()}};
          boost::json::object out{{"ok", false},
                                  {"events", 0},
                                  {"bytes", 0},
                                  {"checkpoints", 0},
                                  {"witness_checkpoints", 0},
                                  {"root", nullptr},
                                  {"problems", boost::json::array{problem}},
                                  {"problems_not_listed", 0}};
          PrintJson(out, f == Format::kJson);
        }
        return kExitVerifyFailed;
      }
      if (!v.ok()) return Fail(v.status());
      auto r = (*v)->Verify(o->witness, wkey);
      if (!r.ok()) return Fail(r.status());
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      // Damage found when opening (before the full scan) is reported too.
      for (const auto& d : (*v)->open_report().damage) r->problems.push_back({"open", std::nullopt, g.data_dir, d});
      Format f = OutputFormat(g, Format::kTable);
      if (f == Format::kTable) {
        for (const auto& p : r->problems) {
          fmt::print("PROBLEM [{}]{}{}: {}\n", p.area, p.seq ? fmt::format(" seq {}", *p.seq) : "",
                     p.location.empty() ? "" : " at " + p.location, p.message);
        }
        if (r->problems_not_listed) fmt::print("... and {} more problems\n", r->problems_not_listed);
        fmt::print("{}: {} events, {} bytes, {} checkpoints, {} witnessed checkpoints, root {} ({:.2f} s)\n",
                   r->ok() ? "OK" : "FAILED", r->events, r->bytes, r->checkpoints, r->witness_checkpoints,
                   core::Base64Encode(core::AsBytes(r->root)), secs);
      } else {
        boost::json::object out;
        out["ok"] = r->ok();
        out["events"] = r->events;
        out["bytes"] = r->bytes;
        out["checkpoints"] = r->checkpoints;
        out["witness_checkpoints"] = r->witness_checkpoints;
        out["root"] = core::Base64Encode(core::AsBytes(r->root));
        boost::json::array probs;
        for (const auto& p : r->problems) {
          boost::json::object po;
          po["area"] = p.area;
          po["seq"] = p.seq ? boost::json::value(*p.seq) : boost::json::value(nullptr);
          po["location"] = p.location;
          po["message"] = p.message;
          probs.push_back(std::move(po));
        }
        out["problems"] = std::move(probs);
        out["problems_not_listed"] = r->problems_not_listed;
        PrintJson(out, f == Format::kJson);
      }
      return r->ok() ? kExitOk : kExitVerifyFailed;
    };
  });
}

}  // namespace vellum::cli
