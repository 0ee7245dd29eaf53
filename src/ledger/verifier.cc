#include "ledger/verifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
#include <iterator>
#include <thread>
#include <span>

#include "core/clock.h"
#include "core/encoding.h"
#include "core/thread_name.h"
#include "ledger/checkpoint.h"
#include "ledger/event.h"
#include "ledger/merkle.h"
#include "ledger/replay_txn.h"
#include "ledger/stored_run.h"
#include "ledger/tree_comparer.h"

namespace vellum::ledger {
namespace {

using storage::ProjectionReader;
using storage::RecordVersionRow;

struct CheckpointInfo {
  std::string name;
  uint64_t size = 0;
  core::Hash root{};
  bool witness = false;
};

class VerifyRun {
 public:
  explicit VerifyRun(const VerifyInputs& in) : in_(in), tree_cmp_(in.log) {}

  StatusOr<VerifyReport> Run() {
    CheckCheckpoints();
    CheckWitnesses();
    std::sort(targets_.begin(), targets_.end(), [](const auto& a, const auto& b) { return a.size < b.size; });
    if (in_.check_projection) {
      CheckProjectionSchema();
      StartStructureCheck();
      auto reader_or = in_.projection->BeginRead(/*snapshot=*/true);
      if (!reader_or.ok()) {
        Problem("projection", std::nullopt, "records.db", "cannot be read: " + reader_or.status().message());
      } else {
        reader_ = std::move(*reader_or);
      }
    }
    ReadAppliedCount();
    StreamEvents();
    CheckProjectionStructure();
    CheckTargetsBeyondEnd();
    CheckTreeTail();
    CheckProjectionTotals();
    CheckRecoveryNote();
    CheckSignedSize();
    report_.root = tree_.Root();
    return std::move(report_);
  }

 private:
  void Problem(std::string area, std::optional<uint64_t> seq, std::string location, std::string message) {
    if (report_.problems.size() >= in_.max_problems) {
      ++report_.problems_not_listed;
      return;
    }
    report_.problems.push_back({std::move(area), seq, std::move(location), std::move(message)});
  }

  // ---- checkpoints ----

  void AddTarget(const std::string& name, uint64_t size, const core::Hash& root, bool witness) {
    CheckpointInfo t;
    t.name = name;
    t.size = size;
    t.root = root;
    t.witness = witness;
    targets_.push_back(std::move(t));
  }

  void CheckCheckpoints() {
    auto listing = in_.log->ScanCheckpoints();
    if (!listing.ok()) {
      Problem("checkpoint", std::nullopt, "ledger/checkpoints", listing.status().message());
      return;
    }
    // A stray file is named, and every checkpoint beside it is still checked.
    for (const auto& name : listing->unexpected) {
      Problem("checkpoint", std::nullopt, name, "an unexpected file among the checkpoints (it is no checkpoint)");
    }
    std::optional<core::Hash> prev_hash;
    int64_t prev_time = 0;
    bool first = true;
    for (const auto& sc : listing->checkpoints) {
      ++report_.checkpoints;
      auto cp = OpenCheckpoint(sc.note, in_.ledger_key, in_.origin);
      if (!cp.ok()) {
        Problem("checkpoint", std::nullopt, sc.name, "signature or format check failed: " + cp.status().message());
        prev_hash = CheckpointNoteHash(sc.note);
        first = false;
        continue;
      }
      if (cp->size != sc.size) {
        Problem("checkpoint", std::nullopt, sc.name,
                fmt::format("the file is named for tree size {} but the signed note says {}", sc.size, cp->size));
      }
      if (first ? cp->prev.has_value() : (!cp->prev || !prev_hash || *cp->prev != *prev_hash)) {
        Problem("checkpoint", std::nullopt, sc.name,
                "does not link to the previous checkpoint (a checkpoint was removed, replaced or inserted)");
      }
      if (!cp->time_micros) {
        Problem("checkpoint", std::nullopt, sc.name, "has no vellum-time line");
      } else if (*cp->time_micros < prev_time) {
        Problem("checkpoint", std::nullopt, sc.name, "its time is earlier than the previous checkpoint's");
      } else {
        prev_time = *cp->time_micros;
      }
      prev_hash = CheckpointNoteHash(sc.note);
      first = false;
      report_.signed_size = std::max(report_.signed_size, cp->size);
      AddTarget(sc.name, cp->size, cp->root, false);
    }
  }

