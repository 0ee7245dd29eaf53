// `vellum verify`: recomputes everything from the events and compares it with
// everything stored (AT-4, AT-5). Streaming: memory does not grow with the
// ledger. Every problem names what is wrong and where (sequence number, file,
// byte offset).
//
// Checks, in one pass over the segments:
//   - each line is a well-formed event in canonical form (RFC 8785)
//   - seq is continuous from 0, `prev` chains to the previous event's leaf hash,
//     timestamps never go backwards, event 0 is the genesis holding the ledger key
//   - the Merkle tree recomputed from the events equals the stored tree files
//     and the root of every stored checkpoint and every witnessed checkpoint
//   - every checkpoint's signature, origin and link to the previous checkpoint
//   - the projection (records.db) equals a replay of the events it says it
//     applied; events after those (what a crash between the ledger's write
//     and records.db's commit leaves, and a forged append too) are checked as
//     events: a note when a checkpoint signs them, else a problem (nothing
//     vouches for them)
//
// Verify reads only. What a crash leaves for the next open to repair is a
// note: lines at the end that are not JSON at all, tree entries past the
// durable size. Events after the latest checkpoint are noted as covered by no
// signature (a problem with `require_signed`).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/signed_note.h"
#include "core/status.h"
#include "ledger/projector.h"
#include "storage/log_store.h"
#include "storage/projection_store.h"

namespace vellum::ledger {

struct VerifyInputs {
  const storage::LogStore* log = nullptr;
  storage::ProjectionStore* projection = nullptr;
  Projector* projector = nullptr;
  core::NoteVerifier ledger_key;  // from keys/ledger.pub
  std::string origin;
  // Witness files: signed checkpoints kept elsewhere (AT-5).
  std::vector<std::string> witness_notes_files;
  // Trusted key for witness checkpoints (default: ledger_key).
  std::optional<core::NoteVerifier> witness_key;
  core::Env* env = nullptr;
  size_t max_problems = 200;
  // false: the ledger files only (events, chain, tree, checkpoints, witnesses),
  // without comparing records.db with a replay; for measuring that part alone.
  bool check_projection = true;
  // true: events that no stored checkpoint covers are a problem, not a note.
  bool require_signed = false;
  // For a progress line on a long verify: told, in order, how many events are
  // checked of those the log holds, each time `progress_interval_ms` have passed
  // since it was last told, and once when the scan of the events ends.
  std::function<void(uint64_t checked, uint64_t total)> progress;
  int progress_interval_ms = 1000;
};

struct VerifyProblem {
  std::string area;  // "event", "chain", "tree", "checkpoint", "witness", "projection", "keys"
  std::optional<uint64_t> seq;
  std::string location;  // file[:offset] where known
  std::string message;
};

struct VerifyReport {
  uint64_t events = 0;
  uint64_t bytes = 0;
  uint64_t checkpoints = 0;
  uint64_t witness_checkpoints = 0;
  core::Hash root{};
  // The largest tree size a stored checkpoint with a valid signature commits to.
  uint64_t signed_size = 0;
  // Events records.db says it has applied (compared with their replay).
  uint64_t applied = 0;
  std::vector<VerifyProblem> problems;
  uint64_t problems_not_listed = 0;
  // What is worth knowing but is no problem: crash remnants found as they are,
  // events covered by no signature yet.
  std::vector<std::string> notes;
  bool ok() const { return problems.empty() && problems_not_listed == 0; }
};

// Errors only when verification itself cannot run (unreadable files are
// problems, not errors).
StatusOr<VerifyReport> Verify(const VerifyInputs& in);

// One sentence on what records.db's recovery note says a recovery did that no
// system.recovered event records yet (verify's note, also `vellum status`).
std::string DescribeRecoveryNote(const storage::RecoveryNote& note);

}  // namespace vellum::ledger
