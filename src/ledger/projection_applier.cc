// The projection thread: durable batches into records.db, then their calls
// answered.
#include "ledger/ledger_impl.h"

#include "ledger/poll_briefly.h"

namespace vellum::ledger {

void Ledger::Impl::ApplierLoop() {
  constexpr size_t kMaxBatchesPerCommit = 16;
  for (;;) {
    std::vector<Batch> taken;
    PollBriefly([&] { return batches_queued.load(std::memory_order_relaxed) > 0; });
    {
      std::unique_lock lock(batch_mu);
      batch_cv.wait(lock, [&] { return batches_closed || !batches.empty(); });
      if (batches.empty()) return;
      while (!batches.empty() && taken.size() < kMaxBatchesPerCommit) {
        taken.push_back(std::move(batches.front()));
        batches.pop_front();
      }
      batches_queued = batches.size();
    }
    Status s = CommitDurable(taken);
    // Whatever happened above, the newest batch's append must have ended
    // before its commands are let go of (the sequencer uses them until then).
    if (taken.back().durability) taken.back().durability->Wait();
    if (!s.ok()) {
      // The events are durable; the projection catches up when the ledger is reopened.
      Halt(UnavailableError("updating records.db failed (" + s.message() +
                            "); writes are stopped until Vellum is restarted"));
    }
    // Each command is released before it is counted: its caller, which still
    // holds it, then frees the command on its own thread (what it allocated),
    // not this one, which every call waits for.
    for (auto& batch : taken) {
      std::shared_ptr<Completion> done;
      size_t finished = 0;
      for (auto& r : batch.requests) {
        if (r->done != done) {
          if (done) done->CountDown(finished);
          done = r->done;
          finished = 0;
        }
        r.reset();
        ++finished;
      }
      if (done) done->CountDown(finished);
    }
  }
}

Status Ledger::Impl::CommitDurable(const std::vector<Batch>& taken) {
  std::vector<const RowSet*> rows;
  std::vector<uint64_t> ends;
  for (const auto& b : taken) {
    if (b.durability && &b != &taken.back() && !b.durability->Wait()) continue;  // decided: returns at once
    if (b.rows->empty()) continue;
    rows.push_back(b.rows.get());
    ends.push_back(b.end_seq);
  }
  if (rows.empty()) return OkStatus();
  Durability* newest = rows.back() == taken.back().rows.get() ? taken.back().durability.get() : nullptr;
  {
    ASSIGN_OR_RETURN(auto txn, deps.projection->BeginWrite());
    for (const RowSet* r : rows) RETURN_IF_ERROR(WriteRows(*r, *txn));
    if (newest == nullptr || newest->Wait()) return Publish(txn->Commit(ends.back()), ends.back());
  }  // rolled back
  rows.pop_back();
  ends.pop_back();
  if (rows.empty()) return OkStatus();
  return Publish(CommitRows(rows, ends.back()), ends.back());
}

Status Ledger::Impl::Publish(Status committed, uint64_t applied) {
  if (committed.ok()) projected.store(applied, std::memory_order_release);
  return committed;
}

Status Ledger::Impl::CommitRows(const std::vector<const RowSet*>& sets, uint64_t applied) {
  ASSIGN_OR_RETURN(auto txn, deps.projection->BeginWrite());
  for (const RowSet* rows : sets) RETURN_IF_ERROR(WriteRows(*rows, *txn));
  return txn->Commit(applied);
}

}  // namespace vellum::ledger
