// The sequencer: commands become sequenced, chained events in group-commit
// batches, appended and made durable (docs/architecture.md, "Write path").
#include "ledger/ledger_impl.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/clock.h"
#include "core/json.h"
#include "ledger/poll_briefly.h"
#include "ledger/projector.h"

namespace vellum::ledger {

StatusOr<int64_t> Ledger::Impl::NextTimestamp() {
  int64_t now = deps.clock->NowMicros();
  last_observed = now;
  if (now + options.clock_tolerance_micros < last_ts) {
    return FailedPreconditionError(fmt::format(
        "the clock moved back by {:.6f} s (now {}, last event {}; tolerance {:.6f} s)",
        static_cast<double>(last_ts - now) / 1e6, core::FormatTimestamp(now),
        core::FormatTimestamp(last_ts), static_cast<double>(options.clock_tolerance_micros) / 1e6));
  }
  return std::max(now, last_ts);
}

Event Ledger::Impl::ClockAnomalyEvent(const Status& why) {
  const int64_t now = last_observed;  // the reading that failed, not a new one
  Event e;
  e.type = "security.clock_anomaly";
  e.actor = SystemActor();
  e.ts = last_ts;  // never earlier than the last event: order stays intact
  e.data["observed"] = core::FormatTimestamp(now);
  e.data["last_event"] = core::FormatTimestamp(last_ts);
  e.data["backward_us"] = last_ts - now;
  e.data["tolerance_us"] = options.clock_tolerance_micros;
  e.data["action"] = "writes stopped";
  e.data["detail"] = why.message();
  return e;
}

StatusOr<std::string> Ledger::Impl::Seal(Event& e, const EncodedActor* actor) {
  e.seq = next_seq;
  e.id = event_ids.Next();
  if (next_seq > 0) e.prev = last_leaf;
  ASSIGN_OR_RETURN(std::string line, actor ? EncodeEvent(e, *actor) : EncodeEvent(e));
  if (line.size() > options.max_event_bytes) {
    return ResourceExhaustedError(fmt::format("event of {} bytes exceeds the limit of {} bytes",
                                              line.size(), options.max_event_bytes));
  }
  return line;
}

void Ledger::Impl::RunCommand(Request& req, std::vector<std::string>& lines, std::vector<core::Hash>& leaves,
                              bool& anomaly) {
  // The commands of one call share their actor: encoded once for all.
  if (encoded_actor_for != req.actor) {
    auto a = EncodedActor::Encode(*req.actor);
    if (!a.ok()) {
      req.status = a.status();
      return;
    }
    encoded_actor = std::move(*a);
    encoded_actor_for = req.actor;
  }
  // Rows go straight into the open batch (copying them there afterwards
  // cost as much as capturing them) and are rolled back if the command fails.
  RowSet& open_rows = pending->open_rows();
  const RowSet::Mark rows_mark = open_rows.mark();
  CapturingTxn capture(pending.get(), &open_rows);
  auto drafts = req.decide(capture);
  if (!drafts.ok()) {
    open_rows.RollbackTo(rows_mark);  // deciders only read; kept in step all the same
    req.status = drafts.status();
    return;
  }
  const uint64_t start_seq = next_seq;
  const int64_t start_ts = last_ts;
  const core::Hash start_leaf = last_leaf;
  // Lines and leaves go straight into the batch's (lines[i] has leaves[i]),
  // and are cut back if the command fails.
  const size_t lines_mark = lines.size();
  auto fail = [&](Status s) {
    open_rows.RollbackTo(rows_mark);
    next_seq = start_seq;
    last_ts = start_ts;
    last_leaf = start_leaf;
    lines.resize(lines_mark);
    leaves.resize(lines_mark);
    req.events.clear();
    req.status = std::move(s);
  };
  req.events.reserve(drafts->size());
  for (auto& d : *drafts) {
    auto ts = NextTimestamp();
    if (!ts.ok()) {
      fail(ts.status());
      anomaly = true;
      return;
    }
    Event e;
    e.type = std::move(d.type);
    e.actor = *req.actor;
    e.record = std::move(d.record);
    e.changes = std::move(d.changes);
    e.reason = std::move(d.reason);
    e.guideline = std::move(d.guideline);
    e.data = std::move(d.data);
    e.content = std::move(d.content);
    e.changes_text = std::move(d.changes_text);
    e.ts = *ts;
    auto line = Seal(e, &*encoded_actor);
    if (!line.ok()) return fail(line.status());
    core::Hash leaf = LeafHash(*line);
    Status s = capture.PutEvent(IndexRowFor(e, leaf));
    if (s.ok()) s = deps.projector->Apply(e, capture);
    if (!s.ok()) return fail(s);
    last_ts = e.ts;
    last_leaf = leaf;
    ++next_seq;
    lines.push_back(std::move(*line));
    leaves.push_back(leaf);
    req.events.push_back(std::move(e));
  }
}

Status Ledger::Impl::AppendSystemEvent(Event e, std::vector<std::string>& lines, std::vector<core::Hash>& leaves) {
  ASSIGN_OR_RETURN(std::string line, Seal(e));
  core::Hash leaf = LeafHash(line);
  CapturingTxn capture(pending.get());
  RETURN_IF_ERROR(capture.PutEvent(IndexRowFor(e, leaf)));
  RETURN_IF_ERROR(deps.projector->Apply(e, capture));
  last_ts = e.ts;
  last_leaf = leaf;
  ++next_seq;
  pending->Add(std::move(capture.rows()));
  lines.push_back(std::move(line));
  leaves.push_back(leaf);
  return OkStatus();
}

Status Ledger::Impl::ClockHaltStatus(const Status& why, uint64_t seq) {
  return FailedPreconditionError(fmt::format(
      "writes are stopped: {}; a security event was recorded at seq {}. Correct the clock and restart Vellum",
      why.message(), seq));
}

Status Ledger::Impl::RecordClockAnomaly(const Status& why, std::vector<std::string>& lines,
                                        std::vector<core::Hash>& leaves) {
  const uint64_t seq = next_seq;
  Status s = AppendSystemEvent(ClockAnomalyEvent(why), lines, leaves);
  Halt(s.ok() ? ClockHaltStatus(why, seq) : s);
  return HaltStatus();
}

std::optional<Batch> Ledger::Impl::RecordClockAnomalyAgain(const Status& why, const Status& failure,
                                                           const std::vector<Request*>& told) {
  std::vector<std::string> lines;
  std::vector<core::Hash> leaves;
  const uint64_t seq = next_seq;
  const int64_t ts = last_ts;
  const core::Hash leaf = last_leaf;
  Status s = failure.code() == StatusCode::kDataLoss ? failure
                                                      : AppendSystemEvent(ClockAnomalyEvent(why), lines, leaves);
  Batch batch;
  batch.rows = pending->Seal();
  batch.end_seq = next_seq;
  if (s.ok()) s = deps.log->AppendEvents(lines);
  std::optional<Batch> stored;
  if (s.ok()) {
    Status tree = AppendTreeNodes(leaves);
    if (!tree.ok()) Warn("updating the Merkle tree files: " + tree.ToString());
    batch.durability = std::make_shared<Durability>();
    batch.durability->Set(true);
    stored = std::move(batch);
    ReplaceHalt(ClockHaltStatus(why, seq));
  } else {
    next_seq = seq;
    last_ts = ts;
    last_leaf = leaf;
    pending->Drop(batch.rows);
    Warn("the clock-anomaly security event could not be stored: " + s.ToString());
    ReplaceHalt(FailedPreconditionError(fmt::format(
        "writes are stopped: {}; the security event recording this could not be stored ({}). Correct the "
        "clock and the storage, then restart Vellum",
        why.message(), s.message())));
  }
  for (Request* r : told) r->status = HaltStatus();
  return stored;
}

Status Ledger::Impl::RecordStartIfChanged(std::vector<std::string>& lines, std::vector<core::Hash>& leaves) {
  auto clock_json = core::ParseJson(deps.clock->DescribeJson());
  if (!clock_json.ok() || !clock_json->is_object()) return OkStatus();
  boost::json::object clock = clock_json->get_object();
  boost::json::object software{{"name", "vellum"}, {"version", options.software_version}};
  std::optional<uint64_t> last;
  RETURN_IF_ERROR(deps.projection->QueryEvents(
      [] { storage::EventQuery q; q.type = "system.started"; return q; }(), [&](uint64_t seq) {
        last = seq;
        return true;
      }));
  ASSIGN_OR_RETURN(std::string line, deps.log->ReadEvent(last.value_or(0)));
  ASSIGN_OR_RETURN(Event before, DecodeEvent(line));
  auto same = [&](std::string_view section, std::initializer_list<std::string_view> keys,
                  const boost::json::object& now) {
    const auto* old = before.data.if_contains(section);
    if (old == nullptr || !old->is_object()) return false;
    for (auto k : keys) {
      const auto* a = old->get_object().if_contains(k);
      const auto* b = now.if_contains(k);
      if ((a == nullptr) != (b == nullptr) || (a && !(*a == *b))) return false;
    }
    return true;
  };
  if (same("clock", {"source", "synchronized"}, clock) && same("software", {"name", "version"}, software)) {
    return OkStatus();
  }
  ASSIGN_OR_RETURN(int64_t ts, NextTimestamp());
  Event e;
  e.type = "system.started";
  e.actor = SystemActor();
  e.ts = ts;
  e.data["clock"] = std::move(clock);
  e.data["software"] = std::move(software);
  return AppendSystemEvent(std::move(e), lines, leaves);
}

void Ledger::Impl::SequencerLoop() {
  std::unique_ptr<Sequenced> appending;  // its append runs on append_thread
  auto settle_appending = [&](Sequenced* next) {
    Status appended = append_thread->Wait();
    Settle(*appending, appended, next);
    appending.reset();
  };
  for (;;) {
    std::vector<std::shared_ptr<Request>> reqs;
    if (!appending) PollBriefly([&] { return queued.load(std::memory_order_relaxed) > 0; });
    {
      std::unique_lock lock(mu);
      if (appending && queue.empty()) {
        lock.unlock();
        settle_appending(nullptr);
        continue;
      }
      cv.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty() && stopping) break;
      while (!queue.empty() && reqs.size() < options.max_batch_events) {
        reqs.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      queued = queue.size();
    }
    // Sequenced on top of a running append only when that append's failure
    // would leave nothing else to undo: not while writes are stopped (a clock
    // anomaly's refusals and its event), not before this process's start is
    // recorded (which reads the log).
    if (appending && (!HaltStatus().ok() || !start_recorded)) settle_appending(nullptr);
    std::unique_ptr<Sequenced> next = Sequence(std::move(reqs));
    if (appending) settle_appending(next.get());
    if (next->abandoned) continue;
    // Appended on the append thread only when the batch is large and more
    // commands are waiting: a small batch would pay a thread's wake-up on top
    // of its sync (eight one-event callers lost 9 % of their events/s so).
    const bool overlap = next->early && queued.load(std::memory_order_relaxed) > 0;
    Launch(*next, overlap);
    if (overlap) appending = std::move(next);
  }
  if (appending) settle_appending(nullptr);
  std::lock_guard lock(batch_mu);
  batches_closed = true;
  batch_cv.notify_all();
}

std::unique_ptr<Ledger::Impl::Sequenced> Ledger::Impl::Sequence(std::vector<std::shared_ptr<Request>> reqs) {
  auto s = std::make_unique<Sequenced>();
  s->start_seq = next_seq;
  s->start_ts = last_ts;
  s->start_leaf = last_leaf;
  s->start_was_recorded = start_recorded;
  // Rows committed before now are visible to the read transaction that the
  // batch's first lookup starts.
  pending->EraseBelow(projected.load(std::memory_order_acquire));
  Status reads = pending->BeginReads();
  if (!reads.ok()) Warn("could not start a read transaction: " + reads.ToString());
  for (auto& r : reqs) {
    if (r->kind == Request::Kind::kCheckpoint) {
      s->checkpoints.push_back(r);
      continue;
    }
    Status h = HaltStatus();
    if (!h.ok()) {
      r->status = h;
      if (s->anomaly) s->told_halted.push_back(r.get());
      continue;
    }
    // The genesis event records the start of the process that creates the ledger.
    if (!start_recorded && next_seq > 0) {
      start_recorded = true;
      Status st = RecordStartIfChanged(s->lines, s->leaves);
      if (!st.ok()) Warn("could not record the start of this process: " + st.ToString());
    }
    bool clock_moved_back = false;
    RunCommand(*r, s->lines, s->leaves, clock_moved_back);
    if (clock_moved_back) {
      s->anomaly = r->status;
      r->status = RecordClockAnomaly(*s->anomaly, s->lines, s->leaves);
      s->told_halted.push_back(r.get());
    }
  }
  if (reads.ok()) {
    // A read transaction left open would hide later commits from the next
    // batches' lookups: refuse writes rather than decide on a stale view.
    reads = pending->EndReads();
    if (!reads.ok()) Halt(reads.WithContext("ending a read transaction of records.db"));
  }
  // A large batch goes to the projection thread before its append, so that
  // its rows are written to records.db while the events are synced; they are
  // committed (and the calls answered) only once the events are durable. A
  // small one goes after: handing it over early made a lone call slower
  // (the projection thread then waits on the sync instead of polling for work).
  constexpr size_t kEarlyHandOverEvents = 64;
  s->early = s->lines.size() >= kEarlyHandOverEvents;
  s->batch.rows = pending->Seal();
  s->batch.end_seq = next_seq;
  if (!s->lines.empty()) s->batch.durability = std::make_shared<Durability>();
  s->durability = s->batch.durability;
  s->rows = s->batch.rows;
  // Moved, not copied: once the projection thread lets go of a command, its
  // caller must hold the last reference (see ApplierLoop). The projection
  // thread does not let go before the durability is set, after the last use
  // of `commands` (see Settle).
  for (auto& r : reqs) {
    if (r->kind != Request::Kind::kCommand) continue;
    s->commands.push_back(r.get());
    s->batch.requests.push_back(std::move(r));
  }
  return s;
}

void Ledger::Impl::Launch(Sequenced& s, bool overlap) {
  if (s.early) HandOver(std::move(s.batch));
  if (!s.durability) return Settle(s, OkStatus(), nullptr);
  if (overlap) {
    append_thread->Start([this, &s] { return Append(s); });
    return;
  }
  Status appended = Append(s);
  Settle(s, appended, nullptr);
}

Status Ledger::Impl::Append(Sequenced& s) {
  RETURN_IF_ERROR(deps.log->AppendEvents(s.lines));
  Status tree_status = AppendTreeNodes(s.leaves);
  if (!tree_status.ok()) Halt(tree_status.WithContext("updating the Merkle tree files"));
  // After the tree: an answered call's events are in Size() and the proofs.
  s.durability->Set(true);
  return OkStatus();
}

void Ledger::Impl::Settle(Sequenced& s, const Status& appended, Sequenced* next) {
  std::optional<Batch> anomaly_again;
  if (!appended.ok()) {
    next_seq = s.start_seq;
    last_ts = s.start_ts;
    last_leaf = s.start_leaf;
    // A system.started event this batch carried is gone with it: the next write records it.
    start_recorded = s.start_was_recorded;
    pending->Drop(s.rows);
    for (Request* r : s.commands) {
      if (r->status.ok()) Fail(*r, appended);
    }
    if (appended.code() == StatusCode::kDataLoss) Halt(appended);
    if (next) {
      pending->Drop(next->rows);
      // Refusals too: they may rest on rows of `s`. Those refused with
      // next's clock anomaly are told by RecordClockAnomalyAgain below.
      for (Request* r : next->commands) {
        if (std::find(next->told_halted.begin(), next->told_halted.end(), r) == next->told_halted.end()) {
          Fail(*r, appended);
        }
      }
      next->abandoned = true;
    }
    // Before any call of these batches is answered (on the projection
    // thread, once the durability is set), so that the refused ones learn
    // the outcome. Only one of them can hold an anomaly: a batch is not
    // sequenced on top of a running append while writes are stopped.
    const Sequenced* with_anomaly = s.anomaly ? &s : (next && next->anomaly ? next : nullptr);
    if (with_anomaly) {
      anomaly_again = RecordClockAnomalyAgain(*with_anomaly->anomaly, appended, with_anomaly->told_halted);
    }
    s.durability->Set(false);
    if (next && next->durability) next->durability->Set(false);
  }
  if (!s.early) HandOver(std::move(s.batch));
  if (anomaly_again) HandOver(std::move(*anomaly_again));
  if (next && next->abandoned) HandOver(std::move(next->batch));
  if (CheckpointDue()) {
    auto cp = Checkpoint();
    if (!cp.ok()) Warn("periodic checkpoint failed: " + cp.status().ToString());
  }
  for (auto& r : s.checkpoints) r->checkpoint_done->set_value(Checkpoint());
  if (next && next->abandoned) {
    for (auto& r : next->checkpoints) r->checkpoint_done->set_value(Checkpoint());
  }
}

void Ledger::Impl::Fail(Request& r, const Status& why) {
  r.status = why;
  r.events.clear();
}

void Ledger::Impl::HandOver(Batch batch) {
  {
    std::lock_guard lock(batch_mu);
    batches.push_back(std::move(batch));
    batches_queued = batches.size();
  }
  batch_cv.notify_one();
}

Status Ledger::Impl::AppendTreeNodes(const std::vector<core::Hash>& leaves) {
  std::vector<storage::TreeNode> nodes;
  nodes.reserve(leaves.size() * 2 + 64);
  for (const auto& leaf : leaves) {
    tree.Append(leaf, [&](int level, uint64_t index, const core::Hash& h) {
      nodes.push_back({level, index, h});
    });
  }
  RETURN_IF_ERROR(deps.log->AppendNodes(nodes));
  tree_size = tree.size();
  return OkStatus();
}

}  // namespace vellum::ledger
