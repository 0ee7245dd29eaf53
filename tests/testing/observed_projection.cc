#include "testing/observed_projection.h"

#include <cassert>
#include <utility>

namespace vellum::testing {

// Forwards to the real transaction and logs what the caller does with it.
class ObservedProjectionStore::ObservedTxn final : public storage::ProjectionTxn {
 public:
  ObservedTxn(ObservedProjectionStore* store, size_t index, std::unique_ptr<storage::ProjectionTxn> base)
      : store_(store), index_(index), base_(std::move(base)) {}
  ~ObservedTxn() override {
    base_.reset();  // the real transaction rolls back here unless it committed
    if (!committed_) store_->Update(index_, [](Txn& t) { t.end = Txn::End::kRolledBack; });
  }

  StatusOr<std::optional<storage::RecordVersionRow>> LatestVersion(const std::string& type,
                                                                   const std::string& id) override {
    return base_->LatestVersion(type, id);
  }
  StatusOr<std::optional<storage::RecordVersionRow>> LatestVersionBefore(const std::string& type,
                                                                         const std::string& id,
                                                                         uint64_t seq) override {
    return base_->LatestVersionBefore(type, id, seq);
  }
  StatusOr<std::optional<storage::RecordVersionRow>> Version(const std::string& type, const std::string& id,
                                                             uint64_t version) override {
    return base_->Version(type, id, version);
  }
  StatusOr<std::optional<storage::RecordVersionRow>> VersionBySeq(uint64_t seq) override {
    return base_->VersionBySeq(seq);
  }
  StatusOr<std::optional<storage::EventIndexRow>> IndexedEvent(uint64_t seq) override {
    return base_->IndexedEvent(seq);
  }
  Status EventsInRange(uint64_t from, uint64_t to, std::vector<storage::EventIndexRow>* out) override {
    return base_->EventsInRange(from, to, out);
  }
  Status VersionsInRange(uint64_t from, uint64_t to, std::vector<storage::RecordVersionRow>* out) override {
    return base_->VersionsInRange(from, to, out);
  }
  StatusOr<Counts> CountRows() override { return base_->CountRows(); }

  Status PutEvent(const storage::EventIndexRow& row) override {
    RETURN_IF_ERROR(base_->PutEvent(row));
    store_->Update(index_, [&](Txn& t) { t.event_seqs.push_back(row.seq); });
    return OkStatus();
  }
  Status PutRecordVersion(const storage::RecordVersionRow& row) override {
    RETURN_IF_ERROR(base_->PutRecordVersion(row));
    store_->Update(index_, [&](Txn& t) { t.version_seqs.push_back(row.seq); });
    return OkStatus();
  }
  Status SetUnrecordedRecovery(const std::optional<storage::RecoveryNote>& note) override {
    return base_->SetUnrecordedRecovery(note);
  }
  Status Commit(uint64_t applied_count) override {
    RETURN_IF_ERROR(base_->Commit(applied_count));
    committed_ = true;
    store_->Update(index_, [&](Txn& t) {
      t.end = Txn::End::kCommitted;
      t.applied = applied_count;
    });
    return OkStatus();
  }

 private:
  ObservedProjectionStore* const store_;
  const size_t index_;
  std::unique_ptr<storage::ProjectionTxn> base_;
  bool committed_ = false;
};

std::vector<ObservedProjectionStore::Txn> ObservedProjectionStore::Transactions() const {
  std::lock_guard lock(mu_);
  return txns_;
}

bool ObservedProjectionStore::AwaitTransactions(const std::function<bool(const std::vector<Txn>&)>& done,
                                                std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return done(txns_); });
}

uint64_t ObservedProjectionStore::HoldNthWrite(uint64_t nth) {
  assert(nth >= 1);
  std::lock_guard lock(mu_);
  const uint64_t call = writes_ + nth;
  holds_.Arm(call);
  return call;
}

bool ObservedProjectionStore::AwaitHeldWrite(uint64_t call, std::chrono::milliseconds timeout) {
  return holds_.AwaitArrival(call, timeout);
}

void ObservedProjectionStore::ReleaseHeldWrite(uint64_t call) { holds_.Release(call); }

StatusOr<std::unique_ptr<storage::ProjectionTxn>> ObservedProjectionStore::BeginWrite() {
  uint64_t call;
  {
    std::lock_guard lock(mu_);
    call = ++writes_;
  }
  holds_.Pass(call);  // without mu_: the log stays readable while the caller is held
  ASSIGN_OR_RETURN(std::unique_ptr<storage::ProjectionTxn> txn, base_->BeginWrite());
  size_t index;
  {
    std::lock_guard lock(mu_);
    index = txns_.size();
    txns_.emplace_back();
  }
  cv_.notify_all();
  return std::unique_ptr<storage::ProjectionTxn>(new ObservedTxn(this, index, std::move(txn)));
}

void ObservedProjectionStore::Update(size_t index, const std::function<void(Txn&)>& change) {
  {
    std::lock_guard lock(mu_);
    change(txns_[index]);
  }
  cv_.notify_all();
}

}  // namespace vellum::testing
