// Power cuts and disk faults through FaultInjectionEnv (SR-1 durable
// acknowledgement, SR-2 automatic recovery).
//
// A power cut is modelled exactly at an fdatasync: from the Nth sync on, every
// sync fails (and so does the undo-truncate a failed append would do), so nothing
// becomes durable after that instant; then DropUnsyncedData[Torn] throws away (or
// tears) what was written but never synced, DeleteFilesCreatedSinceDirSync removes
// names whose directory was never synced, and the process "dies" (the Vellum
// object is destroyed with every mutating file operation failing).
//
// Limit of the model: records.db is SQLite, which does its own I/O and does not go
// through Env, so a simulated power cut never takes back a committed SQLite
// transaction. A real one can (WAL with synchronous=NORMAL loses the last commits,
// consistently). That is the case where the projection is behind the ledger;
// ProjectionLosingItsLastCommitsIsRebuilt covers it by putting back an older
// records.db by hand. The projection being *ahead* of the ledger cannot come from
// a power cut (it is committed only after the events' fdatasync) and is left to
// the tamper tests.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "app/power_cut_rebuild.h"
#include "app/vellum.h"
#include "app/verify_directory.h"
#include "integration/data_dir_util.h"
#include "storage/embedded/sqlite_projection.h"
#include "testing/ack_checks.h"
#include "testing/fault_env.h"
#include "testing/identity_fixture.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr FaultOp kMutatingOps[] = {FaultOp::kOpen,     FaultOp::kAppend,      FaultOp::kSync,
                                    FaultOp::kClose,    FaultOp::kWriteAtomic, FaultOp::kCreateDirs,
                                    FaultOp::kTruncate, FaultOp::kRename,      FaultOp::kRemove,
                                    FaultOp::kSyncDir,  FaultOp::kChmod};

Status PowerFailure() { return InternalError("simulated power failure"); }

class PowerCutTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = tmp_.Sub("data"); }

  // A new ledger with small segments and frequent checkpoints, so that cuts also
  // land in segment sealing and tree syncing; writer_ signed in (before any fault).
  std::unique_ptr<app::Vellum> Init(const std::string& dir,
                                    std::vector<std::string> witness_files = {}) {
    app::InitOptions init;
    init.origin = "vellum.test/power";
    init.config.max_segment_bytes = 4096;
    init.config.checkpoint_every_events = 16;
    init.config.witness_files = std::move(witness_files);
    auto v = InitWithAdmin(dir, init, Options());
    EXPECT_OK(v.status());
    if (!v.ok()) return nullptr;
    auto admin = SignInAdmin(**v);
    EXPECT_OK(admin.status());
    if (!admin.ok()) return nullptr;
    // A project manager: creates and modifies records, and reads them and the trail back.
    auto writer = AddPerson(**v, *admin, {"u-1", "Tester", {identity::Role::kProjectManager}});
    EXPECT_OK(writer.status());
    if (!writer.ok()) return nullptr;
    writer_ = *writer;
    return std::move(*v);
  }

  StatusOr<std::unique_ptr<app::Vellum>> Open() { return app::Vellum::Open(dir_, Options()); }

  // Creates record note/<id>.
  StatusOr<ledger::Event> Note(app::Vellum& v, const std::string& id) {
    return v.CreateRecord(writer_, {"note", id, {{"id", id}}, std::nullopt, std::nullopt});
  }

  app::OpenOptions Options() {
    app::OpenOptions o;
    o.env = &env_;
    return o;
  }

  // From the `nth` next fdatasync on, nothing reaches stable storage.
  void ArmPowerCutAtSync(uint64_t nth) {
    env_.FailFromNth(FaultOp::kSync, nth, PowerFailure());
    // A failed append is undone by truncating; after the cut that cannot happen either,
    // so the unsynced bytes stay for DropUnsyncedData[Torn] to decide on.
    env_.FailFromNth(FaultOp::kTruncate, 1, PowerFailure());
  }

  // The machine loses power now: unsynced data is dropped (or torn) and the process
  // dies without writing anything more.
  void CutPower(std::unique_ptr<app::Vellum>& v, std::optional<uint64_t> torn_seed) {
    Quiesce(*v);
    for (FaultOp op : kMutatingOps) env_.FailFromNth(op, 1, PowerFailure());
    // (Status variables: the ASSERT_OK macro evaluates its argument again to print it.)
    Status deleted = env_.DeleteFilesCreatedSinceDirSync();
    ASSERT_OK(deleted);
    Status dropped = torn_seed ? env_.DropUnsyncedDataTorn(*torn_seed) : env_.DropUnsyncedData();
    ASSERT_OK(dropped);
    v.reset();
    env_.ClearFaults();
  }

  // A new ledger written by `old_threads` x `old_ops`, then reopened and written by
  // `new_threads` x `new_ops`, then the power cut and records.db put back as it was
  // before the second round: records.db has lost the second round's commits (as SQLite
  // in WAL mode with synchronous=NORMAL may on a power cut), the ledger keeps the
  // events. Sets `*size` to the ledger's size and adds every acknowledgement to `acks`.
  void LoseProjectionCommits(int old_threads, int old_ops, int new_threads, int new_ops, uint64_t* size,
                             std::vector<Ack>* acks) {
    namespace fs = std::filesystem;
    {
      auto v = Init(dir_);
      ASSERT_NE(v, nullptr);
      WriteOutcome w = RunWriters(*v, writer_, old_threads, old_ops, "old");
      ASSERT_THAT(w.errors, ::testing::IsEmpty());
      acks->insert(acks->end(), w.acks.begin(), w.acks.end());
    }
    // A consistent copy of the closed database (the WAL is checkpointed on close).
    const std::string db = RecordsDb();
    fs::copy_file(db, tmp_.Sub("records.db.old"));
    ASSERT_FALSE(fs::exists(db + "-wal") && fs::file_size(db + "-wal") > 0) << "records.db was not checkpointed";
    {
      ASSERT_OK_AND_ASSIGN(auto v, Open());
      WriteOutcome w = RunWriters(*v, writer_, new_threads, new_ops, "new");
      ASSERT_THAT(w.errors, ::testing::IsEmpty());
      acks->insert(acks->end(), w.acks.begin(), w.acks.end());
      *size = v->Size();
      ASSERT_NO_FATAL_FAILURE(CutPower(v, std::nullopt));
    }
    ASSERT_NO_FATAL_FAILURE(PutBackRecordsDb(tmp_.Sub("records.db.old")));
  }

  std::string RecordsDb() const { return dir_ + "/records.db"; }

  // A new ledger written by `threads` x `ops` in boot "boot-1", whose power is
  // then cut (nothing torn): its acknowledged events in *acks, its size in *size.
  void WriteInBootOneThenCutPower(int threads, int ops, std::vector<Ack>* acks, uint64_t* size) {
    env_.SetBootId("boot-1");
    auto v = Init(dir_);
    ASSERT_NE(v, nullptr);
    WriteOutcome w = RunWriters(*v, writer_, threads, ops, "before");
    ASSERT_THAT(w.errors, ::testing::IsEmpty());
    *acks = w.acks;
    *size = v->Size();
    ASSERT_NO_FATAL_FAILURE(CutPower(v, std::nullopt));
  }

  // The names of the records.db files kept aside (records.db.replaced-<time>).
  std::vector<std::string> ReplacedRecordsDbs() const {
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      const std::string name = e.path().filename().string();
      if (name.starts_with("records.db.replaced-") && name.find("-unsynced") == std::string::npos &&
          !name.ends_with("-wal") && !name.ends_with("-shm")) {
        found.push_back(name);
      }
    }
    return found;
  }

  // records.db (without its -wal and -shm) replaced by the copy at `from`.
  void PutBackRecordsDb(const std::string& from) {
    namespace fs = std::filesystem;
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(RecordsDb() + suffix);
    fs::copy_file(from, RecordsDb());
  }

  // Returns once the sequencer has finished everything before this call, including
  // a periodic checkpoint it may still be writing after the last acknowledgement,
  // so the cut does not race with file operations already under way.
  static void Quiesce(app::Vellum& v) {
    ledger::Actor system{"system", "Vellum", std::nullopt, std::nullopt, std::nullopt};
    auto r = v.ledger().Submit(
        system, [](storage::ProjectionReader&) -> StatusOr<std::vector<ledger::EventDraft>> {
          return AbortedError("barrier: writes nothing");
        });
    EXPECT_FALSE(r.ok());
  }

  TempDir tmp_;
  std::string dir_;
  FaultInjectionEnv env_;
  app::Principal writer_;
};

