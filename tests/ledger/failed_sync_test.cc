// A failed fdatasync on the ledger's write path, and what it must undo (SR-1:
// nothing that is not durable is acknowledged or left in records.db).
//
// Mainly, a failed sync while earlier, durable batches share the projection
// transaction (docs/architecture.md, "The write path"): the projection thread
// writes a large batch's rows into its open records.db transaction while the
// batch's events are synced, and that transaction can also hold the rows of
// earlier batches that are durable and whose calls are about to be answered.
// When the sync fails, the transaction is rolled back and the earlier batches
// are committed again without the failed one.
//
// The interleaving is forced, not hoped for: the test drives the ledger with
// real stores (FileLogStore through FaultInjectionEnv, SqliteProjectionStore
// behind ObservedProjectionStore) and parks the sequencer and the projection
// thread at chosen calls (see CallHolds); no sleeps, no timing.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/ed25519.h"
#include "core/signed_note.h"
#include "ledger/event.h"
#include "ledger/ledger.h"
#include "ledger/verifier.h"
#include "records/records.h"
#include "storage/embedded/file_log_store.h"
#include "storage/embedded/sqlite_projection.h"
#include "testing/direct_ledger.h"
#include "testing/fault_env.h"
#include "testing/observed_projection.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"
#include "testing/verify_checks.h"

namespace vellum::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAreArray;
using ::testing::Not;
using ::testing::HasSubstr;
using Txn = ObservedProjectionStore::Txn;

