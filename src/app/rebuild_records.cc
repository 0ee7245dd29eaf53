#include "app/rebuild_records.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <vector>

#include "app/account_support.h"
#include "app/noted_event.h"
#include "app/power_cut_rebuild.h"
#include "app/read_only_directory.h"
#include "app/vellum.h"
#include "core/json.h"
#include "ledger/projection_rebuild.h"
#include "records/records.h"
#include "storage/embedded/sqlite_projection.h"
#include "storage/memory/memory_projection_store.h"

namespace vellum::app {
namespace {

namespace json = boost::json;

std::string NotePath(const std::string& dir) { return core::JoinPath(dir, kRebuildNoteName); }

Status RemoveDatabase(core::Env* env, const std::string& path) {
  for (const char* suffix : kRecordsDbFileSuffixes) {
    if (env->Exists(path + suffix)) RETURN_IF_ERROR(env->Remove(path + suffix));
  }
  return OkStatus();
}

// Step 3's renames: the old database's files (if `replaced` is not empty) to
// `replaced`, then `rebuilt` to records.db. When one fails, the old files
// already moved are moved back, so records.db is what it was.
Status Swap(core::Env* env, const std::string& dir, const std::string& rebuilt, const std::string& replaced) {
  const std::string records_db = RecordsDbPath(dir);
  std::vector<const char*> moved;
  Status s;
  if (!replaced.empty()) {
    for (const char* suffix : kRecordsDbFileSuffixes) {
      if (!env->Exists(records_db + suffix)) continue;
      s = env->Rename(records_db + suffix, core::JoinPath(dir, replaced) + suffix);
      if (!s.ok()) break;
      moved.push_back(suffix);
    }
  }
  if (s.ok()) s = env->Rename(rebuilt, records_db);
  if (s.ok()) return s;
  // Best effort: `s` is the error to report.
  for (const char* suffix : moved) env->Rename(core::JoinPath(dir, replaced) + suffix, records_db + suffix).IgnoreError();
  return s;
}

// Step 1: the ledger files as verify checks them, without records.db. A
// projection that claims every event stands in for it, so that events after
// the latest checkpoint are noted as unsigned rather than reported as never
// applied (there is no records.db to have applied them).
StatusOr<ledger::VerifyReport> CheckLedgerFiles(const ReadOnlyDirectory& d, const RebuildRecordsOptions& o,
                                                core::Env* env) {
  storage::MemoryProjectionStore stand_in;
  {
    ASSIGN_OR_RETURN(auto txn, stand_in.BeginWrite());
    RETURN_IF_ERROR(txn->Commit(d.log->EventCount()));
  }
  records::RecordsProjector projector;
  ledger::VerifyInputs in;
  in.log = d.log.get();
  in.projection = &stand_in;
  in.projector = &projector;
  in.ledger_key = d.ledger_key;
  in.origin = d.config.origin;
  in.witness_notes_files = o.witness_files;
  in.env = env;
  in.check_projection = false;
  if (o.progress) in.progress = [&o](uint64_t done, uint64_t total) { o.progress("verify", done, total); };
  return ledger::Verify(in);
}

StatusOr<json::object> ReadNote(core::Env* env, const std::string& dir) {
  ASSIGN_OR_RETURN(uint64_t bytes, env->FileSize(NotePath(dir)));
  if (bytes > 16384) return DataLossError(fmt::format("{} is not a rebuild note (too large)", kRebuildNoteName));
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(NotePath(dir)));
  auto v = core::ParseJson(text);
  const json::object* o = v.ok() ? v->if_object() : nullptr;
  auto is_string = [&](const char* k) { return o->contains(k) && o->at(k).is_string(); };
  auto is_count = [&](const char* k) {
    return o->contains(k) && (o->at(k).is_uint64() || (o->at(k).is_int64() && o->at(k).get_int64() >= 0));
  };
  if (o == nullptr || o->size() != 5 || !is_string("reason") || !is_string("rebuilt") || !is_string("replaced") ||
      !is_count("events") || !is_count("signed_events")) {
    return DataLossError(fmt::format("{} is not a note as `vellum rebuild-records` writes it", kRebuildNoteName));
  }
  return *o;
}

// The old records.db's note of events a recovery applied that no
// system.recovered event records yet goes into the new one, so the next open
// still records it. Read as far as the old file can be: it may be the damaged
// database this rebuild replaces, and then there is no note to carry. One
// left unsynced in an earlier boot holds none that counts: a note is
// committed synced and the mark removed while it is there, so a note such a
// file shows is one whose removal the power cut undid.
Status CarryRecoveryNote(core::Env* env, const std::string& dir, uint64_t events, storage::ProjectionStore& fresh) {
  const std::string records_db = RecordsDbPath(dir);
  if (!env->Exists(records_db)) return OkStatus();
  ASSIGN_OR_RETURN(std::string unsynced, DescribeRecordsLeftUnsynced(env, dir));
  if (!unsynced.empty()) return OkStatus();
  auto old = storage::SqliteProjectionStore::OpenReadOnly(records_db);
  if (!old.ok()) return OkStatus();
  auto note = (*old)->UnrecordedRecovery();
  if (!note.ok() || !*note || (*note)->RecordedFrom() > events) return OkStatus();
  ASSIGN_OR_RETURN(auto txn, fresh.BeginWrite());
  RETURN_IF_ERROR(txn->SetUnrecordedRecovery(*note));
  return txn->Commit(events);
}

}  // namespace

