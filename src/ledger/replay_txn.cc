#include "ledger/replay_txn.h"

#include <algorithm>

namespace vellum::ledger {

using storage::EventIndexRow;
using storage::RecordVersionRow;

StatusOr<std::optional<RecordVersionRow>> ReplayTxn::LatestVersion(const std::string& t, const std::string& id) {
  const RecordVersionRow* mine = nullptr;
  for (const auto& v : versions_) {
    if (v.record_type == t && v.record_id == id && (!mine || v.version > mine->version))
      mine = &v;
  }
  if (mine) return std::optional<RecordVersionRow>(*mine);
  // Most events create a record, and this saves their lookup: when records.db
  // says this event made version 1 of the record, no earlier version exists.
  // Its schema allows one row per record version, so an earlier version 1
  // is impossible, and an earlier version 2 or later would have had to follow
  // an even earlier version 1 (its own event's replay, which finds none,
  // reports it). Should this row itself be wrong, the comparison with the
  // replay's row reports it.
  if (stored_ && stored_->version == 1 && stored_->record_type == t && stored_->record_id == id) {
    return std::optional<RecordVersionRow>();
  }
  return base_->LatestVersionBefore(t, id, seq_);
}

StatusOr<std::optional<RecordVersionRow>> ReplayTxn::LatestVersionBefore(const std::string& t, const std::string& id,
                                                                         uint64_t seq) {
  return base_->LatestVersionBefore(t, id, std::min(seq, seq_));
}

StatusOr<std::optional<RecordVersionRow>> ReplayTxn::Version(const std::string& t, const std::string& id,
                                                             uint64_t v) {
  for (const auto& r : versions_) {
    if (r.record_type == t && r.record_id == id && r.version == v)
      return std::optional<RecordVersionRow>(r);
  }
  ASSIGN_OR_RETURN(auto r, base_->Version(t, id, v));
  if (r && r->seq >= seq_) return std::optional<RecordVersionRow>();
  return r;
}

StatusOr<std::optional<RecordVersionRow>> ReplayTxn::VersionBySeq(uint64_t seq) {
  for (const auto& r : versions_) {
    if (r.seq == seq) return std::optional<RecordVersionRow>(r);
  }
  if (seq >= seq_) return std::optional<RecordVersionRow>();
  return base_->VersionBySeq(seq);
}

StatusOr<std::optional<EventIndexRow>> ReplayTxn::IndexedEvent(uint64_t seq) {
  for (const auto& e : events_) {
    if (e.seq == seq) return std::optional<EventIndexRow>(e);
  }
  if (seq >= seq_) return std::optional<EventIndexRow>();
  return base_->IndexedEvent(seq);
}

StatusOr<storage::ProjectionReader::Counts> ReplayTxn::CountRows() {
  return FailedPreconditionError("not available");
}

Status ReplayTxn::PutEvent(const EventIndexRow& row) {
  events_.push_back(row);
  return OkStatus();
}

Status ReplayTxn::PutRecordVersion(const RecordVersionRow& row) { return PutRecordVersion(RecordVersionRow(row)); }

Status ReplayTxn::PutRecordVersion(RecordVersionRow&& row) {
  for (const auto& r : versions_) {
    if (r.record_type == row.record_type && r.record_id == row.record_id && r.version == row.version) {
      return AlreadyExistsError("record version written twice");
    }
  }
  versions_.push_back(std::move(row));
  return OkStatus();
}

Status ReplayTxn::Commit(uint64_t) { return InternalError("a replay transaction cannot commit"); }

}  // namespace vellum::ledger
