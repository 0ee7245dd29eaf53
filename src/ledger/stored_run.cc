#include "ledger/stored_run.h"

namespace vellum::ledger {

using storage::EventIndexRow;
using storage::ProjectionReader;
using storage::RecordVersionRow;

StoredRun::StoredRun(ProjectionReader& reader, Tables tables) : reader_(reader), tables_(tables) {}

void StoredRun::Read(uint64_t from, uint64_t to) {
  point_lookups_ = false;
  next_event_ = next_version_ = 0;
  Status s = reader_.EventsInRange(from, to, &events_);
  if (s.ok() && tables_ == Tables::kEventsAndVersions) s = reader_.VersionsInRange(from, to, &versions_);
  if (!s.ok()) {
    point_lookups_ = true;
    events_.clear();
    versions_.clear();
  }
}

StatusOr<const EventIndexRow*> StoredRun::Event(uint64_t seq) {
  return Next(seq, events_, next_event_, event_, &ProjectionReader::IndexedEvent);
}

StatusOr<const RecordVersionRow*> StoredRun::Version(uint64_t seq) {
  return Next(seq, versions_, next_version_, version_, &ProjectionReader::VersionBySeq);
}

template <typename Row>
StatusOr<const Row*> StoredRun::Next(uint64_t seq, const std::vector<Row>& rows, size_t& next,
                                     std::optional<Row>& looked_up,
                                     StatusOr<std::optional<Row>> (ProjectionReader::*lookup)(uint64_t)) {
  if (point_lookups_) {
    ASSIGN_OR_RETURN(looked_up, (reader_.*lookup)(seq));
    return looked_up ? &*looked_up : nullptr;
  }
  while (next < rows.size() && rows[next].seq < seq) ++next;
  if (next < rows.size() && rows[next].seq == seq) return &rows[next];
  return nullptr;
}

}  // namespace vellum::ledger
