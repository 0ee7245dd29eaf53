#include "app/verify_directory.h"

#include "app/directory_status.h"
#include "app/read_only_directory.h"
#include "records/records.h"
#include "storage/memory/memory_projection_store.h"

namespace vellum::app {

StatusOr<ledger::VerifyReport> VerifyDirectory(const std::string& dir, const DirectoryVerifyOptions& options) {
  core::Env* env = options.env ? options.env : core::Env::Default();
  // A records.db left unsynced when the system stopped is not compared (it may
  // have lost any of its pages): the ledger files are checked, and records.db
  // named as a problem until an open has rebuilt it.
  ASSIGN_OR_RETURN(ReadOnlyDirectory d, OpenReadOnlyDirectory(env, dir, options.lock_wait_ms, options.on_lock_wait));
  const std::string& unsynced = d.records_db_not_read;
  // Claims no event: only past the signed ones is a line that is not JSON a
  // torn write, as for a ledger without records.db (tools/offline_verify.py).
  storage::MemoryProjectionStore stand_in;
  records::RecordsProjector projector;
  ledger::VerifyInputs in;
  in.log = d.log.get();
  in.projection = unsynced.empty() ? static_cast<storage::ProjectionStore*>(d.projection.get()) : &stand_in;
  in.projector = &projector;
  in.ledger_key = d.ledger_key;
  in.origin = d.config.origin;
  in.witness_notes_files = options.witness_files;
  in.witness_key = options.witness_key;
  in.env = env;
  in.require_signed = options.require_signed;
  in.check_projection = options.check_projection && unsynced.empty();
  in.progress = options.progress;
  ASSIGN_OR_RETURN(ledger::VerifyReport report, ledger::Verify(in));
  if (!unsynced.empty()) report.problems.push_back({"projection", std::nullopt, "records.db", unsynced});
  std::vector<std::string> remnants = CrashRemnantNotes(d.log->recovery());
  for (std::string& note : PendingRecordNotes(env, dir)) {
    if (note != unsynced) remnants.push_back(std::move(note));  // a problem above, not a note
  }
  report.notes.insert(report.notes.begin(), remnants.begin(), remnants.end());
  return report;
}

}  // namespace vellum::app