constexpr char kOrigin[] = "vellum.test/recommit";
constexpr char kType[] = "annotation";
// Only a failure is slow: every wait below ends in milliseconds when the
// ledger behaves, and a bounded one turns a hang into a failed assertion.
constexpr std::chrono::milliseconds kWait{30'000};

std::vector<uint64_t> Seqs(uint64_t from, uint64_t to) {
  std::vector<uint64_t> out;
  for (uint64_t s = from; s < to; ++s) out.push_back(s);
  return out;
}

// Threads that call the ledger. Leaving the test, also after a failed ASSERT,
// first lets every held call go (so that no thread stays parked), then joins.
class Callers {
 public:
  explicit Callers(std::function<void()> release_all) : release_all_(std::move(release_all)) {}
  ~Callers() {
    release_all_();
    JoinAll();
  }
  void Run(std::function<void()> fn) { threads_.emplace_back(std::move(fn)); }
  void JoinAll() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::function<void()> release_all_;
  std::vector<std::thread> threads_;
};

class LedgerFailedSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(parts_.Init());
    ASSERT_NO_FATAL_FAILURE(OpenStores(/*create=*/true));
    ASSERT_OK_AND_ASSIGN(ledger_, ledger::Ledger::Create(Deps(), Options(), Writer(), parts_.GenesisData()));
  }

  void OpenStores(bool create) {
    const std::string dir = tmp_.Sub("ledger");
    if (create) {
      ASSERT_OK_AND_ASSIGN(log_, storage::FileLogStore::Create(&env_, dir));
    } else {
      ASSERT_OK_AND_ASSIGN(log_, storage::FileLogStore::Open(&env_, dir));
    }
    ASSERT_OK_AND_ASSIGN(sqlite_, storage::SqliteProjectionStore::Open(tmp_.Sub("records.db"), create));
    projection_ = std::make_unique<ObservedProjectionStore>(sqlite_.get());
  }

  // Closes the ledger and its stores and opens them again, as a restart does.
  void Reopen() {
    ledger_.reset();
    projection_.reset();
    sqlite_.reset();
    log_.reset();
    ASSERT_NO_FATAL_FAILURE(OpenStores(/*create=*/false));
    ASSERT_OK_AND_ASSIGN(ledger_, ledger::Ledger::Open(Deps(), Options()));
  }

  ledger::LedgerDeps Deps() { return parts_.Deps(&env_, log_.get(), projection_.get()); }

  ledger::LedgerOptions Options() const {
    ledger::LedgerOptions o;
    o.origin = kOrigin;
    o.max_batch_events = max_batch_events_;
    // No checkpoint (its syncs would shift the numbering of the syncs held below).
    o.checkpoint_every_events = 1'000'000;
    o.checkpoint_every_micros = int64_t{1} << 60;
    return o;
  }

  static ledger::Actor Writer() { return DirectLedgerParts::Writer(); }

  static std::string Id(const std::string& prefix, size_t i) { return fmt::format("{}-{:02}", prefix, i); }

  // `n` record creations, each appending one event.
  static std::vector<ledger::Decider> Creates(const std::string& prefix, size_t n) {
    std::vector<ledger::Decider> out;
    for (size_t i = 0; i < n; ++i) {
      auto d = records::DecideCreate({kType, Id(prefix, i), {{"i", i}}, std::nullopt, std::nullopt});
      EXPECT_OK(d.status());
      if (d.ok()) out.push_back(std::move(*d));
    }
    return out;
  }

  // A run of record creations: Id(prefix, i) for i < count, at seq first + i.
  struct Run {
    std::string prefix;
    uint64_t first = 0;
    size_t count = 0;
  };

  // The ledger holds events [0, size), records.db reflects exactly those, the
  // records of `present` are in both at their sequence numbers, and nothing
  // of `absent` is in either.
  void ExpectContents(uint64_t size, const std::vector<Run>& present, const Run& absent) {
    EXPECT_EQ(ledger_->Size(), size);
    EXPECT_EQ(log_->EventCount(), size);
    EXPECT_THAT(ledger_->ReadEvent(size), StatusIs(StatusCode::kNotFound, HasSubstr("no event")));
    ASSERT_OK_AND_ASSIGN(uint64_t applied, projection_->AppliedCount());
    EXPECT_EQ(applied, size);
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<storage::ProjectionReader> reader, projection_->BeginRead(true));
    ASSERT_OK_AND_ASSIGN(storage::ProjectionReader::Counts counts, reader->CountRows());
    EXPECT_EQ(counts.events, size) << "records.db indexes other events than the ledger holds";
    EXPECT_EQ(counts.max_event_seq, static_cast<int64_t>(size) - 1);
    for (const Run& run : present) {
      for (size_t i = 0; i < run.count; ++i) {
        SCOPED_TRACE(fmt::format("{} at seq {}", Id(run.prefix, i), run.first + i));
        ASSERT_OK_AND_ASSIGN(std::string line, ledger_->ReadEvent(run.first + i));
        ASSERT_OK_AND_ASSIGN(ledger::Event e, ledger::DecodeEvent(line));
        ASSERT_TRUE(e.record.has_value());
        EXPECT_EQ(e.record->id, Id(run.prefix, i));
        ASSERT_OK_AND_ASSIGN(std::optional<storage::RecordVersionRow> row,
                             reader->LatestVersion(kType, Id(run.prefix, i)));
        ASSERT_TRUE(row.has_value()) << "an acknowledged record is missing from records.db";
        EXPECT_EQ(row->seq, run.first + i);
      }
    }
    for (size_t i = 0; i < absent.count; ++i) {
      ASSERT_OK_AND_ASSIGN(std::optional<storage::RecordVersionRow> row,
                           reader->LatestVersion(kType, Id(absent.prefix, i)));
      EXPECT_FALSE(row.has_value()) << Id(absent.prefix, i) << ", of a failed call, is in records.db";
    }
    for (uint64_t seq = 0; seq < size; ++seq) {
      ASSERT_OK_AND_ASSIGN(std::string line, ledger_->ReadEvent(seq));
      ASSERT_OK_AND_ASSIGN(ledger::Event e, ledger::DecodeEvent(line));
      if (e.record) {
        EXPECT_THAT(e.record->id, ::testing::Not(::testing::StartsWith(absent.prefix + "-")))
            << "event " << seq << " belongs to a failed call";
      }
    }
  }

  // `vellum verify` over the ledger files and records.db finds nothing (AT-4).
  void ExpectVerifies(uint64_t size) {
    ASSERT_OK_AND_ASSIGN(ledger::VerifyReport report,
                         ledger::Verify(parts_.VerifyInputsFor(&env_, log_.get(), projection_.get())));
    ExpectVerifyReportOk(report, size);
  }

  // How many system.started events records.db indexes.
  size_t StartEvents() { return EventsOfType("system.started"); }

  // One record written, then the clock moved back beyond the tolerance, so
  // that the next write stops writes (AT-6). *size: the ledger's size then.
  void WriteThenMoveTheClockBack(uint64_t* size) {
    auto first = records::DecideCreate({kType, "first", {{"i", 0}}, std::nullopt, std::nullopt});
    ASSERT_OK(first.status());
    ASSERT_OK(ledger_->Submit(Writer(), std::move(*first)).status());
    *size = ledger_->Size();
    parts_.clock().Advance(-10 * static_cast<int64_t>(Options().clock_tolerance_micros));
  }

  // Events of `type` in records.db.
  size_t EventsOfType(const std::string& type) {
    size_t n = 0;
    storage::EventQuery q;
    q.type = type;
    EXPECT_OK(projection_->QueryEvents(q, [&](uint64_t) {
      ++n;
      return true;
    }));
    return n;
  }

  size_t max_batch_events_ = ledger::LedgerOptions().max_batch_events;
  TempDir tmp_;
  FaultInjectionEnv env_;
  DirectLedgerParts parts_{kOrigin};
  std::unique_ptr<storage::SqliteProjectionStore> sqlite_;
  std::unique_ptr<ObservedProjectionStore> projection_;
  std::unique_ptr<storage::FileLogStore> log_;
  std::unique_ptr<ledger::Ledger> ledger_;
};


