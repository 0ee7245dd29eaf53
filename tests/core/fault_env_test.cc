// The fault-injecting Env used by crash and error tests: it must forward faithfully,
// fail exactly the calls it was told to, and model a power cut precisely.
#include "testing/fault_env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FaultEnvTest : public ::testing::Test {
 protected:
  std::string Read(const std::string& name) { return ReadFileOrDie(dir_.Sub(name)); }

  TempDir dir_;
  FaultInjectionEnv env_;  // over Env::Default()
};

TEST_F(FaultEnvTest, ForwardsToTheWrappedEnv) {
  const std::string path = dir_.Sub("seg");
  {
    ASSERT_OK_AND_ASSIGN(auto f, env_.OpenAppendable(path, 0640));
    ASSERT_OK(f->Append("hello "));
    ASSERT_OK(f->Append("world"));
    EXPECT_EQ(f->Size(), 11u);
    ASSERT_OK(f->Sync());
    ASSERT_OK(f->Close());
  }
  EXPECT_EQ(Read("seg"), "hello world");
  ASSERT_OK_AND_ASSIGN(auto r, env_.OpenRandomAccess(path));
  std::string out;
  ASSERT_OK(r->Read(6, 5, &out));
  EXPECT_EQ(out, "world");
  ASSERT_OK_AND_ASSIGN(uint64_t size, r->Size());
  EXPECT_EQ(size, 11u);

  ASSERT_OK(env_.WriteFileAtomic(dir_.Sub("cp"), "note", 0600));
  ASSERT_OK_AND_ASSIGN(std::string note, env_.ReadFile(dir_.Sub("cp")));
  EXPECT_EQ(note, "note");
  ASSERT_OK_AND_ASSIGN(int mode, env_.GetMode(dir_.Sub("cp")));
  EXPECT_EQ(mode, 0600);
  ASSERT_OK(env_.CreateDirs(dir_.Sub("d/e")));
  ASSERT_OK(env_.Rename(dir_.Sub("cp"), dir_.Sub("d/cp")));
  ASSERT_OK_AND_ASSIGN(auto names, env_.ListDir(dir_.Sub("d")));
  EXPECT_THAT(names, ElementsAre("cp", "e"));
  EXPECT_TRUE(env_.Exists(dir_.Sub("d/cp")));
  ASSERT_OK(env_.Remove(dir_.Sub("d/cp")));
  EXPECT_FALSE(env_.Exists(dir_.Sub("d/cp")));
  ASSERT_OK(env_.Truncate(path, 5));
  ASSERT_OK_AND_ASSIGN(size, env_.FileSize(path));
  EXPECT_EQ(size, 5u);
  ASSERT_OK(env_.Chmod(path, 0444));
  ASSERT_OK_AND_ASSIGN(mode, env_.GetMode(path));
  EXPECT_EQ(mode, 0444);
  ASSERT_OK(env_.SyncDir(dir_.path()));
  ASSERT_OK_AND_ASSIGN(auto lock, env_.Lock(dir_.Sub("LOCK"), true, 0));
  EXPECT_THAT(env_.Lock(dir_.Sub("LOCK"), true, 0),
              StatusIs(StatusCode::kAborted, HasSubstr("LOCK")));
  // Errors of the wrapped env come through unchanged.
  EXPECT_THAT(env_.ReadFile(dir_.Sub("missing")),
              StatusIs(StatusCode::kNotFound, HasSubstr(dir_.Sub("missing"))));
}

TEST_F(FaultEnvTest, FailsOnlyTheNthAppendAndThatAppendWritesNothing) {
  ASSERT_OK_AND_ASSIGN(auto f, env_.OpenAppendable(dir_.Sub("seg"), 0644));
  ASSERT_OK(f->Append("a"));
  env_.FailNth(FaultOp::kAppend, 2, ResourceExhaustedError("disk full (injected)"));
  ASSERT_OK(f->Append("b"));
  EXPECT_THAT(f->Append("c"), StatusIs(StatusCode::kResourceExhausted, "disk full (injected)"));
  ASSERT_OK(f->Append("d"));
  EXPECT_EQ(f->Size(), 3u);
  EXPECT_EQ(Read("seg"), "abd");
  EXPECT_EQ(env_.OpCount(FaultOp::kAppend), 4u);
}

