// vellum: the command-line interface. See docs/cli.md.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "cli/allocator.h"
#include "cli/cli_common.h"
#include "core/display_text.h"

namespace {

using vellum::cli::Format;

int Main(int argc, char** argv) {
  vellum::cli::TuneAllocator();
  // stdout carries only data; warnings and alerts (e.g. an account locked) go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("vellum"));
  spdlog::set_pattern("vellum: %l: %v");
  vellum::cli::Globals g;
  const char* env_dir = std::getenv("VELLUM_DATA");
  g.data_dir = env_dir && *env_dir ? env_dir : "./vellum-data";

  CLI::App app{"Vellum: tamper-evident electronic records and audit trail (21 CFR Part 11, Annex 11)", "vellum"};
  app.set_version_flag("--version", "vellum " VELLUM_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.option_defaults()->always_capture_default();
  // A usage error names the problem, then shows the usage of the command that was
  // typed, all on stderr: stdout carries data only, so scripts never parse help.
  app.failure_message([](const CLI::App* a, const CLI::Error& e) {
    std::string what = e.what();
    // CLI11 reports `vellum frobnicate` as a missing subcommand; name the word it did not know.
    std::vector<std::string> rest = a->remaining(/*recurse=*/true);
    if (!rest.empty() && what.rfind("A subcommand is required", 0) == 0) {
      what = fmt::format("unknown command \"{}\"", rest.front());
    } else if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      what = vellum::cli::DescribeUnexpectedArguments(rest);
    } else if (const size_t at = what.find(": At Most 1 required but received ");
               dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr && at != std::string::npos) {
      what = what.substr(0, at) + " was given more than once (give it once)";
    }
    return fmt::format("vellum: usage: {}\n\n{}", vellum::core::ForTerminal(what, true), a->help());
  });
  app.add_option("--data", g.data_dir, "Data directory (default: $VELLUM_DATA, else ./vellum-data)");
  app.add_option("--format", g.format_text, "Output format where output is data")
      ->check(CLI::IsMember({"json", "jsonl", "table", "csv"}));
  app.add_flag("-q,--quiet", g.quiet, "Print no notices on stderr");
  const char* key_env = std::getenv("VELLUM_API_KEY_FILE");
  if (key_env && *key_env) g.api_key_file = key_env;
  app.add_option("--api-key-file", g.api_key_file,
                 "Act as a service account with the API key in this file (default: $VELLUM_API_KEY_FILE)");

  vellum::cli::Runner run;
  vellum::cli::RegisterInit(app, g, run);
  vellum::cli::RegisterLogin(app, g, run);
  vellum::cli::RegisterUser(app, g, run);
  vellum::cli::RegisterPolicy(app, g, run);
  vellum::cli::RegisterRecord(app, g, run);
  vellum::cli::RegisterLog(app, g, run);
  vellum::cli::RegisterProof(app, g, run);
  vellum::cli::RegisterVerify(app, g, run);
  vellum::cli::RegisterStatus(app, g, run);
  vellum::cli::RegisterTiles(app, g, run);
  vellum::cli::RegisterBackup(app, g, run);
  vellum::cli::RegisterRestore(app, g, run);
  vellum::cli::RegisterVerifyBackup(app, g, run);
  vellum::cli::RegisterRebuildRecords(app, g, run);
  vellum::cli::RegisterCheckpoint(app, g, run);
  vellum::cli::RegisterCanon(app, g, run);
  vellum::cli::RegisterDemo(app, g, run);
  vellum::cli::RegisterBench(app, g, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForVersion& e) {
    // Nothing may follow `--version`: `vellum --version verify` must not pass for a verify.
    if (std::string_view(argv[argc - 1]) != "--version") {
      fmt::print(stderr, "vellum: usage: nothing may follow --version\n");
      return vellum::cli::kExitBadInput;
    }
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return vellum::cli::kExitBadInput;
  }
  if (g.format_text == "json") g.format = Format::kJson;
  if (g.format_text == "jsonl") g.format = Format::kJsonl;
  if (g.format_text == "table") g.format = Format::kTable;
  if (g.format_text == "csv") g.format = Format::kCsv;
  if (!run) return vellum::cli::kExitBadInput;
  // CSV is an export of the audit trail; no other output has its rows.
  const auto chosen = app.get_subcommands();
  if (g.format == Format::kCsv && (chosen.empty() || chosen.front()->get_name() != "log")) {
    fmt::print(stderr, "vellum: usage: --format csv is for `log` only\n");
    return vellum::cli::kExitBadInput;
  }
  // An empty --data would silently mean the current directory.
  if (g.data_dir.empty()) {
    fmt::print(stderr, "vellum: usage: --data must not be empty\n");
    return vellum::cli::kExitBadInput;
  }
  return run();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    // Third-party code (CLI11, Boost) may throw; never let it escape as a crash.
    fmt::print(stderr, "vellum: internal: {}\n", e.what());
    return vellum::cli::kExitFailure;
  }
}