  void CheckWitnesses() {
    const core::NoteVerifier& key = in_.witness_key ? *in_.witness_key : in_.ledger_key;
    for (const auto& path : in_.witness_notes_files) {
      auto text = in_.env->ReadFile(path);
      if (!text.ok()) {
        Problem("witness", std::nullopt, path, "cannot be read: " + text.status().message());
        continue;
      }
      auto notes = SplitNotes(*text);
      if (!notes.ok()) {
        Problem("witness", std::nullopt, path, notes.status().message());
        continue;
      }
      size_t i = 0;
      for (const auto& note : *notes) {
        ++i;
        ++report_.witness_checkpoints;
        std::string where = fmt::format("{} (checkpoint {})", path, i);
        auto cp = OpenCheckpoint(note, key, in_.origin);
        if (!cp.ok()) {
          Problem("witness", std::nullopt, where,
                  "the witnessed checkpoint does not verify with the ledger key: " + cp.status().message());
          continue;
        }
        AddTarget(where, cp->size, cp->root, true);
      }
    }
  }

  void CheckTargetsBeyondEnd() {
    for (; next_target_ < targets_.size(); ++next_target_) {
      const auto& t = targets_[next_target_];
      if (t.size == 0 && report_.events == 0) continue;
      Problem(t.witness ? "witness" : "checkpoint", std::nullopt, t.name,
              fmt::format("commits to {} events but the ledger holds only {}: events were removed", t.size,
                          report_.events));
    }
  }

  void MatchTargets() {
    uint64_t size = tree_.size();
    while (next_target_ < targets_.size() && targets_[next_target_].size <= size) {
      const auto& t = targets_[next_target_++];
      if (t.size < size) continue;  // only possible for size 0
      if (t.root != tree_.Root()) {
        Problem(t.witness ? "witness" : "checkpoint", std::nullopt, t.name,
                fmt::format("its root for {} events differs from the root recomputed from the ledger: {}", t.size,
                            t.witness ? "the ledger was rewritten since this checkpoint was witnessed"
                                      : "events up to this size were changed"));
      }
    }
  }

  // ---- events ----

  // A run of consecutive lines checked by one worker. The main thread reads
  // lines and builds the tree from the leaf hashes in order (sequential work);
  // workers hash, decode and replay (the expensive, independent work) in
  // parallel.
  struct Chunk {
    uint64_t first_seq = 0;
    // Leaf of the line before first_seq, hashed by the main thread when it
    // dispatched the previous chunk, so the chain check needs no waiting.
    std::optional<core::Hash> prev_leaf;
    // The lines back to back in one buffer (one allocation per chunk, not per line);
    // line i is text[ends[i-1], ends[i]).
    std::string text;
    std::vector<size_t> ends;
    size_t size() const { return ends.size(); }
    std::string_view line(size_t i) const {
      const size_t begin = i == 0 ? 0 : ends[i - 1];
      return std::string_view(text).substr(begin, ends[i] - begin);
    }
    // Where the lines are: the location of the first line and of every line
    // that begins a file, by line index; the others follow on from them.
    std::vector<std::pair<size_t, storage::EventLocation>> file_starts;
    storage::EventLocation location(size_t i) const {
      auto it = std::prev(std::upper_bound(file_starts.begin(), file_starts.end(), i,
                                           [](size_t k, const auto& start) { return k < start.first; }));
      const size_t first = it->first;
      const size_t first_begin = first == 0 ? 0 : ends[first - 1];
      const size_t begin = i == 0 ? 0 : ends[i - 1];
      // Lines are stored back to back without their newlines.
      return {it->second.file, it->second.offset + (begin - first_begin) + (i - first)};
    }
    // Results.
    std::vector<core::Hash> leaves;
    // The hash of the chunk's leaves as one subtree, when it is full (see CheckChunkTree).
    std::optional<core::Hash> subtree_root;
    // The first stored tree entry inside the chunk that differs from the
    // recomputed one, in the order leaf-by-leaf appends would meet it: `seq` is
    // the leaf that completes that node.
    struct TreeMismatch {
      uint64_t seq = 0;
      std::string message;
    };
    std::optional<TreeMismatch> tree_mismatch;
    std::vector<VerifyProblem> problems;
    uint64_t record_versions = 0;
    std::optional<int64_t> first_ts, last_ts;
    std::optional<uint64_t> last_recovered_seq;  // of the last system.recovered event
  };

  // Chunks begin at multiples of kChunkLines, a power of two, so a full chunk
  // is one complete subtree of the tree, at level kChunkLevel.
  static constexpr int kChunkLevel = 11;
  static constexpr size_t kChunkLines = size_t{1} << kChunkLevel;

