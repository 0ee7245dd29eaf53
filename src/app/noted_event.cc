#include "app/noted_event.h"

#include <string>

#include "ledger/event.h"

namespace vellum::app {

Status AppendNotedEventOnce(ledger::Ledger& ledger, storage::ProjectionStore& projection, std::string_view type,
                            const boost::json::object& data, uint64_t from_seq, std::optional<std::string> reason) {
  storage::EventQuery q;
  q.type = std::string(type);
  q.from_seq = from_seq;
  bool recorded = false;
  Status read_status;
  RETURN_IF_ERROR(projection.QueryEvents(q, [&](uint64_t seq) {
    auto line = ledger.ReadEvent(seq);
    if (!line.ok()) {
      read_status = line.status();
      return false;
    }
    auto e = ledger::DecodeEvent(*line);
    recorded = e.ok() && e->data == data;
    return !recorded;
  }));
  RETURN_IF_ERROR(read_status);
  if (recorded) return OkStatus();
  auto appended = ledger.Submit(ledger::SystemActor(), [type = std::string(type), data, reason = std::move(reason)](
                                                            storage::ProjectionReader&) mutable
                                -> StatusOr<std::vector<ledger::EventDraft>> {
    ledger::EventDraft d;
    d.type = std::move(type);
    d.data = std::move(data);
    d.reason = std::move(reason);
    return ledger::OneDraft(std::move(d));
  });
  return appended.status();
}

Status RecordRebuildNote(core::Env* env, const std::string& dir, const std::string& note_path, ledger::Ledger& ledger,
                         storage::ProjectionStore& projection, std::string_view type, boost::json::object note) {
  // The reason goes where every event keeps its reason (AT-2), the rest into data.
  std::string reason(note.at("reason").as_string());
  note.erase("reason");
  RETURN_IF_ERROR(
      AppendNotedEventOnce(ledger, projection, type, note, note.at("events").to_number<uint64_t>(), std::move(reason)));
  RETURN_IF_ERROR(env->Remove(note_path));
  return env->SyncDir(dir);
}

}  // namespace vellum::app
