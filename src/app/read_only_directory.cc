#include "app/read_only_directory.h"

#include <fmt/format.h>

#include "app/power_cut_rebuild.h"
#include "app/vellum.h"

namespace vellum::app {
namespace {

// Read-only has no private key to match keys/ledger.pub against; its name must at least be the origin.
StatusOr<core::NoteVerifier> LoadLedgerKey(core::Env* env, const std::string& dir, const std::string& origin) {
  ASSIGN_OR_RETURN(core::NoteVerifier key, MissingFileIsDamage(ReadLedgerPublicKey(env, dir)));
  if (key.name != origin) {
    return DataLossError(fmt::format("keys/ledger.pub is the key of {}, but vellum.toml names the origin {}",
                                     key.name, origin));
  }
  return key;
}

}  // namespace

StatusOr<ReadOnlyDirectory> OpenLedgerFiles(core::Env* env, const std::string& dir, bool exclusive, int lock_wait_ms,
                                            const LockWaitNotice& on_lock_wait) {
  RETURN_IF_ERROR(CheckDataDirectory(env, dir));
  ReadOnlyDirectory d;
  ASSIGN_OR_RETURN(d.lock, LockDataDirectory(env, dir, exclusive, lock_wait_ms, on_lock_wait));
  ASSIGN_OR_RETURN(d.config, LoadConfig(env, ConfigPath(dir)));
  ASSIGN_OR_RETURN(d.ledger_key, LoadLedgerKey(env, dir, d.config.origin));
  ASSIGN_OR_RETURN(d.log, MissingFileIsDamage(storage::FileLogStore::OpenReadOnly(env, LedgerDir(dir))));
  return d;
}

StatusOr<ReadOnlyDirectory> OpenReadOnlyDirectory(core::Env* env, const std::string& dir, int lock_wait_ms,
                                                  const LockWaitNotice& on_lock_wait) {
  // Shared: other readers may read at the same time, no writer may.
  ASSIGN_OR_RETURN(ReadOnlyDirectory d, OpenLedgerFiles(env, dir, /*exclusive=*/false, lock_wait_ms, on_lock_wait));
  // It may have lost any of its pages, or be away while an open rebuilds it
  // (a note of that rebuild that cannot be read says as much).
  auto unsynced = DescribeRecordsLeftUnsynced(env, dir);
  d.records_db_not_read = unsynced.ok() ? std::move(*unsynced) : std::string(unsynced.status().message());
  if (!d.records_db_not_read.empty()) return d;
  ASSIGN_OR_RETURN(d.projection,
                   MissingFileIsDamage(storage::SqliteProjectionStore::OpenReadOnly(RecordsDbPath(dir))));
  return d;
}

std::vector<std::string> CrashRemnantNotes(const storage::FileLogRecovery& found) {
  std::vector<std::string> notes;
  if (found.torn_tail_bytes > 0) {
    notes.push_back(fmt::format(
        "{}:{} ends in an incomplete line of {} bytes, which is not an event: what a write cut short by a crash "
        "leaves. The next command that opens the ledger removes it, unless records.db shows that an event "
        "ending there was acknowledged (then it is kept as evidence and writes are refused)",
        found.torn_tail_file, found.torn_tail_offset, found.torn_tail_bytes));
  }
  if (found.temp_files_removed > 0) {
    notes.push_back(fmt::format(
        "{} temporary file(s) of an interrupted write are in the ledger directory (named *.tmp.*): never "
        "part of the ledger; the next command that opens it removes them",
        found.temp_files_removed));
  }
  return notes;
}

}  // namespace vellum::app