StatusOr<RebuildRecordsResult> RebuildRecords(const std::string& dir, const RebuildRecordsOptions& o) {
  core::Env* env = o.env ? o.env : core::Env::Default();
  core::SystemClock system_clock;
  core::Clock* clock = o.clock ? o.clock : &system_clock;
  RETURN_IF_ERROR(RequireReason(o.reason, "rebuild records.db"));
  if (!core::IsValidUtf8(o.reason)) return InvalidArgumentError("the reason is not valid UTF-8");
  // Exclusive: no writer may append, and no verify read records.db, meanwhile.
  ASSIGN_OR_RETURN(ReadOnlyDirectory d, OpenLedgerFiles(env, dir, /*exclusive=*/true, o.lock_wait_ms, o.on_lock_wait));
  const std::string records_db = RecordsDbPath(dir);
  const std::string rebuilt = records_db + ".rebuild";
  // A note beside records.db.rebuild is one of a rebuild that stopped before
  // its new file took records.db's place: it did not happen, and this one
  // starts again. Without it, the rebuild happened and is not recorded yet.
  if (env->Exists(NotePath(dir)) && env->Exists(rebuilt)) RETURN_IF_ERROR(env->Remove(NotePath(dir)));
  for (const char* note : {kRebuildNoteName, kPowerCutNoteName}) {
    if (env->Exists(core::JoinPath(dir, note))) {
      return FailedPreconditionError(fmt::format(
          "{} holds {}: an earlier rebuild has not been finished or recorded yet. Open the ledger first (any "
          "command that writes, e.g. `vellum checkpoint`)",
          dir, note));
    }
  }
  RebuildRecordsResult result;
  ASSIGN_OR_RETURN(result.ledger_check, CheckLedgerFiles(d, o, env));
  if (!result.ledger_check.ok()) return result;
  result.signed_events = result.ledger_check.signed_size;

  // Step 2.
  RETURN_IF_ERROR(RemoveDatabase(env, rebuilt));  // what an interrupted rebuild left
  {
    ASSIGN_OR_RETURN(auto fresh, storage::SqliteProjectionStore::Open(rebuilt, /*create=*/true));
    records::RecordsProjector projector;
    ASSIGN_OR_RETURN(result.events,
                     ledger::RebuildProjection(*d.log, *fresh, projector, [&o](uint64_t done, uint64_t total) {
                       if (o.progress) o.progress("rebuild", done, total);
                     }));
    RETURN_IF_ERROR(CarryRecoveryNote(env, dir, result.events, *fresh));
  }  // closed: SQLite copies its WAL into the file and removes it
  {
    ASSIGN_OR_RETURN(auto file, env->OpenAppendable(rebuilt));
    RETURN_IF_ERROR(file->Sync());
    RETURN_IF_ERROR(file->Close());
  }

  // Step 3.
  const std::string now = core::FormatTimestamp(clock->NowMicros());
  // A -wal left beside the new file would be read as its own: whatever of the
  // old database is there moves away with it (also a -wal alone, which a rebuild
  // that stopped between its renames leaves).
  bool old_files = false;
  for (const char* suffix : kRecordsDbFileSuffixes) old_files = old_files || env->Exists(records_db + suffix);
  if (old_files) {
    result.replaced = ReplacedRecordsDbName(now);
    if (env->Exists(core::JoinPath(dir, result.replaced))) {
      return AlreadyExistsError(fmt::format("{} exists already; try again", result.replaced));
    }
  }
  json::object note{{"reason", o.reason},
                    {"events", result.events},
                    {"signed_events", result.signed_events},
                    {"replaced", result.replaced},
                    {"rebuilt", now}};
  ASSIGN_OR_RETURN(std::string text, core::CanonicalJson(note));
  RETURN_IF_ERROR(env->WriteFileAtomic(NotePath(dir), text + "\n", 0644));
  if (Status s = Swap(env, dir, rebuilt, result.replaced); !s.ok()) {
    // Nothing was rebuilt after all: the note must not say otherwise. The next
    // open or rebuild would drop it too (records.db.rebuild is still there).
    if (env->Exists(rebuilt)) env->Remove(NotePath(dir)).IgnoreError();  // `s` is the error to report
    return s;
  }
  RETURN_IF_ERROR(env->SyncDir(dir));
  return result;
}