  void StreamEvents() {
    const size_t workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
    std::vector<std::unique_ptr<ProjectionReader>> readers;
    if (reader_) {
      readers.push_back(nullptr);  // worker 0 uses reader_
      for (size_t i = 1; i < workers; ++i) {
        auto r = in_.projection->BeginRead(/*snapshot=*/true);
        if (!r.ok()) break;
        readers.push_back(std::move(*r));
      }
    }
    const size_t lanes = reader_ ? readers.size() : workers;
    // Each lane's stored rows, read over chunk after chunk. A lane's chunks
    // run one at a time (its previous one is finished before it is given the
    // next), as for its reader.
    std::vector<std::optional<StoredRun>> runs(lanes);
    std::deque<std::pair<std::unique_ptr<Chunk>, std::future<void>>> in_flight;
    std::optional<int64_t> last_ts;
    uint64_t record_versions = 0;
    size_t lane = 0;
    // Progress: the events of the chunks finished so far, of those the log holds.
    const uint64_t total = in_.log->EventCount();
    uint64_t checked = 0;
    auto told_at = std::chrono::steady_clock::now();
    std::optional<uint64_t> told;
    auto tell = [&](bool last) {
      if (!in_.progress) return;
      const auto now = std::chrono::steady_clock::now();
      if (last ? told == checked : now - told_at < std::chrono::milliseconds(in_.progress_interval_ms)) return;
      told_at = now;
      told = checked;
      in_.progress(checked, std::max(total, checked));
    };

    auto finish_front = [&] {
      auto& [chunk, done] = in_flight.front();
      done.get();
      AddChunkToTree(*chunk);
      if (last_ts && chunk->first_ts && *chunk->first_ts < *last_ts) {
        Problem("chain", chunk->first_seq, "", fmt::format("time goes backwards ({} after {})",
                                                           core::FormatTimestamp(*chunk->first_ts),
                                                           core::FormatTimestamp(*last_ts)));
      }
      if (chunk->last_ts) last_ts = chunk->last_ts;
      for (auto& p : chunk->problems) Problem(std::move(p.area), p.seq, std::move(p.location), std::move(p.message));
      record_versions += chunk->record_versions;
      if (chunk->last_recovered_seq) last_recovered_seq_ = chunk->last_recovered_seq;
      checked += chunk->size();
      in_flight.pop_front();
      tell(false);
    };

    auto cursor = in_.log->Scan(0);
    std::optional<core::Hash> prev_leaf;
    MatchTargets();  // a checkpoint of the empty tree
    auto chunk = std::make_unique<Chunk>();
    auto dispatch = [&] {
      if (chunk->size() == 0) return;
      if (in_flight.size() >= lanes) finish_front();
      prev_leaf = LeafHash(chunk->line(chunk->size() - 1));
      ProjectionReader* reader = reader_ ? (lane == 0 ? reader_.get() : readers[lane].get()) : nullptr;
      std::optional<StoredRun>* run = &runs[lane];
      lane = (lane + 1) % lanes;
      Chunk* c = chunk.get();
      auto fut = std::async(std::launch::async, [this, c, reader, run] {
        core::NameThisThread("vellum-verify");
        CheckChunk(*c, reader, *run);
      });
      in_flight.emplace_back(std::move(chunk), std::move(fut));
      chunk = std::make_unique<Chunk>();
    };
    while (cursor->Next()) {
      const uint64_t seq = cursor->seq();
      const std::string_view line = cursor->line();
      // Only past every applied and every signed event can a line be a torn write.
      if (seq >= applied_ && seq >= report_.signed_size && IsNotJsonAtAll(line)) {
        NoteTornTail(seq, cursor->location());
        break;
      }
      report_.bytes += line.size() + 1;
      ++report_.events;
      if (chunk->size() == 0) {
        chunk->first_seq = seq;
        chunk->prev_leaf = prev_leaf;
        chunk->text.reserve(kChunkLines * 1024);
        chunk->ends.reserve(kChunkLines);
      }
      chunk->text.append(line);
      chunk->ends.push_back(chunk->text.size());
      if (chunk->size() == 1 || cursor->offset() == 0) {
        chunk->file_starts.emplace_back(chunk->size() - 1, cursor->location());
      }
      if (chunk->size() == kChunkLines) dispatch();
    }
    dispatch();
    while (!in_flight.empty()) finish_front();
    tell(true);
    if (!cursor->status().ok()) {
      Problem("event", report_.events, "ledger/segments", "reading stopped: " + cursor->status().message());
    }
    expected_versions_ = record_versions;
    // Workers and the main thread report in different orders: present them by position.
    std::stable_sort(report_.problems.begin(), report_.problems.end(), [](const auto& a, const auto& b) {
      return a.seq.value_or(UINT64_MAX) < b.seq.value_or(UINT64_MAX);
    });
  }

