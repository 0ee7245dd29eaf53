#include "ledger/ledger.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <chrono>

#include "core/encoding.h"
#include "core/json.h"
#include "ledger/merkle.h"
#include "ledger/append_thread.h"
#include "ledger/pending_rows.h"
#include "ledger/poll_briefly.h"
#include "ledger/record_key_filter.h"
#include "ledger/stored_run.h"
#include "ledger/store_tree.h"

namespace vellum::ledger {

Actor SystemActor() {
  Actor a;
  a.id = "system";
  a.name = "Vellum";
  return a;
}

namespace {

constexpr size_t kRecoveryChunk = 4096;

// Random event ids (32 hex digits). One RAND_bytes call per event cost more
// than encoding the event, so random bytes are drawn in blocks; ids are
// public (they are in the ledger), so holding unused bytes exposes nothing.
// Not thread-safe: the sequencer owns it.
class EventIdSource {
 public:
  std::string Next() {
    if (used_ + kIdBytes > sizeof block_) Refill();
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id(2 * kIdBytes, '\0');
    for (size_t i = 0; i < kIdBytes; ++i) {
      id[2 * i] = kHex[block_[used_ + i] >> 4];
      id[2 * i + 1] = kHex[block_[used_ + i] & 0xf];
    }
    used_ += kIdBytes;
    return id;
  }

 private:
  static constexpr size_t kIdBytes = 16;
  void Refill() {
    if (RAND_bytes(block_, sizeof block_) != 1) std::abort();  // no randomness: nothing safe to do
    used_ = 0;
  }
  unsigned char block_[4096];
  size_t used_ = sizeof block_;
};

// Counts the commands of one call down to zero as the projection thread
// finishes them; the call waits for zero. (One per call: a promise per
// command allocated a shared state each.)
class Completion {
 public:
  explicit Completion(size_t commands) : left_(commands) {}
  void CountDown(size_t n) {
    std::lock_guard lock(mu_);
    left_ -= n;
    if (left_ == 0) cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return left_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t left_;
};

// One queued request for the sequencer.
struct Request {
  enum class Kind { kCommand, kCheckpoint } kind = Kind::kCommand;
  std::shared_ptr<const Actor> actor;  // shared by the commands of one call
  Decider decide;
  // A command's call waits for this (one count per command of the call); the
  // projection thread counts it down once `status` and `events` are final.
  std::shared_ptr<Completion> done;
  // kCheckpoint only (a promise allocates its state: not one per command).
  std::unique_ptr<std::promise<StatusOr<storage::StoredCheckpoint>>> checkpoint_done;
  // Filled by the sequencer.
  Status status;
  std::vector<Event> events;

  StatusOr<std::vector<Event>> TakeResult() {
    if (!status.ok()) return status;
    return std::move(events);
  }
};

// Whether a batch's events reached stable storage, known once the sequencer's
// append returns. The projection thread writes the batch's rows meanwhile and
// commits them only once they are durable.
class Durability {
 public:
  void Set(bool durable) {
    {
      std::lock_guard lock(mu_);
      durable_ = durable;
    }
    cv_.notify_all();
  }
  bool Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return durable_.has_value(); });
    return *durable_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<bool> durable_;
};

// A group commit on its way to the projection.
struct Batch {
  std::shared_ptr<const RowSet> rows;
  uint64_t end_seq = 0;  // events [.., end_seq) once durable
  // Null when the batch appends nothing. The sequencer hands a batch over
  // before its append ends only after the previous batch's append ended, so
  // at most the newest batch the projection thread holds is undecided.
  std::shared_ptr<Durability> durability;
  std::vector<std::shared_ptr<Request>> requests;
};

}  // namespace

struct Ledger::Impl {
  LedgerDeps deps;
  LedgerOptions options;
  OpenReport report;
  StoreTree store_tree{nullptr};

  // Request queue.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::shared_ptr<Request>> queue;
  std::atomic<size_t> queued{0};  // queue.size(), readable without the lock
  bool stopping = false;