// SR-1: nothing acknowledged is lost, nothing unacknowledged is projected.
// Batch A (durable, its calls about to succeed) and batch B (whose fdatasync
// fails) are in the same open records.db transaction when B's sync fails: A's
// calls succeed and A is in the ledger and in records.db, committed again
// after the rollback (not left for recovery to re-apply); B's calls fail and
// nothing of B is anywhere, so its sequence numbers are handed out again;
// reopening finds nothing to repair and verify passes (SR-2, AT-4).
//
// Forcing the interleaving (each step waits for the previous one to be reached):
//  1. the projection thread is held in the BeginWrite of an earlier call Z, so
//     it takes no further batch until released;
//  2. A (64 commands: written into the transaction during its sync) is taken
//     by the sequencer in one batch and held in its fdatasync; only then are
//     B's commands queued, so B is a batch of its own;
//  3. A's sync completes, B is handed to the projection thread and held in its
//     fdatasync, which is armed to fail: both batches now wait for the
//     projection thread;
//  4. the projection thread is released: it commits Z, takes A and B together
//     and writes their rows into one transaction; once the transaction log
//     shows all of them written and the transaction still open, B's sync is
//     released and fails.
// The transaction log then proves the path: that transaction was rolled back
// and the next one committed exactly A's rows.
TEST_F(LedgerFailedSyncTest, DurableBatchesSharingTheTransactionOfAFailedSyncAreCommittedAgain) {
  constexpr size_t kBatch = 64;  // the ledger's early hand-over size: rows written during the sync
  const ledger::Actor writer = Writer();
  StatusOr<std::vector<ledger::Event>> z = InternalError("not run");
  std::vector<StatusOr<std::vector<ledger::Event>>> a, b;
  Callers callers([&] {
    env_.ClearFaults();
    if (projection_) projection_->ReleaseAll();
  });

  // 1.
  const size_t txns_before = projection_->Transactions().size();
  const uint64_t z_write = projection_->HoldNthWrite(1);
  callers.Run([&] {
    auto d = records::DecideCreate({kType, "z-00", {{"i", 0}}, std::nullopt, std::nullopt});
    z = d.ok() ? ledger_->Submit(writer, std::move(*d)) : d.status();
  });
  ASSERT_TRUE(projection_->AwaitHeldWrite(z_write, kWait)) << "Z never reached the projection thread";
  // Z is a small batch: handed over only after its append, so it is in Size() already.
  const uint64_t a_first = ledger_->Size();
  const uint64_t b_first = a_first + kBatch;

  // 2.
  const uint64_t a_sync = env_.HoldNth(FaultOp::kSync, 1);
  const uint64_t b_sync = env_.HoldNth(FaultOp::kSync, 2);
  env_.FailNth(FaultOp::kSync, 2, UnavailableError("injected fdatasync failure"));
  callers.Run([&] { a = ledger_->SubmitAll(writer, Creates("a", kBatch)); });
  ASSERT_TRUE(env_.AwaitHeld(FaultOp::kSync, a_sync, kWait)) << "A was never synced";
  callers.Run([&] { b = ledger_->SubmitAll(writer, Creates("b", kBatch)); });

  // 3.
  env_.ReleaseHeld(FaultOp::kSync, a_sync);
  ASSERT_TRUE(env_.AwaitHeld(FaultOp::kSync, b_sync, kWait)) << "B was never synced";

  // 4.
  projection_->ReleaseHeldWrite(z_write);
  const std::vector<uint64_t> ab_seqs = Seqs(a_first, b_first + kBatch);
  ASSERT_TRUE(projection_->AwaitTransactions(
      [&](const std::vector<Txn>& txns) {
        return txns.size() == txns_before + 2 && txns.back().end == Txn::End::kOpen &&
               txns.back().event_seqs == ab_seqs && txns.back().version_seqs == ab_seqs;
      },
      kWait))
      << "A's and B's rows were never written into one open transaction";
  env_.ReleaseHeld(FaultOp::kSync, b_sync);
  callers.JoinAll();

  // The calls: Z and A acknowledged, B failed with the sync's error.
  ASSERT_OK(z.status());
  ASSERT_EQ(a.size(), kBatch);
  for (size_t i = 0; i < kBatch; ++i) {
    ASSERT_OK(a[i].status()) << Id("a", i);
    ASSERT_EQ(a[i]->size(), 1u);
    EXPECT_EQ(a[i]->front().seq, a_first + i);
  }
  ASSERT_EQ(b.size(), kBatch);
  for (const auto& r : b) {
    EXPECT_THAT(r, StatusIs(StatusCode::kUnavailable, HasSubstr("injected fdatasync failure")));
  }

  // The path taken: Z committed alone; then one transaction held A's and B's
  // rows and was rolled back; then A's rows alone were committed again.
  const std::vector<Txn> txns = projection_->Transactions();
  ASSERT_EQ(txns.size(), txns_before + 3);
  const Txn& with_z = txns[txns_before];
  const Txn& with_a_and_b = txns[txns_before + 1];
  const Txn& again = txns[txns_before + 2];
  EXPECT_EQ(with_z.end, Txn::End::kCommitted);
  EXPECT_EQ(with_z.applied, a_first);
  EXPECT_EQ(with_a_and_b.end, Txn::End::kRolledBack);
  EXPECT_THAT(with_a_and_b.event_seqs, ElementsAreArray(ab_seqs));
  EXPECT_EQ(again.end, Txn::End::kCommitted);
  EXPECT_EQ(again.applied, b_first);
  EXPECT_THAT(again.event_seqs, ElementsAreArray(Seqs(a_first, b_first)));
  EXPECT_THAT(again.version_seqs, ElementsAreArray(Seqs(a_first, b_first)));

  // Nothing of B remains: not in the segment (the store cut its lines when the
  // sync failed), not in records.db.
  const Run run_a{"a", a_first, kBatch};
  const Run run_b{"b", b_first, kBatch};
  ASSERT_NO_FATAL_FAILURE(ExpectContents(b_first, {run_a}, run_b));

  // Writes go on, and B's first sequence number is handed out again.
  auto c_decider = records::DecideCreate({kType, "c-00", {{"i", 0}}, std::nullopt, std::nullopt});
  ASSERT_OK(c_decider.status());
  ASSERT_OK_AND_ASSIGN(std::vector<ledger::Event> c, ledger_->Submit(writer, std::move(*c_decider)));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c.front().seq, b_first);
  const Run run_c{"c", b_first, 1};
  ASSERT_NO_FATAL_FAILURE(ExpectContents(b_first + 1, {run_a, run_c}, run_b));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(b_first + 1));

  // A restart finds a consistent ledger: nothing to cut, nothing to re-apply.
  ASSERT_NO_FATAL_FAILURE(Reopen());
  const ledger::OpenReport& report = ledger_->open_report();
  EXPECT_THAT(report.damage, ::testing::IsEmpty());
  EXPECT_EQ(report.torn_tail_bytes, 0u);
  EXPECT_EQ(report.invalid_tail_events_removed, 0u);
  EXPECT_EQ(report.events_reapplied, 0u) << "records.db lacked acknowledged events";
  ASSERT_NO_FATAL_FAILURE(ExpectContents(b_first + 1, {run_a, run_c}, run_b));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(b_first + 1));
}


