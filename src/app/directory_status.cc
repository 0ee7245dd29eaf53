#include "app/directory_status.h"

#include <fmt/format.h>

#include <utility>

#include "app/power_cut_rebuild.h"
#include "app/read_only_directory.h"
#include "app/rebuild_records.h"
#include "app/restore_record.h"
#include "ledger/event.h"
#include "ledger/verifier.h"

namespace vellum::app {
namespace {

// The envelope of event `seq`; a line that does not read as one is left to
// verify, which names what is wrong with it.
std::optional<EventSummary> ReadSummary(const storage::LogStore& log, uint64_t seq, std::vector<std::string>* notes) {
  auto line = log.ReadEvent(seq);
  StatusOr<ledger::Event> e = line.ok() ? ledger::DecodeEventEnvelope(*line) : StatusOr<ledger::Event>(line.status());
  if (!e.ok()) {
    notes->push_back(fmt::format("event {} cannot be read ({}); `vellum verify` names what is wrong", seq,
                                 e.status().message()));
    return std::nullopt;
  }
  return EventSummary{seq, e->ts, std::move(e->type)};
}

// The latest checkpoint, its signature checked; what it says about the events after it.
Status ReadLatestCheckpoint(const ReadOnlyDirectory& d, DirectoryStatus* st) {
  ASSIGN_OR_RETURN(st->checkpoints, d.log->CheckpointCount());
  ASSIGN_OR_RETURN(std::optional<storage::StoredCheckpoint> stored, d.log->LatestCheckpoint());
  if (!stored) {
    st->unsigned_events = st->events;
    st->notes.push_back("no checkpoint is stored: no signature covers any event (`vellum init` signs the first; "
                        "`vellum verify` explains)");
    return OkStatus();
  }
  CheckpointSummary cp;
  cp.name = stored->name;
  auto opened = ledger::OpenCheckpoint(stored->note, d.ledger_key, d.config.origin);
  if (opened.ok()) {
    cp.checkpoint = std::move(*opened);
  } else {
    // What it claims is not taken on trust: only the size its file is named by.
    cp.signature_problem = opened.status().message();
    cp.checkpoint.size = stored->size;
    st->notes.push_back(fmt::format("the latest checkpoint, {}, does not verify with keys/ledger.pub ({}); "
                                    "`vellum verify` checks every checkpoint",
                                    stored->name, opened.status().message()));
  }
  if (cp.checkpoint.size > st->events) {
    st->notes.push_back(fmt::format("the latest checkpoint signs {} events, but the ledger holds {}: signed events "
                                    "are missing; `vellum verify` names them",
                                    cp.checkpoint.size, st->events));
  } else {
    st->unsigned_events = st->events - cp.checkpoint.size;
  }
  st->latest_checkpoint = std::move(cp);
  return OkStatus();
}

Status ReadProjection(const ReadOnlyDirectory& d, DirectoryStatus* st) {
  // Not the rows' totals: counting walks every page of a table, seconds for a
  // large records.db read from disk.
  // Left unsynced in an earlier boot, or away while an open rebuilds it: the
  // note of PendingRecordNotes says so.
  if (!d.projection) return OkStatus();
  ASSIGN_OR_RETURN(const uint64_t applied, d.projection->AppliedCount());
  st->applied = applied;
  if (applied < st->events) {
    st->notes.push_back(fmt::format(
        "records.db reflects {} of the {} events: the next command that opens the ledger applies the other {} "
        "(its last writer stopped before the projection caught up)",
        applied, st->events, st->events - applied));
  } else if (applied > st->events) {
    st->notes.push_back(fmt::format(
        "records.db reflects {} events, more than the {} the ledger holds: events are missing from the ledger, or "
        "records.db is another's; `vellum verify` names which",
        applied, st->events));
  }
  ASSIGN_OR_RETURN(std::optional<storage::RecoveryNote> recovered, d.projection->UnrecordedRecovery());
  if (recovered) st->notes.push_back(ledger::DescribeRecoveryNote(*recovered));
  ASSIGN_OR_RETURN(int page_bytes, d.projection->PageBytes());
  if (page_bytes < storage::SqliteProjectionStore::NewFilePageBytes()) {
    st->notes.push_back(fmt::format(
        "records.db has pages of {} bytes, as an earlier Vellum made it; `vellum rebuild-records` makes it again "
        "with {}-byte pages, on which appends cost less CPU (docs/performance.md)",
        page_bytes, storage::SqliteProjectionStore::NewFilePageBytes()));
  }
  return OkStatus();
}

}  // namespace

StatusOr<DirectoryStatus> ReadDirectoryStatus(const std::string& dir, const DirectoryStatusOptions& options) {
  core::Env* env = options.env ? options.env : core::Env::Default();
  ASSIGN_OR_RETURN(ReadOnlyDirectory d, OpenReadOnlyDirectory(env, dir, options.lock_wait_ms, options.on_lock_wait));
  DirectoryStatus st;
  st.config = d.config;
  st.ledger_key = core::FormatVerifierKey(d.ledger_key);
  st.notes = CrashRemnantNotes(d.log->recovery());
  st.events = d.log->EventCount();
  const storage::FileLogStore::SegmentTotals segments = d.log->Segments();
  st.segments = segments.segments;
  st.ledger_bytes = segments.bytes;
  if (st.events > 0) {
    st.first_event = ReadSummary(*d.log, 0, &st.notes);
    st.last_event = st.events == 1 ? st.first_event : ReadSummary(*d.log, st.events - 1, &st.notes);
  }
  RETURN_IF_ERROR(ReadLatestCheckpoint(d, &st));
  RETURN_IF_ERROR(ReadProjection(d, &st));
  for (std::string& note : PendingRecordNotes(env, dir)) st.notes.push_back(std::move(note));
  return st;
}

std::vector<std::string> PendingRecordNotes(core::Env* env, const std::string& dir) {
  std::vector<std::string> notes;
  for (const auto& pending :
       {DescribePendingRestore(env, dir), DescribePendingRebuild(env, dir), DescribeRecordsLeftUnsynced(env, dir)}) {
    notes.push_back(pending.ok() ? *pending : std::string(pending.status().message()));
    if (notes.back().empty()) notes.pop_back();
  }
  return notes;
}

}  // namespace vellum::app
