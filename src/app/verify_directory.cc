#include "app/verify_directory.h"

#include "app/directory_status.h"
#include "app/power_cut_rebuild.h"
#include "app/read_only_directory.h"
#include "records/records.h"
#include "storage/memory/memory_projection_store.h"

namespace vellum::app {

StatusOr<ledger::VerifyReport> VerifyDirectory(const std::string& dir, const DirectoryVerifyOptions& options) {
  core::Env* env = options.env ? options.env : core::Env::Default();
  // A records.db left unsynced when the system stopped is not compared (it may
  // have lost any of its pages): the ledger files are checked, and records.db
  // named as a problem until an open has rebuilt it.
  ASSIGN_OR_RETURN(std::string unsynced, DescribeRecordsLeftUnsynced(env, dir));
  ASSIGN_OR_RETURN(ReadOnlyDirectory d,
                   unsynced.empty() ? OpenReadOnlyDirectory(env, dir, options.lock_wait_ms, options.on_lock_wait)
                                    : OpenLedgerFiles(env, dir, /*exclusive=*/false, options.lock_wait_ms,
                                                      options.on_lock_wait));
  // Claims every event, so that none is reported as never applied.
  storage::MemoryProjectionStore stand_in;
  if (!unsynced.empty()) {
    ASSIGN_OR_RETURN(auto txn, stand_in.BeginWrite());
    RETURN_IF_ERROR(txn->Commit(d.log->EventCount()));
  }
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
  for (std::string& note : PendingRecordNotes(env, dir)) remnants.push_back(std::move(note));
  report.notes.insert(report.notes.begin(), remnants.begin(), remnants.end());
  return report;
}

}  // namespace vellum::app
