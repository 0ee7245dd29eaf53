#include "storage/memory/memory_projection_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <optional>

namespace vellum::storage {
namespace {

using RecordKey = std::pair<std::string, std::string>;

// What one view sees: the committed rows of the events applied before `limit`
// (the latest applied count, read on every call, for a view without a
// snapshot), plus, for the write transaction, the rows it has put.
class MemoryView final : public ProjectionTxn {
 public:
  enum class Mode { kSnapshot, kLatest, kWrite };

  MemoryView(std::shared_ptr<MemoryProjectionState> state, Mode mode) : state_(std::move(state)), mode_(mode) {
    if (mode_ == Mode::kSnapshot) {
      std::shared_lock lock(state_->mu);
      snapshot_ = state_->applied;
    }
  }
  ~MemoryView() override {
    if (mode_ == Mode::kWrite) {
      std::unique_lock lock(state_->mu);
      state_->writing = false;
    }
  }

  StatusOr<std::optional<RecordVersionRow>> LatestVersion(const std::string& type, const std::string& id) override {
    return LatestVersionBefore(type, id, UINT64_MAX);
  }

  StatusOr<std::optional<RecordVersionRow>> LatestVersionBefore(const std::string& type, const std::string& id,
                                                                uint64_t seq) override {
    std::shared_lock lock(state_->mu);
    std::optional<RecordVersionRow> found;
    const RecordKey key{type, id};
    if (auto own = own_by_record_.find(key); own != own_by_record_.end()) {
      for (auto it = own->second.rbegin(); it != own->second.rend() && !found; ++it) {
        if (*it < seq) found = own_versions_.at(*it);
      }
    }
    if (found) return found;
    if (auto it = state_->by_record.find(key); it != state_->by_record.end()) {
      const uint64_t end = std::min(seq, Limit());
      for (auto s = it->second.rbegin(); s != it->second.rend(); ++s) {
        if (*s < end) return std::optional<RecordVersionRow>(state_->versions.at(*s));
      }
    }
    return std::optional<RecordVersionRow>();
  }

  StatusOr<std::optional<RecordVersionRow>> Version(const std::string& type, const std::string& id,
                                                    uint64_t version) override {
    std::shared_lock lock(state_->mu);
    const RecordKey key{type, id};
    if (auto own = own_by_record_.find(key); own != own_by_record_.end()) {
      for (uint64_t s : own->second) {
        if (own_versions_.at(s).version == version) return std::optional<RecordVersionRow>(own_versions_.at(s));
      }
    }
    if (auto it = state_->by_record.find(key); it != state_->by_record.end()) {
      for (uint64_t s : it->second) {
        const RecordVersionRow& row = state_->versions.at(s);
        if (s < Limit() && row.version == version) return std::optional<RecordVersionRow>(row);
      }
    }
    return std::optional<RecordVersionRow>();
  }

  StatusOr<std::optional<RecordVersionRow>> VersionBySeq(uint64_t seq) override {
    std::shared_lock lock(state_->mu);
    return Find(own_versions_, state_->versions, seq);
  }

  StatusOr<std::optional<EventIndexRow>> IndexedEvent(uint64_t seq) override {
    std::shared_lock lock(state_->mu);
    return Find(own_events_, state_->events, seq);
  }

  StatusOr<Counts> CountRows() override {
    std::shared_lock lock(state_->mu);
    Counts c;
    const uint64_t limit = Limit();
    for (auto it = state_->events.begin(); it != state_->events.end() && it->first < limit; ++it) {
      ++c.events;
      c.max_event_seq = static_cast<int64_t>(it->first);
    }
    for (auto it = state_->versions.begin(); it != state_->versions.end() && it->first < limit; ++it) {
      ++c.record_versions;
      c.max_version_seq = static_cast<int64_t>(it->first);
    }
    c.events += own_events_.size();
    c.record_versions += own_versions_.size();
    if (!own_events_.empty()) c.max_event_seq = static_cast<int64_t>(own_events_.rbegin()->first);
    if (!own_versions_.empty()) c.max_version_seq = static_cast<int64_t>(own_versions_.rbegin()->first);
    return c;
  }

  Status ForEachRecordKey(const std::function<bool(std::string_view, std::string_view)>& fn) override {
    std::vector<RecordKey> keys;
    {
      std::shared_lock lock(state_->mu);
      for (const auto& [key, seqs] : state_->by_record) {
        if (!seqs.empty() && seqs.front() < Limit()) keys.push_back(key);
      }
      for (const auto& [key, seqs] : own_by_record_) keys.push_back(key);
    }
    for (const auto& [type, id] : keys) {
      if (!fn(type, id)) break;
    }
    return OkStatus();
  }

  Status PutEvent(const EventIndexRow& row) override {
    RETURN_IF_ERROR(Writable(row.seq, own_events_, state_->events, "event"));
    own_events_.emplace(row.seq, row);
    return OkStatus();
  }

  Status PutRecordVersion(const RecordVersionRow& row) override {
    RETURN_IF_ERROR(Writable(row.seq, own_versions_, state_->versions, "record version"));
    auto existing = Version(row.record_type, row.record_id, row.version);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      return AlreadyExistsError(
          fmt::format("version {} of {}/{} is already projected", row.version, row.record_type, row.record_id));
    }
    own_versions_.emplace(row.seq, row);
    own_by_record_[{row.record_type, row.record_id}].push_back(row.seq);
    return OkStatus();
  }

  Status SetUnrecordedRecovery(const std::optional<RecoveryNote>& note) override {
    if (mode_ != Mode::kWrite) return FailedPreconditionError("a read view cannot write");
    own_recovery_ = note;
    return OkStatus();
  }

