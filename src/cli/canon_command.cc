#include <fmt/format.h>

#include "cli/cli_common.h"
#include "core/json.h"
#include "core/sha256.h"

namespace vellum::cli {

void RegisterCanon(CLI::App& app, Globals&, Runner& run) {
  auto hash = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "canon", "Print the RFC 8785 canonical form of the JSON on stdin (with --hash, its SHA-256)");
  cmd->add_flag("--hash", *hash, "Print sha256:<hex> of the canonical bytes instead");
  cmd->callback([&run, hash] {
    run = [hash]() -> int {
      core::JsonLimits limits;
      limits.max_bytes = 64 << 20;
      limits.max_string_bytes = 64 << 20;
      auto text = ReadInput("-", limits.max_bytes);
      if (!text.ok()) return Fail(text.status());
      auto canonical = core::CanonicalizeJsonText(*text, limits);
      if (!canonical.ok()) return Fail(canonical.status());
      if (*hash) fmt::print("{}\n", core::HashToTagged(core::Sha256(*canonical)));
      else fmt::print("{}\n", *canonical);
      return kExitOk;
    };
  });
}

}  // namespace vellum::cli
