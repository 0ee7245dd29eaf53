// The ledger's internals, shared by the files that implement Ledger: ledger.cc
// (the API, opening and closing), sequencer.cc (commands into sequenced,
// durable batches), projection_applier.cc (batches into records.db, then the
// calls answered), checkpointing.cc and recovery.cc. Not part of the API; that
// is ledger/ledger.h.
#pragma once

#include <openssl/rand.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ledger/append_thread.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/pending_rows.h"
#include "ledger/record_key_filter.h"
#include "ledger/store_tree.h"

namespace vellum::ledger {

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
  // Recovery made records.db's commits durable for its note (see recovery.cc).
  bool projection_durable = false;
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
  StatusOr<int64_t> NextTimestamp();

  // The security event recording `why`, dated at the last event (order stays intact).
  Event ClockAnomalyEvent(const Status& why);

  // ---- sequencing ----

  // Fills the envelope of `e` (seq, id, prev) and encodes it; `actor`, if
  // given, is e.actor already encoded.
  StatusOr<std::string> Seal(Event& e, const EncodedActor* actor = nullptr);

  // Runs one command. On success its lines and rows are added to the batch and
  // the sequencer state advances; on failure nothing changes.
  void RunCommand(Request& req, std::vector<std::string>& lines, std::vector<core::Hash>& leaves, bool& anomaly);

  // Appends an event the system itself causes (not a command) to the batch.
  Status AppendSystemEvent(Event e, std::vector<std::string>& lines, std::vector<core::Hash>& leaves);

  // What every refused caller gets once the anomaly `why` is recorded at `seq`.
  static Status ClockHaltStatus(const Status& why, uint64_t seq);

  // Appends the clock-anomaly security event to the batch and stops writes.
  // Returns the status every refused caller gets.
  Status RecordClockAnomaly(const Status& why, std::vector<std::string>& lines, std::vector<core::Hash>& leaves);

  // The clock-anomaly event went down with its batch, whose sync failed:
  // appends it again, alone, so that the stop of writes is on record (AT-6),
  // or else says so in what every refused caller gets (`told`, and everyone
  // after them) instead of naming a sequence number that holds nothing.
  // Returns the batch of the stored event, for the projection thread after the
  // failed one. `failure` is why the batch failed: after kDataLoss (the failed
  // append could not be undone) the log is not written again.
  std::optional<Batch> RecordClockAnomalyAgain(const Status& why, const Status& failure,
                                               const std::vector<Request*>& told);

  // AT-6, CC-1: the clock source, its synchronisation and the software version
  // are recorded at start — in the genesis event, and again in a
  // `system.started` event by the first write of a process whenever they differ
  // from what was last recorded (so restarts do not flood the trail).
  Status RecordStartIfChanged(std::vector<std::string>& lines, std::vector<core::Hash>& leaves);

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
  void SequencerLoop();

  // Assigns sequence numbers, times and the chain to the commands of `reqs`
  // and captures their rows; stores nothing.
  std::unique_ptr<Sequenced> Sequence(std::vector<std::shared_ptr<Request>> reqs);

  // Starts storing a sequenced batch once the batch before it is settled:
  // appended here, or on append_thread if `overlap` (then Settle follows its
  // Wait). A batch with nothing to append is settled at once.
  void Launch(Sequenced& s, bool overlap);

  // Stores the batch's events and their tree nodes; once they are durable its
  // calls may be answered. Touches no sequencer state but the tree: it runs on
  // append_thread while the sequencer sequences the next batch.
  Status Append(Sequenced& s);

  // After the append of `s` ended with `appended`. Should it have failed,
  // nothing of `s` is stored: the sequencer state goes back to before it and
  // every command in it fails; so does every command of `next`, the batch
  // sequenced on top of it (if any), whose decisions saw rows that are gone.
  void Settle(Sequenced& s, const Status& appended, Sequenced* next);

  // Fails a command that was sequenced: it gets `why` and no events.
  static void Fail(Request& r, const Status& why);

  // Queues a batch for the projection thread.
  void HandOver(Batch batch);

  // Adds the leaves to the tree and stores the nodes they complete.
  Status AppendTreeNodes(const std::vector<core::Hash>& leaves);

  // Commits the rows of every batch waiting (up to kMaxBatchesPerCommit) in
  // one projection transaction, then acknowledges their calls: when the
  // projection falls behind, it catches up with fewer commits (each one a WAL
  // append and, now and then, a WAL checkpoint) instead of paying one per
  // group commit. The events are durable before their batch gets here.
  void ApplierLoop();

  // Commits the rows of the durable batches among `taken` in one transaction.
  // Only the newest batch's append may still be running: the rows are written
  // meanwhile and only the commit waits for it. In the rare case that append
  // failed, the transaction is rolled back and written again without that
  // batch's rows.
  Status CommitDurable(const std::vector<Batch>& taken);

  // After a commit of `applied` events: the sequencer may drop their rows.
  Status Publish(Status committed, uint64_t applied);

  // Writes `sets` and commits them, with `applied` events, in one transaction.
  Status CommitRows(const std::vector<const RowSet*>& sets, uint64_t applied);

  // ---- checkpoints (AT-5) ----

  // Whether N events or T seconds have passed since the last checkpoint.
  bool CheckpointDue();

  // Signs and stores a checkpoint of the whole tree (the latest one again if
  // the tree has not grown) and appends it to every witness file.
  StatusOr<storage::StoredCheckpoint> Checkpoint();

  // Appends a signed note to a witness file, durably.
  Status AppendToWitness(const std::string& path, const std::string& note);

  // Reads the latest checkpoint at open; one that does not verify is damage.
  Status LoadLastCheckpoint();

  // ---- recovery ----

  // What event `seq` must say its predecessor's hash is, as canonical bytes.
  static std::string PrevField(std::optional<core::Hash> prev_leaf);

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
  Status Recover();

  // ---- threads ----

  // Starts the sequencer, the projection thread and the fill of the record-key
  // filter, after recovery.
  void Start();

  // Stops them once every queued command is settled.
  void Stop();
};

}  // namespace vellum::ledger
