// The hook through which domain modules keep the projection: the ledger calls
// Apply for every event, in sequence order, when it is appended, during crash
// recovery and (into a capturing transaction) during verification. Apply must
// be a pure function of the event and the projection state it reads, so that a
// replay writes exactly the rows the original append wrote.
#pragma once

#include "core/status.h"
#include "ledger/event.h"
#include "storage/projection_store.h"

namespace vellum::ledger {

// The event-index row the ledger writes for every event (what `vellum log`
// filters on, and the leaf hash that lets recovery and verify spot an edit).
inline storage::EventIndexRow IndexRowFor(const Event& e, const core::Hash& leaf) {
  storage::EventIndexRow row;
  row.seq = e.seq;
  row.ts = e.ts;
  row.type = e.type;
  row.actor = e.actor.id;
  if (e.record) {
    row.record_type = e.record->type;
    row.record_id = e.record->id;
    row.record_version = e.record->version;
  }
  row.leaf_hash = leaf;
  return row;
}

class Projector {
 public:
  virtual ~Projector() = default;
  // Writes the rows `e` implies (record versions, …). The ledger itself writes
  // the event-index row. Errors mean the event contradicts the projection
  // (kDataLoss during replay) or a storage failure.
  virtual Status Apply(const Event& e, storage::ProjectionTxn& txn) = 0;
};

}  // namespace vellum::ledger