  // Adds a checked chunk's leaves to the tree, in sequence order, comparing the
  // nodes they complete beyond the chunk (its worker compared those inside)
  // with the stored ones and the roots with the checkpoints'. A full chunk goes
  // in as one subtree, unless a checkpoint's size falls inside it: then its
  // root at that size is needed, so the leaves go in one by one.
  void AddChunkToTree(const Chunk& c) {
    const uint64_t end = c.first_seq + c.size();
    // The leaf whose append completes the nodes the sink is given.
    uint64_t completing = end - 1;
    const TreeBuilder::NodeSink compare_beyond = [&](int level, uint64_t index, const core::Hash& h) {
      if ((index << level) >= c.first_seq || tree_reported_) return;  // inside: the worker compared it
      ReportTree(completing, tree_cmp_.Compare(level, index, h));
    };
    const bool target_inside = next_target_ < targets_.size() && targets_[next_target_].size < end;
    if (c.subtree_root && !target_inside) {
      // The worker's nodes are all completed by the last leaf at the latest,
      // and lie below the nodes this append completes: they come first.
      if (c.tree_mismatch) ReportTree(c.tree_mismatch->seq, c.tree_mismatch->message);
      tree_.AppendSubtree(kChunkLevel, *c.subtree_root, compare_beyond);
      MatchTargets();
      return;
    }
    for (size_t i = 0; i < c.size(); ++i) {
      completing = c.first_seq + i;
      if (c.tree_mismatch && c.tree_mismatch->seq == completing) ReportTree(completing, c.tree_mismatch->message);
      tree_.Append(c.leaves[i], compare_beyond);
      MatchTargets();
    }
  }

  // The first mismatch locates the damage; every node above it differs too, so
  // only that one is reported. A node completed only past the tree size made
  // durable (ledger/tree/synced) may be what a crash left half-written, which
  // the next open recomputes from the events: a note, not a problem.
  void ReportTree(uint64_t seq, const std::string& problem) {
    if (problem.empty() || tree_reported_) return;
    tree_reported_ = true;
    if (seq >= in_.log->TreeSyncedSize()) {
      report_.notes.push_back(fmt::format(
          "{}, past the tree size made durable ({}): what a crash leaves there, not a problem; the next command "
          "that opens the ledger recomputes it from the events",
          problem, in_.log->TreeSyncedSize()));
      return;
    }
    Problem("tree", seq, "ledger/tree", problem + " (and every tree node above it)");
  }

  // Runs on a worker thread. Recomputes every tree node wholly inside the chunk
  // (the chunk begins at a multiple of kChunkLines, so these are the complete
  // subtrees its leaves make, up to the whole chunk) and compares them with the
  // stored level files, keeping the mismatch leaf-by-leaf appends would meet
  // first. Leaves the chunk's subtree hash in c.subtree_root when it is full.
  void CheckChunkTree(Chunk& c) const {
    std::vector<core::Hash> nodes = c.leaves;
    for (int level = 0; !nodes.empty(); ++level) {
      CompareLevel(level, c.first_seq >> level, nodes, c);
      if (nodes.size() == 1) {
        if (level == kChunkLevel) c.subtree_root = nodes[0];
        break;
      }
      // Pairs in place: node i of the next level from nodes 2i and 2i+1 (an
      // odd last node has no complete parent inside the chunk).
      const size_t parents = nodes.size() / 2;
      for (size_t i = 0; i < parents; ++i) nodes[i] = NodeHash(nodes[2 * i], nodes[2 * i + 1]);
      nodes.resize(parents);
    }
  }

  // Compares `nodes`, entries `first`… of `level`, with the level file; keeps a
  // mismatch in c.tree_mismatch if the leaf that completes it comes before the
  // one kept so far (levels are compared lowest first, so on a tie the lower
  // node, met first, stays).
  void CompareLevel(int level, uint64_t first, std::span<const core::Hash> nodes, Chunk& c) const {
    auto keep = [&](uint64_t index, std::string message) {
      const uint64_t completed_by = ((index + 1) << level) - 1;
      if (c.tree_mismatch && c.tree_mismatch->seq <= completed_by) return;
      c.tree_mismatch = Chunk::TreeMismatch{completed_by, std::move(message)};
    };
    auto stored = in_.log->ReadNodes(level, first, nodes.size());
    if (!stored.ok()) {
      keep(first, TreeReadProblem(level, stored.status()));
      return;
    }
    for (size_t i = 0; i < nodes.size(); ++i) {
      std::string problem = CompareStoredNode(level, first + i, nodes[i], *stored, first);
      if (!problem.empty()) {
        keep(first + i, std::move(problem));
        return;
      }
    }
  }

