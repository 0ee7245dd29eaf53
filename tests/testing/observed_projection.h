// ObservedProjectionStore: a ProjectionStore that forwards every call to a real
// one and keeps a log of the write transactions the ledger's projection thread
// runs: which rows each one put, and whether it was committed (with what applied
// count) or rolled back. A test reads the log to prove which path the ledger
// took, and can hold the Nth BeginWrite (the projection thread then waits, with
// the batches it took, before it opens its transaction) to force an interleaving.
//
// Thread-safe. `base` must outlive it, and it must outlive its transactions.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/projection_store.h"
#include "testing/call_holds.h"

namespace vellum::testing {

class ObservedProjectionStore final : public storage::ProjectionStore {
 public:
  // One write transaction, as far as it has got.
  struct Txn {
    enum class End { kOpen, kCommitted, kRolledBack };
    std::vector<uint64_t> event_seqs;    // seq of each event-index row put, in order
    std::vector<uint64_t> version_seqs;  // seq of each record-version row put, in order
    End end = End::kOpen;
    uint64_t applied = 0;  // the applied count it committed with
  };

  explicit ObservedProjectionStore(storage::ProjectionStore* base) : base_(base) {}

  // Every write transaction begun so far, oldest first.
  std::vector<Txn> Transactions() const;
  // Waits until `done(Transactions())`; false if that did not happen within `timeout`.
  bool AwaitTransactions(const std::function<bool(const std::vector<Txn>&)>& done,
                         std::chrono::milliseconds timeout) const;

  // The `nth` next BeginWrite waits until ReleaseHeldWrite, before it begins
  // anything. Returns the call's number for the other two. REQUIRES: nth >= 1.
  uint64_t HoldNthWrite(uint64_t nth);
  bool AwaitHeldWrite(uint64_t call, std::chrono::milliseconds timeout);
  void ReleaseHeldWrite(uint64_t call);
  // Lets every held BeginWrite go (tear-down).
  void ReleaseAll() { holds_.ReleaseAll(); }

  // storage::ProjectionStore
  StatusOr<uint64_t> AppliedCount() override { return base_->AppliedCount(); }
  StatusOr<std::optional<storage::RecoveryNote>> UnrecordedRecovery() override {
    return base_->UnrecordedRecovery();
  }
  Status SetDurableCommits(bool durable) override { return base_->SetDurableCommits(durable); }
  StatusOr<std::unique_ptr<storage::ProjectionTxn>> BeginWrite() override;
  StatusOr<std::unique_ptr<storage::ProjectionReader>> BeginRead(bool snapshot = true) override {
    return base_->BeginRead(snapshot);
  }
  Status QueryEvents(const storage::EventQuery& q, const std::function<bool(uint64_t seq)>& fn) override {
    return base_->QueryEvents(q, fn);
  }
  StatusOr<std::vector<storage::RecordVersionRow>> ListRecords(const std::string& type) override {
    return base_->ListRecords(type);
  }
  StatusOr<std::vector<storage::RecordVersionRow>> History(const std::string& type,
                                                           const std::string& id) override {
    return base_->History(type, id);
  }
  StatusOr<std::vector<std::string>> SchemaDifferences() override { return base_->SchemaDifferences(); }
  StatusOr<std::vector<std::string>> StructureDamage() override { return base_->StructureDamage(); }

 private:
  class ObservedTxn;
  // Applies `change` to transaction `index` of the log and wakes waiters.
  void Update(size_t index, const std::function<void(Txn&)>& change);

  storage::ProjectionStore* const base_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Txn> txns_;  // guarded by mu_
  uint64_t writes_ = 0;    // BeginWrite calls so far; guarded by mu_
  CallHolds holds_;
};

}  // namespace vellum::testing
