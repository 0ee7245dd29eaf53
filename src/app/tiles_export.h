// `vellum tiles`: the ledger published as a C2SP tiled transparency log
// (https://c2sp.org/tlog-tiles) in a directory that any static web server can
// serve: `checkpoint` (a signed checkpoint as stored, byte for byte), the hash
// tiles `tile/<L>/<N>[.p/<W>]` of its tree size and, on request, the entry
// bundles `tile/entries/<N>[.p/<W>]` (the event lines themselves). Standard
// clients then check the checkpoint's signature, prove any event's inclusion
// and any two checkpoints' consistency, and audit the tree, from these files
// alone.
//
// Every hash is proven before anything is written: each full tile hashes to
// its entry in the tile above, and the tiles' hashes give the checkpoint's
// signed root; entries must hash to their leaf. Publishing again into the same
// directory adds what is new: tiles already there must hold the same bytes
// (tiles are immutable; one that differs means another ledger, or a rewritten
// history, and nothing is written), and the checkpoint there is replaced only
// by a larger one of the same log that extends it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "app/data_dir_lock.h"
#include "core/env.h"
#include "core/sha256.h"
#include "core/status.h"

namespace vellum::app {

struct TilesExportOptions {
  std::string out_dir;
  // The tree size of a stored checkpoint to publish; default the latest.
  std::optional<uint64_t> size;
  // Also the entry bundles. Off by default: the events carry the records'
  // content, which is often not for the public. An event over 65,535 bytes
  // does not fit the bundle format and stops the export (kFailedPrecondition).
  bool entries = false;
  core::Env* env = nullptr;  // default: Env::Default()
  int lock_wait_ms = 10000;
  LockWaitNotice on_lock_wait;
};

struct TilesExportReport {
  uint64_t size = 0;  // of the published checkpoint
  core::Hash root{};
  std::string checkpoint_name;  // where the data directory keeps it
  uint64_t files = 0;           // tiles and bundles this size needs
  uint64_t written = 0;         // of them, written now
  uint64_t unchanged = 0;       // of them, already there with the same bytes
  uint64_t entry_bundles = 0;   // of `files`
};

// kNotFound: no data directory, or no checkpoint of `size`; kDataLoss: the
// checkpoint does not verify, or the tree files disagree with it (`vellum verify`
// names what); kFailedPrecondition: `out_dir` holds another log's tiles or
// checkpoint, a larger checkpoint of this one, or one this tree does not extend.
StatusOr<TilesExportReport> ExportTiles(const std::string& dir, const TilesExportOptions& options);

}  // namespace vellum::app
