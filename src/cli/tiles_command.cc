#include <fmt/format.h>

#include <optional>

#include "app/tiles_export.h"
#include "cli/cli_common.h"
#include "core/encoding.h"

namespace vellum::cli {

void RegisterTiles(CLI::App& app, Globals& g, Runner& run) {
  struct Opts {
    std::string out;
    std::optional<uint64_t> size;
    bool entries = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "tiles", "Publish the ledger as a C2SP tiled transparency log (checkpoint and hash tiles) in a directory");
  cmd->add_option("--out", o->out, "The directory to publish into (created if missing; served as the log's prefix)")
      ->required();
  cmd->add_option("--size", o->size, "The tree size of a stored checkpoint (default: the latest)")
      ->transform(kNonNegative);
  cmd->add_flag("--entries", o->entries,
                "Also the entry bundles: the event lines themselves, with the records' content");
  cmd->callback([&g, &run, o] {
    run = [&g, o]() -> int {
      if (o->out.empty()) return Fail(InvalidArgumentError("--out is empty"));
      app::TilesExportOptions options;
      options.out_dir = o->out;
      options.size = o->size;
      options.entries = o->entries;
      options.on_lock_wait = NoticeLockWait(g);
      auto r = app::ExportTiles(g.data_dir, options);
      if (!r.ok()) return Fail(r.status());
      const std::string root = core::Base64Encode(core::AsBytes(r->root));
      const Format f = OutputFormat(g, Format::kTable);
      if (f == Format::kTable) {
        fmt::print("published {} ({} events, root {}) to {}: the checkpoint and {} tiles ({} written, {} already "
                   "there){}\n",
                   r->checkpoint_name, r->size, root, o->out, r->files, r->written, r->unchanged,
                   o->entries ? fmt::format(", {} of them entry bundles", r->entry_bundles) : "");
      } else {
        PrintJson(boost::json::object{{"out", o->out},
                                      {"checkpoint", r->checkpoint_name},
                                      {"size", r->size},
                                      {"root", root},
                                      {"files", r->files},
                                      {"written", r->written},
                                      {"unchanged", r->unchanged},
                                      {"entry_bundles", r->entry_bundles}},
                  f == Format::kJson);
      }
      return kExitOk;
    };
  });
}

}  // namespace vellum::cli
