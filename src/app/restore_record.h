// The trail records that a ledger was restored from a backup (AT-1): `vellum
// restore` leaves a note beside the restored files — which backup, made when,
// restored when — and keeps the trail the backup's, byte for byte; the first
// command that opens the restored ledger appends it as a `system.restored`
// event (before anything else is written there), which the next checkpoint
// signs, ends every session the backup's auth.db still held open (their
// tokens belong to the source, and a session may even have begun after the
// backup's cut), and removes the note.
#pragma once

#include <cstdint>
#include <string>

#include "core/env.h"
#include "core/status.h"
#include "ledger/ledger.h"
#include "storage/projection_store.h"
#include "storage/secret_store.h"

namespace vellum::app {

inline constexpr char kRestoreNoteName[] = "restored-from-backup.json";
inline constexpr char kRestoredEventType[] = "system.restored";

struct RestoreNote {
  std::string manifest_sha256;  // hex, of the backup's vellum-backup.json
  std::string backup_created;   // the manifest's `created`
  uint64_t events = 0;          // the backup's
  std::string restored;         // when the restore was made (UTC, µs)
};

// Writes the note into data directory `dir` (durably).
Status WriteRestoreNote(core::Env* env, const std::string& dir, const RestoreNote& note);

// The note's sentence for `vellum status`, or "" when there is none.
StatusOr<std::string> DescribePendingRestore(core::Env* env, const std::string& dir);

// If `dir` holds a note, appends its `system.restored` event (unless an earlier
// open already did, before it could remove the note), ends the open sessions
// at `now_us` (reason "restored") and removes the note.
Status RecordPendingRestore(core::Env* env, const std::string& dir, ledger::Ledger& ledger,
                            storage::ProjectionStore& projection, storage::SecretStore& secrets, int64_t now_us);

}  // namespace vellum::app
