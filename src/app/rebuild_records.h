// `vellum rebuild-records`: records.db made again from the ledger alone
// (AT-4: the projection is rebuildable from the trail), for a records.db that
// is lost or damaged, or made by an older Vellum. Offline, as `restore` is:
// no other process may hold the data directory meanwhile.
//
// 1. The ledger files are verified (events, chain, tree, checkpoints and their
//    signatures, the witness files given); any problem refuses the rebuild and
//    changes nothing.
// 2. Every event is replayed into a new file, records.db.rebuild.
// 3. A note (records-rebuilt.json) is written, the current records.db, if any,
//    is renamed records.db.replaced-<time> (kept as evidence, never removed),
//    and the new file takes its place.
// 4. The first process that opens the ledger, normally this one right after,
//    appends the note as a `system.records_rebuilt` event (see noted_event.h).
// A crash before step 3 leaves records.db as it was (records.db.rebuild is
// discarded by the next rebuild); during step 3, before the new file took its
// place, the note is discarded (by the next open or rebuild: the rebuild did
// not happen) and records.db is as it was or absent (run the rebuild again).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "app/data_dir_lock.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/status.h"
#include "ledger/ledger.h"
#include "ledger/verifier.h"
#include "storage/projection_store.h"

namespace vellum::app {

inline constexpr char kRebuiltEventType[] = "system.records_rebuilt";
inline constexpr char kRebuildNoteName[] = "records-rebuilt.json";

// records.db's companion files, which go wherever it goes: SQLite's (a -wal
// holds commits) and the mark of writes not yet synced (sqlite_projection.h).
inline constexpr const char* kRecordsDbFileSuffixes[] = {"", "-wal", "-shm", "-unsynced"};

// The name a replaced records.db is kept under: "records.db.replaced-" and the
// time `now` (core::FormatTimestamp) without its '-' and ':'.
std::string ReplacedRecordsDbName(std::string_view now);

struct RebuildRecordsOptions {
  std::string reason;  // required: why (recorded in the event)
  // Checkpoints kept elsewhere to check the ledger against, as `verify --witness`.
  std::vector<std::string> witness_files;
  core::Env* env = nullptr;      // default: Env::Default()
  core::Clock* clock = nullptr;  // default: the system clock
  int lock_wait_ms = 10000;
  LockWaitNotice on_lock_wait;
  // Told during steps 1 and 2: which ("verify", "rebuild") and how far.
  std::function<void(const char* step, uint64_t done, uint64_t total)> progress;
};

struct RebuildRecordsResult {
  // Step 1's findings; when it is not ok(), nothing else was done.
  ledger::VerifyReport ledger_check;
  uint64_t events = 0;         // replayed into the new records.db
  uint64_t signed_events = 0;  // of them, covered by a signed checkpoint
  std::string replaced;        // the old records.db's new name, "" when there was none
};

// Steps 1-3. kNotFound when `dir` is no data directory, kInvalidArgument without
// a reason; a rebuild refused by step 1 is an ok result with the problems.
StatusOr<RebuildRecordsResult> RebuildRecords(const std::string& dir, const RebuildRecordsOptions& options);

// The note's sentence for `vellum status`, or "" when there is none.
StatusOr<std::string> DescribePendingRebuild(core::Env* env, const std::string& dir);

// A rebuild that stopped between its renames (the old records.db moved away, the new
// one not yet in its place) leaves no records.db: this finishes it — the new file was
// complete, synced and verified before the first rename — moving what is left of the
// old database's -wal and -shm to the name the note gives the old file first. Does
// nothing in any other state. Called with the data directory locked, before records.db
// is opened.
Status FinishInterruptedRebuildSwap(core::Env* env, const std::string& dir);

// Step 4: if `dir` holds a rebuild note, appends its event (once) and removes
// it; a note of a rebuild that stopped before its swap is removed unrecorded.
Status RecordPendingRebuild(core::Env* env, const std::string& dir, ledger::Ledger& ledger,
                            storage::ProjectionStore& projection);

}  // namespace vellum::app