// SR-1, SR-2: the power fails at a different fdatasync in every round (event
// batches, segment seals, tree syncs of checkpoints), while 3 threads write, on the
// same ledger; half the cuts tear the unsynced tails. Every acknowledged event of
// every round survives, recovery leaves a ledger that verifies, and the ledger
// continues after it.
TEST_F(PowerCutTest, PowerCutAtAnyFdatasyncKeepsEveryAcknowledgedEvent) {
  ASSERT_NE(Init(dir_), nullptr);
  const uint64_t seed = CrashSeed(7);
  SCOPED_TRACE(fmt::format("VELLUM_CRASH_SEED={}", seed));
  std::mt19937_64 rng(seed);
  std::vector<Ack> all;
  uint64_t recovered_something = 0, rounds_cut_mid_write = 0;
  constexpr int kRounds = 30;
  for (int round = 0; round < kRounds; ++round) {
    const uint64_t cut_at = 1 + rng() % 24;
    const bool torn = round % 2 == 1;
    SCOPED_TRACE(
        fmt::format("round {}: power cut at fdatasync {}{}", round, cut_at, torn ? ", torn" : ""));
    ASSERT_OK_AND_ASSIGN(auto v, Open());
    const ledger::OpenReport& rep = v->open_report();
    recovered_something +=
        rep.torn_tail_bytes + rep.invalid_tail_events_removed + rep.events_reapplied;
    ASSERT_THAT(rep.damage, ::testing::IsEmpty());
    ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(*v, writer_, all));
    const uint64_t size_before = v->Size();
    ArmPowerCutAtSync(cut_at);
    WriteOutcome w = RunWriters(*v, writer_, 3, 10, fmt::format("r{}", round));
    if (!w.errors.empty()) ++rounds_cut_mid_write;
    for (const Ack& a : w.acks) {
      EXPECT_GE(a.seq, size_before) << "a sequence number was reused";
      all.push_back(a);
    }
    ASSERT_NO_FATAL_FAILURE(CutPower(v, torn ? std::optional<uint64_t>(rng()) : std::nullopt));
  }
  ASSERT_OK_AND_ASSIGN(auto v, Open());
  ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(*v, writer_, all));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v));
  WriteOutcome after = RunWriters(*v, writer_, 2, 5, "after");
  EXPECT_THAT(after.errors, ::testing::IsEmpty());
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v));
  // The rounds must really have cut writes short and left recovery work, or they prove nothing.
  EXPECT_GE(rounds_cut_mid_write, kRounds / 2);
  EXPECT_GT(recovered_something, 0u);
}

