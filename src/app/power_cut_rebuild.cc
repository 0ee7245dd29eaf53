#include "app/power_cut_rebuild.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "app/noted_event.h"
#include "app/rebuild_records.h"
#include "app/vellum.h"
#include "core/json.h"
#include "ledger/checkpoint.h"
#include "ledger/projection_rebuild.h"
#include "records/records.h"
#include "storage/embedded/sqlite_projection.h"

namespace vellum::app {
namespace {

namespace json = boost::json;

constexpr char kReason[] =
    "records.db held changes not yet on stable storage when the system stopped (a power cut or a system crash), "
    "so some of them may be lost; it was kept as it was and rebuilt from the ledger";
// When this boot cannot be told from the one that wrote the mark.
constexpr char kReasonBootUnknown[] =
    "records.db held changes not yet on stable storage, and the system's boot could not be read to tell whether it "
    "has stopped since (a power cut or a system crash loses such changes), so some of them may be lost; it was kept "
    "as it was and rebuilt from the ledger";

// The note's key while a rebuilt records.db that was itself left unsynced is
// made again (RebuildRecordsLeftUnsynced).
constexpr char kMadeAgain[] = "made_again";

std::string NotePath(const std::string& dir) { return core::JoinPath(dir, kPowerCutNoteName); }
std::string RebuiltPath(const std::string& dir) { return RecordsDbPath(dir) + ".rebuild-at-open"; }

StatusOr<json::object> ReadNote(core::Env* env, const std::string& dir) {
  ASSIGN_OR_RETURN(uint64_t bytes, env->FileSize(NotePath(dir)));
  auto bad = [&] {
    return DataLossError(
        fmt::format("{} is not a note as an open that rebuilds records.db writes it", kPowerCutNoteName));
  };
  if (bytes > 16384) return bad();
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(NotePath(dir)));
  auto v = core::ParseJson(text);
  const json::object* o = v.ok() ? v->if_object() : nullptr;
  if (o == nullptr) return bad();
  auto is_string = [&](const char* k) { return o->contains(k) && o->at(k).is_string(); };
  auto is_count = [&](const char* k) {
    return o->contains(k) && (o->at(k).is_uint64() || (o->at(k).is_int64() && o->at(k).get_int64() >= 0));
  };
  const bool counted = is_count("events") && is_count("signed_events");
  const bool again = o->contains(kMadeAgain);
  if (again && (!counted || !o->at(kMadeAgain).is_bool() || !o->at(kMadeAgain).get_bool())) return bad();
  const size_t keys = (counted ? 6 : 4) + (again ? 1 : 0);
  if (o->size() != keys || !is_string("reason") || !is_string("unsynced_boot") || !is_string("replaced") ||
      !is_string("rebuilt")) {
    return bad();
  }
  const std::string_view replaced = o->at("replaced").as_string();
  if (!replaced.starts_with("records.db.replaced-") || replaced.find('/') != std::string_view::npos) return bad();
  return *o;
}

Status WriteNote(core::Env* env, const std::string& dir, const json::object& note) {
  ASSIGN_OR_RETURN(std::string text, core::CanonicalJson(note));
  return env->WriteFileAtomic(NotePath(dir), text + "\n", 0644);
}

// Of `events`, those the latest checkpoint signs (0 when its signature does
// not hold: the ledger's open then reports it).
StatusOr<uint64_t> SignedEvents(const storage::LogStore& log, const core::NoteVerifier& key, const std::string& origin,
                                uint64_t events) {
  ASSIGN_OR_RETURN(auto latest, log.LatestCheckpoint());
  if (!latest) return uint64_t{0};
  auto cp = ledger::OpenCheckpoint(latest->note, key, origin);
  return cp.ok() ? std::min<uint64_t>(cp->size, events) : 0;
}

// The boot named by records.db's mark, unless there is none or it is this
// boot's (a process of this boot left it: the kernel still holds every write).
// An unknown boot is never this one.
StatusOr<std::optional<std::string>> MarkOfAnotherBoot(core::Env* env, const std::string& records_db) {
  ASSIGN_OR_RETURN(auto mark, storage::SqliteProjectionStore::UnsyncedMark(env, records_db));
  const std::string boot = env->BootId();
  if (mark && !boot.empty() && *mark == boot) return std::optional<std::string>();
  return mark;
}

// Step 3: the ledger's events replayed into `rebuilt` (continued where a crash
// stopped it), which is then synced; the events it holds.
StatusOr<uint64_t> RebuildInto(core::Env* env, const storage::LogStore& log, const std::string& rebuilt) {
  uint64_t events = 0;
  {
    ASSIGN_OR_RETURN(auto fresh, storage::SqliteProjectionStore::Open(rebuilt, /*create=*/true));
    records::RecordsProjector projector;
    ASSIGN_OR_RETURN(events, ledger::ContinueRebuild(log, *fresh, projector));
  }  // closed: SQLite copies its WAL into the file and removes it
  ASSIGN_OR_RETURN(auto file, env->OpenAppendable(rebuilt));
  RETURN_IF_ERROR(file->Sync());
  RETURN_IF_ERROR(file->Close());
  return events;
}

}  // namespace