TEST_F(FaultEnvTest, FailFromNthKeepsFailingUntilCleared) {
  ASSERT_OK_AND_ASSIGN(auto f, env_.OpenAppendable(dir_.Sub("seg"), 0644));
  env_.FailFromNth(FaultOp::kSync, 1, InternalError("fsync: Input/output error"));
  ASSERT_OK(f->Append("x"));
  for (int i = 0; i < 3; ++i)
    EXPECT_THAT(f->Sync(), StatusIs(StatusCode::kInternal, HasSubstr("fsync")));
  env_.ClearFaults();
  EXPECT_OK(f->Sync());
  EXPECT_EQ(env_.OpCount(FaultOp::kSync), 4u);
}

TEST_F(FaultEnvTest, SeveralFaultsOnOneOpFireInTurn) {
  env_.FailNth(FaultOp::kRename, 1, AbortedError("first"));
  env_.FailNth(FaultOp::kRename, 3, UnavailableError("third"));
  WriteFileOrDie(dir_.Sub("a"), "A");
  EXPECT_THAT(env_.Rename(dir_.Sub("a"), dir_.Sub("b")), StatusIs(StatusCode::kAborted, "first"));
  EXPECT_TRUE(env_.Exists(dir_.Sub("a")));  // the failed rename had no effect
  EXPECT_OK(env_.Rename(dir_.Sub("a"), dir_.Sub("b")));
  EXPECT_THAT(env_.Rename(dir_.Sub("b"), dir_.Sub("c")),
              StatusIs(StatusCode::kUnavailable, "third"));
  EXPECT_OK(env_.Rename(dir_.Sub("b"), dir_.Sub("c")));
  EXPECT_EQ(Read("c"), "A");
}

// Every kind of operation can be failed, and a failed call leaves the disk as it was.
TEST_F(FaultEnvTest, EveryOperationKindCanBeFailedWithoutEffect) {
  WriteFileOrDie(dir_.Sub("f"), "content");
  struct Case {
    FaultOp op;
    std::function<Status()> call;
  };
  auto& env = env_;
  const std::string f = dir_.Sub("f");
  std::unique_ptr<core::WritableFile> w;
  {
    auto opened = env.OpenAppendable(f, 0644);
    ASSERT_OK(opened);
    w = std::move(opened).value();
  }
  auto r = env.OpenRandomAccess(f);
  ASSERT_OK(r);
  char buf[4];
  std::string out;
  const std::vector<Case> cases = {
      {FaultOp::kOpen, [&] { return env.OpenAppendable(dir_.Sub("new"), 0644).status(); }},
      {FaultOp::kOpen, [&] { return env.OpenRandomAccess(f).status(); }},
      {FaultOp::kAppend, [&] { return w->Append("more"); }},
      {FaultOp::kSync, [&] { return w->Sync(); }},
      {FaultOp::kClose, [&] { return w->Close(); }},
      {FaultOp::kRead, [&] { return (*r)->Read(0, 4, &out); }},
      {FaultOp::kRead, [&] { return (*r)->ReadExact(0, 4, buf); }},
      {FaultOp::kRead, [&] { return env.ReadFile(f).status(); }},
      {FaultOp::kWriteAtomic, [&] { return env.WriteFileAtomic(f, "replaced", 0644); }},
      {FaultOp::kListDir, [&] { return env.ListDir(dir_.path()).status(); }},
      {FaultOp::kCreateDirs, [&] { return env.CreateDirs(dir_.Sub("newdir"), 0755); }},
      {FaultOp::kFileSize, [&] { return env.FileSize(f).status(); }},
      {FaultOp::kTruncate, [&] { return env.Truncate(f, 0); }},
      {FaultOp::kRename, [&] { return env.Rename(f, dir_.Sub("g")); }},
      {FaultOp::kRemove, [&] { return env.Remove(f); }},
      {FaultOp::kSyncDir, [&] { return env.SyncDir(dir_.path()); }},
      {FaultOp::kChmod, [&] { return env.Chmod(f, 0400); }},
      {FaultOp::kGetMode, [&] { return env.GetMode(f).status(); }},
      {FaultOp::kLock, [&] { return env.Lock(dir_.Sub("LOCK"), true, 0).status(); }},
  };
  std::set<FaultOp> covered;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Status injected(StatusCode::kInternal, "injected #" + std::to_string(i));
    env.FailNth(cases[i].op, 1, injected);
    EXPECT_EQ(cases[i].call(), injected) << "case " << i;
    covered.insert(cases[i].op);
  }
  EXPECT_EQ(covered.size(), static_cast<size_t>(kFaultOpCount));
  EXPECT_EQ(Read("f"), "content");
  ASSERT_OK_AND_ASSIGN(auto names, core::Env::Default()->ListDir(dir_.path()));
  EXPECT_THAT(names, ElementsAre("f"));
  ASSERT_OK_AND_ASSIGN(int mode, core::Env::Default()->GetMode(f));
  EXPECT_EQ(mode, 0644);
  EXPECT_OK(w->Append("!"));  // faults are one-shot
  EXPECT_EQ(Read("f"), "content!");
}