  // Batches waiting for the projection thread.
  std::mutex batch_mu;
  std::condition_variable batch_cv;
  std::deque<Batch> batches;
  std::atomic<size_t> batches_queued{0};
  bool batches_closed = false;
  // Events committed to the projection (published after each commit). The
  // sequencer, not the projection thread, drops committed rows from `pending`
  // (see PendingRows::BeginReads).
  std::atomic<uint64_t> projected{0};

  std::thread sequencer;
  std::thread applier;
  std::unique_ptr<AppendThread> append_thread;  // see SequencerLoop

  // Why writes are refused (OK while they are not). Guarded by mu.
  Status halted;

  // Sequencer-thread state.
  EventIdSource event_ids;
  // The actor of the latest command, encoded (see RunCommand).
  std::shared_ptr<const Actor> encoded_actor_for;
  std::optional<EncodedActor> encoded_actor;
  uint64_t next_seq = 0;
  int64_t last_ts = 0;
  int64_t last_observed = 0;  // the clock's latest reading
  bool start_recorded = false;
  core::Hash last_leaf{};
  TreeBuilder tree;
  std::atomic<uint64_t> tree_size{0};
  uint64_t last_checkpoint_size = 0;
  int64_t last_checkpoint_time = 0;
  std::optional<core::Hash> last_checkpoint_hash;

  std::unique_ptr<storage::ProjectionReader> live_reader;
  // Every record key in the projection and in flight (see RecordKeyFilter),
  // complete once key_filter_fill has read the projection's keys.
  std::unique_ptr<RecordKeyFilter> key_filter;
  std::unique_ptr<PendingRows> pending;
  // Fills key_filter (see Start). Declared after what it uses, so that it is
  // stopped first should Stop not have run.
  std::jthread key_filter_fill;

  void Warn(const std::string& msg) {
    std::fprintf(stderr, "vellum: warning: %s\n", msg.c_str());
  }

  void Halt(Status s) {
    std::lock_guard lock(mu);
    if (halted.ok()) halted = std::move(s);
  }
  // Says more precisely why writes are stopped. REQUIRES: halted.
  void ReplaceHalt(Status s) {
    std::lock_guard lock(mu);
    halted = std::move(s);
  }
  Status HaltStatus() {
    std::lock_guard lock(mu);
    return halted;
  }

  // ---- clock (AT-6) ----