  Status Commit(uint64_t applied_count) override {
    if (mode_ != Mode::kWrite) return FailedPreconditionError("a read view cannot commit");
    std::unique_lock lock(state_->mu);
    if (own_recovery_) state_->unrecorded_recovery = *own_recovery_;
    own_recovery_.reset();
    state_->events.merge(own_events_);
    for (auto& [seq, row] : own_versions_) {
      auto& seqs = state_->by_record[{row.record_type, row.record_id}];
      seqs.insert(std::upper_bound(seqs.begin(), seqs.end(), seq), seq);
    }
    state_->versions.merge(own_versions_);
    state_->applied = applied_count;
    own_events_.clear();
    own_versions_.clear();
    own_by_record_.clear();
    return OkStatus();
  }

 private:
  // REQUIRES: state_->mu held.
  uint64_t Limit() const { return mode_ == Mode::kSnapshot ? snapshot_ : state_->applied; }

  template <typename Row>
  std::optional<Row> Find(const std::map<uint64_t, Row>& own, const std::map<uint64_t, Row>& committed,
                          uint64_t seq) const {
    if (auto it = own.find(seq); it != own.end()) return it->second;
    if (auto it = committed.find(seq); it != committed.end() && seq < Limit()) return it->second;
    return std::nullopt;
  }

  template <typename Row>
  Status Writable(uint64_t seq, const std::map<uint64_t, Row>& own, const std::map<uint64_t, Row>& committed,
                  const char* what) const {
    if (mode_ != Mode::kWrite) return FailedPreconditionError("a read view cannot write");
    std::shared_lock lock(state_->mu);
    if (own.count(seq) || committed.count(seq)) {
      return AlreadyExistsError(fmt::format("the {} of seq {} is already projected", what, seq));
    }
    return OkStatus();
  }

  std::shared_ptr<MemoryProjectionState> state_;
  Mode mode_;
  uint64_t snapshot_ = 0;
  std::map<uint64_t, EventIndexRow> own_events_;
  std::map<uint64_t, RecordVersionRow> own_versions_;
  std::map<RecordKey, std::vector<uint64_t>> own_by_record_;
  std::optional<std::optional<RecoveryNote>> own_recovery_;  // set (or cleared) at commit
};

}  // namespace

MemoryProjectionStore::MemoryProjectionStore(std::shared_ptr<MemoryProjectionState> state)
    : state_(state ? std::move(state) : std::make_shared<MemoryProjectionState>()) {}

StatusOr<uint64_t> MemoryProjectionStore::AppliedCount() {
  std::shared_lock lock(state_->mu);
  return state_->applied;
}

StatusOr<std::optional<RecoveryNote>> MemoryProjectionStore::UnrecordedRecovery() {
  std::shared_lock lock(state_->mu);
  return state_->unrecorded_recovery;
}

StatusOr<std::unique_ptr<ProjectionTxn>> MemoryProjectionStore::BeginWrite() {
  {
    std::unique_lock lock(state_->mu);
    if (state_->writing) return FailedPreconditionError("a write transaction is open");
    state_->writing = true;
  }
  return std::unique_ptr<ProjectionTxn>(new MemoryView(state_, MemoryView::Mode::kWrite));
}

StatusOr<std::unique_ptr<ProjectionReader>> MemoryProjectionStore::BeginRead(bool snapshot) {
  return std::unique_ptr<ProjectionReader>(
      new MemoryView(state_, snapshot ? MemoryView::Mode::kSnapshot : MemoryView::Mode::kLatest));
}

Status MemoryProjectionStore::QueryEvents(const EventQuery& q, const std::function<bool(uint64_t)>& fn) {
  std::vector<uint64_t> found;
  {
    std::shared_lock lock(state_->mu);
    for (auto it = state_->events.lower_bound(q.from_seq); it != state_->events.end(); ++it) {
      const EventIndexRow& e = it->second;
      if (e.seq >= state_->applied) break;
      if ((q.type && e.type != *q.type) || (q.actor && e.actor != *q.actor) ||
          (q.record_type && e.record_type != *q.record_type) || (q.record_id && e.record_id != *q.record_id) ||
          (q.since && e.ts < *q.since) || (q.until && e.ts >= *q.until)) {
        continue;
      }
      found.push_back(e.seq);
      if (q.limit != 0 && found.size() >= q.limit) break;
    }
  }
  for (uint64_t seq : found) {
    if (!fn(seq)) break;
  }
  return OkStatus();
}

StatusOr<std::vector<RecordVersionRow>> MemoryProjectionStore::ListRecords(const std::string& type) {
  std::shared_lock lock(state_->mu);
  std::vector<RecordVersionRow> out;
  for (auto it = state_->by_record.lower_bound({type, ""}); it != state_->by_record.end() && it->first.first == type;
       ++it) {
    for (auto s = it->second.rbegin(); s != it->second.rend(); ++s) {
      if (*s < state_->applied) {
        out.push_back(state_->versions.at(*s));
        break;
      }
    }
  }
  return out;
}

StatusOr<std::vector<RecordVersionRow>> MemoryProjectionStore::History(const std::string& type,
                                                                       const std::string& id) {
  std::shared_lock lock(state_->mu);
  std::vector<RecordVersionRow> out;
  if (auto it = state_->by_record.find({type, id}); it != state_->by_record.end()) {
    for (uint64_t s : it->second) {
      if (s < state_->applied) out.push_back(state_->versions.at(s));
    }
  }
  return out;
}

}  // namespace vellum::storage
