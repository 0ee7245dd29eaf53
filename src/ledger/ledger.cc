// Ledger's API: opening (recovery, then the threads), submitting commands,
// reading events and proofs, closing. The machinery is in ledger_impl.h.
#include "ledger/ledger.h"

#include <fmt/format.h>

#include "core/thread_name.h"
#include "ledger/ledger_impl.h"

namespace vellum::ledger {

Actor SystemActor() {
  Actor a;
  a.id = "system";
  a.name = "Vellum";
  return a;
}

void Ledger::Impl::Start() {
  append_thread = std::make_unique<AppendThread>();
  sequencer = std::thread([this] {
    core::NameThisThread("vellum-sequence");
    SequencerLoop();
  });
  applier = std::thread([this] {
    core::NameThisThread("vellum-project");
    ApplierLoop();
  });
  // After recovery, whose rows are committed: the fill's snapshot holds
  // them, and every row sequenced from now on enters the filter through
  // `pending` before it reaches the projection.
  key_filter_fill = std::jthread([this](std::stop_token stop) {
    core::NameThisThread("vellum-keys");
    auto reader = deps.projection->BeginRead(/*snapshot=*/true);
    // Unfilled, the filter answers "maybe" for every record: lookups go to
    // the projection as they would without it.
    if (reader.ok()) FillRecordKeyFilter(**reader, *key_filter, stop).IgnoreError();
  });
}

void Ledger::Impl::Stop() {
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


Ledger::Ledger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Ledger::~Ledger() {
  if (!impl_) return;
  impl_->Stop();
  const auto& allowed = impl_->options.checkpoint_at_close;
  if (impl_->HaltStatus().ok() && impl_->CheckpointDue() && (!allowed || allowed())) {
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
  // The note is removed once the system.recovered event is in records.db:
  // its commits need not be durable any longer.
  if (ledger->RecordRecovery() && ledger->impl_->projection_durable) {
    Status s = deps.projection->SetDurableCommits(false);
    if (s.ok()) ledger->impl_->projection_durable = false;
    else ledger->impl_->Warn("records.db's commits stay durable (slower, as safe): " + s.ToString());
  }
  return ledger;
}

// Events that recovery applied were in the ledger but not in records.db: left by
// a crash between the two, or appended by someone with access to the files, who
// would look the same (docs/threat-model.md). The trail says which ones entered
// this way, in an event the next checkpoint signs with them.
bool Ledger::RecordRecovery() {
  const OpenReport& r = impl_->report;
  const storage::RecoveryNote earlier = r.earlier_unrecorded.value_or(storage::RecoveryNote{});
  const uint64_t lines_removed = r.invalid_tail_events_removed + earlier.lines_removed;
  const uint64_t bytes_removed = r.torn_tail_bytes + earlier.bytes_removed;
  if (r.events_reapplied == 0 && lines_removed == 0 && bytes_removed == 0 && !earlier.applied) return true;
  if (!impl_->HaltStatus().ok()) return false;  // writes are refused; the open's report names why
  auto range = [](uint64_t first, uint64_t last) {
    return boost::json::object{{"first_seq", first}, {"last_seq", last}};
  };
  EventDraft d;
  d.type = std::string(kRecoveredEventType);
  if (r.events_reapplied > 0) {
    const uint64_t last = r.reapplied_from + r.events_reapplied - 1;
    // An earlier open's events that end where this one's begin are one range.
    const bool adjoins = earlier.applied && earlier.applied->last_seq + 1 == r.reapplied_from;
    d.data["applied_to_records_db"] = range(adjoins ? earlier.applied->first_seq : r.reapplied_from, last);
    if (earlier.applied && !adjoins) {
      d.data["earlier_applied_to_records_db"] = range(earlier.applied->first_seq, earlier.applied->last_seq);
    }
  } else if (earlier.applied) {
    d.data["applied_to_records_db"] = range(earlier.applied->first_seq, earlier.applied->last_seq);
  }
  if (lines_removed > 0) d.data["unreadable_lines_removed"] = lines_removed;
  if (bytes_removed > 0) d.data["incomplete_line_bytes_removed"] = bytes_removed;
  auto recorded = Submit(SystemActor(), [d = std::move(d)](storage::ProjectionReader&) mutable
                         -> StatusOr<std::vector<EventDraft>> { return OneDraft(std::move(d)); });
  if (!recorded.ok()) {
    impl_->Warn("recovery could not be recorded in the ledger (system.recovered): " + recorded.status().ToString());
  }
  return recorded.ok();
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