// SR-1: a cut with everything acknowledged and only derived data unsynced (offset
// index, tree level files): torn in many ways, it is always rebuilt.
TEST_F(PowerCutTest, TornDerivedFilesAreRebuilt) {
  ASSERT_NE(Init(dir_), nullptr);
  std::vector<Ack> all;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    ASSERT_OK_AND_ASSIGN(auto v, Open());
    WriteOutcome w = RunWriters(*v, writer_, 2, 6, fmt::format("s{}", seed));
    ASSERT_THAT(w.errors, ::testing::IsEmpty());
    all.insert(all.end(), w.acks.begin(), w.acks.end());
    ASSERT_NO_FATAL_FAILURE(CutPower(v, seed));
    ASSERT_OK_AND_ASSIGN(v, Open());
    ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(*v, writer_, all));
    ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v));
  }
}

// SR-1: a failed fdatasync fails the call, and nothing of it is visible then or
// after a reopen, with or without a power cut; the next call takes its place.
class FailedSyncTest : public PowerCutTest, public ::testing::WithParamInterface<bool> {};

TEST_P(FailedSyncTest, FailedFdatasyncIsNotAcknowledgedAndLeavesNoTrace) {
  const bool cut = GetParam();
  {
    auto v = Init(dir_);
    ASSERT_NE(v, nullptr);
    ASSERT_OK_AND_ASSIGN(auto first, Note(*v, "kept-1"));
    env_.FailNth(FaultOp::kSync, 1, InternalError("fdatasync: Input/output error"));
    auto failed = Note(*v, "lost");
    EXPECT_THAT(failed.status(), StatusIs(StatusCode::kInternal, HasSubstr("Input/output error")));
    EXPECT_THAT(v->GetRecord(writer_, "note", "lost").status(),
                StatusIs(StatusCode::kNotFound, HasSubstr("lost")));
    EXPECT_EQ(v->Size(), first.seq + 1);
    // The ledger is not stopped by one failed sync: the next call gets the free seq.
    ASSERT_OK_AND_ASSIGN(auto next, Note(*v, "kept-2"));
    EXPECT_EQ(next.seq, first.seq + 1);
    if (cut) {
      ASSERT_NO_FATAL_FAILURE(CutPower(v, /*torn_seed=*/42));
    } else {
      v.reset();
    }
    ASSERT_OK_AND_ASSIGN(v, Open());
    EXPECT_THAT(v->GetRecord(writer_, "note", "lost").status(),
                StatusIs(StatusCode::kNotFound, HasSubstr("lost")));
    ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(*v, writer_, {AckOf(first), AckOf(next)}));
    EXPECT_EQ(v->Size(), next.seq + 1);
    ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v));
  }
}

INSTANTIATE_TEST_SUITE_P(RestartOrPowerCut, FailedSyncTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "PowerCut" : "CleanRestart"; });

// SR-1: the disk is full (every append fails with ENOSPC): calls fail cleanly with
// kResourceExhausted and write nothing; once space is back, writing continues and
// the ledger verifies, also after a reopen.
TEST_F(PowerCutTest, FullDiskFailsWritesCleanly) {
  auto v = Init(dir_);
  ASSERT_NE(v, nullptr);
  WriteOutcome before = RunWriters(*v, writer_, 2, 4, "before");
  ASSERT_THAT(before.errors, ::testing::IsEmpty());
  const uint64_t size = v->Size();
  env_.FailFromNth(FaultOp::kAppend, 1, ResourceExhaustedError("write: No space left on device"));
  WriteOutcome full = RunWriters(*v, writer_, 3, 4, "full");
  EXPECT_THAT(full.acks, ::testing::IsEmpty());
  ASSERT_EQ(full.errors.size(), 3u);
  for (const Status& s : full.errors) {
    EXPECT_THAT(s, StatusIs(StatusCode::kResourceExhausted, HasSubstr("No space left")));
  }
  EXPECT_EQ(v->Size(), size);
  EXPECT_THAT(v->GetRecord(writer_, "annotation", "full-t0-0").status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("full")));
  env_.ClearFaults();
  WriteOutcome after = RunWriters(*v, writer_, 2, 4, "after");
  EXPECT_THAT(after.errors, ::testing::IsEmpty());
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v));
  v.reset();
  ASSERT_OK_AND_ASSIGN(v, Open());
  ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(*v, writer_, before.acks));
  ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(*v, writer_, after.acks));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v));
}

// SR-1: the disk fills up after an event batch is durable, while its offset index
// entry or tree hashes are written. Whatever the call answers, an acknowledged
// event must stay readable, the failed ones must not appear, and after the fault
// is gone the reopened ledger verifies.
class LateFullDiskTest : public PowerCutTest, public ::testing::WithParamInterface<uint64_t> {};

