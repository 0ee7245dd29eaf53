#include "app/restore_record.h"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "app/noted_event.h"
#include "core/json.h"
#include "ledger/event.h"

namespace vellum::app {
namespace {

std::string NotePath(const std::string& dir) { return core::JoinPath(dir, kRestoreNoteName); }

boost::json::object NoteJson(const RestoreNote& n) {
  return boost::json::object{{"manifest_sha256", n.manifest_sha256},
                             {"backup_created", n.backup_created},
                             {"backup_events", n.events},
                             {"restored", n.restored}};
}

// The note as written by WriteRestoreNote; anything else is damage, named.
StatusOr<boost::json::object> ReadNote(core::Env* env, const std::string& dir) {
  ASSIGN_OR_RETURN(uint64_t bytes, env->FileSize(NotePath(dir)));
  if (bytes > 4096) return DataLossError(fmt::format("{} is not a restore note (too large)", kRestoreNoteName));
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(NotePath(dir)));
  auto v = core::ParseJson(text);
  const boost::json::object* o = v.ok() ? v->if_object() : nullptr;
  auto is_string = [&](const char* k) { return o->contains(k) && o->at(k).is_string(); };
  auto is_count = [&](const char* k) {
    return o->contains(k) && (o->at(k).is_uint64() || (o->at(k).is_int64() && o->at(k).get_int64() >= 0));
  };
  if (o == nullptr || o->size() != 4 || !is_string("manifest_sha256") || !is_string("backup_created") ||
      !is_string("restored") || !is_count("backup_events")) {
    return DataLossError(fmt::format("{} is not a restore note as `vellum restore` writes it", kRestoreNoteName));
  }
  return *o;
}

}  // namespace

Status WriteRestoreNote(core::Env* env, const std::string& dir, const RestoreNote& note) {
  ASSIGN_OR_RETURN(std::string text, core::CanonicalJson(NoteJson(note)));
  return env->WriteFileAtomic(NotePath(dir), text + "\n", 0644);
}

StatusOr<std::string> DescribePendingRestore(core::Env* env, const std::string& dir) {
  if (!env->Exists(NotePath(dir))) return std::string();
  ASSIGN_OR_RETURN(boost::json::object o, ReadNote(env, dir));
  return fmt::format(
      "restored at {} from a backup of {} events made at {} (manifest sha256 {}): the first command that opens "
      "the ledger records this as a {} event",
      o.at("restored").as_string().c_str(), boost::json::serialize(o.at("backup_events")),
      o.at("backup_created").as_string().c_str(), o.at("manifest_sha256").as_string().c_str(), kRestoredEventType);
}

Status RecordPendingRestore(core::Env* env, const std::string& dir, ledger::Ledger& ledger,
                            storage::ProjectionStore& projection, storage::SecretStore& secrets, int64_t now_us) {
  if (!env->Exists(NotePath(dir))) return OkStatus();
  ASSIGN_OR_RETURN(boost::json::object note, ReadNote(env, dir));
  RETURN_IF_ERROR(AppendNotedEventOnce(ledger, projection, kRestoredEventType, note,
                                       note.at("backup_events").to_number<uint64_t>()));
  RETURN_IF_ERROR(secrets.EndOpenSessions(now_us, "restored").status());
  RETURN_IF_ERROR(env->Remove(NotePath(dir)));
  return env->SyncDir(dir);
}

}  // namespace vellum::app