// SR-1: the sequencer sequences the next batch while the previous one is
// appended (a large batch, and more commands are waiting). When that append
// fails, the batch sequenced on top of it fails with it, refusals included:
// they may rest on rows that are gone. Nothing of either batch is anywhere and
// their sequence numbers are handed out again (SR-2, AT-4).
//
// Batches of at most 64 commands (the ledger's early hand-over size: smaller
// ones are not appended on the append thread); 128 queued at once. A
// (a-00..a-63, after the system.started event this process records) is
// appended on the append thread while B (b-00..b-62, and a-00 again: a
// duplicate only because of A) is sequenced. A's sync is held until then and fails.
TEST_F(LedgerFailedSyncTest, BatchSequencedDuringAFailedAppendFailsWithIt) {
  constexpr size_t kBatch = 64;
  max_batch_events_ = kBatch;
  ASSERT_NO_FATAL_FAILURE(Reopen());
  const uint64_t first = ledger_->Size();
  std::vector<ledger::Decider> deciders = Creates("a", kBatch);
  for (auto& d : Creates("b", kBatch - 1)) deciders.push_back(std::move(d));
  deciders.push_back(std::move(Creates("a", 1).front()));
  const uint64_t a_sync = env_.HoldNth(FaultOp::kSync, 1);
  env_.FailNth(FaultOp::kSync, 1, UnavailableError("injected fdatasync failure"));
  std::vector<StatusOr<std::vector<ledger::Event>>> results;
  Callers callers([&] { env_.ClearFaults(); });
  callers.Run([&] { results = ledger_->SubmitAll(Writer(), std::move(deciders)); });
  ASSERT_TRUE(env_.AwaitHeld(FaultOp::kSync, a_sync, kWait)) << "A was never synced";
  env_.ReleaseHeld(FaultOp::kSync, a_sync);
  callers.JoinAll();

  ASSERT_EQ(results.size(), 2 * kBatch);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_THAT(results[i], StatusIs(StatusCode::kUnavailable, HasSubstr("injected fdatasync failure")))
        << "command " << i;
  }
  ASSERT_NO_FATAL_FAILURE(ExpectContents(first, {}, Run{"a", first, kBatch}));
  ASSERT_NO_FATAL_FAILURE(ExpectContents(first, {}, Run{"b", first, kBatch - 1}));

  // The duplicate was refused on A's rows only: created now, after this
  // process's start is recorded again, at A's first sequence number + 1.
  ASSERT_OK_AND_ASSIGN(std::vector<ledger::Event> again,
                       ledger_->Submit(Writer(), std::move(Creates("a", 1).front())));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again.front().seq, first + 1);
  ASSERT_NO_FATAL_FAILURE(ExpectContents(first + 2, {Run{"a", first + 1, 1}}, Run{"b", first, kBatch - 1}));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(first + 2));
}