  // Runs on a worker thread; touches only `c`, `reader` and `run` (the rows
  // of reader's previous chunk, read over here) and reads the tree files.
  void CheckChunk(Chunk& c, ProjectionReader* reader, std::optional<StoredRun>& run) const {
    auto problem = [&](std::string area, uint64_t seq, std::string location, std::string message) {
      c.problems.push_back({std::move(area), seq, std::move(location), std::move(message)});
    };
    // Events records.db has not applied yet are checked as events only.
    const uint64_t replay_end = std::min<uint64_t>(c.first_seq + c.size(), applied_);
    if (reader && c.first_seq < replay_end) {
      if (!run) run.emplace(*reader);
      run->Read(c.first_seq, replay_end);
    }
    StoredRun* stored = reader ? &*run : nullptr;
    c.leaves.reserve(c.size());
    // One event decoded into line after line: its strings keep their storage.
    Event ev;
    for (size_t i = 0; i < c.size(); ++i) {
      const uint64_t seq = c.first_seq + i;
      c.leaves.push_back(LeafHash(c.line(i)));
      // Formatted only for a problem: a clean run never needs it.
      auto where = [&] {
        const storage::EventLocation at = c.location(i);
        return fmt::format("{}:{}", at.file, at.offset);
      };
      // The replay needs the whole event, the genesis check its data; the
      // rest of a check of the files needs only the envelope.
      const Status decoded =
          reader || seq == 0 ? DecodeEventForReplay(c.line(i), &ev) : DecodeEventEnvelope(c.line(i), &ev);
      if (!decoded.ok()) {
        problem("event", seq, where(), decoded.message());
        continue;
      }
      if (Status rules = CheckFieldRules(ev); !rules.ok()) problem("event", seq, where(), rules.message());
      if (ev.type == kRecoveredEventType) c.last_recovered_seq = seq;
      if (ev.seq != seq) {
        problem("chain", seq, where(),
                fmt::format(
                    "the event says seq {} but is at position {} (events were deleted, inserted or "
                    "reordered)",
                    ev.seq, seq));
      }
      const std::optional<core::Hash> prev_leaf = i == 0 ? c.prev_leaf : std::optional<core::Hash>(c.leaves[i - 1]);
      if (seq == 0) {
        if (ev.prev) problem("chain", seq, where(), "the first event must have prev null");
        CheckGenesis(ev, where(), c.problems);
      } else if (!ev.prev || !prev_leaf || *ev.prev != *prev_leaf) {
        problem("chain", seq, where(), "prev does not match the hash of the preceding event");
      }
      if (c.last_ts && ev.ts < *c.last_ts) {
        problem("chain", seq, where(),
                fmt::format("time goes backwards ({} after {})", core::FormatTimestamp(ev.ts),
                            core::FormatTimestamp(*c.last_ts)));
      }
      if (!c.first_ts) c.first_ts = ev.ts;
      c.last_ts = ev.ts;
      if (reader && seq < replay_end)
        c.record_versions += CheckProjection(ev, c.leaves[i], where, *reader, *stored, c.problems);
    }
    CheckChunkTree(c);
  }

  // The rules of docs/formats/event.md beyond the types the decoder checks: the
  // event id 32 lower-case hex digits, the type and the actor's name not empty,
  // every id (actor, record type and id, guideline) of the id alphabet. Vellum
  // writes no other; a line appended by hand might.
  static Status CheckFieldRules(const Event& e) {
    if (e.id.size() != 32 ||
        e.id.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return DataLossError("its id is not 32 lower-case hex digits");
    }
    if (e.type.empty()) return DataLossError("its type is empty");
    if (e.actor.name.empty()) return DataLossError("its actor_name is empty");
    for (const auto& [what, id] : {std::pair<const char*, const std::string*>{"actor", &e.actor.id},
                                   {"record type", e.record ? &e.record->type : nullptr},
                                   {"record id", e.record ? &e.record->id : nullptr},
                                   {"guideline", e.guideline ? &*e.guideline : nullptr}}) {
      if (id == nullptr) continue;
      if (Status s = ValidateId(what, *id); !s.ok()) return DataLossError(s.message());
    }
    return OkStatus();
  }

  void CheckGenesis(const Event& e, const std::string& where, std::vector<VerifyProblem>& out) const {
    if (e.type != "ledger.genesis") {
      out.push_back({"chain", 0, where, "the first event is not the genesis event"});
      return;
    }
    const auto* pk = e.data.if_contains("public_key");
    std::string expect = core::FormatVerifierKey(in_.ledger_key);
    if (pk == nullptr || !pk->is_string() || pk->get_string() != expect) {
      out.push_back({"keys", 0, where, "keys/ledger.pub is not the key recorded in the genesis event"});
    }
  }