TEST_P(LateFullDiskTest, FullDiskAfterTheEventsAreDurable) {
  const uint64_t nth = GetParam();
  {
    auto v = Init(dir_);
    ASSERT_NE(v, nullptr);
    ASSERT_OK_AND_ASSIGN(auto first, Note(*v, "n-0"));
    std::vector<Ack> acks = {AckOf(first)};
    env_.FailNth(FaultOp::kAppend, nth, ResourceExhaustedError("write: No space left on device"));
    std::vector<std::string> failed;
    // Calls after the fault either work or are refused (until a restart, when the
    // tree files could not be written); none may corrupt anything.
    for (int i = 1; i < 5; ++i) {
      std::string id = fmt::format("n-{}", i);
      auto e = Note(*v, id);
      if (e.ok()) {
        acks.push_back(AckOf(*e));
        auto view = v->GetRecord(writer_, "note", id);
        if (view.ok()) {
          EXPECT_EQ(view->event.seq, e->seq) << "the acknowledged event reads back as another one";
        } else {
          ADD_FAILURE() << "an acknowledged event cannot be read: " << view.status().ToString();
        }
      } else {
        failed.push_back(id);
        EXPECT_THAT(e.status().code(),
                    AnyOf(StatusCode::kResourceExhausted, StatusCode::kFailedPrecondition))
            << e.status().ToString();
      }
    }
    EXPECT_FALSE(failed.empty());
    v.reset();
    ASSERT_OK_AND_ASSIGN(v, Open());
    ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(*v, writer_, acks));
    for (const auto& id : failed) {
      EXPECT_THAT(v->GetRecord(writer_, "note", id).status(),
                  StatusIs(StatusCode::kNotFound, HasSubstr(id)));
    }
    ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v));
    WriteOutcome after = RunWriters(*v, writer_, 1, 3, "after");
    EXPECT_THAT(after.errors, ::testing::IsEmpty());
  }
}

// Appends of one single-event batch: 1 = segment line, 2 = offset index entry, 3.. = tree levels.
INSTANTIATE_TEST_SUITE_P(AppendOfTheBatch, LateFullDiskTest, ::testing::Values(2, 3, 4),
                         [](const auto& info) {
                           return info.param == 2 ? std::string("OffsetIndex")
                                                  : fmt::format("TreeAppend{}", info.param - 2);
                         });

// SR-2 and the limit of the SQLite model: records.db loses its last commits (as
// SQLite in WAL mode with synchronous=NORMAL may on a power cut) while the ledger
// keeps its events. Opening re-applies the missing events; nothing acknowledged
// is missing from the projection.
TEST_F(PowerCutTest, ProjectionLosingItsLastCommitsIsRebuilt) {
  std::vector<Ack> all;
  uint64_t size_with_new = 0;
  ASSERT_NO_FATAL_FAILURE(LoseProjectionCommits(2, 5, 3, 6, &size_with_new, &all));
  ASSERT_OK_AND_ASSIGN(auto v, Open());
  const ledger::OpenReport& report = v->open_report();
  EXPECT_GT(report.events_reapplied, 0u);
  EXPECT_EQ(report.reapplied_from + report.events_reapplied, size_with_new);
  // AT-2, SR-2: the trail says which events entered records.db through recovery, in an
  // event of its own right after them.
  ASSERT_EQ(v->Size(), size_with_new + 1);
  ASSERT_OK_AND_ASSIGN(std::string line, v->ledger().ReadEvent(size_with_new));
  ASSERT_OK_AND_ASSIGN(ledger::Event recovered, ledger::DecodeEvent(line));
  EXPECT_EQ(recovered.type, "system.recovered");
  EXPECT_EQ(recovered.actor.id, "system");
  const auto& applied = recovered.data.at("applied_to_records_db").as_object();
  EXPECT_EQ(applied.at("first_seq").to_number<uint64_t>(), report.reapplied_from);
  EXPECT_EQ(applied.at("last_seq").to_number<uint64_t>(), size_with_new - 1);
  ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(*v, writer_, all));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v));
}

