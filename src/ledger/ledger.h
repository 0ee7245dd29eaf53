// Ledger: the single writer of the event log. It owns the sequencer (one
// thread that assigns sequence numbers and time, chains `prev`, appends, and
// fsyncs once per batch: group commit), the Merkle tree files, checkpoints,
// and the projection updates that follow every append.
//
//   producers ──Submit()──▶ queue ──▶ sequencer: decide → envelope → append+fdatasync
//                                          │ tree nodes, checkpoints
//                                          ▼
//                                     projector: apply rows → commit → acknowledge
//
// A call to Submit returns only after its events are on stable storage and
// applied to the projection (SR-1). Time comes from the injected clock only
// and never goes backwards; a backward jump beyond the tolerance stops all
// writes and records a security event (AT-6).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/env.h"
#include "core/signed_note.h"
#include "core/status.h"
#include "ledger/checkpoint.h"
#include "ledger/event.h"
#include "ledger/projector.h"
#include "storage/log_store.h"
#include "storage/projection_store.h"

namespace vellum::ledger {

struct LedgerOptions {
  std::string origin;  // checkpoint origin line, e.g. "vellum.example/ledger/3f2a…"
  uint64_t checkpoint_every_events = 100000;
  int64_t checkpoint_every_micros = 60'000'000;
  // How far the clock may step back before writes stop (AT-6). Within it,
  // timestamps are held at the last event's time.
  int64_t clock_tolerance_micros = 1'000'000;
  size_t max_event_bytes = 1 << 20;
  // Most commands the sequencer puts in one group commit. Smaller batches let
  // the sequencer, the append and the projection work on consecutive batches
  // at once; with 16,384 commands in flight, 1,024 per batch gave 25 % more
  // events/s than 8,192 (and 9 % less CPU per event), with no loss at 2,048.
  size_t max_batch_events = 1024;
  // Files every new checkpoint is appended to (AT-5).
  std::vector<std::string> witness_files;
  // Recorded with the clock state when a process first writes (CC-1).
  std::string software_version = VELLUM_VERSION;
  // Asked when the ledger closes with a checkpoint due: false leaves it to the
  // next writer (a command that failed writes nothing, not even a checkpoint).
  // Empty: always sign.
  std::function<bool()> checkpoint_at_close;
};

// Everything the ledger works with. All pointers must outlive the Ledger.
struct LedgerDeps {
  core::Env* env = nullptr;
  core::Clock* clock = nullptr;
  storage::LogStore* log = nullptr;
  storage::ProjectionStore* projection = nullptr;
  Projector* projector = nullptr;
  const core::NoteSigner* signer = nullptr;
};

// Runs on the sequencer thread with the projection as of every earlier event
// (including earlier commands of the same batch). Returns the events to append
// (possibly none) or an error that rejects the command without writing anything.
using Decider = std::function<StatusOr<std::vector<EventDraft>>(storage::ProjectionReader& state)>;

// The actor of the events Vellum itself causes (genesis, start, recovery, clock
// anomalies, first administrator).
Actor SystemActor();

// What happened at open that an operator should know about.
struct OpenReport {
  uint64_t torn_tail_bytes = 0;     // an incomplete last line removed
  std::string torn_tail_location;   // where it was ("file:offset"), when the storage engine says
  uint64_t invalid_tail_events_removed = 0;
  uint64_t tree_leaves_rebuilt = 0;
  uint64_t events_reapplied = 0;
  uint64_t reapplied_from = 0;  // the first of them
  // What an earlier open's recovery did (events applied, cuts made) whose
  // system.recovered event a crash or a failed append kept from the ledger:
  // recorded by this open. Its cut_* fields are 0 (its cut is counted made or
  // made again by this open).
  std::optional<storage::RecoveryNote> earlier_unrecorded;
  // Inconsistencies that are not crash remnants (tampering or damage). When
  // non-empty the ledger is read-only; `vellum verify` explains in full.
  std::vector<std::string> damage;
};

class Ledger {
 public:
  // Writes the genesis event (seq 0) into an empty log and projection.
  // `genesis_data` becomes the event's data (public key, clock, settings).
  static StatusOr<std::unique_ptr<Ledger>> Create(const LedgerDeps& deps, const LedgerOptions& options,
                                                  const Actor& actor, boost::json::object genesis_data);
  // Opens an existing ledger, recovering from a crash (see OpenReport).
  static StatusOr<std::unique_ptr<Ledger>> Open(const LedgerDeps& deps, const LedgerOptions& options);
  // Stops the sequencer after the queued commands and makes a checkpoint if one
  // is due (and options.checkpoint_at_close allows it).
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  const OpenReport& open_report() const;

  // Submits one command; blocks until its events are durable and applied.
  // Thread-safe. Errors: the decider's error; kFailedPrecondition when writes
  // are stopped (clock anomaly, damage); kResourceExhausted for an oversized
  // event; storage errors.
  StatusOr<std::vector<Event>> Submit(const Actor& actor, Decider decide);
  // Submits several commands at once (an importer's batch) so they share group
  // commits; each succeeds or fails on its own. Results are in input order.
  std::vector<StatusOr<std::vector<Event>>> SubmitAll(const Actor& actor, std::vector<Decider> decide);

  // Number of events (the tree size). Thread-safe.
  uint64_t Size() const;
  StatusOr<std::string> ReadEvent(uint64_t seq) const;
  StatusOr<core::Hash> RootAt(uint64_t size) const;
  StatusOr<std::vector<core::Hash>> InclusionProof(uint64_t seq, uint64_t size) const;
  StatusOr<std::vector<core::Hash>> ConsistencyProof(uint64_t size1, uint64_t size2) const;

  // Signs and stores a checkpoint of the current tree (or returns the latest if
  // nothing was appended since), appending it to the witness files.
  StatusOr<storage::StoredCheckpoint> MakeCheckpoint();

 private:
  struct Impl;
  explicit Ledger(std::unique_ptr<Impl> impl);
  // Appends `system.recovered` when opening applied or removed events. True
  // when nothing was left to record, or the event was appended.
  bool RecordRecovery();
  std::unique_ptr<Impl> impl_;
};

}  // namespace vellum::ledger