  // Replays one event against the projection as it stood before it and
  // compares the rows with `stored` (the rows records.db holds for this
  // event's run). Returns the number of record-version rows it implies.
  template <typename Where>
  uint64_t CheckProjection(const Event& e, const core::Hash& leaf, const Where& where,
                           ProjectionReader& reader, StoredRun& stored,
                           std::vector<VerifyProblem>& out) const {
    auto problem = [&](std::string location, std::string message) {
      out.push_back({"projection", e.seq, std::move(location), std::move(message)});
    };
    // Both stored rows are taken before anything can return, so the run's
    // cursors stay in step with the events.
    auto stored_event = stored.Event(e.seq);
    auto stored_version = stored.Version(e.seq);
    const RecordVersionRow* made_here =
        schema_intact_ && stored_version.ok() ? *stored_version : nullptr;
    ReplayTxn replay(&reader, e.seq, made_here);
    Status s = in_.projector->Apply(e, replay);
    if (!s.ok()) {
      problem(where(), "replaying the event failed: " + s.message());
      return 0;
    }
    if (!stored_event.ok()) {
      problem("records.db", stored_event.status().message());
    } else if (*stored_event == nullptr) {
      problem("records.db", "the event index lacks this event");
    } else if (!(**stored_event == IndexRowFor(e, leaf))) {
      problem("records.db", (**stored_event).leaf_hash != leaf
                                ? "the indexed event's hash differs from the ledger's event"
                                : "the indexed event's fields differ from the ledger's event");
    }
    uint64_t n = 0;
    for (const auto& want : replay.versions()) {
      ++n;
      // Stored versions are keyed by the event that made them, which is this event for
      // every version a projector writes today; any other is looked up on its own.
      StatusOr<const RecordVersionRow*> got = stored_version;
      std::optional<RecordVersionRow> elsewhere;
      if (want.seq != e.seq) {
        auto other = reader.VersionBySeq(want.seq);
        if (!other.ok()) {
          got = other.status();
        } else {
          elsewhere = std::move(*other);
          got = elsewhere ? &*elsewhere : static_cast<const RecordVersionRow*>(nullptr);
        }
      }
      auto what = [&] {
        return fmt::format("record {}/{} version {}", want.record_type, want.record_id,
                           want.version);
      };
      if (!got.ok()) {
        problem("records.db", what() + ": " + got.status().message());
      } else if (*got == nullptr) {
        problem("records.db", what() + " is missing");
      } else if (!(**got == want)) {
        const auto& g = **got;
        std::string field = g.content != want.content ? "content"
                            : g.content_hash != want.content_hash ? "content hash"
                            : g.deleted != want.deleted ? "deleted flag"
                            : (g.record_type != want.record_type || g.record_id != want.record_id ||
                               g.version != want.version) ? "identity"
                            : "time";
        problem("records.db", what() + " differs from the replay of the ledger: " + field);
      }
    }
    if (n == 0) {
      // A version row attributed to an event that makes none was added to records.db: name it
      // (the totals below would only say that a row is too many).
      if (stored_version.ok() && *stored_version) {
        const RecordVersionRow& extra = **stored_version;
        problem("records.db",
                fmt::format("record {}/{} version {} is attributed to this event, which makes no "
                            "record version",
                            extra.record_type, extra.record_id, extra.version));
      }
    }
    return n;
  }

  // ---- records.db ----

  void CheckProjectionSchema() {
    auto differences = in_.projection->SchemaDifferences();
    if (!differences.ok()) {
      Problem("projection", std::nullopt, "records.db",
              "its schema cannot be read: " + differences.status().message());
      return;
    }
    for (const auto& d : *differences) {
      Problem("projection", std::nullopt, "records.db", "its schema was changed: " + d);
    }
    schema_intact_ = differences->empty();
  }

  // SQLite's page check reads all of records.db once; it runs on its own thread
  // beside the event stream, which leaves a core partly idle while it waits on reads.
  void StartStructureCheck() {
    structure_ = std::async(std::launch::async, [p = in_.projection] { return p->StructureDamage(); });
  }

  void CheckProjectionStructure() {
    if (!structure_.valid()) return;
    StatusOr<std::vector<std::string>> damage = structure_.get();
    if (!damage.ok()) {
      Problem("projection", std::nullopt, "records.db", "its structure cannot be checked: " + damage.status().message());
      return;
    }
    for (const auto& d : *damage) {
      Problem("projection", std::nullopt, "records.db",
              "is damaged (rebuild it from the ledger with `vellum rebuild-records`): " + d);
    }
  }