// SR-2, AT-2: recovery applies events records.db lacked, and the power fails
// before the system.recovered event saying so is durable. records.db's commit
// kept a note of them; verify names it, and the next open records it, once.
TEST_F(PowerCutTest, RecoveryCutShortBeforeItsEventIsRecordedByTheNextOpen) {
  std::vector<Ack> acks;
  uint64_t size_with_new = 0;
  ASSERT_NO_FATAL_FAILURE(LoseProjectionCommits(1, 3, 1, 4, &size_with_new, &acks));

  // The open applies the events; the power fails at the system.recovered event's fdatasync.
  storage::RecoveredRange applied;
  {
    env_.FailFromNth(FaultOp::kSync, 1, PowerFailure());
    ASSERT_OK_AND_ASSIGN(auto v, Open());
    const ledger::OpenReport& report = v->open_report();
    ASSERT_GT(report.events_reapplied, 0u);
    applied = {report.reapplied_from, report.reapplied_from + report.events_reapplied - 1};
    EXPECT_EQ(applied.last_seq + 1, size_with_new);
    ASSERT_NO_FATAL_FAILURE(CutPower(v, std::nullopt));
  }
  {
    ASSERT_OK_AND_ASSIGN(ledger::VerifyReport found, app::VerifyDirectory(dir_, {}));
    EXPECT_TRUE(found.ok()) << ::testing::PrintToString(found.problems);
    EXPECT_THAT(found.notes, ::testing::Contains(HasSubstr(fmt::format(
                                 "a recovery applied events {}..{}", applied.first_seq, applied.last_seq))));
    if (HaveOfflineVerifier()) {
      ProcessResult offline = RunOfflineTool("offline_verify.py", {dir_});
      EXPECT_EQ(offline.exit_code, 0) << offline.out << offline.err;
      EXPECT_THAT(offline.out, HasSubstr(fmt::format("recovery_first_seq = {}, recovery_last_seq = {}",
                                                     applied.first_seq, applied.last_seq)));
    }
  }
  {
    ASSERT_OK_AND_ASSIGN(auto v, Open());
    const ledger::OpenReport& report = v->open_report();
    EXPECT_EQ(report.events_reapplied, 0u);
    EXPECT_EQ(report.earlier_unrecorded, storage::RecoveryNote{applied});
    ASSERT_EQ(v->Size(), size_with_new + 1);
    ASSERT_OK_AND_ASSIGN(std::string line, v->ledger().ReadEvent(size_with_new));
    ASSERT_OK_AND_ASSIGN(ledger::Event recovered, ledger::DecodeEvent(line));
    EXPECT_EQ(recovered.type, "system.recovered");
    const auto& range = recovered.data.at("applied_to_records_db").as_object();
    EXPECT_EQ(range.at("first_seq").to_number<uint64_t>(), applied.first_seq);
    EXPECT_EQ(range.at("last_seq").to_number<uint64_t>(), applied.last_seq);
    ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v));
  }
  {
    ASSERT_OK_AND_ASSIGN(auto v, Open());
    EXPECT_FALSE(v->open_report().earlier_unrecorded.has_value()) << "the event cleared the note";
    EXPECT_EQ(v->Size(), size_with_new + 1) << "recorded twice";
  }
  ASSERT_OK_AND_ASSIGN(ledger::VerifyReport found, app::VerifyDirectory(dir_, {}));
  EXPECT_THAT(found.notes, ::testing::Not(::testing::Contains(HasSubstr("a recovery applied"))));

  // AT-4: a note put back by hand is one the system.recovered event after it would have removed.
  ASSERT_NO_FATAL_FAILURE(ExecSql(
      RecordsDb(), fmt::format("INSERT INTO meta VALUES('recovery_first_seq', {}), ('recovery_last_seq', {})",
                      applied.first_seq, applied.last_seq)));
  ASSERT_OK_AND_ASSIGN(found, app::VerifyDirectory(dir_, {}));
  EXPECT_THAT(found.problems, ::testing::Contains(::testing::Field(
                                  &ledger::VerifyProblem::message, HasSubstr("would have removed"))));
  ASSERT_OK_AND_ASSIGN(auto v, Open());
  EXPECT_THAT(v->open_report().damage, ::testing::Contains(HasSubstr("would have removed")));
  EXPECT_EQ(v->Size(), size_with_new + 1) << "the note was recorded again";
}

// SR-2, AT-2: the system.recovered event's append fails (its fdatasync finds the disk
// full; the append is undone and writes go on); with the parameter, some writes are
// then committed to records.db; the writes after those lose their records.db commits.
// The next open applies them and records the earlier recovery too: as one range when
// the two adjoin, else beside its own as earlier_applied_to_records_db.
class UnrecordedRecoveryTest : public PowerCutTest, public ::testing::WithParamInterface<bool> {};

TEST_P(UnrecordedRecoveryTest, IsRecordedWithTheNextRecovery) {
  const bool committed_between = GetParam();
  std::vector<Ack> acks;
  uint64_t size_with_new = 0;
  ASSERT_NO_FATAL_FAILURE(LoseProjectionCommits(1, 3, 1, 4, &size_with_new, &acks));

  storage::RecoveredRange earlier;
  uint64_t lost_from = 0, size = 0;
  const std::string snapshot = tmp_.Sub("records.db.snapshot");
  {
    env_.FailNth(FaultOp::kSync, 1, ResourceExhaustedError("fdatasync: No space left on device"));
    ASSERT_OK_AND_ASSIGN(auto v, Open());
    const ledger::OpenReport& report = v->open_report();
    ASSERT_GT(report.events_reapplied, 0u);
    earlier = {report.reapplied_from, report.reapplied_from + report.events_reapplied - 1};
    ASSERT_EQ(v->Size(), earlier.last_seq + 1) << "the system.recovered event was appended after all";
    if (committed_between) {
      ASSERT_THAT(RunWriters(*v, writer_, 1, 2, "kept").errors, ::testing::IsEmpty());
    }
    lost_from = v->Size();
    // records.db as it is now, then events whose commits a power cut will take.
    ASSERT_NO_FATAL_FAILURE(ExecSql(RecordsDb(), fmt::format("VACUUM INTO '{}'", snapshot)));
    ASSERT_THAT(RunWriters(*v, writer_, 1, 2, "lost").errors, ::testing::IsEmpty());
    size = v->Size();
    ASSERT_GT(size, lost_from);
  }
  ASSERT_NO_FATAL_FAILURE(PutBackRecordsDb(snapshot));

  ASSERT_OK_AND_ASSIGN(auto v, Open());
  const ledger::OpenReport& report = v->open_report();
  EXPECT_EQ(report.earlier_unrecorded, storage::RecoveryNote{earlier});
  EXPECT_EQ(report.reapplied_from, lost_from);
  EXPECT_EQ(report.reapplied_from + report.events_reapplied, size);
  ASSERT_EQ(v->Size(), size + 1);
  ASSERT_OK_AND_ASSIGN(std::string line, v->ledger().ReadEvent(size));
  ASSERT_OK_AND_ASSIGN(ledger::Event recovered, ledger::DecodeEvent(line));
  EXPECT_EQ(recovered.type, "system.recovered");
  auto range = [&](const char* key) {
    const auto& r = recovered.data.at(key).as_object();
    return storage::RecoveredRange{r.at("first_seq").to_number<uint64_t>(), r.at("last_seq").to_number<uint64_t>()};
  };
  if (committed_between) {
    EXPECT_EQ(range("applied_to_records_db"), (storage::RecoveredRange{lost_from, size - 1}));
    EXPECT_EQ(range("earlier_applied_to_records_db"), earlier);
  } else {
    EXPECT_EQ(range("applied_to_records_db"), (storage::RecoveredRange{earlier.first_seq, size - 1}));
    EXPECT_FALSE(recovered.data.contains("earlier_applied_to_records_db"));
  }
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v));
}

