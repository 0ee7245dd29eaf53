// records.db's commits left unsynced, under a mark naming the boot (SR-1, SR-2:
// what a power cut can take from records.db is known, so that the ledger
// rebuilds it; docs/formats/records-db.md, "Writes not yet synced").
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "storage/embedded/sqlite_projection.h"
#include "testing/fault_env.h"
#include "testing/projection_rows.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::storage {
namespace {

using ::testing::HasSubstr;
using vellum::testing::Ev;
using vellum::testing::FaultInjectionEnv;
using vellum::testing::ReadFileOrDie;
using vellum::testing::TempDir;

// The `synchronous` setting of the store's writer connection cannot be read
// from outside; what a second connection reads is the file's, so the test
// reads the mark and the effects instead.
class UnsyncedMarkTest : public ::testing::Test {
 protected:
  void SetUp() override { env_.SetBootId("boot-a"); }
  std::string Path() const { return tmp_.Sub("records.db"); }
  std::string Mark() const { return Path() + kUnsyncedMarkSuffix; }

  void WriteMark(const std::string& text) { std::ofstream(Mark()) << text; }

  void Commit(SqliteProjectionStore& store, uint64_t seq) {
    ASSERT_OK_AND_ASSIGN(auto txn, store.BeginWrite());
    ASSERT_OK(txn->PutEvent(Ev(seq, 1000 + static_cast<int64_t>(seq), "test.event", "u-1")));
    ASSERT_OK(txn->Commit(seq + 1));
  }

  TempDir tmp_;
  FaultInjectionEnv env_;
};

// SR-2: the mark names the boot from the store's open to its close, and is
// gone once every commit is on stable storage.
TEST_F(UnsyncedMarkTest, MarkNamesTheBootWhileOpenAndIsRemovedAtClose) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(Path(), /*create=*/true, &env_));
    EXPECT_EQ(ReadFileOrDie(Mark()), "boot-a\n");
    ASSERT_OK_AND_ASSIGN(auto mark, SqliteProjectionStore::UnsyncedMark(&env_, Path()));
    EXPECT_EQ(mark, "boot-a");
    Commit(*store, 0);
    EXPECT_TRUE(std::filesystem::exists(Mark()));
  }
  EXPECT_FALSE(std::filesystem::exists(Mark()));
  ASSERT_OK_AND_ASSIGN(auto mark, SqliteProjectionStore::UnsyncedMark(&env_, Path()));
  EXPECT_EQ(mark, std::nullopt);
  // Reopened, the commit is there, and the mark again while open.
  ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(Path(), /*create=*/false, &env_));
  ASSERT_OK_AND_ASSIGN(uint64_t applied, store->AppliedCount());
  EXPECT_EQ(applied, 1u);
  EXPECT_TRUE(std::filesystem::exists(Mark()));
}

// SR-2: durable commits (recovery's note) need the mark gone, or the next boot
// would rebuild records.db without them; it comes back when they end.
TEST_F(UnsyncedMarkTest, DurableCommitsRemoveTheMarkUntilTheyEnd) {
  ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(Path(), /*create=*/true, &env_));
  Commit(*store, 0);
  ASSERT_OK(store->SetDurableCommits(true));
  EXPECT_FALSE(std::filesystem::exists(Mark()));
  Commit(*store, 1);
  EXPECT_FALSE(std::filesystem::exists(Mark()));
  ASSERT_OK(store->SetDurableCommits(false));
  EXPECT_EQ(ReadFileOrDie(Mark()), "boot-a\n");
}

// SR-2: a mark left by a process of this boot (the kernel kept its writes) is
// kept; one of another boot refuses the open, naming both boots.
TEST_F(UnsyncedMarkTest, MarkOfAnotherBootRefusesTheOpen) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(Path(), /*create=*/true, &env_));
    Commit(*store, 0);
  }
  WriteMark("boot-a\n");  // what a process of this boot that died leaves
  {
    ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(Path(), /*create=*/false, &env_));
    ASSERT_OK_AND_ASSIGN(uint64_t applied, store->AppliedCount());
    EXPECT_EQ(applied, 1u);
  }
  WriteMark("boot-a\n");
  env_.SetBootId("boot-b");
  auto reopened = SqliteProjectionStore::Open(Path(), /*create=*/false, &env_);
  EXPECT_THAT(reopened.status(), StatusIs(StatusCode::kDataLoss, HasSubstr("boot-a")));
  EXPECT_THAT(reopened.status().message(), HasSubstr("boot-b"));
  EXPECT_THAT(reopened.status().message(), HasSubstr("rebuilt from the ledger"));
  // The mark stays: it is the evidence the rebuild needs.
  EXPECT_EQ(ReadFileOrDie(Mark()), "boot-a\n");
}

// Without an Env that names the boot, commits are synced at checkpoints as
// before and no mark is ever written.
TEST_F(UnsyncedMarkTest, NoMarkWithoutABootId) {
  env_.SetBootId("");
  {
    ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(Path(), /*create=*/true, &env_));
    Commit(*store, 0);
    EXPECT_FALSE(std::filesystem::exists(Mark()));
  }
  ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(Path(), /*create=*/false));
  EXPECT_FALSE(std::filesystem::exists(Mark()));
}

// SR-2: a file that holds a recovery note keeps its commits synced and carries no
// mark until the note is removed, also when a later open finds it (a process that
// recovered died before recording the recovery): marked, a power cut would have
// the next boot rebuild it without the note, and the recovery would go unrecorded.
TEST_F(UnsyncedMarkTest, AFileHoldingARecoveryNoteIsOpenedUnmarked) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(Path(), /*create=*/true, &env_));
    Commit(*store, 0);
    ASSERT_OK(store->SetDurableCommits(true));
    ASSERT_OK_AND_ASSIGN(auto txn, store->BeginWrite());
    ASSERT_OK(txn->SetUnrecordedRecovery(RecoveryNote{RecoveredRange{0, 0}}));
    ASSERT_OK(txn->Commit(1));
  }
  EXPECT_FALSE(std::filesystem::exists(Mark()));
  // As a process of this boot that marked it and died would leave it.
  WriteMark("boot-a\n");
  ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(Path(), /*create=*/false, &env_));
  EXPECT_FALSE(std::filesystem::exists(Mark())) << "opened holding a note, it is made durable and unmarked";
  ASSERT_OK_AND_ASSIGN(auto txn, store->BeginWrite());
  ASSERT_OK(txn->SetUnrecordedRecovery(std::nullopt));
  ASSERT_OK(txn->Commit(1));
  EXPECT_FALSE(std::filesystem::exists(Mark()));
  ASSERT_OK(store->SetDurableCommits(false));
  EXPECT_EQ(ReadFileOrDie(Mark()), "boot-a\n");
}

}  // namespace
}  // namespace vellum::storage
