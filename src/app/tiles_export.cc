#include "app/tiles_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <vector>

#include "app/path_within.h"
#include "app/read_only_directory.h"
#include "core/encoding.h"
#include "ledger/checkpoint.h"
#include "ledger/merkle.h"
#include "ledger/tiles.h"

namespace vellum::app {
namespace {

using FileFn = std::function<Status(const std::string& rel_path, const std::string& bytes)>;

constexpr size_t kMaxBundleEntry = 0xffff;  // entries are uint16 length-prefixed

std::string Concat(const std::vector<core::Hash>& hashes) {
  std::string out;
  out.reserve(hashes.size() * sizeof(core::Hash));
  for (const auto& h : hashes) out.append(reinterpret_cast<const char*>(h.data()), h.size());
  return out;
}

std::string ParentDir(const std::string& path) { return path.substr(0, path.rfind('/')); }

class Exporter {
 public:
  Exporter(const ReadOnlyDirectory& d, const TilesExportOptions& o, uint64_t size) : d_(d), o_(o), size_(size) {}

  // Every hash tile of the tree size, level by level. With `prove`, each full
  // tile is checked against its entry in the tile above.
  Status ForEachTile(bool prove, const FileFn& fn) const {
    for (int level = 0;; ++level) {
      const uint64_t count = ledger::TileLevelHashes(size_, level);
      if (count == 0) return OkStatus();
      for (uint64_t k = 0; k * ledger::kTileWidth < count; ++k) {
        const uint64_t first = k * ledger::kTileWidth;
        const uint64_t width = std::min(ledger::kTileWidth, count - first);
        const int tree_level = level * ledger::kTileHeight;
        ASSIGN_OR_RETURN(std::vector<core::Hash> hashes, d_.log->ReadNodes(tree_level, first, width));
        if (hashes.size() != width) {
          return DataLossError(fmt::format("the tree file of level {} holds {} entries, fewer than the {} that "
                                           "the checkpoint's {} events need; `vellum verify` explains",
                                           tree_level, d_.log->NodeCount(tree_level), count, size_));
        }
        if (prove && width == ledger::kTileWidth) {
          const core::Hash root = ledger::TileRoot(std::span<const core::Hash, ledger::kTileWidth>(hashes));
          ASSIGN_OR_RETURN(core::Hash parent, d_.log->Node(tree_level + ledger::kTileHeight, k));
          if (root != parent) {
            return DataLossError(fmt::format(
                "entries {}-{} of tree level {} do not hash to entry {} of level {}: the tree files are damaged; "
                "`vellum verify` names where",
                first, first + width - 1, tree_level, k, tree_level + ledger::kTileHeight));
          }
        }
        RETURN_IF_ERROR(fn(ledger::TilePath(level, k, width), Concat(hashes)));
      }
    }
  }

  // The entry bundles: each event line behind a big-endian uint16 length, 256 to
  // a bundle. With `prove`, each line must hash to its leaf.
  Status ForEachBundle(bool prove, const FileFn& fn) const {
    std::unique_ptr<storage::EventCursor> cursor = d_.log->Scan(0);
    for (uint64_t k = 0; k * ledger::kTileWidth < size_; ++k) {
      const uint64_t first = k * ledger::kTileWidth;
      const uint64_t width = std::min(ledger::kTileWidth, size_ - first);
      std::vector<core::Hash> leaves;
      if (prove) {
        ASSIGN_OR_RETURN(leaves, d_.log->ReadNodes(0, first, width));
      }
      std::string bundle;
      for (uint64_t i = 0; i < width; ++i) {
        if (!cursor->Next()) {
          RETURN_IF_ERROR(cursor->status());
          return DataLossError(fmt::format("the ledger ends before event {}, which the checkpoint signs", first + i));
        }
        const std::string_view line = cursor->line();
        if (line.size() > kMaxBundleEntry) {
          return FailedPreconditionError(fmt::format(
              "event {} is {} bytes, more than the 65,535 an entry bundle can hold: publish without --entries",
              cursor->seq(), line.size()));
        }
        if (prove && (leaves.size() <= i || ledger::LeafHash(line) != leaves[i])) {
          return DataLossError(fmt::format("event {} does not hash to its leaf in the tree files; `vellum verify` "
                                           "names what is wrong",
                                           cursor->seq()));
        }
        bundle.push_back(static_cast<char>(line.size() >> 8));
        bundle.push_back(static_cast<char>(line.size() & 0xff));
        bundle.append(line);
      }
      RETURN_IF_ERROR(fn(ledger::EntryBundlePath(k, width), bundle));
    }
    return OkStatus();
  }

