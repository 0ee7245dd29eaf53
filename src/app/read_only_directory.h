// A data directory opened to be read as it is, by `vellum verify` and
// `vellum status`: its lock shared (no writer meanwhile, other readers
// welcome), nothing repaired, applied or signed. Needs only vellum.toml, the
// public key, the ledger files and records.db.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/data_dir_lock.h"
#include "core/env.h"
#include "core/signed_note.h"
#include "core/status.h"
#include "storage/embedded/file_log_store.h"
#include "storage/embedded/sqlite_projection.h"

namespace vellum::app {

struct ReadOnlyDirectory {
  std::unique_ptr<core::FileLock> lock;
  Config config;
  core::NoteVerifier ledger_key;  // keys/ledger.pub, named after the origin
  std::unique_ptr<storage::FileLogStore> log;
  std::unique_ptr<storage::SqliteProjectionStore> projection;  // null from OpenLedgerFiles
  // Why records.db is not read (projection null) by OpenReadOnlyDirectory: it
  // was left with writes not yet on disk in an earlier boot, or is being
  // rebuilt by an open (power_cut_rebuild.h). Empty when it is read.
  std::string records_db_not_read;
};

// kNotFound when `dir` holds no data directory (no vellum.toml); kDataLoss when
// one of its files is missing or keys/ledger.pub is not the origin's key.
// Decided under the lock: records.db left unsynced is not opened (see
// records_db_not_read).
StatusOr<ReadOnlyDirectory> OpenReadOnlyDirectory(core::Env* env, const std::string& dir, int lock_wait_ms,
                                                  const LockWaitNotice& on_lock_wait);

// The same without records.db (`projection` stays null), its lock taken
// exclusively when `exclusive` (no other process meanwhile): for rebuilding
// records.db from the ledger files.
StatusOr<ReadOnlyDirectory> OpenLedgerFiles(core::Env* env, const std::string& dir, bool exclusive, int lock_wait_ms,
                                            const LockWaitNotice& on_lock_wait);

// What a crash left in the ledger files that the next writer repairs, one
// sentence each (none when there is nothing).
std::vector<std::string> CrashRemnantNotes(const storage::FileLogRecovery& found);

}  // namespace vellum::app