Status RebuildRecordsLeftUnsynced(core::Env* env, core::Clock* clock, const std::string& dir,
                                  const storage::LogStore& log, const core::NoteVerifier& ledger_key,
                                  const std::string& origin, const std::function<void(const std::string&)>& notice) {
  const std::string records_db = RecordsDbPath(dir);
  const std::string rebuilt = RebuiltPath(dir);
  json::object note;
  if (env->Exists(NotePath(dir))) {
    ASSIGN_OR_RETURN(note, ReadNote(env, dir));
  } else {
    ASSIGN_OR_RETURN(auto mark, MarkOfAnotherBoot(env, records_db));
    if (!mark) return OkStatus();
    const std::string boot = env->BootId();
    const std::string now = core::FormatTimestamp(clock->NowMicros());
    note = json::object{{"reason", boot.empty() ? kReasonBootUnknown : kReason},
                        {"unsynced_boot", *mark},
                        {"replaced", ReplacedRecordsDbName(now)},
                        {"rebuilt", now}};
    if (env->Exists(core::JoinPath(dir, std::string(note.at("replaced").as_string())))) {
      return AlreadyExistsError(
          fmt::format("{} exists already; try again", std::string(note.at("replaced").as_string())));
    }
    // Step 1.
    RETURN_IF_ERROR(WriteNote(env, dir, note));
  }
  if (note.contains("events") && !note.contains(kMadeAgain) && !env->Exists(rebuilt)) {
    // records.db is the rebuilt file, written since (unsynced) while its
    // rebuild waits to be recorded. Stopped in another boot before that, or
    // gone, it is made again: it holds nothing the ledger does not, and the
    // evidence is the file kept at step 2.
    ASSIGN_OR_RETURN(auto mark, MarkOfAnotherBoot(env, records_db));
    if (!env->Exists(records_db) || mark) {
      note[kMadeAgain] = true;
      RETURN_IF_ERROR(WriteNote(env, dir, note));
    }
  }
  if (note.contains(kMadeAgain)) {
    // The note keeps the first rebuild's counts: the event records that
    // rebuild, and an open may have appended it before the power cut (it is
    // then found, not appended twice: AppendNotedEventOnce).
    for (const char* suffix : kRecordsDbFileSuffixes) {  // the mark last
      if (env->Exists(records_db + suffix)) RETURN_IF_ERROR(env->Remove(records_db + suffix));
    }
    RETURN_IF_ERROR(env->SyncDir(dir));
    if (notice) {
      notice(fmt::format(
          "records.db, rebuilt after the system stopped with its writes not on disk (boot {}), was left so "
          "again before the rebuild was recorded: rebuilt anew from the {} events of the ledger ({} stays kept)",
          std::string(note.at("unsynced_boot").as_string()), log.EventCount(),
          std::string(note.at("replaced").as_string())));
    }
    RETURN_IF_ERROR(RebuildInto(env, log, rebuilt).status());
    note.erase(kMadeAgain);
    RETURN_IF_ERROR(WriteNote(env, dir, note));
  }
  if (!note.contains("events")) {
    // Step 2: records.db is still the old file until step 3 is complete, so
    // whatever of it is left moves (companions first, the file last).
    const std::string replaced = core::JoinPath(dir, std::string(note.at("replaced").as_string()));
    for (const char* suffix : {"-wal", "-shm", "-unsynced", ""}) {
      if (!env->Exists(records_db + suffix)) continue;
      // Evidence is never written over.
      if (env->Exists(replaced + suffix)) {
        return AlreadyExistsError(fmt::format("{} exists already: {} cannot be kept under that name; move one away",
                                              replaced + suffix, records_db + suffix));
      }
      RETURN_IF_ERROR(env->Rename(records_db + suffix, replaced + suffix));
    }
    RETURN_IF_ERROR(env->SyncDir(dir));
    if (notice) {
      notice(fmt::format(
          "records.db was left with writes not yet on disk when the system stopped (boot {}): kept as {}, and "
          "rebuilt from the {} events of the ledger",
          std::string(note.at("unsynced_boot").as_string()), std::string(note.at("replaced").as_string()),
          log.EventCount()));
    }
    // Step 3: into a file of its own.
    ASSIGN_OR_RETURN(const uint64_t events, RebuildInto(env, log, rebuilt));
    note["events"] = events;
    ASSIGN_OR_RETURN(note["signed_events"], SignedEvents(log, ledger_key, origin, events));
    RETURN_IF_ERROR(WriteNote(env, dir, note));
  }
  if (env->Exists(rebuilt)) {
    // Only SQLite's own files can be in records.db's place now: a crash
    // between the renames of step 2 and this one (the old file is away).
    for (const char* suffix : {"-wal", "-shm"}) {
      if (env->Exists(records_db + suffix)) RETURN_IF_ERROR(env->Remove(records_db + suffix));
    }
    if (env->Exists(records_db)) {
      return FailedPreconditionError(
          fmt::format("{} and {} are both present while records.db is rebuilt at open; move {} away and open again",
                      records_db, rebuilt, records_db));
    }
    RETURN_IF_ERROR(env->Rename(rebuilt, records_db));
    RETURN_IF_ERROR(env->SyncDir(dir));
  }
  return OkStatus();
}

