// The ledger and `verify` on other storage engines: the in-memory LogStore
// (tests/testing/memory_log_store.h) instead of the files, with records.db or
// the in-memory ProjectionStore (tests/testing/memory_projection_store.h), and
// no change to either. What the ledger guarantees comes from the LogStore contract, not
// from files: durable, gap-free appends under concurrency (SR-1), recovery of
// the tree past its synced size (SR-2), checkpoints and proofs (AT-5), and
// verify naming an edited or removed event wherever the engine keeps it (AT-4).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/env.h"
#include "ledger/checkpoint.h"
#include "ledger/event.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/verifier.h"
#include "records/records.h"
#include "storage/embedded/sqlite_projection.h"
#include "testing/direct_ledger.h"
#include "storage/memory/memory_log_store.h"
#include "storage/memory/memory_projection_store.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"
#include "testing/verify_checks.h"

namespace vellum::testing {
namespace {

using ::testing::_;
using storage::MemoryLogState;
using storage::MemoryLogStore;
using storage::MemoryProjectionState;
using storage::MemoryProjectionStore;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kOrigin[] = "vellum.test/memory-engine";
constexpr char kType[] = "annotation";

enum class Projection { kSqlite, kMemory };

class LedgerOnMemoryLogTest : public ::testing::TestWithParam<Projection> {
 protected:
  void SetUp() override {
    ASSERT_OK(parts_.Init());
    ASSERT_NO_FATAL_FAILURE(OpenStores(/*create=*/true));
    ASSERT_OK_AND_ASSIGN(ledger_, ledger::Ledger::Create(Deps(), Options(), Writer(), parts_.GenesisData()));
  }

  void OpenStores(bool create) {
    log_ = std::make_unique<MemoryLogStore>(state_);
    if (GetParam() == Projection::kMemory) {
      projection_ = std::make_unique<MemoryProjectionStore>(projection_state_);
    } else {
      ASSERT_OK_AND_ASSIGN(projection_, storage::SqliteProjectionStore::Open(tmp_.Sub("records.db"), create));
    }
  }

  // Closes the ledger and its stores and opens them again over the same state,
  // as a restart does.
  void Restart() {
    ledger_.reset();
    projection_.reset();
    log_.reset();
    ASSERT_NO_FATAL_FAILURE(OpenStores(/*create=*/false));
    ASSERT_OK_AND_ASSIGN(ledger_, ledger::Ledger::Open(Deps(), Options()));
  }

  ledger::LedgerDeps Deps() { return parts_.Deps(core::Env::Default(), log_.get(), projection_.get()); }

  static ledger::LedgerOptions Options() {
    ledger::LedgerOptions o;
    o.origin = kOrigin;
    o.checkpoint_every_events = 50;
    return o;
  }

  static ledger::Actor Writer() { return DirectLedgerParts::Writer(); }

  StatusOr<std::vector<ledger::Event>> Create(const std::string& id, int value) {
    ASSIGN_OR_RETURN(ledger::Decider d,
                     records::DecideCreate({kType, id, {{"label", "nodule"}, {"value", value}}, std::nullopt,
                                            std::nullopt}));
    return ledger_->Submit(Writer(), std::move(d));
  }

  ledger::VerifyReport RunVerify() {
    auto report = ledger::Verify(parts_.VerifyInputsFor(core::Env::Default(), log_.get(), projection_.get()));
    EXPECT_OK(report.status());
    return report.ok() ? std::move(*report) : ledger::VerifyReport{};
  }

