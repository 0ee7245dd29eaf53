// `vellum status`: what a data directory holds, read in milliseconds whatever
// its size (a few reads, none that grows with the ledger): how many events and
// bytes, the first and the last event, the latest checkpoint (its signature
// checked with keys/ledger.pub) and how many events no checkpoint signs yet,
// how far records.db has applied the ledger, the settings that decide when the
// next checkpoint is made, and what a crash left for the next writer to repair.
//
// It reads, like `vellum verify`, without repairing or applying anything and
// without signing in (file access to the directory is all it needs), but it
// checks nothing beyond the latest checkpoint's signature: the chain, the tree
// and the projection are `vellum verify`'s.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/data_dir_lock.h"
#include "core/env.h"
#include "core/status.h"
#include "ledger/checkpoint.h"

namespace vellum::app {

struct EventSummary {
  uint64_t seq = 0;
  int64_t ts = 0;  // µs since the epoch, UTC
  std::string type;
};

struct CheckpointSummary {
  std::string name;  // where it is kept, e.g. its file name
  // As signed; when the signature does not verify, only the size (from its name).
  ledger::Checkpoint checkpoint;
  // Empty when it verifies with the ledger's key; otherwise why not.
  std::string signature_problem;
};

struct DirectoryStatus {
  Config config;              // vellum.toml: origin, checkpoint interval, witness files
  std::string ledger_key;     // keys/ledger.pub as a C2SP note verifier key
  uint64_t events = 0;        // the tree size
  uint64_t segments = 0;      // ledger segment files
  uint64_t ledger_bytes = 0;  // bytes of complete event lines in them
  std::optional<EventSummary> first_event, last_event;
  uint64_t checkpoints = 0;
  std::optional<CheckpointSummary> latest_checkpoint;
  uint64_t unsigned_events = 0;  // events after the latest checkpoint
  // Events records.db reflects; none when it is not read (a note says why).
  std::optional<uint64_t> applied;
  // What an operator should know, one sentence each: crash remnants the next
  // writer repairs, records.db behind or ahead of the ledger, a checkpoint that
  // does not verify, no checkpoint at all.
  std::vector<std::string> notes;
};

struct DirectoryStatusOptions {
  core::Env* env = nullptr;  // default: Env::Default()
  // Like verify, status shares the directory's lock: it waits for a writer.
  int lock_wait_ms = 10000;
  LockWaitNotice on_lock_wait;
};

// kNotFound when `dir` holds no data directory; kDataLoss when its files cannot
// be read as a ledger at all (then `vellum verify` names what is wrong).
StatusOr<DirectoryStatus> ReadDirectoryStatus(const std::string& dir, const DirectoryStatusOptions& options);

// What the next command that opens `dir` to write will record first, one
// sentence each: a restore from a backup, a rebuild of records.db (both leave a
// note in the directory until their event is in the ledger). `status` and
// `verify` show them.
std::vector<std::string> PendingRecordNotes(core::Env* env, const std::string& dir);

}  // namespace vellum::app
