// Opening after a crash: what it may have left behind is repaired, anything
// else is reported as damage (SR-2).
#include "ledger/ledger_impl.h"

#include <fmt/format.h>

#include <algorithm>

#include "ledger/projector.h"
#include "ledger/stored_run.h"

namespace vellum::ledger {

namespace {

constexpr size_t kRecoveryChunk = 4096;

// records.db's recovery note, unless it contradicts records.db (then damage).
StatusOr<std::optional<storage::RecoveryNote>> ReadRecoveryNote(storage::ProjectionStore& projection,
                                                               uint64_t applied, std::vector<std::string>* damage) {
  auto read = projection.UnrecordedRecovery();
  if (!read.ok()) {
    damage->push_back(read.status().message());
    return std::optional<storage::RecoveryNote>();
  }
  if (!*read) return read;
  const storage::RecoveryNote& note = **read;
  if (note.RecordedFrom() > applied) {
    damage->push_back(fmt::format("records.db's recovery note names events up to {}, which it has not applied",
                                  note.RecordedFrom() - 1));
    return std::optional<storage::RecoveryNote>();
  }
  // A system.recovered event applied after what the note names would have removed it.
  storage::EventQuery later;
  later.type = std::string(kRecoveredEventType);
  later.from_seq = note.RecordedFrom();
  later.limit = 1;
  std::optional<uint64_t> recorded_at;
  RETURN_IF_ERROR(projection.QueryEvents(later, [&](uint64_t seq) {
    recorded_at = seq;
    return false;
  }));
  if (recorded_at) {
    damage->push_back(fmt::format(
        "records.db holds a recovery note that the system.recovered event {} after it would have removed",
        *recorded_at));
    return std::optional<storage::RecoveryNote>();
  }
  return read;
}

// The earlier note with its cut counted as made unless the ledger is still as
// it was before it (same lines, same incomplete last line): then this open
// finds that cut again and makes it itself.
storage::RecoveryNote WhatWasDone(storage::RecoveryNote note, uint64_t lines_now, uint64_t torn_now) {
  if (note.cut_events != 0 && !(lines_now == note.cut_events && torn_now == note.cut_bytes)) {
    note.lines_removed += note.cut_lines;
    note.bytes_removed += note.cut_bytes;
  }
  note.cut_events = note.cut_lines = note.cut_bytes = 0;
  return note;
}

// records.db's commits are made durable while it holds a recovery note, until
// the system.recovered event has removed it (Ledger::Open): a records.db a power
// cut could damage meanwhile would be rebuilt without the note. The commit that
// notes a cut is then durable before the cut is made.
Status MakeCommitsDurable(storage::ProjectionStore& projection, bool* made_durable) {
  if (*made_durable) return OkStatus();
  RETURN_IF_ERROR(projection.SetDurableCommits(true));
  *made_durable = true;
  return OkStatus();
}

// The rows recovery applies and its note, in one durable commit.
Status CommitWithNote(storage::ProjectionStore& projection, const RowSet& rows, const storage::RecoveryNote& note,
                      uint64_t applied, bool* made_durable) {
  RETURN_IF_ERROR(MakeCommitsDurable(projection, made_durable));
  ASSIGN_OR_RETURN(auto txn, projection.BeginWrite());
  RETURN_IF_ERROR(WriteRows(rows, *txn));
  RETURN_IF_ERROR(txn->SetUnrecordedRecovery(note));
  return txn->Commit(applied);
}

}  // namespace

std::string Ledger::Impl::PrevField(std::optional<core::Hash> prev_leaf) {
  return prev_leaf ? "\"prev\":\"" + core::HashToTagged(*prev_leaf) + "\"" : std::string("\"prev\":null");
}

Status Ledger::Impl::Recover() {
  storage::LogStore& log = *deps.log;
  ASSIGN_OR_RETURN(uint64_t applied, deps.projection->AppliedCount());
  uint64_t count = log.EventCount();
  if (applied > count) {
    report.damage.push_back(fmt::format(
        "records.db reflects {} events but the ledger holds only {}: events were removed from the "
        "end of the ledger", applied, count));
  }
  // What an earlier open's recovery did and could not record before the
  // process ended; the ledger as it is before this open cuts anything.
  ASSIGN_OR_RETURN(std::optional<storage::RecoveryNote> unrecorded,
                   ReadRecoveryNote(*deps.projection, std::min(applied, count), &report.damage));
  if (unrecorded) RETURN_IF_ERROR(MakeCommitsDurable(*deps.projection, &projection_durable));
  const uint64_t lines_before = count;
  const uint64_t torn_before = log.TornTailBytes();
  RETURN_IF_ERROR(LoadLastCheckpoint());
  if (last_checkpoint_size > count) {
    report.damage.push_back(fmt::format("the latest checkpoint commits to {} events but the ledger holds only {}",
                                        last_checkpoint_size, count));
  }
  const uint64_t from = std::min(applied, count);
  const uint64_t check_from = std::min(last_checkpoint_size, from);
  std::optional<core::Hash> prev_leaf;
  int64_t prev_ts = 0;
  if (check_from > 0) {
    ASSIGN_OR_RETURN(std::string line, log.ReadEvent(check_from - 1));
    prev_leaf = LeafHash(line);
    auto ev = DecodeEvent(line);
    if (ev.ok()) prev_ts = ev->ts;
    else report.damage.push_back(fmt::format("event {}: {}", check_from - 1, ev.status().message()));
  }
  std::vector<Event> tail;
  std::vector<core::Hash> tail_leaves;
  if (count > check_from) {
    ASSIGN_OR_RETURN(auto reader, deps.projection->BeginRead(true));
    auto cursor = log.Scan(check_from);
    std::optional<uint64_t> cut_at;
    // Step 2 reads the indexed events by runs of kRecoveryChunk: one
    // ordered scan each instead of a lookup per event.
    StoredRun indexed(*reader, StoredRun::Tables::kEventsOnly);
    uint64_t indexed_to = check_from;
    while (cursor->Next() && report.damage.empty()) {
      const uint64_t seq = cursor->seq();
      const std::string_view line = cursor->line();
      const core::Hash leaf = LeafHash(line);
      if (seq < from) {
        // Step 2: cheap checks, the full ones are `vellum verify`'s.
        if (seq >= indexed_to) {
          indexed_to = std::min<uint64_t>(seq + kRecoveryChunk, from);
          indexed.Read(seq, indexed_to);
        }
        ASSIGN_OR_RETURN(const storage::EventIndexRow* row, indexed.Event(seq));
        if (line.find(PrevField(prev_leaf)) == std::string_view::npos) {
          report.damage.push_back(fmt::format("event {} does not chain to event {}: the ledger was edited", seq,
                                              seq - 1));
        } else if (!row || row->leaf_hash != leaf) {
          report.damage.push_back(fmt::format(
              "event {} differs from the event applied to records.db: the ledger was edited", seq));
        }
      } else {
        // Step 1.
        auto ev = DecodeEventForReplay(line);
        if (!ev.ok()) {
          // A checkpoint is signed only over durable events, so a torn write
          // lies past the latest one; a line it signs was damaged since.
          if (IsNotJsonAtAll(line) && seq >= last_checkpoint_size) {
            cut_at = seq;
            break;
          }
          report.damage.push_back(fmt::format("event {}: {}", seq, ev.status().message()));
        } else if (ev->seq != seq || ev->prev != prev_leaf || (seq > 0 && ev->ts < prev_ts)) {
          report.damage.push_back(fmt::format(
              "event {} does not continue the ledger (its seq, prev or time is wrong): an event was added or "
              "copied to the end", seq));
        } else {
          prev_ts = ev->ts;
          tail.push_back(std::move(*ev));
          tail_leaves.push_back(leaf);
        }
      }
      prev_leaf = leaf;
    }
    RETURN_IF_ERROR(cursor->status());
    if (cut_at && report.damage.empty()) {
      report.invalid_tail_events_removed = count - *cut_at;
      count = *cut_at;
    }
  }
  // Step 5 before the cuts: the events records.db lacks are applied, and the
  // note of what this recovery does committed with them, durably when a cut
  // follows (the cut is durable at once), so that the system.recovered event a
  // crash keeps from the ledger is still recorded by the next open.
  if (report.damage.empty()) {
    CapturingTxn capture(live_reader.get());
    for (size_t i = 0; i < tail.size(); ++i) {
      RETURN_IF_ERROR(capture.PutEvent(IndexRowFor(tail[i], tail_leaves[i])));
      Status s = deps.projector->Apply(tail[i], capture);
      if (!s.ok()) {
        report.damage.push_back(fmt::format("event {} cannot be applied: {}", tail[i].seq, s.message()));
        return OkStatus();
      }
    }
    // A system.recovered event among the applied ones recorded the earlier
    // note (WriteRows removes it); otherwise its cut was made or not, which
    // the ledger as it is now tells.
    if (std::any_of(tail.begin(), tail.end(), [](const Event& e) { return e.type == kRecoveredEventType; })) {
      unrecorded.reset();
    }
    if (unrecorded) unrecorded = WhatWasDone(*unrecorded, lines_before, torn_before);
    if (unrecorded && *unrecorded == storage::RecoveryNote{}) unrecorded.reset();  // its cut, made again below
    const uint64_t cut_lines = report.invalid_tail_events_removed;
    const uint64_t cut_bytes = torn_before;  // nothing was cut since
    if (count > applied || cut_lines > 0 || cut_bytes > 0) {
      storage::RecoveryNote note = unrecorded.value_or(storage::RecoveryNote{});
      if (count > applied) {
        const bool adjoins = note.applied && note.applied->last_seq + 1 == applied;
        note.applied = storage::RecoveredRange{adjoins ? note.applied->first_seq : applied, count - 1};
      }
      if (cut_lines > 0 || cut_bytes > 0) {
        note.cut_events = lines_before;
        note.cut_lines = cut_lines;
        note.cut_bytes = cut_bytes;
      }
      RETURN_IF_ERROR(CommitWithNote(*deps.projection, capture.rows(), note, count, &projection_durable));
    }
    if (count > applied) {
      report.events_reapplied = count - applied;
      report.reapplied_from = applied;
    }
    // Cuts the unacknowledged tail, and an incomplete line a torn write left
    // after the last event: only now, when nothing worse was found (a cut made
    // by an attacker looks the same, and is then kept as evidence).
    RETURN_IF_ERROR(log.TruncateEvents(count));
    report.torn_tail_bytes = cut_bytes;
    report.earlier_unrecorded = unrecorded;
  }
  // Step 3: rebuild the tree past its durable size.
  uint64_t synced = log.TreeSyncedSize();
  auto resumed = TreeBuilder::Resume(store_tree, synced);
  if (!resumed.ok()) {
    report.damage.push_back("the Merkle tree files are damaged: " + resumed.status().message());
    return OkStatus();
  }
  tree = std::move(*resumed);
  if (count > synced) {
    auto cursor = log.Scan(synced);
    std::vector<core::Hash> chunk;
    while (cursor->Next()) {
      chunk.push_back(LeafHash(cursor->line()));
      if (chunk.size() == kRecoveryChunk) {
        RETURN_IF_ERROR(AppendTreeNodes(chunk));
        chunk.clear();
      }
    }
    RETURN_IF_ERROR(cursor->status());
    RETURN_IF_ERROR(AppendTreeNodes(chunk));
    report.tree_leaves_rebuilt = count - synced;
  }
  tree_size = tree.size();
  next_seq = count;
  if (count > 0) {
    ASSIGN_OR_RETURN(std::string line, log.ReadEvent(count - 1));
    last_leaf = LeafHash(line);
    auto ev = DecodeEvent(line);
    if (ev.ok()) last_ts = ev->ts;
  }
  return OkStatus();
}

}  // namespace vellum::ledger
