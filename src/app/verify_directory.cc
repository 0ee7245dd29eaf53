#include "app/verify_directory.h"

#include "app/directory_status.h"
#include "app/read_only_directory.h"
#include "records/records.h"

namespace vellum::app {

StatusOr<ledger::VerifyReport> VerifyDirectory(const std::string& dir, const DirectoryVerifyOptions& options) {
  core::Env* env = options.env ? options.env : core::Env::Default();
  ASSIGN_OR_RETURN(ReadOnlyDirectory d, OpenReadOnlyDirectory(env, dir, options.lock_wait_ms, options.on_lock_wait));
  records::RecordsProjector projector;
  ledger::VerifyInputs in;
  in.log = d.log.get();
  in.projection = d.projection.get();
  in.projector = &projector;
  in.ledger_key = d.ledger_key;
  in.origin = d.config.origin;
  in.witness_notes_files = options.witness_files;
  in.witness_key = options.witness_key;
  in.env = env;
  in.require_signed = options.require_signed;
  in.check_projection = options.check_projection;
  in.progress = options.progress;
  ASSIGN_OR_RETURN(ledger::VerifyReport report, ledger::Verify(in));
  std::vector<std::string> remnants = CrashRemnantNotes(d.log->recovery());
  for (std::string& note : PendingRecordNotes(env, dir)) remnants.push_back(std::move(note));
  report.notes.insert(report.notes.begin(), remnants.begin(), remnants.end());
  return report;
}

}  // namespace vellum::app