// SR-1: after a power cut only synced bytes remain; what was appended since is gone.
TEST_F(FaultEnvTest, DropUnsyncedDataKeepsOnlySyncedBytes) {
  WriteFileOrDie(dir_.Sub("old"), "existing\n");  // present before: counts as durable
  ASSERT_OK_AND_ASSIGN(auto a, env_.OpenAppendable(dir_.Sub("a"), 0644));
  ASSERT_OK_AND_ASSIGN(auto b, env_.OpenAppendable(dir_.Sub("b"), 0644));
  ASSERT_OK_AND_ASSIGN(auto old, env_.OpenAppendable(dir_.Sub("old"), 0644));
  ASSERT_OK(a->Append("event 1\n"));
  ASSERT_OK(a->Sync());
  ASSERT_OK(a->Append("event 2\n"));
  ASSERT_OK(b->Append("never synced"));
  ASSERT_OK(old->Append("appended\n"));
  EXPECT_EQ(env_.UnsyncedBytes(dir_.Sub("a")), 8u);
  EXPECT_EQ(env_.UnsyncedBytes(dir_.Sub("b")), 12u);
  EXPECT_EQ(env_.UnsyncedBytes(dir_.Sub("old")), 9u);

  ASSERT_OK(env_.DropUnsyncedData());
  EXPECT_EQ(Read("a"), "event 1\n");
  EXPECT_EQ(Read("b"), "");
  EXPECT_EQ(Read("old"), "existing\n");
  EXPECT_EQ(env_.UnsyncedBytes(dir_.Sub("a")), 0u);

  // Handles from before the crash are dead; reopening resumes at the durable length.
  EXPECT_THAT(a->Append("late"), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("crash")));
  EXPECT_THAT(a->Sync(), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("crash")));
  ASSERT_OK_AND_ASSIGN(auto a2, env_.OpenAppendable(dir_.Sub("a"), 0644));
  EXPECT_EQ(a2->Size(), 8u);
  ASSERT_OK(a2->Append("event 2\n"));
  ASSERT_OK(a2->Sync());
  ASSERT_OK(env_.DropUnsyncedData());
  EXPECT_EQ(Read("a"), "event 1\nevent 2\n");
}

