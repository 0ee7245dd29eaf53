// records.db after a power cut or system crash: its commits are not synced
// (storage/embedded/sqlite_projection.h), so a records.db marked unsynced in an
// earlier boot may have lost or mixed up pages. It is never read again: the
// open that finds it keeps it as evidence and rebuilds records.db from the
// ledger (AT-4: the projection is rebuildable from the trail), then records
// that in a `system.records_rebuilt` event, as `vellum rebuild-records` does.
//
// 1. A note (records-rebuilt-at-open.json) is written, naming the boot in
//    which records.db was left unsynced and the name it is kept under.
// 2. records.db and its companion files are renamed records.db.replaced-<time>.
// 3. Every event is replayed into a new records.db, committed in chunks, up to
//    the first one that cannot be (a torn tail, left to the ledger's recovery);
//    the count is added to the note.
// 4. Once the ledger is open, its event is appended (once) and the note removed.
// Each step is done again or continued by the next open if a crash stops it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/clock.h"
#include "core/env.h"
#include "core/signed_note.h"
#include "core/status.h"
#include "ledger/ledger.h"
#include "storage/log_store.h"
#include "storage/projection_store.h"

namespace vellum::app {

inline constexpr char kPowerCutNoteName[] = "records-rebuilt-at-open.json";

// Steps 1-3, when records.db is marked unsynced in another boot than this one
// (or a note says they are under way); nothing otherwise. The data directory is
// locked and records.db not open. `ledger_key` checks the latest checkpoint,
// which says how many of the replayed events a signature covers.
// `notice`, if set, is told what is being done before step 3 starts.
Status RebuildRecordsLeftUnsynced(core::Env* env, core::Clock* clock, const std::string& dir,
                                  const storage::LogStore& log, const core::NoteVerifier& ledger_key,
                                  const std::string& origin,
                                  const std::function<void(const std::string&)>& notice = {});

// Step 4.
Status RecordRebuildAtOpen(core::Env* env, const std::string& dir, ledger::Ledger& ledger,
                           storage::ProjectionStore& projection);

// What `vellum status` and `verify` say of records.db when it is marked
// unsynced in another boot, or a rebuild at open is under way; "" otherwise.
StatusOr<std::string> DescribeRecordsLeftUnsynced(core::Env* env, const std::string& dir);

}  // namespace vellum::app