  Status ForEachFile(bool prove, const FileFn& fn) const {
    RETURN_IF_ERROR(ForEachTile(prove, fn));
    return o_.entries ? ForEachBundle(prove, fn) : OkStatus();
  }

 private:
  const ReadOnlyDirectory& d_;
  const TilesExportOptions& o_;
  uint64_t size_;
};

StatusOr<storage::StoredCheckpoint> FindCheckpoint(const storage::LogStore& log, std::optional<uint64_t> size) {
  if (!size) {
    ASSIGN_OR_RETURN(std::optional<storage::StoredCheckpoint> latest, log.LatestCheckpoint());
    if (!latest) return NotFoundError("the ledger holds no checkpoint to publish (sign one with `vellum checkpoint`)");
    return std::move(*latest);
  }
  ASSIGN_OR_RETURN(std::vector<storage::StoredCheckpoint> all, log.ListCheckpoints());
  for (auto& cp : all) {
    if (cp.size == *size) return std::move(cp);
  }
  return NotFoundError(
      fmt::format("no checkpoint of tree size {} is stored (`vellum status` shows the latest)", *size));
}

// A checkpoint already published in the output directory may only be replaced
// by one of the same log that is at least as large (whether the tree agrees
// with it is checked once the tiles are proven). Returns it, if there is one.
StatusOr<std::optional<ledger::Checkpoint>> CheckPublishedCheckpoint(core::Env* env, const std::string& path,
                                                                     const ReadOnlyDirectory& d,
                                                                     const ledger::Checkpoint& next) {
  if (!env->Exists(path)) return std::optional<ledger::Checkpoint>();
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
  auto published = ledger::OpenCheckpoint(text, d.ledger_key, d.config.origin);
  if (!published.ok()) {
    return FailedPreconditionError(fmt::format(
        "{} is not a checkpoint of this ledger ({}): publish into an empty directory or one of this ledger's",
        path, published.status().message()));
  }
  if (published->size > next.size) {
    return FailedPreconditionError(fmt::format("{} already publishes tree size {}, more than {}: a published log "
                                               "does not go back",
                                               path, published->size, next.size));
  }
  if (published->size == next.size && published->root != next.root) {
    return FailedPreconditionError(
        fmt::format("{} publishes another root for tree size {}: the history was rewritten", path, next.size));
  }
  return std::optional<ledger::Checkpoint>(std::move(*published));
}

}  // namespace

StatusOr<TilesExportReport> ExportTiles(const std::string& dir, const TilesExportOptions& options) {
  core::Env* env = options.env ? options.env : core::Env::Default();
  if (options.out_dir.empty()) return InvalidArgumentError("the output directory is empty");
  std::error_code ec;
  if (std::filesystem::exists(options.out_dir, ec) && !std::filesystem::is_directory(options.out_dir, ec)) {
    return InvalidArgumentError(fmt::format("{} is not a directory", options.out_dir));
  }
  if (IsWithinDirectory(options.out_dir, dir)) {
    return InvalidArgumentError(fmt::format(
        "{} is inside the data directory {}: publish outside it (the data directory holds only Vellum's files)",
        options.out_dir, dir));
  }
  // The signed tree alone: records.db is not needed.
  ASSIGN_OR_RETURN(ReadOnlyDirectory d,
                   OpenLedgerFiles(env, dir, /*exclusive=*/false, options.lock_wait_ms, options.on_lock_wait));
  ASSIGN_OR_RETURN(storage::StoredCheckpoint stored, FindCheckpoint(*d.log, options.size));
  auto cp = ledger::OpenCheckpoint(stored.note, d.ledger_key, d.config.origin);
  if (!cp.ok()) {
    return DataLossError(fmt::format("{} does not verify with keys/ledger.pub ({}); `vellum verify` explains",
                                     stored.name, cp.status().message()));
  }
  if (cp->size > d.log->EventCount()) {
    return DataLossError(fmt::format("{} signs {} events, but the ledger holds {}; `vellum verify` explains",
                                     stored.name, cp->size, d.log->EventCount()));
  }
  const std::string checkpoint_path = options.out_dir + "/checkpoint";
  ASSIGN_OR_RETURN(std::optional<ledger::Checkpoint> published,
                   CheckPublishedCheckpoint(env, checkpoint_path, d, *cp));

  TilesExportReport report;
  report.size = cp->size;
  report.root = cp->root;
  report.checkpoint_name = stored.name;
  Exporter exporter(d, options, cp->size);

  // First every hash is proven and every file already there compared, so that
  // nothing is written unless all of it can be.
  RETURN_IF_ERROR(exporter.ForEachFile(/*prove=*/true, [&](const std::string& rel, const std::string& bytes) {
    ++report.files;
    if (rel.starts_with("tile/entries/")) ++report.entry_bundles;
    const std::string path = options.out_dir + "/" + rel;
    if (!env->Exists(path)) return OkStatus();
    ASSIGN_OR_RETURN(std::string there, env->ReadFile(path));
    if (there != bytes) {
      return FailedPreconditionError(fmt::format(
          "{} already holds other bytes: the directory publishes another ledger, or a history of this one that was "
          "rewritten (nothing was written)",
          path));
    }
    ++report.unchanged;
    return OkStatus();
  }));
  ledger::TileLevelsSource tiles(d.log.get());
  ASSIGN_OR_RETURN(core::Hash root, ledger::RootAt(tiles, cp->size));
  if (root != cp->root) {
    return DataLossError(fmt::format("the tree files give the root {} for {} events, but {} signs {}; `vellum "
                                     "verify` names where they differ",
                                     core::Base64Encode(core::AsBytes(root)), cp->size, stored.name,
                                     core::Base64Encode(core::AsBytes(cp->root))));
  }

  // The tree must still hold the one the directory published before: a new
  // checkpoint that does not extend it would fork the published log.
  if (published && published->size < cp->size) {
    ASSIGN_OR_RETURN(core::Hash then, ledger::RootAt(tiles, published->size));
    if (then != published->root) {
      return FailedPreconditionError(fmt::format(
          "{} publishes tree size {} with another root than this ledger's: the directory publishes another log, "
          "or this ledger's history was rewritten (nothing was written)",
          checkpoint_path, published->size));
    }
  }

  // Then the new files, and the checkpoint last: a client that reads it finds every tile it needs.
  RETURN_IF_ERROR(exporter.ForEachFile(/*prove=*/false, [&](const std::string& rel, const std::string& bytes) {
    const std::string path = options.out_dir + "/" + rel;
    if (env->Exists(path)) return OkStatus();
    RETURN_IF_ERROR(env->CreateDirs(ParentDir(path)));
    RETURN_IF_ERROR(env->WriteFileAtomic(path, bytes, 0644));
    ++report.written;
    return OkStatus();
  }));
  RETURN_IF_ERROR(env->CreateDirs(options.out_dir));
  RETURN_IF_ERROR(env->WriteFileAtomic(checkpoint_path, stored.note, 0644));
  return report;
}

}  // namespace vellum::app