// SR-1: a failed fsync must not be mistaken for durability.
TEST_F(FaultEnvTest, FailedSyncLeavesDataUnsynced) {
  ASSERT_OK_AND_ASSIGN(auto f, env_.OpenAppendable(dir_.Sub("seg"), 0644));
  ASSERT_OK(f->Append("kept\n"));
  ASSERT_OK(f->Sync());
  ASSERT_OK(f->Append("lost\n"));
  env_.FailNth(FaultOp::kSync, 1, InternalError("fdatasync: Input/output error"));
  EXPECT_FALSE(f->Sync().ok());
  EXPECT_EQ(env_.UnsyncedBytes(dir_.Sub("seg")), 5u);
  ASSERT_OK(env_.DropUnsyncedData());
  EXPECT_EQ(Read("seg"), "kept\n");
}

// A held call waits, before it takes effect, until released; other calls go on
// meanwhile; a fault armed for the same call fires once it is released; and
// ClearFaults lets a held call go.
TEST_F(FaultEnvTest, HeldCallWaitsForReleaseThenTakesEffectOrFails) {
  constexpr std::chrono::milliseconds kWait{30'000};
  ASSERT_OK_AND_ASSIGN(auto seg, env_.OpenAppendable(dir_.Sub("seg"), 0644));
  ASSERT_OK_AND_ASSIGN(auto other, env_.OpenAppendable(dir_.Sub("other"), 0644));
  ASSERT_OK(seg->Append("held\n"));
  const uint64_t held = env_.HoldNth(FaultOp::kSync, 1);
  env_.FailNth(FaultOp::kSync, 1, InternalError("fdatasync: Input/output error"));
  std::atomic<bool> returned{false};
  Status result;
  std::thread syncer([&] {
    result = seg->Sync();
    returned = true;
  });
  ASSERT_TRUE(env_.AwaitHeld(FaultOp::kSync, held, kWait));
  ASSERT_OK(other->Append("free\n"));
  ASSERT_OK(other->Sync());  // the next call of the same kind is not held
  EXPECT_FALSE(returned.load());
  EXPECT_EQ(env_.UnsyncedBytes(dir_.Sub("seg")), 5u);
  env_.ReleaseHeld(FaultOp::kSync, held);
  syncer.join();
  EXPECT_THAT(result, StatusIs(StatusCode::kInternal, HasSubstr("Input/output")));
  EXPECT_EQ(env_.UnsyncedBytes(dir_.Sub("seg")), 5u) << "a failed sync took effect";

  const uint64_t again = env_.HoldNth(FaultOp::kSync, 1);
  std::thread cleared([&] { result = seg->Sync(); });
  ASSERT_TRUE(env_.AwaitHeld(FaultOp::kSync, again, kWait));
  env_.ClearFaults();
  cleared.join();
  EXPECT_OK(result);
  EXPECT_EQ(env_.UnsyncedBytes(dir_.Sub("seg")), 0u);
}

TEST_F(FaultEnvTest, TruncateAndAtomicWritesAdjustTracking) {
  ASSERT_OK_AND_ASSIGN(auto f, env_.OpenAppendable(dir_.Sub("seg"), 0644));
  ASSERT_OK(f->Append("line1\nline2\n"));
  ASSERT_OK(f->Sync());
  ASSERT_OK(f->Append("torn"));
  // Recovery truncates a torn tail below the synced length; that shorter length is now the
  // most a later crash can leave.
  ASSERT_OK(env_.Truncate(dir_.Sub("seg"), 6));
  EXPECT_EQ(env_.UnsyncedBytes(dir_.Sub("seg")), 0u);
  f.reset();
  ASSERT_OK(env_.WriteFileAtomic(dir_.Sub("cp"), "checkpoint", 0644));
  ASSERT_OK(env_.DropUnsyncedData());
  EXPECT_EQ(Read("seg"), "line1\n");
  EXPECT_EQ(Read("cp"), "checkpoint");
}

// Builds the same unsynced tail in a fresh directory and tears it with `seed`.
std::string TornResult(const std::string& synced, const std::string& unsynced, uint64_t seed) {
  TempDir dir;
  FaultInjectionEnv env;
  auto f = env.OpenAppendable(dir.Sub("seg"), 0644);
  if (!f.ok() || !(*f)->Append(synced).ok() || !(*f)->Sync().ok() || !(*f)->Append(unsynced).ok() ||
      !env.DropUnsyncedDataTorn(seed).ok()) {
    return "setup failed";
  }
  return ReadFileOrDie(dir.Sub("seg"));
}

// SR-2: a torn tail is a prefix of what was written, never garbage, and reproducible.
TEST_F(FaultEnvTest, TornDropKeepsADeterministicPrefixOfTheUnsyncedTail) {
  const std::string synced = "{\"seq\":1}\n";
  const std::string unsynced = "{\"seq\":2}\n{\"seq\":3}\n{\"seq\":4}\n";
  std::set<size_t> lengths;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const std::string got = TornResult(synced, unsynced, seed);
    ASSERT_GE(got.size(), synced.size()) << "seed " << seed;
    ASSERT_LE(got.size(), synced.size() + unsynced.size()) << "seed " << seed;
    EXPECT_EQ(got, (synced + unsynced).substr(0, got.size())) << "seed " << seed;
    EXPECT_EQ(TornResult(synced, unsynced, seed), got) << "seed " << seed;
    lengths.insert(got.size());
  }
  // Different seeds tear at different places, mostly mid-line.
  EXPECT_GT(lengths.size(), 5u);
}

