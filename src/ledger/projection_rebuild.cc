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

StatusOr<uint64_t> RebuildProjection(const storage::LogStore& log, storage::ProjectionStore& fresh,
                                     Projector& projector,
                                     const std::function<void(uint64_t applied, uint64_t total)>& progress) {
  ASSIGN_OR_RETURN(uint64_t applied, fresh.AppliedCount());
  if (applied != 0) {
    return FailedPreconditionError(fmt::format("the projection to rebuild into has applied {} events already", applied));
  }
  const uint64_t total = log.EventCount();
  // The live reader sees each chunk once it is committed: the next chunk's
  // events read the records the earlier ones made.
  ASSIGN_OR_RETURN(auto reader, fresh.BeginRead(/*snapshot=*/false));
  std::optional<CapturingTxn> capture;
  std::optional<core::Hash> prev_leaf;
  int64_t prev_ts = 0;
  uint64_t seq = 0;
  auto commit = [&]() -> Status {
    ASSIGN_OR_RETURN(auto txn, fresh.BeginWrite());
    RETURN_IF_ERROR(WriteRows(capture->rows(), *txn));
    RETURN_IF_ERROR(txn->Commit(seq));
    capture.reset();
    if (progress) progress(seq, total);
    return OkStatus();
  };
  auto cursor = log.Scan(0);
  while (seq < total && cursor->Next()) {
    const std::string_view line = cursor->line();
    auto e = DecodeEventForReplay(line);
    if (!e.ok()) return DataLossError(fmt::format("event {}: {}", seq, e.status().message()));
    if (e->seq != seq || e->prev != prev_leaf || (seq > 0 && e->ts < prev_ts)) {
      return DataLossError(fmt::format("event {} does not continue the ledger (its seq, prev or time is wrong)", seq));
    }
    const core::Hash leaf = LeafHash(line);
    if (!capture) capture.emplace(reader.get());
    RETURN_IF_ERROR(capture->PutEvent(IndexRowFor(*e, leaf)));
    if (Status s = projector.Apply(*e, *capture); !s.ok()) {
      return DataLossError(fmt::format("event {} cannot be applied: {}", seq, s.message()));
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

}  // namespace vellum::ledger