Status RecordRebuildAtOpen(core::Env* env, const std::string& dir, ledger::Ledger& ledger,
                           storage::ProjectionStore& projection) {
  if (!env->Exists(NotePath(dir))) return OkStatus();
  ASSIGN_OR_RETURN(json::object note, ReadNote(env, dir));
  if (!note.contains("events")) return OkStatus();  // cannot be: the open rebuilt first
  return RecordRebuildNote(env, dir, NotePath(dir), ledger, projection, kRebuiltEventType, std::move(note));
}

StatusOr<std::string> DescribeRecordsLeftUnsynced(core::Env* env, const std::string& dir) {
  if (env->Exists(NotePath(dir))) {
    ASSIGN_OR_RETURN(json::object note, ReadNote(env, dir));
    return fmt::format(
        "records.db was left with changes not yet on stable storage when the system stopped (boot {}): it is kept as "
        "{}, and records.db is rebuilt from the ledger by the next command that opens it{}",
        std::string(note.at("unsynced_boot").as_string()), std::string(note.at("replaced").as_string()),
        note.contains("events") ? fmt::format(" (rebuilt from {} events; the rebuild is recorded as a {} event)",
                                              json::serialize(note.at("events")), kRebuiltEventType)
                                : "");
  }
  ASSIGN_OR_RETURN(auto mark, MarkOfAnotherBoot(env, RecordsDbPath(dir)));
  if (!mark) return std::string();
  return fmt::format(
      "records.db was left with changes not yet on stable storage when the system stopped (boot {}): some may be "
      "lost, so it cannot be compared; the next command that opens the data directory keeps it aside and rebuilds "
      "records.db from the ledger",
      *mark);
}

}  // namespace vellum::app