TEST_F(FaultEnvTest, TornDropNeverTouchesSyncedFiles) {
  ASSERT_OK_AND_ASSIGN(auto f, env_.OpenAppendable(dir_.Sub("seg"), 0644));
  ASSERT_OK(f->Append("all synced\n"));
  ASSERT_OK(f->Sync());
  ASSERT_OK(env_.DropUnsyncedDataTorn(99));
  EXPECT_EQ(Read("seg"), "all synced\n");
}

// SR-1: a new file's name is durable only once its directory is synced.
TEST_F(FaultEnvTest, DeletesFilesCreatedSinceTheirDirectoryWasSynced) {
  WriteFileOrDie(dir_.Sub("existing"), "x");
  ASSERT_OK(env_.CreateDirs(dir_.Sub("segments"), 0755));
  ASSERT_OK_AND_ASSIGN(auto e, env_.OpenAppendable(dir_.Sub("existing"), 0644));
  ASSERT_OK_AND_ASSIGN(auto a, env_.OpenAppendable(dir_.Sub("segments/1.jsonl"), 0644));
  ASSERT_OK(a->Sync());
  ASSERT_OK(env_.SyncDir(dir_.Sub("segments/")));
  ASSERT_OK_AND_ASSIGN(auto b, env_.OpenAppendable(dir_.Sub("segments/2.jsonl"), 0644));
  ASSERT_OK(b->Append("synced data, unsynced name"));
  ASSERT_OK(b->Sync());
  ASSERT_OK_AND_ASSIGN(auto c, env_.OpenAppendable(dir_.Sub("segments/3.tmp"), 0644));
  ASSERT_OK(env_.Rename(dir_.Sub("segments/3.tmp"), dir_.Sub("segments/3.jsonl")));

  ASSERT_OK(env_.DeleteFilesCreatedSinceDirSync());
  ASSERT_OK_AND_ASSIGN(auto names, env_.ListDir(dir_.Sub("segments")));
  EXPECT_THAT(names, ElementsAre("1.jsonl"));
  EXPECT_TRUE(env_.Exists(dir_.Sub("existing")));
  EXPECT_THAT(b->Append("x"), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("crash")));
  ASSERT_OK(env_.DeleteFilesCreatedSinceDirSync());  // nothing left to delete
}

}  // namespace
}  // namespace vellum::testing