  // Time for the next event, or the anomaly that stops writes.
  StatusOr<int64_t> NextTimestamp() {
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

  Event ClockAnomalyEvent(const Status& why) {
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

  // ---- sequencing ----

  // Fills the envelope of `e` (seq, id, prev) and encodes it; `actor`, if
  // given, is e.actor already encoded.
  StatusOr<std::string> Seal(Event& e, const EncodedActor* actor = nullptr) {
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

  // Runs one command. On success its lines and rows are added to the batch and
  // the sequencer state advances; on failure nothing changes.
  void RunCommand(Request& req, std::vector<std::string>& lines, std::vector<core::Hash>& leaves, bool& anomaly) {
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

  // Appends an event the system itself causes (not a command) to the batch.
  Status AppendSystemEvent(Event e, std::vector<std::string>& lines, std::vector<core::Hash>& leaves) {
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

  static Status ClockHaltStatus(const Status& why, uint64_t seq) {
    return FailedPreconditionError(fmt::format(
        "writes are stopped: {}; a security event was recorded at seq {}. Correct the clock and restart Vellum",
        why.message(), seq));
  }

  // Appends the clock-anomaly security event to the batch and stops writes.
  // Returns the status every refused caller gets.
  Status RecordClockAnomaly(const Status& why, std::vector<std::string>& lines, std::vector<core::Hash>& leaves) {
    const uint64_t seq = next_seq;
    Status s = AppendSystemEvent(ClockAnomalyEvent(why), lines, leaves);
    Halt(s.ok() ? ClockHaltStatus(why, seq) : s);
    return HaltStatus();
  }

  // The clock-anomaly event went down with its batch, whose sync failed:
  // appends it again, alone, so that the stop of writes is on record (AT-6),
  // or else says so in what every refused caller gets (`told`, and everyone
  // after them) instead of naming a sequence number that holds nothing.
  // Returns the batch of the stored event, for the projection thread after the
  // failed one. `failure` is why the batch failed: after kDataLoss (the failed
  // append could not be undone) the log is not written again.
  std::optional<Batch> RecordClockAnomalyAgain(const Status& why, const Status& failure,
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

  // AT-6, CC-1: the clock source, its synchronisation and the software version
  // are recorded at start — in the genesis event, and again in a
  // `system.started` event by the first write of a process whenever they differ
  // from what was last recorded (so restarts do not flood the trail).
  Status RecordStartIfChanged(std::vector<std::string>& lines, std::vector<core::Hash>& leaves) {
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

  // A batch of commands sequenced (sequence numbers, times, chain, rows) whose
  // events are not stored yet: what its append needs, and what settling its
  // outcome needs.
  struct Sequenced {
    std::vector<std::string> lines;
    std::vector<core::Hash> leaves;
    // The sequencer's state before this batch, restored if its append fails.
    uint64_t start_seq = 0;
    int64_t start_ts = 0;
    core::Hash start_leaf{};
    bool start_was_recorded = false;
    std::vector<std::shared_ptr<Request>> checkpoints;
    // A clock anomaly this batch records, and the commands refused with it.
    std::optional<Status> anomaly;
    std::vector<Request*> told_halted;
    Batch batch;  // for the projection thread; moved there when handed over
    // Handed over before its append ends (see Launch).
    bool early = false;
    std::vector<Request*> commands;
    std::shared_ptr<const RowSet> rows;
    std::shared_ptr<Durability> durability;  // null when there is nothing to append
    // Failed with the batch before it, whose append failed: never appended.
    bool abandoned = false;
  };

  // The sequencer sequences the next batch while the previous one is appended
  // (written and fdatasynced) on `append_thread`: otherwise it sits idle for
  // every sync. Only one append runs at a time, and a batch is appended only
  // once the one before it is durable; should that one fail after all, the
  // batch sequenced on top of it fails with it (see Settle).
  void SequencerLoop() {
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

  // Assigns sequence numbers, times and the chain to the commands of `reqs`
  // and captures their rows; stores nothing.
  std::unique_ptr<Sequenced> Sequence(std::vector<std::shared_ptr<Request>> reqs) {
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

  // Starts storing a sequenced batch once the batch before it is settled:
  // appended here, or on append_thread if `overlap` (then Settle follows its
  // Wait). A batch with nothing to append is settled at once.
  void Launch(Sequenced& s, bool overlap) {
    if (s.early) HandOver(std::move(s.batch));
    if (!s.durability) return Settle(s, OkStatus(), nullptr);
    if (overlap) {
      append_thread->Start([this, &s] { return Append(s); });
      return;
    }
    Status appended = Append(s);
    Settle(s, appended, nullptr);
  }

  // Stores the batch's events and their tree nodes; once they are durable its
  // calls may be answered. Touches no sequencer state but the tree: it runs on
  // append_thread while the sequencer sequences the next batch.
  Status Append(Sequenced& s) {
    RETURN_IF_ERROR(deps.log->AppendEvents(s.lines));
    Status tree_status = AppendTreeNodes(s.leaves);
    if (!tree_status.ok()) Halt(tree_status.WithContext("updating the Merkle tree files"));
    // After the tree: an answered call's events are in Size() and the proofs.
    s.durability->Set(true);
    return OkStatus();
  }

  // After the append of `s` ended with `appended`. Should it have failed,
  // nothing of `s` is stored: the sequencer state goes back to before it and
  // every command in it fails; so does every command of `next`, the batch
  // sequenced on top of it (if any), whose decisions saw rows that are gone.
  void Settle(Sequenced& s, const Status& appended, Sequenced* next) {
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

  static void Fail(Request& r, const Status& why) {
    r.status = why;
    r.events.clear();
  }

  void HandOver(Batch batch) {
    {
      std::lock_guard lock(batch_mu);
      batches.push_back(std::move(batch));
      batches_queued = batches.size();
    }
    batch_cv.notify_one();
  }

  Status AppendTreeNodes(const std::vector<core::Hash>& leaves) {
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

  // Commits the rows of every batch waiting (up to kMaxBatchesPerCommit) in
  // one projection transaction, then acknowledges their calls: when the
  // projection falls behind, it catches up with fewer commits (each one a WAL
  // append and, now and then, a WAL checkpoint) instead of paying one per
  // group commit. The events are durable before their batch gets here.
  void ApplierLoop() {
    constexpr size_t kMaxBatchesPerCommit = 16;
    for (;;) {
      std::vector<Batch> taken;
      PollBriefly([&] { return batches_queued.load(std::memory_order_relaxed) > 0; });
      {
        std::unique_lock lock(batch_mu);
        batch_cv.wait(lock, [&] { return batches_closed || !batches.empty(); });
        if (batches.empty()) return;
        while (!batches.empty() && taken.size() < kMaxBatchesPerCommit) {
          taken.push_back(std::move(batches.front()));
          batches.pop_front();
        }
        batches_queued = batches.size();
      }
      Status s = CommitDurable(taken);
      // Whatever happened above, the newest batch's append must have ended
      // before its commands are let go of (the sequencer uses them until then).
      if (taken.back().durability) taken.back().durability->Wait();
      if (!s.ok()) {
        // The events are durable; the projection catches up when the ledger is reopened.
        Halt(UnavailableError("updating records.db failed (" + s.message() +
                              "); writes are stopped until Vellum is restarted"));
      }
      // Each command is released before it is counted: its caller, which still
      // holds it, then frees the command on its own thread (what it allocated),
      // not this one, which every call waits for.
      for (auto& batch : taken) {
        std::shared_ptr<Completion> done;
        size_t finished = 0;
        for (auto& r : batch.requests) {
          if (r->done != done) {
            if (done) done->CountDown(finished);
            done = r->done;
            finished = 0;
          }
          r.reset();
          ++finished;
        }
        if (done) done->CountDown(finished);
      }
    }
  }

  // Commits the rows of the durable batches among `taken` in one transaction.
  // Only the newest batch's append may still be running: the rows are written
  // meanwhile and only the commit waits for it. In the rare case that append
  // failed, the transaction is rolled back and written again without that
  // batch's rows.
  Status CommitDurable(const std::vector<Batch>& taken) {
    std::vector<const RowSet*> rows;
    std::vector<uint64_t> ends;
    for (const auto& b : taken) {
      if (b.durability && &b != &taken.back() && !b.durability->Wait()) continue;  // decided: returns at once
      if (b.rows->empty()) continue;
      rows.push_back(b.rows.get());
      ends.push_back(b.end_seq);
    }
    if (rows.empty()) return OkStatus();
    Durability* newest = rows.back() == taken.back().rows.get() ? taken.back().durability.get() : nullptr;
    {
      ASSIGN_OR_RETURN(auto txn, deps.projection->BeginWrite());
      for (const RowSet* r : rows) RETURN_IF_ERROR(WriteRows(*r, *txn));
      if (newest == nullptr || newest->Wait()) return Publish(txn->Commit(ends.back()), ends.back());
    }  // rolled back
    rows.pop_back();
    ends.pop_back();
    if (rows.empty()) return OkStatus();
    return Publish(CommitRows(rows, ends.back()), ends.back());
  }

  // After a commit of `applied` events: the sequencer may drop their rows.
  Status Publish(Status committed, uint64_t applied) {
    if (committed.ok()) projected.store(applied, std::memory_order_release);
    return committed;
  }

  Status CommitRows(const std::vector<const RowSet*>& sets, uint64_t applied) {
    ASSIGN_OR_RETURN(auto txn, deps.projection->BeginWrite());
    for (const RowSet* rows : sets) RETURN_IF_ERROR(WriteRows(*rows, *txn));
    return txn->Commit(applied);
  }

  // ---- checkpoints (AT-5) ----

  bool CheckpointDue() {
    if (!HaltStatus().ok()) return false;  // refused anyway; no warning per batch
    uint64_t size = tree.size();
    if (size == last_checkpoint_size) return false;
    if (size - last_checkpoint_size >= options.checkpoint_every_events) return true;
    return deps.clock->NowMicros() - last_checkpoint_time >= options.checkpoint_every_micros;
  }

  StatusOr<storage::StoredCheckpoint> Checkpoint() {
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

  Status AppendToWitness(const std::string& path, const std::string& note) {
    ASSIGN_OR_RETURN(auto f, deps.env->OpenAppendable(path));
    // Notes are appended back to back; SplitNotes separates them again.
    RETURN_IF_ERROR(f->Append(note));
    RETURN_IF_ERROR(f->Sync());
    RETURN_IF_ERROR(f->Close());
    // A witness file created just now exists durably only once its directory is synced.
    size_t slash = path.rfind('/');
    return deps.env->SyncDir(slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash)));
  }

  Status LoadLastCheckpoint() {
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

  // ---- recovery ----

  // What event `seq` must say its predecessor's hash is, as canonical bytes.
  static std::string PrevField(std::optional<core::Hash> prev_leaf) {
    return prev_leaf ? "\"prev\":\"" + core::HashToTagged(*prev_leaf) + "\"" : std::string("\"prev\":null");
  }

  // Opening repairs exactly what a crash can leave behind and refuses to write
  // on anything else (docs/architecture.md, "Recovery"). Steps:
  //  1. events after the projection's applied count: a line that is not JSON at
  //     all, past the latest checkpoint, is a torn or zero-filled write and is
  //     cut with everything after it;
  //     a well-formed line that does not continue the ledger is damage;
  //  2. events since the last checkpoint that the projection already holds must
  //     chain and match the hashes records.db kept, so the ledger never signs a
  //     checkpoint over edited events;
  //  3. tree entries past the durable tree size are recomputed;
  //  4. valid unapplied events are applied.
  Status Recover() {
    storage::LogStore& log = *deps.log;
    ASSIGN_OR_RETURN(uint64_t applied, deps.projection->AppliedCount());
    uint64_t count = log.EventCount();
    if (applied > count) {
      report.damage.push_back(fmt::format(
          "records.db reflects {} events but the ledger holds only {}: events were removed from the "
          "end of the ledger", applied, count));
    }
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
    // Cuts the unacknowledged tail, and an incomplete line a torn write left
    // after the last event: only now, when nothing worse was found (a cut made
    // by an attacker looks the same, and is then kept as evidence).
    if (report.damage.empty()) {
      const uint64_t torn = log.TornTailBytes();
      RETURN_IF_ERROR(log.TruncateEvents(count));
      report.torn_tail_bytes = torn;
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
    // Step 4: apply what the projection lacks.
    if (count > applied && report.damage.empty()) {
      CapturingTxn capture(live_reader.get());
      for (size_t i = 0; i < tail.size(); ++i) {
        RETURN_IF_ERROR(capture.PutEvent(IndexRowFor(tail[i], tail_leaves[i])));
        Status s = deps.projector->Apply(tail[i], capture);
        if (!s.ok()) {
          report.damage.push_back(fmt::format("event {} cannot be applied: {}", tail[i].seq, s.message()));
          return OkStatus();
        }
      }
      RETURN_IF_ERROR(CommitRows({&capture.rows()}, count));
      report.events_reapplied = count - applied;
      report.reapplied_from = applied;
    }
    next_seq = count;
    if (count > 0) {
      ASSIGN_OR_RETURN(std::string line, log.ReadEvent(count - 1));
      last_leaf = LeafHash(line);
      auto ev = DecodeEvent(line);
      if (ev.ok()) last_ts = ev->ts;
    }
    return OkStatus();
  }

  void Start() {
    append_thread = std::make_unique<AppendThread>();
    sequencer = std::thread([this] { SequencerLoop(); });
    applier = std::thread([this] { ApplierLoop(); });
    // After recovery, whose rows are committed: the fill's snapshot holds
    // them, and every row sequenced from now on enters the filter through
    // `pending` before it reaches the projection.
    key_filter_fill = std::jthread([this](std::stop_token stop) {
      auto reader = deps.projection->BeginRead(/*snapshot=*/true);
      // Unfilled, the filter answers "maybe" for every record: lookups go to
      // the projection as they would without it.
      if (reader.ok()) FillRecordKeyFilter(**reader, *key_filter, stop).IgnoreError();
    });
  }

  void Stop() {
    {
      std::lock_guard lock(mu);
      if (stopping) return;
      stopping = true;
    }
    cv.notify_all();
    key_filter_fill = std::jthread();  // asks it to stop, and waits
    if (sequencer.joinable()) sequencer.join();
    if (applier.joinable()) applier.join();
    append_thread.reset();  // idle: the sequencer settled every append
  }
};

Ledger::Ledger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Ledger::~Ledger() {
  if (!impl_) return;
  impl_->Stop();
  if (impl_->HaltStatus().ok() && impl_->CheckpointDue()) {
    auto cp = impl_->Checkpoint();
    if (!cp.ok()) impl_->Warn("checkpoint at close failed: " + cp.status().ToString());
  }
}

namespace {

Status CheckDeps(const LedgerDeps& d) {
  if (!d.env || !d.clock || !d.log || !d.projection || !d.projector || !d.signer) {
    return InvalidArgumentError("ledger dependencies are incomplete");
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::unique_ptr<Ledger>> Ledger::Open(const LedgerDeps& deps, const LedgerOptions& options) {
  RETURN_IF_ERROR(CheckDeps(deps));
  auto impl = std::make_unique<Impl>();
  impl->deps = deps;
  impl->options = options;
  impl->store_tree = StoreTree(deps.log);
  ASSIGN_OR_RETURN(impl->live_reader, deps.projection->BeginRead(/*snapshot=*/false));
  impl->key_filter = std::make_unique<RecordKeyFilter>();
  impl->pending = std::make_unique<PendingRows>(impl->live_reader.get(), impl->key_filter.get());
  RETURN_IF_ERROR(impl->Recover());
  if (!impl->report.damage.empty()) {
    impl->halted = FailedPreconditionError(
        "the ledger is damaged or has been tampered with (" + impl->report.damage.front() +
        "); writes are refused. Run `vellum verify` for a full report");
  }
  impl->Start();
  auto ledger = std::unique_ptr<Ledger>(new Ledger(std::move(impl)));
  ledger->RecordRecovery();
  return ledger;
}

// Events that recovery applied were in the ledger but not in records.db: left by
// a crash between the two, or appended by someone with access to the files, who
// would look the same (docs/threat-model.md). The trail says which ones entered
// this way, in an event the next checkpoint signs with them.
void Ledger::RecordRecovery() {
  const OpenReport& r = impl_->report;
  if (r.events_reapplied == 0 && r.invalid_tail_events_removed == 0 && r.torn_tail_bytes == 0) return;
  if (!impl_->HaltStatus().ok()) return;  // writes are refused; the open's report names why
  EventDraft d;
  d.type = "system.recovered";
  if (r.events_reapplied > 0) {
    d.data["applied_to_records_db"] = boost::json::object{
        {"first_seq", r.reapplied_from}, {"last_seq", r.reapplied_from + r.events_reapplied - 1}};
  }
  if (r.invalid_tail_events_removed > 0) d.data["unreadable_lines_removed"] = r.invalid_tail_events_removed;
  if (r.torn_tail_bytes > 0) d.data["incomplete_line_bytes_removed"] = r.torn_tail_bytes;
  auto recorded = Submit(SystemActor(), [d = std::move(d)](storage::ProjectionReader&) mutable
                         -> StatusOr<std::vector<EventDraft>> { return OneDraft(std::move(d)); });
  if (!recorded.ok()) {
    impl_->Warn("recovery could not be recorded in the ledger (system.recovered): " + recorded.status().ToString());
  }
}

StatusOr<std::unique_ptr<Ledger>> Ledger::Create(const LedgerDeps& deps, const LedgerOptions& options,
                                                 const Actor& actor, boost::json::object genesis_data) {
  RETURN_IF_ERROR(CheckDeps(deps));
  if (deps.log->EventCount() != 0) return AlreadyExistsError("the ledger already holds events");
  ASSIGN_OR_RETURN(uint64_t applied, deps.projection->AppliedCount());
  if (applied != 0) return AlreadyExistsError("records.db already reflects events");
  ASSIGN_OR_RETURN(auto ledger, Open(deps, options));
  auto genesis = ledger->Submit(actor, [&](storage::ProjectionReader&) -> StatusOr<std::vector<EventDraft>> {
    EventDraft d;
    d.type = "ledger.genesis";
    d.data = std::move(genesis_data);
    return OneDraft(std::move(d));
  });
  RETURN_IF_ERROR(genesis.status());
  RETURN_IF_ERROR(ledger->MakeCheckpoint().status());
  return ledger;
}

const OpenReport& Ledger::open_report() const { return impl_->report; }

StatusOr<std::vector<Event>> Ledger::Submit(const Actor& actor, Decider decide) {
  auto req = std::make_shared<Request>();
  req->actor = std::make_shared<const Actor>(actor);
  req->decide = std::move(decide);
  req->done = std::make_shared<Completion>(1);
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->halted.ok()) return impl_->halted;
    if (impl_->stopping) return UnavailableError("the ledger is closing");
    impl_->queue.push_back(req);
    impl_->queued = impl_->queue.size();
  }
  impl_->cv.notify_one();
  req->done->Wait();
  return req->TakeResult();
}

std::vector<StatusOr<std::vector<Event>>> Ledger::SubmitAll(const Actor& actor, std::vector<Decider> decide) {
  std::vector<std::shared_ptr<Request>> reqs;
  std::vector<StatusOr<std::vector<Event>>> out;
  reqs.reserve(decide.size());
  out.reserve(decide.size());
  auto shared_actor = std::make_shared<const Actor>(actor);
  auto done = std::make_shared<Completion>(decide.size());
  {
    std::lock_guard lock(impl_->mu);
    Status refuse = !impl_->halted.ok() ? impl_->halted
                    : impl_->stopping   ? UnavailableError("the ledger is closing")
                                        : OkStatus();
    if (!refuse.ok()) {
      for (size_t i = 0; i < decide.size(); ++i) out.push_back(refuse);
      return out;
    }
    for (auto& d : decide) {
      auto req = std::make_shared<Request>();
      req->actor = shared_actor;
      req->decide = std::move(d);
      req->done = done;
      reqs.push_back(req);
      impl_->queue.push_back(std::move(req));
    }
    impl_->queued = impl_->queue.size();
  }
  impl_->cv.notify_one();
  done->Wait();
  for (auto& r : reqs) out.push_back(r->TakeResult());
  return out;
}

uint64_t Ledger::Size() const { return impl_->tree_size.load(); }

StatusOr<std::string> Ledger::ReadEvent(uint64_t seq) const {
  // Bounded by the stored events, not the tree: an acknowledged event stays
  // readable even if writing its tree hashes failed.
  const uint64_t count = impl_->deps.log->EventCount();
  if (seq >= count) return NotFoundError(fmt::format("no event with seq {} (the ledger holds {})", seq, count));
  return impl_->deps.log->ReadEvent(seq);
}

StatusOr<core::Hash> Ledger::RootAt(uint64_t size) const {
  if (size > Size()) return OutOfRangeError(fmt::format("tree size {} exceeds the ledger's {}", size, Size()));
  return ledger::RootAt(impl_->store_tree, size);
}

StatusOr<std::vector<core::Hash>> Ledger::InclusionProof(uint64_t seq, uint64_t size) const {
  if (size > Size()) return OutOfRangeError(fmt::format("tree size {} exceeds the ledger's {}", size, Size()));
  return ledger::InclusionProof(impl_->store_tree, seq, size);
}

StatusOr<std::vector<core::Hash>> Ledger::ConsistencyProof(uint64_t size1, uint64_t size2) const {
  if (size2 > Size()) return OutOfRangeError(fmt::format("tree size {} exceeds the ledger's {}", size2, Size()));
  return ledger::ConsistencyProof(impl_->store_tree, size1, size2);
}

StatusOr<storage::StoredCheckpoint> Ledger::MakeCheckpoint() {
  auto req = std::make_shared<Request>();
  req->kind = Request::Kind::kCheckpoint;
  req->checkpoint_done = std::make_unique<std::promise<StatusOr<storage::StoredCheckpoint>>>();
  auto fut = req->checkpoint_done->get_future();
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return UnavailableError("the ledger is closing");
    impl_->queue.push_back(std::move(req));
    impl_->queued = impl_->queue.size();
  }
  impl_->cv.notify_one();
  return fut.get();
}

}  // namespace vellum::ledger
