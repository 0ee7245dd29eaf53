// Verify's comparison of the stored tree files with the tree recomputed from the
// events, over ledgers of several of the runs of lines verify checks at once
// (each run is compared by its own worker, which hashes the nodes inside it; the
// nodes above are compared as the runs are put together, in order). AT-4.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ed25519.h"
#include "core/env.h"
#include "core/signed_note.h"
#include "ledger/checkpoint.h"
#include "ledger/event.h"
#include "ledger/merkle.h"
#include "ledger/verifier.h"
#include "storage/embedded/file_log_store.h"
#include "storage/embedded/sqlite_projection.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::testing {
namespace {

constexpr char kOrigin[] = "vellum.test/verify-tree";
// Three full runs of 2048 lines and a partial one.
constexpr uint64_t kEvents = 3 * 2048 + 100;
// Inside the first run, at the boundaries of the second (which goes in as one
// subtree), inside the third (which goes in leaf by leaf), and at the end.
constexpr uint64_t kCheckpointSizes[] = {1, 2048, 4096, 5000, kEvents};

// Verify needs a projector, but not for the ledger files alone.
class NoProjector final : public ledger::Projector {
 public:
  Status Apply(const ledger::Event&, storage::ProjectionTxn&) override { return OkStatus(); }
};

class VerifierTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(core::Ed25519PrivateKey key, core::Ed25519PrivateKey::Generate());
    ASSERT_OK_AND_ASSIGN(core::NoteSigner signer, core::ParseSignerKey(core::FormatSignerKey(kOrigin, key)));
    verifier_ = core::MakeNoteVerifier(kOrigin, key.public_key());
    ASSERT_NO_FATAL_FAILURE(WriteLedger(signer));
  }

  // kEvents chained events, every tree node, and signed checkpoints at kCheckpointSizes.
  void WriteLedger(const core::NoteSigner& signer) {
    ASSERT_OK_AND_ASSIGN(auto log, storage::FileLogStore::Create(core::Env::Default(), LedgerDir()));
    ledger::TreeBuilder tree;
    std::optional<core::Hash> prev, prev_note;
    std::vector<std::string> lines;
    std::vector<storage::TreeNode> nodes;
    for (uint64_t seq = 0; seq < kEvents; ++seq) {
      ledger::Event e;
      e.seq = seq;
      e.id = fmt::format("{:032x}", seq + 1);
      e.ts = 1'767'225'600'000'000 + static_cast<int64_t>(seq) * 1000;
      e.type = seq == 0 ? "ledger.genesis" : "test.noted";
      e.actor = {"system", "Vellum", std::nullopt, std::nullopt, std::nullopt};
      if (seq == 0) e.data = {{"public_key", core::FormatVerifierKey(verifier_)}};
      e.prev = prev;
      ASSERT_OK_AND_ASSIGN(std::string line, ledger::EncodeEvent(e));
      prev = ledger::LeafHash(line);
      lines.push_back(std::move(line));
      tree.Append(*prev, [&](int level, uint64_t index, const core::Hash& h) {
        nodes.push_back({level, index, h});
      });
      if (std::find(std::begin(kCheckpointSizes), std::end(kCheckpointSizes), tree.size()) !=
          std::end(kCheckpointSizes)) {
        ledger::Checkpoint cp;
        cp.origin = kOrigin;
        cp.size = tree.size();
        cp.root = tree.Root();
        cp.time_micros = e.ts;
        cp.prev = prev_note;
        ASSERT_OK_AND_ASSIGN(std::string note, ledger::SignCheckpoint(cp, signer));
        ASSERT_OK(log->AppendEvents(lines));
        lines.clear();
        ASSERT_OK(log->AppendNodes(nodes));
        nodes.clear();
        ASSERT_OK(log->SyncTree(tree.size()));
        ASSERT_OK(log->PutCheckpoint(tree.size(), note));
        prev_note = ledger::CheckpointNoteHash(note);
      }
    }
    root_ = tree.Root();
  }

  std::string LedgerDir() const { return tmp_.Sub("ledger"); }
  std::string LevelPath(int level) const {
    return LedgerDir() + "/tree/" + storage::FileLogStore::LevelName(level);
  }

  // Flips a bit of entry `index` of the level file.
  void DamageEntry(int level, uint64_t index) {
    std::string bytes = ReadFileOrDie(LevelPath(level));
    ASSERT_GE(bytes.size(), (index + 1) * 32);
    bytes[index * 32 + 3] = static_cast<char>(bytes[index * 32 + 3] ^ 0x10);
    WriteFileOrDie(LevelPath(level), bytes);
  }

  ledger::VerifyReport Verify(std::function<void(uint64_t, uint64_t)> progress = nullptr) {
    auto log = storage::FileLogStore::Open(core::Env::Default(), LedgerDir());
    EXPECT_OK(log.status());
    auto projection = storage::SqliteProjectionStore::Open(tmp_.Sub("records.db"), true);
    EXPECT_OK(projection.status());
    ledger::VerifyInputs in;
    in.log = log->get();
    in.projection = projection->get();
    in.projector = &projector_;
    in.ledger_key = verifier_;
    in.origin = kOrigin;
    in.env = core::Env::Default();
    in.check_projection = false;
    in.progress = std::move(progress);
    in.progress_interval_ms = 0;  // told after every run of lines
    auto report = ledger::Verify(in);
    EXPECT_OK(report.status());
    return std::move(report).value();
  }

  // Exactly one problem: the tree entry at `level`/`index`, at the leaf that completes it.
  void ExpectOnlyTreeProblem(const ledger::VerifyReport& r, int level, uint64_t index) {
    ASSERT_EQ(r.problems.size(), 1u) << (r.problems.empty() ? "" : r.problems[0].message);
    const ledger::VerifyProblem& p = r.problems[0];
    EXPECT_EQ(p.area, "tree");
    EXPECT_EQ(p.seq, ((index + 1) << level) - 1);
    EXPECT_EQ(p.location, "ledger/tree");
    EXPECT_EQ(p.message, fmt::format("ledger/tree/level-{:02}.hash entry {} differs from the hash "
                                     "recomputed from the events (and every tree node above it)",
                                     level, index));
  }

  TempDir tmp_;
  core::NoteVerifier verifier_;
  NoProjector projector_;
  core::Hash root_{};
};

