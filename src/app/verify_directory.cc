#include "app/verify_directory.h"

#include <fmt/format.h>

#include <memory>

#include "app/config.h"
#include "app/vellum.h"
#include "records/records.h"
#include "storage/embedded/file_log_store.h"
#include "storage/embedded/sqlite_projection.h"

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

// The crash remnants the log store found and left as they were.
void NoteRemnants(const storage::FileLogRecovery& found, std::vector<std::string>* notes) {
  if (found.torn_tail_bytes > 0) {
    notes->push_back(fmt::format(
        "{}:{} ends in an incomplete line of {} bytes, which is not an event: what a write cut short by a crash "
        "leaves. The next command that opens the ledger removes it, unless records.db shows that an event "
        "ending there was acknowledged (then it is kept as evidence and writes are refused)",
        found.torn_tail_file, found.torn_tail_offset, found.torn_tail_bytes));
  }
  if (found.temp_files_removed > 0) {
    notes->push_back(fmt::format(
        "{} temporary file(s) of an interrupted write are in the ledger directory (named *.tmp.*): never "
        "part of the ledger; the next command that opens it removes them",
        found.temp_files_removed));
  }
}

}  // namespace

StatusOr<ledger::VerifyReport> VerifyDirectory(const std::string& dir, const DirectoryVerifyOptions& options) {
  core::Env* env = options.env ? options.env : core::Env::Default();
  if (!env->Exists(ConfigPath(dir))) {
    return NotFoundError(fmt::format("no Vellum data directory at {} (create one with `vellum init`)", dir));
  }
  // Shared: other verifies may read at the same time, no writer may.
  ASSIGN_OR_RETURN(auto lock,
                   LockDataDirectory(env, dir, /*exclusive=*/false, options.lock_wait_ms, options.on_lock_wait));
  ASSIGN_OR_RETURN(Config config, LoadConfig(env, ConfigPath(dir)));
  ASSIGN_OR_RETURN(core::NoteVerifier key, LoadLedgerKey(env, dir, config.origin));
  ASSIGN_OR_RETURN(auto log, MissingFileIsDamage(storage::FileLogStore::OpenReadOnly(env, LedgerDir(dir))));
  ASSIGN_OR_RETURN(auto projection,
                   MissingFileIsDamage(storage::SqliteProjectionStore::OpenReadOnly(RecordsDbPath(dir))));
  records::RecordsProjector projector;
  ledger::VerifyInputs in;
  in.log = log.get();
  in.projection = projection.get();
  in.projector = &projector;
  in.ledger_key = key;
  in.origin = config.origin;
  in.witness_notes_files = options.witness_files;
  in.witness_key = options.witness_key;
  in.env = env;
  in.require_signed = options.require_signed;
  in.check_projection = options.check_projection;
  in.progress = options.progress;
  ASSIGN_OR_RETURN(ledger::VerifyReport report, ledger::Verify(in));
  std::vector<std::string> remnants;
  NoteRemnants(log->recovery(), &remnants);
  report.notes.insert(report.notes.begin(), remnants.begin(), remnants.end());
  return report;
}

}  // namespace vellum::app
