#include "ledger/pending_rows.h"

#include <algorithm>

namespace vellum::ledger {

using storage::EventIndexRow;
using storage::RecordVersionRow;

std::string RowSet::Key(const std::string& type, const std::string& id) {
  std::string k = type;
  k.push_back('\0');
  k += id;
  return k;
}

void RowSet::PutEvent(EventIndexRow row) {
  event_by_seq_[row.seq] = events_.size();
  events_.push_back(std::move(row));
}

void RowSet::PutVersion(RecordVersionRow row) {
  by_record_[Key(row.record_type, row.record_id)][row.version] = versions_.size();
  version_by_seq_[row.seq] = versions_.size();
  versions_.push_back(std::move(row));
}

void RowSet::Append(RowSet&& other) {
  for (auto& e : other.events_) PutEvent(std::move(e));
  for (auto& v : other.versions_) PutVersion(std::move(v));
  other.Clear();
}

void RowSet::Clear() { *this = RowSet(); }

void RowSet::RollbackTo(Mark m) {
  for (size_t i = m.events; i < events_.size(); ++i) event_by_seq_.erase(events_[i].seq);
  events_.resize(std::min(m.events, events_.size()));
  for (size_t i = m.versions; i < versions_.size(); ++i) {
    const RecordVersionRow& v = versions_[i];
    version_by_seq_.erase(v.seq);
    auto it = by_record_.find(Key(v.record_type, v.record_id));
    if (it == by_record_.end()) continue;
    it->second.erase(v.version);
    if (it->second.empty()) by_record_.erase(it);
  }
  versions_.resize(std::min(m.versions, versions_.size()));
}

std::optional<RecordVersionRow> RowSet::Latest(const std::string& type, const std::string& id) const {
  return LatestByKey(Key(type, id));
}

std::optional<RecordVersionRow> RowSet::LatestByKey(const std::string& key) const {
  auto it = by_record_.find(key);
  if (it == by_record_.end() || it->second.empty()) return std::nullopt;
  return versions_[it->second.rbegin()->second];
}

std::optional<RecordVersionRow> RowSet::Version(const std::string& type, const std::string& id,
                                                uint64_t version) const {
  auto it = by_record_.find(Key(type, id));
  if (it == by_record_.end()) return std::nullopt;
  auto v = it->second.find(version);
  if (v == it->second.end()) return std::nullopt;
  return versions_[v->second];
}

std::optional<RecordVersionRow> RowSet::BySeq(uint64_t seq) const {
  auto it = version_by_seq_.find(seq);
  if (it == version_by_seq_.end()) return std::nullopt;
  return versions_[it->second];
}

std::optional<EventIndexRow> RowSet::Event(uint64_t seq) const {
  auto it = event_by_seq_.find(seq);
  if (it == event_by_seq_.end()) return std::nullopt;
  return events_[it->second];
}

void PendingRows::Add(RowSet&& rows) {
  std::lock_guard lock(mu_);
  open_->Append(std::move(rows));
}

std::shared_ptr<const RowSet> PendingRows::Seal() {
  std::lock_guard lock(mu_);
  std::shared_ptr<const RowSet> sealed = std::move(open_);
  open_ = std::make_shared<RowSet>();
  if (!sealed->empty()) sealed_.push_back(sealed);
  return sealed;
}

void PendingRows::DiscardOpen() {
  std::lock_guard lock(mu_);
  open_ = std::make_shared<RowSet>();
}

void PendingRows::EraseBelow(uint64_t count) {
  std::lock_guard lock(mu_);
  while (!sealed_.empty() && sealed_.front()->end_seq() <= count) sealed_.pop_front();
}

template <typename Fn>
auto PendingRows::Find(const Fn& fn) -> decltype(fn(std::declval<const RowSet&>())) {
  std::lock_guard lock(mu_);
  if (auto r = fn(*open_)) return r;
  for (auto it = sealed_.rbegin(); it != sealed_.rend(); ++it) {
    if (auto r = fn(**it)) return r;
  }
  return std::nullopt;
}

StatusOr<std::optional<RecordVersionRow>> PendingRows::LatestVersion(const std::string& type,
                                                                    const std::string& id) {
  const std::string key = RowSet::Key(type, id);
  if (auto r = Find([&](const RowSet& s) { return s.LatestByKey(key); })) return r;
  return base_->LatestVersion(type, id);
}

StatusOr<std::optional<RecordVersionRow>> PendingRows::LatestVersionBefore(const std::string&,
                                                                          const std::string&, uint64_t) {
  return FailedPreconditionError("historical reads are not available while writes are in flight");
}

StatusOr<std::optional<RecordVersionRow>> PendingRows::Version(const std::string& type, const std::string& id,
                                                              uint64_t version) {
  if (auto r = Find([&](const RowSet& s) { return s.Version(type, id, version); })) return r;
  return base_->Version(type, id, version);
}

StatusOr<std::optional<RecordVersionRow>> PendingRows::VersionBySeq(uint64_t seq) {
  if (auto r = Find([&](const RowSet& s) { return s.BySeq(seq); })) return r;
  return base_->VersionBySeq(seq);
}

StatusOr<std::optional<EventIndexRow>> PendingRows::IndexedEvent(uint64_t seq) {
  if (auto r = Find([&](const RowSet& s) { return s.Event(seq); })) return r;
  return base_->IndexedEvent(seq);
}

StatusOr<storage::ProjectionReader::Counts> PendingRows::CountRows() {
  return FailedPreconditionError("row counts are not available while writes are in flight");
}

StatusOr<std::optional<RecordVersionRow>> CapturingTxn::LatestVersion(const std::string& type,
                                                                     const std::string& id) {
  std::string key = RowSet::Key(type, id);
  if (auto r = rows_->LatestByKey(key)) return r;
  auto it = latest_from_base_.find(key);
  if (it != latest_from_base_.end()) return it->second;
  ASSIGN_OR_RETURN(auto r, base_->LatestVersion(type, id));
  latest_from_base_.emplace(std::move(key), r);
  return r;
}

StatusOr<std::optional<RecordVersionRow>> CapturingTxn::LatestVersionBefore(const std::string& type,
                                                                           const std::string& id, uint64_t seq) {
  return base_->LatestVersionBefore(type, id, seq);
}

StatusOr<std::optional<RecordVersionRow>> CapturingTxn::Version(const std::string& type, const std::string& id,
                                                               uint64_t version) {
  if (auto r = rows_->Version(type, id, version)) return r;
  return base_->Version(type, id, version);
}

StatusOr<std::optional<RecordVersionRow>> CapturingTxn::VersionBySeq(uint64_t seq) {
  if (auto r = rows_->BySeq(seq)) return r;
  return base_->VersionBySeq(seq);
}

StatusOr<std::optional<EventIndexRow>> CapturingTxn::IndexedEvent(uint64_t seq) {
  if (auto r = rows_->Event(seq)) return r;
  return base_->IndexedEvent(seq);
}

StatusOr<storage::ProjectionReader::Counts> CapturingTxn::CountRows() {
  return FailedPreconditionError("row counts are not available in a capturing transaction");
}

Status CapturingTxn::PutEvent(const EventIndexRow& row) {
  rows_->PutEvent(row);
  return OkStatus();
}

Status CapturingTxn::PutRecordVersion(const RecordVersionRow& row) { return PutRecordVersion(RecordVersionRow(row)); }

Status CapturingTxn::PutEvent(EventIndexRow&& row) {
  rows_->PutEvent(std::move(row));
  return OkStatus();
}

Status CapturingTxn::PutRecordVersion(RecordVersionRow&& row) {
  if (rows_->Version(row.record_type, row.record_id, row.version)) {
    return AlreadyExistsError("record version written twice");
  }
  rows_->PutVersion(std::move(row));
  return OkStatus();
}

Status CapturingTxn::Commit(uint64_t) { return InternalError("a capturing transaction cannot commit"); }

Status WriteRows(const RowSet& rows, storage::ProjectionTxn& txn) {
  for (const auto& e : rows.events()) RETURN_IF_ERROR(txn.PutEvent(e));
  for (const auto& v : rows.versions()) RETURN_IF_ERROR(txn.PutRecordVersion(v));
  return OkStatus();
}

}  // namespace vellum::ledger
