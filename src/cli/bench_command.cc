#include <fmt/format.h>
#include <unistd.h>

#include <map>
#include <string>

#include "app/bench.h"
#include "cli/cli_common.h"

namespace vellum::cli {

void RegisterBench(CLI::App& app, Globals&, Runner& run) {
  auto o = std::make_shared<app::BenchOptions>();
  auto quick = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("bench", "Measure append throughput and latency, verify speed, proof time");
  cmd->add_option("--dir", o->dir, "Scratch directory (default: a new directory under $TMPDIR)");
  cmd->add_option("--seconds", o->seconds_per_run, "Seconds per append run")->check(kPositive);
  cmd->add_option("--producers", o->producers, "Concurrent producer counts")->check(CLI::Range(1, 1024));
  cmd->add_option("--batch", o->batch_sizes, "Events per call (1 = interactive; more = an importer's batch)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--proof-sizes", o->proof_sizes, "Tree sizes for the inclusion-proof figures")
      ->transform(kNonNegative)
      ->check(kPositive);
  cmd->add_option("--record-ids", o->record_ids,
                  "Shape of the created records' ids: counted (a-<n>), time-ordered (as UUID v7, ULID) or "
                  "random (as UUID v4)")
      ->transform(CLI::CheckedTransformer(std::map<std::string, app::BenchRecordIds>{
          {"counted", app::BenchRecordIds::kCounted},
          {"time-ordered", app::BenchRecordIds::kTimeThenRandom},
          {"random", app::BenchRecordIds::kRandom}}));
  cmd->add_flag("--quick", *quick, "A short smoke run (small sizes) for tests");
  cmd->add_flag("--keep", o->keep, "Keep the scratch directory");
  cmd->callback([&run, o, quick] {
    run = [o, quick]() -> int {
      if (*quick) {
        o->seconds_per_run = 0.3;
        o->proof_sizes = {10000};
        o->proof_samples = 200;
      }
      if (o->dir.empty()) {
        const char* tmp = std::getenv("TMPDIR");
        o->dir = fmt::format("{}/vellum-bench-{}", tmp && *tmp ? tmp : "/tmp", getpid());
      }
      Status s = app::RunBench(*o);
      if (!s.ok()) return Fail(s);
      return kExitOk;
    };
  });
}

}  // namespace vellum::cli
