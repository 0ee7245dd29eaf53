// `vellum verify` on a data directory as it is (AT-4, AT-5): opened read-only,
// so that nothing is repaired, applied or signed before it is checked. What a
// crash left behind is reported as found, and the events after the latest
// checkpoint stay unsigned: an event appended to the end by someone else is
// named, not taken in (docs/threat-model.md).
//
// Needs only the public key, the ledger files and records.db: a copy of a data
// directory without keys/ledger.key or auth.db verifies too, also on
// read-only media unless records.db was left with a -wal file.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "app/data_dir_lock.h"
#include "core/env.h"
#include "core/signed_note.h"
#include "core/status.h"
#include "ledger/verifier.h"

namespace vellum::app {

struct DirectoryVerifyOptions {
  // Witness files: checkpoints kept elsewhere, checked with `witness_key`
  // (default: the ledger's key).
  std::vector<std::string> witness_files;
  std::optional<core::NoteVerifier> witness_key;
  // Events covered by no checkpoint are a problem instead of a note.
  bool require_signed = false;
  // false: the ledger files only, without comparing records.db with a replay
  // (`vellum bench` measures that part alone).
  bool check_projection = true;
  core::Env* env = nullptr;  // default: Env::Default()
  // A writer holds the directory's lock exclusively; verify waits this long for
  // it, and tells `on_lock_wait` when that takes a while.
  int lock_wait_ms = 10000;
  LockWaitNotice on_lock_wait;
  // Told now and then how many events are checked of how many (see ledger::VerifyInputs).
  std::function<void(uint64_t checked, uint64_t total)> progress;
};

// kNotFound when `dir` holds no data directory; kDataLoss when its files are
// too damaged to be read as a ledger at all (a finding, not a usage error).
StatusOr<ledger::VerifyReport> VerifyDirectory(const std::string& dir, const DirectoryVerifyOptions& options);

}  // namespace vellum::app
