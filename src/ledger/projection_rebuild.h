// Rebuilding a projection from the events alone (AT-4: the projection is
// rebuildable from the trail): every event of the log is replayed, in order,
// into a projection store that has applied nothing yet, as the sequencer
// applied it when it was appended.
#pragma once

#include <cstdint>
#include <functional>

#include "core/status.h"
#include "ledger/projector.h"
#include "storage/log_store.h"
#include "storage/projection_store.h"

namespace vellum::ledger {

// Replays events [0, log.EventCount()) into `fresh`, committing every few
// thousand events with the count applied so far (memory stays flat whatever the
// ledger's size). Each event must decode and continue the one before it (seq,
// `prev`, time), else kDataLoss naming it; the caller verifies the ledger first
// (tree, checkpoints, signatures). `progress`, if set, is told after each
// commit how many events are applied of how many. Returns the count applied.
// REQUIRES: fresh->AppliedCount() == 0; nothing else writes to `fresh`.
StatusOr<uint64_t> RebuildProjection(const storage::LogStore& log, storage::ProjectionStore& fresh,
                                     Projector& projector,
                                     const std::function<void(uint64_t applied, uint64_t total)>& progress = {});

// As RebuildProjection, for a projection that may have applied some events
// already (a rebuild that stopped): continues from its applied count, and stops
// before the first event it cannot replay (a torn or damaged tail, left to the
// ledger's recovery, which tells one from the other). Returns the count applied.
StatusOr<uint64_t> ContinueRebuild(const storage::LogStore& log, storage::ProjectionStore& store,
                                   Projector& projector);

}  // namespace vellum::ledger