  // ---- totals ----

  void CheckTreeTail() {
    // Stored hashes beyond what the events imply mean events were removed.
    for (int level = 0; level < 64; ++level) {
      uint64_t expect = tree_.size() >> level;
      uint64_t have = in_.log->NodeCount(level);
      if (have > expect) {
        Problem("tree", std::nullopt, fmt::format("ledger/tree/level-{:02}.hash", level),
                fmt::format("holds {} hashes but the ledger's {} events make {}", have, tree_.size(), expect));
      }
    }
  }

  void CheckProjectionTotals() {
    if (!reader_) return;
    auto counts = reader_->CountRows();
    if (!counts.ok()) {
      Problem("projection", std::nullopt, "records.db", counts.status().message());
      return;
    }
    // The events records.db should hold: those it says it applied, and never more than the ledger's.
    const uint64_t replayed = std::min(applied_, report_.events);
    if (counts->events != replayed || counts->max_event_seq + 1 != static_cast<int64_t>(replayed)) {
      Problem("projection", std::nullopt, "records.db",
              replayed == report_.events
                  ? fmt::format("indexes {} events (highest seq {}) but the ledger holds {}", counts->events,
                                counts->max_event_seq, report_.events)
                  : fmt::format("indexes {} events (highest seq {}) but says it applied {}", counts->events,
                                counts->max_event_seq, replayed));
    }
    if (counts->max_version_seq >= static_cast<int64_t>(replayed)) {
      // A version row no event of the ledger made (added to records.db, or its event removed).
      auto extra = reader_->VersionBySeq(static_cast<uint64_t>(counts->max_version_seq));
      if (extra.ok() && *extra) {
        Problem(
            "projection", std::nullopt, "records.db",
            fmt::format(
                "record {}/{} version {} is attributed to seq {}, beyond the {} events records.db applied",
                (*extra)->record_type, (*extra)->record_id, (*extra)->version, (*extra)->seq,
                replayed));
      }
    }
    if (counts->record_versions != expected_versions_) {
      Problem("projection", std::nullopt, "records.db",
              fmt::format("holds {} record versions but the ledger's events make {}", counts->record_versions,
                          expected_versions_));
    }
    if (applied_ > report_.events) {
      Problem("projection", std::nullopt, "records.db",
              fmt::format("says it applied {} events but the ledger holds {}", applied_, report_.events));
    } else if (applied_ < report_.events) {
      CheckUnapplied();
    }
  }

  // Events after records.db's applied count: what a crash between writing the
  // ledger and committing records.db leaves, and what appending a forged event
  // to the files leaves too. Those a checkpoint signs are vouched for by it (a
  // power cut can lose records.db commits after the signing); the others by
  // nothing but their own chain: a problem, named, which the next open turns
  // into events a `system.recovered` event accounts for.
  void CheckUnapplied() {
    const uint64_t signed_end = std::clamp(report_.signed_size, applied_, report_.events);
    if (signed_end > applied_) {
      report_.notes.push_back(fmt::format(
          "records.db has not applied {} yet, which a checkpoint signs (a crash lost records.db's commit; the "
          "next command that opens the ledger applies them). Their chain, tree and checkpoints were checked, "
          "not their projection",
          Range(applied_, signed_end)));
    }
    if (report_.events > signed_end) {
      Problem("projection", signed_end, "records.db",
              fmt::format("{0} {1} in the ledger but records.db never applied {2} and no checkpoint signs {2}: "
                          "nothing vouches for {2}. A crash between writing the ledger and committing records.db "
                          "leaves this (the next command that opens the ledger applies {2} and records that in "
                          "a system.recovered event); otherwise someone appended {2} to the ledger's files",
                          Range(signed_end, report_.events), report_.events - signed_end == 1 ? "is" : "are",
                          Them(signed_end)));
    }
  }

  // records.db's note of events a recovery applied that no system.recovered
  // event records yet (recovery, step 5): what a crash right after the
  // recovery's commit leaves, recorded by the next open.
  void CheckRecoveryNote() {
    if (!in_.check_projection) return;
    auto note = in_.projection->UnrecordedRecovery();
    if (!note.ok()) {
      Problem("projection", std::nullopt, "records.db", note.status().message());
      return;
    }
    if (!*note) return;
    const uint64_t from = (*note)->RecordedFrom();
    const uint64_t replayed = std::min(applied_, report_.events);
    if (from > std::min(applied_, in_.log->EventCount())) {
      Problem("projection", std::nullopt, "records.db",
              fmt::format("its recovery note names events up to {}, which it has not applied", from - 1));
    } else if (last_recovered_seq_ && *last_recovered_seq_ >= from && *last_recovered_seq_ < replayed) {
      Problem("projection", *last_recovered_seq_, "records.db",
              fmt::format("it holds a recovery note that the system.recovered event {} after it, which it "
                          "applied, would have removed",
                          *last_recovered_seq_));
    } else {
      report_.notes.push_back(DescribeRecoveryNote(**note));
    }
  }