// SR-1, AT-1: batches appended on the append thread while the next ones are
// sequenced keep the order and density of sequence numbers: 640 commands in
// batches of at most 64 each sync once per batch, all acknowledged in order,
// and the ledger verifies.
TEST_F(LedgerFailedSyncTest, BatchesSequencedDuringAppendsKeepTheirOrder) {
  constexpr size_t kBatch = 64, kCommands = 10 * kBatch;
  max_batch_events_ = kBatch;
  ASSERT_NO_FATAL_FAILURE(Reopen());
  const uint64_t first = ledger_->Size();
  const uint64_t syncs_before = env_.OpCount(FaultOp::kSync);
  auto results = ledger_->SubmitAll(Writer(), Creates("p", kCommands));
  ASSERT_EQ(results.size(), kCommands);
  // The first batch also carries this process's system.started event.
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_OK(results[i].status()) << Id("p", i);
    ASSERT_EQ(results[i]->size(), 1u);
    EXPECT_EQ(results[i]->front().seq, first + 1 + i);
  }
  EXPECT_EQ(env_.OpCount(FaultOp::kSync) - syncs_before, 10u);
  ASSERT_NO_FATAL_FAILURE(ExpectContents(first + 1 + kCommands, {Run{"p", first + 1, kCommands}}, Run{"q", 0, 0}));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(first + 1 + kCommands));
}

// AT-6, CC-1: the first write of a process records the clock and software in a
// system.started event (here always: this genesis records neither). When the
// batch that carries it fails its sync, the event is gone with the batch, so
// the next write must record it instead.
TEST_F(LedgerFailedSyncTest, StartOfTheProcessIsRecordedByTheNextWriteWhenTheFirstOneFails) {
  ASSERT_EQ(StartEvents(), 0u);
  env_.FailNth(FaultOp::kSync, 1, UnavailableError("injected fdatasync failure"));
  auto first = records::DecideCreate({kType, "first", {{"i", 0}}, std::nullopt, std::nullopt});
  ASSERT_OK(first.status());
  EXPECT_THAT(ledger_->Submit(Writer(), std::move(*first)),
              StatusIs(StatusCode::kUnavailable, HasSubstr("injected fdatasync failure")));
  EXPECT_EQ(StartEvents(), 0u);
  auto second = records::DecideCreate({kType, "second", {{"i", 1}}, std::nullopt, std::nullopt});
  ASSERT_OK(second.status());
  ASSERT_OK_AND_ASSIGN(std::vector<ledger::Event> events, ledger_->Submit(Writer(), std::move(*second)));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(StartEvents(), 1u) << "the start of this process is not recorded";
  // genesis, system.started, "second"
  EXPECT_EQ(events.front().seq, 2u);
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(3));
}

