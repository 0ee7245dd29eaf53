#include "ledger/pending_rows.h"

#include <algorithm>
#include <functional>
#include <string_view>

#include "ledger/event.h"

namespace vellum::ledger {

using storage::EventIndexRow;
using storage::RecordVersionRow;

uint64_t RowSet::Key(const std::string& type, const std::string& id) { return RecordKeyHash(type, id); }

void RowSet::PutEvent(EventIndexRow row) {
  if (!events_.empty() && row.seq <= events_.back().seq) events_sorted_ = false;
  events_.push_back(std::move(row));
}

void RowSet::PutVersion(RecordVersionRow row) {
  const uint64_t key = Key(row.record_type, row.record_id);
  if (key_filter_) key_filter_->Add(key);
  if (!versions_.empty() && row.seq <= versions_.back().seq) versions_sorted_ = false;
  auto [it, added] = newest_by_key_.try_emplace(key, versions_.size());
  prev_same_key_.push_back(added ? kNone : it->second);
  it->second = versions_.size();
  versions_.push_back(std::move(row));
}

void RowSet::Append(RowSet&& other) {
  for (auto& e : other.events_) PutEvent(std::move(e));
  for (auto& v : other.versions_) PutVersion(std::move(v));
  other.Clear();
}

void RowSet::Clear() {
  RecordKeyFilter* const filter = key_filter_;
  *this = RowSet();
  key_filter_ = filter;
}

void RowSet::RollbackTo(Mark m) {
  events_.resize(std::min(m.events, events_.size()));
  while (versions_.size() > m.versions) {
    const RecordVersionRow& v = versions_.back();
    const uint64_t key = Key(v.record_type, v.record_id);
    if (prev_same_key_.back() == kNone) newest_by_key_.erase(key);
    else newest_by_key_[key] = prev_same_key_.back();
    prev_same_key_.pop_back();
    versions_.pop_back();
  }
}

const RecordVersionRow* RowSet::LatestByKey(uint64_t key, const std::string& type, const std::string& id) const {
  auto it = newest_by_key_.find(key);
  if (it == newest_by_key_.end()) return nullptr;
  // Rows of one record are put in version order, so the first match is the latest.
  for (size_t i = it->second; i != kNone; i = prev_same_key_[i]) {
    const RecordVersionRow& v = versions_[i];
    if (v.record_id == id && v.record_type == type) return &v;
  }
  return nullptr;
}

const RecordVersionRow* RowSet::Version(const std::string& type, const std::string& id, uint64_t version) const {
  auto it = newest_by_key_.find(Key(type, id));
  if (it == newest_by_key_.end()) return nullptr;
  for (size_t i = it->second; i != kNone; i = prev_same_key_[i]) {
    const RecordVersionRow& v = versions_[i];
    if (v.version == version && v.record_id == id && v.record_type == type) return &v;
  }
  return nullptr;
}

namespace {

// The row with `seq` in `rows`, by binary search when they are in seq order.
template <typename Row>
const Row* FindSeq(const std::vector<Row>& rows, bool sorted, uint64_t seq) {
  if (sorted) {
    auto it = std::lower_bound(rows.begin(), rows.end(), seq,
                               [](const Row& r, uint64_t s) { return r.seq < s; });
    return it != rows.end() && it->seq == seq ? &*it : nullptr;
  }
  for (const Row& r : rows) {
    if (r.seq == seq) return &r;
  }
  return nullptr;
}

}  // namespace

const RecordVersionRow* RowSet::BySeq(uint64_t seq) const { return FindSeq(versions_, versions_sorted_, seq); }

const EventIndexRow* RowSet::Event(uint64_t seq) const { return FindSeq(events_, events_sorted_, seq); }

PendingRows::PendingRows(storage::ProjectionReader* base, RecordKeyFilter* key_filter)
    : key_filter_(key_filter), open_(NewOpenSet()), base_(base) {}

std::shared_ptr<RowSet> PendingRows::NewOpenSet() const {
  auto set = std::make_shared<RowSet>();
  set->set_key_filter(key_filter_);
  return set;
}

void PendingRows::Add(RowSet&& rows) {
  std::lock_guard lock(mu_);
  open_->Append(std::move(rows));
}

std::shared_ptr<const RowSet> PendingRows::Seal() {
  std::lock_guard lock(mu_);
  std::shared_ptr<const RowSet> sealed = std::move(open_);
  open_ = NewOpenSet();
  if (!sealed->empty()) sealed_.push_back(sealed);
  return sealed;
}

void PendingRows::Drop(const std::shared_ptr<const RowSet>& sealed) {
  std::lock_guard lock(mu_);
  std::erase(sealed_, sealed);
}

void PendingRows::EraseBelow(uint64_t count) {
  std::lock_guard lock(mu_);
  while (!sealed_.empty() && sealed_.front()->end_seq() <= count) sealed_.pop_front();
}

template <typename Fn>
auto PendingRows::Find(const Fn& fn) -> std::optional<std::remove_cvref_t<decltype(*fn(std::declval<const RowSet&>()))>> {
  std::lock_guard lock(mu_);
  if (const auto* r = fn(*open_)) return *r;
  for (auto it = sealed_.rbegin(); it != sealed_.rend(); ++it) {
    if (const auto* r = fn(**it)) return *r;
  }
  return std::nullopt;
}

StatusOr<std::optional<RecordVersionRow>> PendingRows::LatestVersion(const std::string& type,
                                                                    const std::string& id) {
  const uint64_t key = RowSet::Key(type, id);
  if (key_filter_ && key_filter_->CertainlyAbsent(key)) return std::optional<RecordVersionRow>();
  if (auto r = Find([&](const RowSet& s) { return s.LatestByKey(key, type, id); })) return r;
  return base_->LatestVersion(type, id);
}

StatusOr<std::optional<RecordVersionRow>> PendingRows::LatestVersionBefore(const std::string&,
                                                                          const std::string&, uint64_t) {
  return FailedPreconditionError("historical reads are not available while writes are in flight");
}

StatusOr<std::optional<RecordVersionRow>> PendingRows::Version(const std::string& type, const std::string& id,
                                                              uint64_t version) {
  if (key_filter_ && key_filter_->CertainlyAbsent(RowSet::Key(type, id))) return std::optional<RecordVersionRow>();
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
  if (const RecordVersionRow* r = rows_->Latest(type, id)) return std::optional<RecordVersionRow>(*r);
  if (last_from_base_ && last_from_base_->id == id && last_from_base_->type == type) return last_from_base_->row;
  ASSIGN_OR_RETURN(auto r, base_->LatestVersion(type, id));
  last_from_base_ = BaseAnswer{type, id, r};
  return r;
}

StatusOr<std::optional<RecordVersionRow>> CapturingTxn::LatestVersionBefore(const std::string& type,
                                                                           const std::string& id, uint64_t seq) {
  return base_->LatestVersionBefore(type, id, seq);
}

StatusOr<std::optional<RecordVersionRow>> CapturingTxn::Version(const std::string& type, const std::string& id,
                                                               uint64_t version) {
  if (const RecordVersionRow* r = rows_->Version(type, id, version)) return std::optional<RecordVersionRow>(*r);
  return base_->Version(type, id, version);
}

StatusOr<std::optional<RecordVersionRow>> CapturingTxn::VersionBySeq(uint64_t seq) {
  if (const RecordVersionRow* r = rows_->BySeq(seq)) return std::optional<RecordVersionRow>(*r);
  return base_->VersionBySeq(seq);
}

StatusOr<std::optional<EventIndexRow>> CapturingTxn::IndexedEvent(uint64_t seq) {
  if (const EventIndexRow* r = rows_->Event(seq)) return std::optional<EventIndexRow>(*r);
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
  RETURN_IF_ERROR(txn.PutEvents(rows.events()));
  RETURN_IF_ERROR(txn.PutRecordVersions(rows.versions()));
  // A system.recovered event records the recovery note the store may hold:
  // the note goes in the commit that applies the event.
  for (const auto& e : rows.events()) {
    if (e.type == kRecoveredEventType) return txn.SetUnrecordedRecovery(std::nullopt);
  }
  return OkStatus();
}

}  // namespace vellum::ledger