  std::string Them(uint64_t from) const { return report_.events - from == 1 ? "it" : "them"; }

  // ---- crash remnants and signatures ----

  // records.db's applied count bounds the replay. Read first: the streaming
  // stops at a torn tail only after it.
  void ReadAppliedCount() {
    auto applied = in_.projection->AppliedCount();
    if (!applied.ok()) {
      Problem("projection", std::nullopt, "records.db", "its applied count cannot be read: " + applied.status().message());
      return;  // applied_ stays "all": every event is compared, and fails
    }
    applied_ = *applied;
    report_.applied = std::min(applied_, in_.log->EventCount());
  }

  // Lines from `seq` on are not JSON at all: not events, but what a write cut
  // short by a power failure leaves; opening the ledger removes them (recovery,
  // step 1). records.db never applied them, so no acknowledged event is among them.
  void NoteTornTail(uint64_t seq, const storage::EventLocation& at) {
    const uint64_t lines = in_.log->EventCount() - seq;
    report_.notes.push_back(fmt::format(
        "the last {} line(s) of the ledger, from {}:{}, are not JSON: what a write cut short by a crash "
        "leaves, never acknowledged (records.db has not applied them); the next command that opens the "
        "ledger removes them",
        lines, at.file, at.offset));
  }

  void CheckSignedSize() {
    if (report_.events <= report_.signed_size) return;
    const std::string what = fmt::format(
        "{} after the latest checkpoint (tree size {}) {} covered by no signature yet: only the chain{} until a "
        "checkpoint signs {} (`vellum checkpoint`)",
        Range(report_.signed_size, report_.events), report_.signed_size,
        report_.events - report_.signed_size == 1 ? "is" : "are",
        in_.check_projection ? " and records.db vouch for " + Them(report_.signed_size)
                             : " vouches for " + Them(report_.signed_size),
        Them(report_.signed_size));
    if (in_.require_signed) {
      Problem("checkpoint", report_.signed_size, "ledger/checkpoints", what);
    } else {
      report_.notes.push_back(what);
    }
  }

  // "event 5" or "events 5..9" for [from, to).
  static std::string Range(uint64_t from, uint64_t to) {
    return to - from == 1 ? fmt::format("event {}", from) : fmt::format("events {}..{}", from, to - 1);
  }

  const VerifyInputs& in_;
  VerifyReport report_;
  TreeBuilder tree_;
  TreeComparer tree_cmp_;
  bool tree_reported_ = false;
  std::vector<CheckpointInfo> targets_;
  size_t next_target_ = 0;
  std::unique_ptr<ProjectionReader> reader_;
  bool schema_intact_ = false;
  std::future<StatusOr<std::vector<std::string>>> structure_;
  uint64_t expected_versions_ = 0;
  std::optional<uint64_t> last_recovered_seq_;
  // records.db's applied count: events before it are compared with their replay.
  uint64_t applied_ = UINT64_MAX;
};

}  // namespace

std::string DescribeRecoveryNote(const storage::RecoveryNote& note) {
  std::vector<std::string> did;
  if (note.applied) did.push_back(fmt::format("applied events {}..{}", note.applied->first_seq, note.applied->last_seq));
  if (note.lines_removed > 0 || note.bytes_removed > 0) {
    did.push_back(fmt::format("removed {} unreadable line(s) and {} byte(s) of an incomplete line at the end",
                              note.lines_removed, note.bytes_removed));
  }
  if (note.cut_events != 0) {
    did.push_back(fmt::format("removed, or was about to remove, {} unreadable line(s) and {} byte(s) of an "
                              "incomplete line at the end",
                              note.cut_lines, note.cut_bytes));
  }
  std::string what;
  for (size_t i = 0; i < did.size(); ++i) what += (i == 0 ? "" : i + 1 == did.size() ? " and " : ", ") + did[i];
  return fmt::format(
      "records.db notes that a recovery {} and ended before a system.recovered event could say so; the next "
      "command that opens the ledger records it",
      what);
}

StatusOr<VerifyReport> Verify(const VerifyInputs& in) {
  if (!in.log || !in.projection || !in.projector || !in.env) return InvalidArgumentError("verify inputs are incomplete");
  VerifyRun run(in);
  return run.Run();
}

}  // namespace vellum::ledger