INSTANTIATE_TEST_SUITE_P(WritesCommittedBetween, UnrecordedRecoveryTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? std::string("Some") : std::string("None"); });

// SR-2, AT-2: opening cuts an incomplete last line and the power fails before the
// system.recovered event saying so is durable (with the parameter: right after the
// note of the cut is committed, before the cut itself). The next open, in the next
// boot, records the cut's bytes, counted once: records.db's commits are durable
// while it holds the note, so that boot does not rebuild it (which would lose it).
class UnrecordedCutTest : public PowerCutTest, public ::testing::WithParamInterface<bool> {};

TEST_P(UnrecordedCutTest, IsRecordedOnceByTheNextOpen) {
  const bool cut_made = GetParam();
  uint64_t size = 0;
  {
    auto v = Init(dir_);
    ASSERT_NE(v, nullptr);
    ASSERT_THAT(RunWriters(*v, writer_, 1, 3, "old").errors, ::testing::IsEmpty());
    // Every tree entry durable: opening then truncates no tree file, only the segment.
    ASSERT_OK(v->ledger().MakeCheckpoint().status());
    size = v->Size();
  }
  // What a write cut short leaves: part of a line after the last event.
  std::vector<std::string> segments;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/ledger/segments")) {
    if (e.path().extension() == ".jsonl") segments.push_back(e.path().string());
  }
  std::sort(segments.begin(), segments.end());
  ASSERT_FALSE(segments.empty());
  const std::string fragment = fmt::format(R"({{"actor":"u-1","actor_name":"Tester","changes":[],"seq":{})", size);
  {
    std::ofstream out(segments.back(), std::ios::app | std::ios::binary);
    out << fragment;
  }
  {
    if (cut_made) {
      // Sync 1 makes the cut durable, sync 2 is the system.recovered event's.
      env_.FailFromNth(FaultOp::kSync, 2, PowerFailure());
      ASSERT_OK_AND_ASSIGN(auto v, Open());
      EXPECT_EQ(v->open_report().torn_tail_bytes, fragment.size());
      ASSERT_NO_FATAL_FAILURE(CutPower(v, std::nullopt));
    } else {
      env_.FailNth(FaultOp::kTruncate, 1, PowerFailure());
      EXPECT_THAT(Open().status(), StatusIs(StatusCode::kInternal, HasSubstr("power failure")));
      env_.ClearFaults();
    }
  }
  env_.SetBootId("the boot after the power cut");
  EXPECT_FALSE(std::filesystem::exists(RecordsDb() + storage::kUnsyncedMarkSuffix));
  {
    ASSERT_OK_AND_ASSIGN(ledger::VerifyReport found, app::VerifyDirectory(dir_, {}));
    EXPECT_TRUE(found.ok()) << ::testing::PrintToString(found.problems);
    EXPECT_THAT(found.notes, ::testing::Contains(HasSubstr(fmt::format(
                                 "removed, or was about to remove, 0 unreadable line(s) and {} byte(s)",
                                 fragment.size()))));
  }
  ASSERT_OK_AND_ASSIGN(auto v, Open());
  EXPECT_EQ(v->open_report().torn_tail_bytes, cut_made ? 0u : fragment.size());
  ASSERT_EQ(v->Size(), size + 1);
  ASSERT_OK_AND_ASSIGN(std::string line, v->ledger().ReadEvent(size));
  ASSERT_OK_AND_ASSIGN(ledger::Event recovered, ledger::DecodeEvent(line));
  EXPECT_EQ(recovered.type, "system.recovered");
  EXPECT_EQ(recovered.data.at("incomplete_line_bytes_removed").to_number<uint64_t>(), fragment.size());
  EXPECT_FALSE(recovered.data.contains("applied_to_records_db"));
  EXPECT_THAT(ReplacedRecordsDbs(), ::testing::IsEmpty()) << "records.db was rebuilt, and its note lost";
  EXPECT_EQ(ReadFileOrDie(RecordsDb() + storage::kUnsyncedMarkSuffix), "the boot after the power cut\n")
      << "the note recorded, records.db's commits go unsynced again";
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v));
}

INSTANTIATE_TEST_SUITE_P(PowerFails, UnrecordedCutTest, ::testing::Bool(), [](const auto& info) {
  return info.param ? std::string("AfterTheCut") : std::string("BeforeTheCut");
});