std::string ReplacedRecordsDbName(std::string_view now) {
  // "2026-11-27T18:01:02.123456Z" → "20261127T180102.123456Z": a file name.
  std::string stamp;
  for (char c : now) {
    if (c != '-' && c != ':') stamp.push_back(c);
  }
  return "records.db.replaced-" + stamp;
}

StatusOr<std::string> DescribePendingRebuild(core::Env* env, const std::string& dir) {
  if (!env->Exists(NotePath(dir))) return std::string();
  ASSIGN_OR_RETURN(json::object note, ReadNote(env, dir));
  return fmt::format(
      "records.db was rebuilt at {} from {} events: the first command that opens the ledger records this as a {} "
      "event",
      note.at("rebuilt").as_string().c_str(), json::serialize(note.at("events")), kRebuiltEventType);
}

Status FinishInterruptedRebuildSwap(core::Env* env, const std::string& dir) {
  const std::string records_db = RecordsDbPath(dir);
  const std::string rebuilt = records_db + ".rebuild";
  if (!env->Exists(NotePath(dir)) || !env->Exists(rebuilt) || env->Exists(records_db)) return OkStatus();
  ASSIGN_OR_RETURN(json::object note, ReadNote(env, dir));
  const json::string* replaced = note.if_contains("replaced") ? note.at("replaced").if_string() : nullptr;
  for (const char* suffix : {"-wal", "-shm", "-unsynced"}) {
    if (!env->Exists(records_db + suffix)) continue;
    // Never left beside the new file, where SQLite would read it as the new file's own.
    if (replaced == nullptr || replaced->empty()) {
      RETURN_IF_ERROR(env->Remove(records_db + suffix));
    } else {
      RETURN_IF_ERROR(env->Rename(records_db + suffix, core::JoinPath(dir, std::string(*replaced)) + suffix));
    }
  }
  RETURN_IF_ERROR(env->Rename(rebuilt, records_db));
  return env->SyncDir(dir);
}

Status RecordPendingRebuild(core::Env* env, const std::string& dir, ledger::Ledger& ledger,
                            storage::ProjectionStore& projection) {
  if (!env->Exists(NotePath(dir))) return OkStatus();
  if (env->Exists(RecordsDbPath(dir) + ".rebuild")) {
    // The rebuild stopped before its file took records.db's place: this
    // records.db is the one it would have replaced, and nothing happened.
    RETURN_IF_ERROR(env->Remove(NotePath(dir)));
    return env->SyncDir(dir);
  }
  ASSIGN_OR_RETURN(json::object note, ReadNote(env, dir));
  return RecordRebuildNote(env, dir, NotePath(dir), ledger, projection, kRebuiltEventType, std::move(note));
}

}  // namespace vellum::app
