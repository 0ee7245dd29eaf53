// Signed checkpoints of the ledger (AT-5): made every N events or T seconds
// and on demand, stored, and appended to witness files.
#include "ledger/ledger_impl.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/signed_note.h"
#include "ledger/checkpoint.h"

namespace vellum::ledger {

bool Ledger::Impl::CheckpointDue() {
  if (!HaltStatus().ok()) return false;  // refused anyway; no warning per batch
  uint64_t size = tree.size();
  if (size == last_checkpoint_size) return false;
  if (size - last_checkpoint_size >= options.checkpoint_every_events) return true;
  return deps.clock->NowMicros() - last_checkpoint_time >= options.checkpoint_every_micros;
}

StatusOr<storage::StoredCheckpoint> Ledger::Impl::Checkpoint() {
  // Never sign a tree that failed its checks or was built under a bad clock.
  RETURN_IF_ERROR(HaltStatus());
  uint64_t size = tree.size();
  if (size == last_checkpoint_size && last_checkpoint_hash) {
    ASSIGN_OR_RETURN(auto latest, deps.log->LatestCheckpoint());
    if (latest) return *latest;
  }
  RETURN_IF_ERROR(deps.log->SyncTree(size));
  ledger::Checkpoint cp;
  cp.origin = options.origin;
  cp.size = size;
  cp.root = tree.Root();
  cp.time_micros = std::max({deps.clock->NowMicros(), last_ts, last_checkpoint_time});
  cp.prev = last_checkpoint_hash;
  ASSIGN_OR_RETURN(std::string note, SignCheckpoint(cp, *deps.signer));
  RETURN_IF_ERROR(deps.log->PutCheckpoint(size, note));
  last_checkpoint_size = size;
  last_checkpoint_time = *cp.time_micros;
  last_checkpoint_hash = CheckpointNoteHash(note);
  Status witness_status;
  for (const auto& w : options.witness_files) {
    Status s = AppendToWitness(w, note);
    if (!s.ok()) {
      Warn("could not append the checkpoint to witness file " + w + ": " + s.message());
      witness_status = s;
    }
  }
  RETURN_IF_ERROR(witness_status);
  ASSIGN_OR_RETURN(auto latest, deps.log->LatestCheckpoint());
  if (!latest) return InternalError("checkpoint vanished after being stored");
  return *latest;
}

Status Ledger::Impl::AppendToWitness(const std::string& path, const std::string& note) {
  // Notes are appended back to back; SplitNotes separates them again. An append cut
  // short (a crash, a full disk) leaves part of a note at the end, which would swallow
  // the next note appended after it and make the whole file unreadable as notes: it
  // is cut off first (it was never a note), and a failed append is undone.
  uint64_t size = 0;
  if (deps.env->Exists(path)) {
    ASSIGN_OR_RETURN(size, deps.env->FileSize(path));
  }
  if (size > 0) {
    ASSIGN_OR_RETURN(auto r, deps.env->OpenRandomAccess(path));
    std::string tail;
    const uint64_t from = size > 4096 ? size - 4096 : 0;
    RETURN_IF_ERROR(r->Read(from, static_cast<size_t>(size - from), &tail));
    if (!EndsWithSignatureLine(tail)) {
      ASSIGN_OR_RETURN(std::string all, deps.env->ReadFile(path));
      const uint64_t whole = WholeNotesLength(all);
      // Only what one interrupted append can leave is cut (less than a note; twice
      // this one's size allows for notes of other sizes): more is someone else's
      // doing, which a person must look at (nothing is cut, nothing appended).
      if (size - whole > 2 * note.size()) {
        return DataLossError(fmt::format(
            "the witness file {} does not end in whole notes: {} bytes after its last whole note, more than an "
            "interrupted append leaves; the checkpoint was not appended to it",
            path, size - whole));
      }
      RETURN_IF_ERROR(deps.env->Truncate(path, whole));
      Warn(fmt::format("witness file {}: removed {} bytes at its end that were no whole note (an append cut short)",
                       path, size - whole));
      size = whole;
    }
  }
  ASSIGN_OR_RETURN(auto f, deps.env->OpenAppendable(path));
  Status s = f->Append(note);
  if (s.ok()) s = f->Sync();
  if (s.ok()) s = f->Close();
  if (!s.ok()) {
    f.reset();
    deps.env->Truncate(path, size).IgnoreError();  // best effort; the next append repairs it otherwise
    return s;
  }
  // A witness file created just now exists durably only once its directory is synced.
  size_t slash = path.rfind('/');
  return deps.env->SyncDir(slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash)));
}

Status Ledger::Impl::LoadLastCheckpoint() {
  ASSIGN_OR_RETURN(auto latest, deps.log->LatestCheckpoint());
  if (!latest) return OkStatus();
  core::NoteVerifier verifier = core::MakeNoteVerifier(deps.signer->name, deps.signer->key.public_key());
  auto cp = OpenCheckpoint(latest->note, verifier, options.origin);
  if (!cp.ok()) {
    report.damage.push_back(fmt::format("{}: {}", latest->name, cp.status().message()));
    return OkStatus();
  }
  last_checkpoint_size = cp->size;
  last_checkpoint_time = cp->time_micros.value_or(0);
  last_checkpoint_hash = CheckpointNoteHash(latest->note);
  return OkStatus();
}

}  // namespace vellum::ledger