// SR-1, SR-2, AT-4: records.db's commits are not synced (a process that dies loses
// none of them; the kernel holds them). The power fails while it holds some, and the
// machine starts again: records.db, marked unsynced in the boot before, may have lost
// any of its pages (here one in the middle is garbage). verify names it instead of
// comparing it; the first open keeps it aside as evidence, rebuilds records.db from
// the ledger and records that, with the boot, as a system.records_rebuilt event. Every
// acknowledged event is there and the data directory verifies.
TEST_F(PowerCutTest, RecordsDbLeftUnsyncedIsRebuiltInTheNextBoot) {
  namespace fs = std::filesystem;
  std::vector<Ack> acks;
  uint64_t size = 0;
  ASSERT_NO_FATAL_FAILURE(WriteInBootOneThenCutPower(3, 20, &acks, &size));
  ASSERT_EQ(ReadFileOrDie(RecordsDb() + storage::kUnsyncedMarkSuffix), "boot-1\n");
  // A page in the middle of records.db as a power cut may leave it: never written.
  const uint64_t db_bytes = fs::file_size(RecordsDb());
  ASSERT_GE(db_bytes, 4u * 4096);
  {
    std::fstream db(RecordsDb(), std::ios::in | std::ios::out | std::ios::binary);
    db.seekp(static_cast<std::streamoff>(db_bytes / 2 / 4096 * 4096));
    db << std::string(4096, '\xff');
  }
  env_.SetBootId("boot-2");
  {
    app::DirectoryVerifyOptions o;
    o.env = &env_;
    ASSERT_OK_AND_ASSIGN(ledger::VerifyReport found, app::VerifyDirectory(dir_, o));
    EXPECT_FALSE(found.ok());
    EXPECT_THAT(found.problems, ::testing::ElementsAre(::testing::Field(
                                    &ledger::VerifyProblem::message,
                                    ::testing::AllOf(HasSubstr("boot-1"), HasSubstr("rebuilds records.db")))));
  }
  ASSERT_OK_AND_ASSIGN(auto v, Open());
  EXPECT_THAT(v->open_report().damage, ::testing::IsEmpty());
  ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(*v, writer_, acks));
  // The rebuild is recorded right after the events it replayed (the ledger had
  // nothing to recover: every event was in it).
  ASSERT_EQ(v->Size(), size + 1);
  ASSERT_OK_AND_ASSIGN(std::string line, v->ledger().ReadEvent(size));
  ASSERT_OK_AND_ASSIGN(ledger::Event rebuilt, ledger::DecodeEvent(line));
  EXPECT_EQ(rebuilt.type, "system.records_rebuilt");
  EXPECT_EQ(rebuilt.data.at("unsynced_boot").as_string(), "boot-1");
  EXPECT_EQ(rebuilt.data.at("events").to_number<uint64_t>(), size);
  ASSERT_TRUE(rebuilt.reason.has_value());
  EXPECT_THAT(*rebuilt.reason, HasSubstr("not yet on stable storage"));
  // The old file is kept as it was, with its mark.
  const std::vector<std::string> kept = ReplacedRecordsDbs();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(rebuilt.data.at("replaced").as_string(), kept.front());
  EXPECT_EQ(ReadFileOrDie(dir_ + "/" + kept.front() + storage::kUnsyncedMarkSuffix), "boot-1\n");
  EXPECT_EQ(ReadFileOrDie(RecordsDb() + storage::kUnsyncedMarkSuffix), "boot-2\n");
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v));
  ASSERT_THAT(RunWriters(*v, writer_, 2, 3, "after").errors, ::testing::IsEmpty());
  v.reset();
  EXPECT_FALSE(fs::exists(RecordsDb() + storage::kUnsyncedMarkSuffix)) << "closed, records.db is durable";
  app::DirectoryVerifyOptions o;
  o.env = &env_;
  ASSERT_OK_AND_ASSIGN(ledger::VerifyReport found, app::VerifyDirectory(dir_, o));
  EXPECT_TRUE(found.ok()) << ::testing::PrintToString(found.problems);
}

// SR-1, SR-2: the same when the power fails in the middle of writes (the ledger's
// tail torn too) and again while the rebuild itself runs: the next boot finishes it.
TEST_F(PowerCutTest, RebuildAtOpenCutShortIsFinishedByTheNextOpen) {
  env_.SetBootId("boot-1");
  std::vector<Ack> acks;
  {
    auto v = Init(dir_);
    ASSERT_NE(v, nullptr);
    WriteOutcome before = RunWriters(*v, writer_, 2, 10, "before");
    ASSERT_THAT(before.errors, ::testing::IsEmpty());
    ArmPowerCutAtSync(3);
    WriteOutcome w = RunWriters(*v, writer_, 3, 10, "cut");
    acks = before.acks;
    acks.insert(acks.end(), w.acks.begin(), w.acks.end());
    ASSERT_NO_FATAL_FAILURE(CutPower(v, /*torn_seed=*/7));
  }
  env_.SetBootId("boot-2");
  // The rebuild's new file is synced (its only fdatasync through the env): the
  // power fails there.
  env_.FailFromNth(FaultOp::kSync, 1, PowerFailure());
  EXPECT_THAT(Open().status(), StatusIs(StatusCode::kInternal, HasSubstr("power failure")));
  env_.ClearFaults();
  EXPECT_THAT(ReplacedRecordsDbs(), ::testing::SizeIs(1));
  env_.SetBootId("boot-3");
  ASSERT_OK_AND_ASSIGN(auto v, Open());
  EXPECT_THAT(v->open_report().damage, ::testing::IsEmpty());
  ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(*v, writer_, acks));
  EXPECT_THAT(ReplacedRecordsDbs(), ::testing::SizeIs(1)) << "the rebuild was started again";
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v));
}

// SR-1, SR-2: the power fails after the rebuild at open is in place and before the
// open that made it is done with it: before its system.records_rebuilt event is
// durable, or after (before the note is removed). The rebuilt records.db has been
// written unsynced since, in a boot that has ended: the next boot makes it again (it
// holds nothing the ledger does not; the evidence is the file kept the first time)
// and the rebuild is in the trail once, with the boot that left the first records.db
// unsynced.
class RebuildAtOpenCutShortTest : public PowerCutTest, public ::testing::WithParamInterface<bool> {};