// AT-4
TEST_F(VerifierTreeTest, UntouchedLedgerVerifiesWithCheckpointsInsideAndBetweenRuns) {
  const ledger::VerifyReport r = Verify();
  for (const auto& p : r.problems) ADD_FAILURE() << p.area << " " << p.location << ": " << p.message;
  EXPECT_EQ(r.events, kEvents);
  EXPECT_EQ(r.checkpoints, std::size(kCheckpointSizes));
  EXPECT_EQ(r.root, root_);
}

// A long verify can show how far it is: told, in order, the events checked so
// far (a run of lines at a time) of those the log holds, ending with all of them.
TEST_F(VerifierTreeTest, ProgressCountsTheCheckedEventsUpToAll) {
  std::vector<std::pair<uint64_t, uint64_t>> told;
  const ledger::VerifyReport r = Verify([&](uint64_t checked, uint64_t total) { told.emplace_back(checked, total); });
  EXPECT_TRUE(r.ok());
  const std::vector<std::pair<uint64_t, uint64_t>> want = {
      {2048, kEvents}, {4096, kEvents}, {6144, kEvents}, {kEvents, kEvents}};
  EXPECT_EQ(told, want);
}

// AT-4: an entry anywhere is named: inside the run that goes in as one subtree
// (leaves 2048..4095: level 0 to its root at level 11), above it (level 12 entry
// 0, compared as that subtree is added), inside the runs that hold a checkpoint
// and go in leaf by leaf, and in the partial last run.
TEST_F(VerifierTreeTest, DamagedEntryIsNamedAtTheLeafThatCompletesIt) {
  const struct {
    int level;
    uint64_t index;
  } cases[] = {{0, 0},  {0, 5000}, {1, 2600},  {3, 700}, {11, 0}, {11, 2},
               {0, 2900}, {5, 80}, {11, 1},   {12, 0},  {0, 6200}, {2, 1560}, {5, 193}};
  for (const auto& c : cases) {
    SCOPED_TRACE(fmt::format("level {} entry {}", c.level, c.index));
    const std::string pristine = ReadFileOrDie(LevelPath(c.level));
    ASSERT_NO_FATAL_FAILURE(DamageEntry(c.level, c.index));
    ExpectOnlyTreeProblem(Verify(), c.level, c.index);
    WriteFileOrDie(LevelPath(c.level), pristine);
  }
}

// AT-4: with several damaged entries, the one named is the one the leaf-by-leaf
// order meets first: the lowest completing leaf, across runs and across the
// nodes a run's worker compares and those compared above the runs.
TEST_F(VerifierTreeTest, OfSeveralDamagedEntriesTheFirstCompletedIsNamed) {
  // Level 12 entry 0 is completed by leaf 4095, level 2 entry 1000 by leaf 4003
  // (both in the run that goes in as one subtree).
  ASSERT_NO_FATAL_FAILURE(DamageEntry(12, 0));
  ASSERT_NO_FATAL_FAILURE(DamageEntry(2, 1000));
  ExpectOnlyTreeProblem(Verify(), 2, 1000);
  // Level 0 entry 5000 (in the next run) comes after level 12 entry 0.
  ASSERT_NO_FATAL_FAILURE(DamageEntry(2, 1000));  // restored
  ASSERT_NO_FATAL_FAILURE(DamageEntry(0, 5000));
  ExpectOnlyTreeProblem(Verify(), 12, 0);
  // On the same completing leaf the lower level is met first: level 11 entry 1
  // and level 0 entry 4095 are both completed by leaf 4095.
  ASSERT_NO_FATAL_FAILURE(DamageEntry(12, 0));  // restored
  ASSERT_NO_FATAL_FAILURE(DamageEntry(11, 1));
  ASSERT_NO_FATAL_FAILURE(DamageEntry(0, 4095));
  ExpectOnlyTreeProblem(Verify(), 0, 4095);
}

}  // namespace
}  // namespace vellum::testing