  TempDir tmp_;
  std::shared_ptr<MemoryLogState> state_ = std::make_shared<MemoryLogState>();
  std::shared_ptr<MemoryProjectionState> projection_state_ = std::make_shared<MemoryProjectionState>();
  DirectLedgerParts parts_{kOrigin};
  std::unique_ptr<MemoryLogStore> log_;
  std::unique_ptr<storage::ProjectionStore> projection_;
  std::unique_ptr<ledger::Ledger> ledger_;
};

// SR-1, AT-4, AT-5: concurrent writers get gap-free sequence numbers, records
// are modified and deleted with their reasons, checkpoints are signed every 50
// events, proofs check against them, and verify finds nothing, all on an
// engine that is not files.
TEST_P(LedgerOnMemoryLogTest, WritesCheckpointsProofsAndVerifyWorkUnchanged) {
  constexpr int kThreads = 4, kPerThread = 30;
  std::vector<std::thread> threads;
  std::vector<Status> errors(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread && errors[t].ok(); ++i) {
        errors[t] = Create(fmt::format("t{}-{}", t, i), i).status();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const Status& s : errors) ASSERT_OK(s);
  ASSERT_OK_AND_ASSIGN(ledger::Decider modify,
                       records::DecideModify({kType, "t0-0", {{"label", "mass"}, {"value", 0}}, "second read",
                                              std::nullopt, std::nullopt}));
  ASSERT_OK(ledger_->Submit(Writer(), std::move(modify)).status());
  ASSERT_OK_AND_ASSIGN(ledger::Decider remove, records::DecideDelete({kType, "t1-0", "duplicate case", std::nullopt}));
  ASSERT_OK(ledger_->Submit(Writer(), std::move(remove)).status());
  const uint64_t size = ledger_->Size();
  EXPECT_EQ(log_->EventCount(), size);
  size_t record_events = 0;
  for (uint64_t seq = 0; seq < size; ++seq) {
    ASSERT_OK_AND_ASSIGN(std::string line, ledger_->ReadEvent(seq));
    ASSERT_OK_AND_ASSIGN(ledger::Event e, ledger::DecodeEvent(line));
    EXPECT_EQ(e.seq, seq);
    if (e.record) ++record_events;
  }
  EXPECT_EQ(record_events, kThreads * kPerThread + 2);

  ASSERT_OK_AND_ASSIGN(storage::StoredCheckpoint latest, ledger_->MakeCheckpoint());
  EXPECT_EQ(latest.size, size);
  ASSERT_OK_AND_ASSIGN(std::vector<storage::StoredCheckpoint> checkpoints, log_->ListCheckpoints());
  EXPECT_GE(checkpoints.size(), 3u);  // the genesis's, at least one every 50 events, this one
  ASSERT_OK_AND_ASSIGN(ledger::Checkpoint cp, ledger::OpenCheckpoint(latest.note, parts_.verifier(), kOrigin));
  for (uint64_t seq : {uint64_t{0}, uint64_t{60}, size - 1}) {
    ASSERT_OK_AND_ASSIGN(std::string line, ledger_->ReadEvent(seq));
    ASSERT_OK_AND_ASSIGN(std::vector<core::Hash> proof, ledger_->InclusionProof(seq, cp.size));
    EXPECT_OK(ledger::VerifyInclusion(ledger::LeafHash(line), seq, cp.size, proof, cp.root)) << "seq " << seq;
  }
  ledger::VerifyReport report = RunVerify();
  ExpectVerifyReportOk(report, size);
  EXPECT_EQ(report.signed_size, size);

  // The trail and the records read back through the engine's queries (AT-7, RV-1).
  std::vector<uint64_t> deletions;
  storage::EventQuery q;
  q.type = records::kDeleted;
  ASSERT_OK(projection_->QueryEvents(q, [&](uint64_t seq) {
    deletions.push_back(seq);
    return true;
  }));
  EXPECT_EQ(deletions, std::vector<uint64_t>{size - 1});
  ASSERT_OK_AND_ASSIGN(std::vector<storage::RecordVersionRow> history, projection_->History(kType, "t0-0"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].version, 2u);
  EXPECT_THAT(history[1].content, HasSubstr("mass"));
  ASSERT_OK_AND_ASSIGN(std::vector<storage::RecordVersionRow> all, projection_->ListRecords(kType));
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
}

// SR-2: after a restart the tree nodes past the synced size are gone (as after
// a crash); the ledger rebuilds them from the events, goes on appending, and
// verifies.
TEST_P(LedgerOnMemoryLogTest, RestartRebuildsTheTreePastItsSyncedSize) {
  for (int i = 0; i < 70; ++i) ASSERT_OK(Create(fmt::format("r-{}", i), i).status());
  const uint64_t size = ledger_->Size();
  ASSERT_OK_AND_ASSIGN(core::Hash root, ledger_->RootAt(size));
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_LT(log_->TreeSyncedSize(), size) << "the test needs unsynced tree nodes";
  EXPECT_EQ(ledger_->open_report().tree_leaves_rebuilt, size - log_->TreeSyncedSize());
  EXPECT_THAT(ledger_->open_report().damage, IsEmpty());
  EXPECT_EQ(ledger_->Size(), size);
  ASSERT_OK_AND_ASSIGN(core::Hash rebuilt, ledger_->RootAt(size));
  EXPECT_EQ(rebuilt, root);
  ASSERT_OK(Create("after-restart", 1).status());
  ExpectVerifyReportOk(RunVerify(), ledger_->Size());
}

// AT-4: an event edited where the engine keeps it is named by verify with the
// engine's own location; an acknowledged event removed from the end makes the
// ledger open read-only instead of writing over the gap.
TEST_P(LedgerOnMemoryLogTest, EditedAndRemovedEventsAreFoundWhereverTheEngineKeepsThem) {
  for (int i = 0; i < 10; ++i) ASSERT_OK(Create(fmt::format("e-{}", i), i).status());
  const uint64_t size = ledger_->Size();
  {
    std::unique_lock lock(state_->mu);
    std::string& line = state_->events[5];
    const size_t at = line.find("nodule");
    ASSERT_NE(at, std::string::npos);
    line.replace(at, 6, "benign");
  }
  ledger::VerifyReport report = RunVerify();
  EXPECT_FALSE(report.ok());
  bool named = false;
  for (const auto& p : report.problems) named = named || (p.seq == 5u && p.location.find("memory/events") == 0);
  EXPECT_TRUE(named) << "no problem names seq 5 in memory/events";

  if (GetParam() == Projection::kMemory) {  // records.db edited: tests/integration/tamper_test.cc
    {
      std::unique_lock lock(projection_state_->mu);
      projection_state_->versions.at(8).content = R"({"label":"benign","value":6})";
    }
    report = RunVerify();
    named = false;
    for (const auto& p : report.problems) named = named || (p.seq == 8u && p.area == "projection");
    EXPECT_TRUE(named) << "no projection problem names seq 8";
  }

  {
    std::unique_lock lock(state_->mu);
    state_->events.pop_back();  // the last acknowledged event
  }
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_THAT(ledger_->open_report().damage, Not(IsEmpty()));
  EXPECT_THAT(Create("after-damage", 1).status(), StatusIs(StatusCode::kFailedPrecondition, _));
  EXPECT_EQ(log_->EventCount(), size - 1) << "nothing is written into a damaged ledger";
}

// AT-5: an append to a witness file cut short (a crash, a full disk) leaves part of a
// note at its end. The next checkpoint cuts that off before it appends, so the file
// stays whole notes (the fragment would otherwise swallow the next note and make the
// whole file unreadable as notes for `verify --witness`).
TEST_P(LedgerOnMemoryLogTest, AWitnessFileCutShortIsMendedAtTheNextAppend) {
  const std::string witness = tmp_.Sub("witness.notes");
  ledger::LedgerOptions options = Options();
  options.witness_files = {witness};
  ledger_.reset();
  ASSERT_OK_AND_ASSIGN(ledger_, ledger::Ledger::Open(Deps(), options));
  ASSERT_OK(Create("w-1", 1).status());
  ASSERT_OK_AND_ASSIGN(storage::StoredCheckpoint first, ledger_->MakeCheckpoint());
  ASSERT_EQ(ReadFileOrDie(witness), first.note);
  for (size_t cut : {size_t{1}, first.note.size() / 2, first.note.size() - 1}) {
    SCOPED_TRACE(cut);
    const std::string before = ReadFileOrDie(witness);
    WriteFileOrDie(witness, before + first.note.substr(0, cut));  // what a cut-short append leaves
    ASSERT_OK(Create("w-" + std::to_string(cut + 1), 2).status());
    ASSERT_OK_AND_ASSIGN(storage::StoredCheckpoint next, ledger_->MakeCheckpoint());
    EXPECT_EQ(ReadFileOrDie(witness), before + next.note);
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> notes, ledger::SplitNotes(ReadFileOrDie(witness)));
    EXPECT_EQ(notes.back(), next.note);
  }
  // More than one append can leave is not cut (someone edited the file): nothing is
  // appended, the checkpoint is still stored, and the failure is reported.
  const std::string kept = ReadFileOrDie(witness) + std::string(4096, 'x');
  WriteFileOrDie(witness, kept);
  ASSERT_OK(Create("w-last", 3).status());
  EXPECT_THAT(ledger_->MakeCheckpoint(), StatusIs(StatusCode::kDataLoss, HasSubstr("does not end in whole notes")));
  EXPECT_EQ(ReadFileOrDie(witness), kept);
}

INSTANTIATE_TEST_SUITE_P(Projections, LedgerOnMemoryLogTest,
                         ::testing::Values(Projection::kSqlite, Projection::kMemory),
                         [](const ::testing::TestParamInfo<Projection>& info) {
                           return info.param == Projection::kMemory ? "MemoryProjection" : "Sqlite";
                         });

}  // namespace
}  // namespace vellum::testing
