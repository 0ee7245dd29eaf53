#include "ledger/projection_rebuild.h"

#include <fmt/format.h>

#include <optional>

#include "ledger/merkle.h"
#include "ledger/pending_rows.h"

namespace vellum::ledger {
namespace {

// Events per transaction: large enough that a commit's cost is shared by many,
// small enough that the rows in flight stay a few MB.
constexpr uint64_t kChunk = 4096;

}  // namespace

namespace {

// Replays events from `store`'s applied count on, committing every kChunk. With
// `stop_at_unreplayable`, an event that cannot be replayed ends the replay (what
// came before it is committed); else it is kDataLoss.
StatusOr<uint64_t> Replay(const storage::LogStore& log, storage::ProjectionStore& store, Projector& projector,
                          bool stop_at_unreplayable,
                          const std::function<void(uint64_t applied, uint64_t total)>& progress) {
  ASSIGN_OR_RETURN(uint64_t seq, store.AppliedCount());
  const uint64_t total = log.EventCount();
  if (seq > total) {
    return DataLossError(fmt::format("the projection has applied {} events, the ledger holds {}", seq, total));
  }
  std::optional<core::Hash> prev_leaf;
  int64_t prev_ts = 0;
  if (seq > 0) {
    ASSIGN_OR_RETURN(std::string line, log.ReadEvent(seq - 1));
    ASSIGN_OR_RETURN(Event before, DecodeEventForReplay(line));
    prev_leaf = LeafHash(line);
    prev_ts = before.ts;
  }
  // The live reader sees each chunk once it is committed: the next chunk's
  // events read the records the earlier ones made.
  ASSIGN_OR_RETURN(auto reader, store.BeginRead(/*snapshot=*/false));
  std::optional<CapturingTxn> capture;
  uint64_t committed = seq;
  auto commit = [&]() -> Status {
    ASSIGN_OR_RETURN(auto txn, store.BeginWrite());
    RETURN_IF_ERROR(WriteRows(capture->rows(), *txn));
    RETURN_IF_ERROR(txn->Commit(seq));
    committed = seq;
    capture.reset();
    if (progress) progress(seq, total);
    return OkStatus();
  };
  // The event at `seq` cannot be replayed: `why`.
  auto unreplayable = [&](std::string why) -> Status {
    if (!stop_at_unreplayable) return DataLossError(std::move(why));
    return capture ? commit() : OkStatus();
  };
  auto cursor = log.Scan(seq);
  while (seq < total && cursor->Next()) {
    const std::string_view line = cursor->line();
    auto e = DecodeEventForReplay(line);
    if (!e.ok()) {
      RETURN_IF_ERROR(unreplayable(fmt::format("event {}: {}", seq, e.status().message())));
      return seq;
    }
    if (e->seq != seq || e->prev != prev_leaf || (seq > 0 && e->ts < prev_ts)) {
      RETURN_IF_ERROR(
          unreplayable(fmt::format("event {} does not continue the ledger (its seq, prev or time is wrong)", seq)));
      return seq;
    }
    const core::Hash leaf = LeafHash(line);
    if (!capture) capture.emplace(reader.get());
    Status applied = capture->PutEvent(IndexRowFor(*e, leaf));
    if (applied.ok()) applied = projector.Apply(*e, *capture);
    if (!applied.ok()) {
      // Its rows are in the capture with the chunk's: the chunk is left to the
      // ledger's recovery, which names the event.
      if (stop_at_unreplayable) return committed;
      return DataLossError(fmt::format("event {} cannot be applied: {}", seq, applied.message()));
    }
    prev_leaf = leaf;
    prev_ts = e->ts;
    ++seq;
    if (seq % kChunk == 0) RETURN_IF_ERROR(commit());
  }
  RETURN_IF_ERROR(cursor->status());
  if (seq != total) return DataLossError(fmt::format("the ledger holds {} events but only {} could be read", total, seq));
  if (capture || total == 0) {
    if (!capture) capture.emplace(reader.get());
    RETURN_IF_ERROR(commit());
  }
  return total;
}

}  // namespace

StatusOr<uint64_t> RebuildProjection(const storage::LogStore& log, storage::ProjectionStore& fresh,
                                     Projector& projector,
                                     const std::function<void(uint64_t applied, uint64_t total)>& progress) {
  ASSIGN_OR_RETURN(uint64_t applied, fresh.AppliedCount());
  if (applied != 0) {
    return FailedPreconditionError(fmt::format("the projection to rebuild into has applied {} events already", applied));
  }
  return Replay(log, fresh, projector, /*stop_at_unreplayable=*/false, progress);
}

StatusOr<uint64_t> ContinueRebuild(const storage::LogStore& log, storage::ProjectionStore& store,
                                   Projector& projector) {
  return Replay(log, store, projector, /*stop_at_unreplayable=*/true, {});
}

}  // namespace vellum::ledger