// AT-6: a clock moved back beyond the tolerance stops writes with a security
// event. When the sync of the batch carrying that event fails, the event is
// appended again on its own, and every refusal names where it is.
TEST_F(LedgerFailedSyncTest, ClockAnomalyLostWithAFailedSyncIsAppendedAgain) {
  uint64_t size = 0;
  ASSERT_NO_FATAL_FAILURE(WriteThenMoveTheClockBack(&size));
  env_.FailNth(FaultOp::kSync, 1, UnavailableError("injected fdatasync failure"));
  const std::string recorded = fmt::format("a security event was recorded at seq {}", size);
  auto late = records::DecideCreate({kType, "late", {{"i", 1}}, std::nullopt, std::nullopt});
  ASSERT_OK(late.status());
  EXPECT_THAT(ledger_->Submit(Writer(), std::move(*late)),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr(recorded)));
  auto later = records::DecideCreate({kType, "later", {{"i", 2}}, std::nullopt, std::nullopt});
  ASSERT_OK(later.status());
  EXPECT_THAT(ledger_->Submit(Writer(), std::move(*later)),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr(recorded)));
  ASSERT_OK_AND_ASSIGN(std::string line, ledger_->ReadEvent(size));
  ASSERT_OK_AND_ASSIGN(ledger::Event e, ledger::DecodeEvent(line));
  EXPECT_EQ(e.type, "security.clock_anomaly");
  EXPECT_EQ(e.seq, size);
  // Closed, the projection thread has committed everything: the event is in records.db too.
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(ledger_->Size(), size + 1);
  EXPECT_EQ(EventsOfType("security.clock_anomaly"), 1u);
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(size + 1));
}

// AT-6: when the security event cannot be stored at all, the refusal says so
// rather than naming a sequence number that holds nothing.
class ClockAnomalyNotStoredTest : public LedgerFailedSyncTest {
 protected:
  // Moves the clock back, arms `faults`, and expects the next write refused
  // with `error` named and nothing of it or of the security event stored.
  void ExpectRefusedAndNothingStored(const std::function<void()>& faults, const std::string& error) {
    uint64_t size = 0;
    ASSERT_NO_FATAL_FAILURE(WriteThenMoveTheClockBack(&size));
    faults();
    auto late = records::DecideCreate({kType, "late", {{"i", 1}}, std::nullopt, std::nullopt});
    ASSERT_OK(late.status());
    EXPECT_THAT(ledger_->Submit(Writer(), std::move(*late)),
                StatusIs(StatusCode::kFailedPrecondition,
                         AllOf(HasSubstr("the security event recording this could not be stored"),
                               HasSubstr(error), Not(HasSubstr("recorded at seq")))));
    env_.ClearFaults();
    ASSERT_NO_FATAL_FAILURE(Reopen());
    EXPECT_EQ(ledger_->Size(), size);
    EXPECT_EQ(EventsOfType("security.clock_anomaly"), 0u);
    ASSERT_NO_FATAL_FAILURE(ExpectVerifies(size));
  }
};

// The batch's failed append could not be undone: the log is not written again.
TEST_F(ClockAnomalyNotStoredTest, AfterAnAppendThatCouldNotBeUndone) {
  ExpectRefusedAndNothingStored(
      [&] { env_.FailFromNth(FaultOp::kSync, 1, UnavailableError("injected fdatasync failure")); },
      "could not be undone: injected fdatasync failure");
}

// The batch's sync fails, it is undone (sync 2), and the event's own sync fails too (sync 3).
TEST_F(ClockAnomalyNotStoredTest, WhenItsOwnAppendFailsToo) {
  ExpectRefusedAndNothingStored(
      [&] {
        env_.FailNth(FaultOp::kSync, 1, UnavailableError("injected fdatasync failure"));
        env_.FailNth(FaultOp::kSync, 3, UnavailableError("second injected fdatasync failure"));
      },
      "(second injected fdatasync failure)");
}

}  // namespace
}  // namespace vellum::testing