TEST_P(RebuildAtOpenCutShortTest, IsMadeAgainInTheNextBootAndRecordedOnce) {
  const bool event_durable = GetParam();
  std::vector<Ack> acks;
  uint64_t size = 0;
  ASSERT_NO_FATAL_FAILURE(WriteInBootOneThenCutPower(2, 10, &acks, &size));
  env_.SetBootId("boot-2");
  // The event's line is the open's first append (nothing else to recover), and
  // the note's removal the first removal. The power fails at one of them, and
  // nothing is removed after it (the new file's mark stays).
  if (!event_durable) env_.FailFromNth(FaultOp::kAppend, 1, PowerFailure());
  env_.FailFromNth(FaultOp::kRemove, 1, PowerFailure());
  EXPECT_THAT(Open().status(), StatusIs(StatusCode::kInternal, HasSubstr("power failure")));
  env_.ClearFaults();
  ASSERT_OK(env_.DropUnsyncedData());
  ASSERT_EQ(ReadFileOrDie(RecordsDb() + storage::kUnsyncedMarkSuffix), "boot-2\n");
  EXPECT_THAT(ReadFileOrDie(dir_ + "/" + app::kPowerCutNoteName), HasSubstr("\"events\""));
  std::string ledger_text;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/ledger/segments")) {
    if (e.path().extension() == ".jsonl") ledger_text += ReadFileOrDie(e.path().string());
  }
  EXPECT_EQ(ledger_text.find("system.records_rebuilt") != std::string::npos, event_durable);
  ASSERT_THAT(ReplacedRecordsDbs(), ::testing::SizeIs(1));
  const std::string kept = ReplacedRecordsDbs().front();

  env_.SetBootId("boot-3");
  {
    app::DirectoryVerifyOptions o;
    o.env = &env_;
    ASSERT_OK_AND_ASSIGN(ledger::VerifyReport found, app::VerifyDirectory(dir_, o));
    EXPECT_THAT(found.problems, ::testing::ElementsAre(::testing::Field(&ledger::VerifyProblem::message,
                                                                        HasSubstr("boot-1"))));
  }
  ASSERT_OK_AND_ASSIGN(auto v, Open());
  EXPECT_THAT(v->open_report().damage, ::testing::IsEmpty());
  ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(*v, writer_, acks));
  ASSERT_EQ(v->Size(), size + 1) << "the rebuild is recorded once";
  ASSERT_OK_AND_ASSIGN(std::string line, v->ledger().ReadEvent(size));
  ASSERT_OK_AND_ASSIGN(ledger::Event rebuilt, ledger::DecodeEvent(line));
  EXPECT_EQ(rebuilt.type, "system.records_rebuilt");
  EXPECT_EQ(rebuilt.data.at("unsynced_boot").as_string(), "boot-1");
  EXPECT_EQ(rebuilt.data.at("replaced").as_string(), kept);
  EXPECT_EQ(rebuilt.data.at("events").to_number<uint64_t>(), size);
  EXPECT_THAT(ReplacedRecordsDbs(), ::testing::ElementsAre(kept)) << "the evidence is kept, and only it";
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/" + app::kPowerCutNoteName));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v));
}

INSTANTIATE_TEST_SUITE_P(PowerFails, RebuildAtOpenCutShortTest, ::testing::Bool(), [](const auto& info) {
  return info.param ? std::string("AfterItsEvent") : std::string("BeforeItsEvent");
});

// SR-2: `vellum init` dies before the genesis event is durable. The directory must
// not then open as an empty ledger whose next write would become seq 0 without a
// genesis event (a ledger that can never verify again).
TEST_F(PowerCutTest, InterruptedInitIsNotMistakenForAnEmptyLedger) {
  // The first append through the env is the genesis line.
  env_.FailNth(FaultOp::kAppend, 1, PowerFailure());
  app::InitOptions init;
  init.origin = "vellum.test/power";
  EXPECT_THAT(InitWithAdmin(dir_, init, Options()).status(),
              StatusIs(StatusCode::kInternal, HasSubstr("power failure")));
  auto v = Open();
  EXPECT_THAT(v.status(), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("genesis")));
}

// SR-1: an event acknowledged in the batch whose Merkle tree hashes could not be
// written (disk full) must be readable right away, not only after a restart
// (reads are bounded by the stored events, not by the tree).
TEST_F(PowerCutTest, AcknowledgedEventReadableWhenTreeFilesFail) {
  auto v = Init(dir_);
  ASSERT_NE(v, nullptr);
  // Appends of the batch: 1 = segment line, 2 = offset index entry, 3 = tree level 0.
  env_.FailNth(FaultOp::kAppend, 3, ResourceExhaustedError("write: No space left on device"));
  ASSERT_OK_AND_ASSIGN(auto e, Note(*v, "n-1"));
  auto view = v->GetRecord(writer_, "note", "n-1");
  ASSERT_OK(view.status());
  EXPECT_EQ(view->event.seq, e.seq);
}

// AT-5 with SR-1: a checkpoint appended to a witness file that did not exist yet
// must survive a power cut: the new file's directory entry is synced too.
TEST_F(PowerCutTest, NewWitnessFileSurvivesAPowerCut) {
  const std::string witness = tmp_.Sub("witness.notes");
  auto v = Init(dir_, {witness});
  ASSERT_NE(v, nullptr);
  ASSERT_OK(v->ledger().MakeCheckpoint().status());
  ASSERT_NO_FATAL_FAILURE(CutPower(v, std::nullopt));
  EXPECT_TRUE(std::filesystem::exists(witness));
}

}  // namespace
}  // namespace vellum::testing
