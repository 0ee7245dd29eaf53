// Rebuilding records.db from the ledger alone (AT-4: the projection is
// rebuildable from the trail; SR-2): over many chunks and segments the rebuilt
// projection equals the one the appends made, the rebuild is recorded once even
// when an open stops before removing its note, events after the latest
// checkpoint are taken in and counted as unsigned, and a ledger rewritten with
// the stolen key is refused against a witness.
#include "app/rebuild_records.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/power_cut_rebuild.h"
#include "app/vellum.h"
#include "ledger/event.h"
#include "storage/embedded/sqlite_projection.h"
#include "testing/fault_env.h"
#include "testing/identity_fixture.h"
#include "testing/json_testing.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::app {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::vellum::testing::ReadFileOrDie;
using ::vellum::testing::TempDir;
using ::vellum::testing::WriteFileOrDie;

const ::vellum::testing::Person kAlice{"u-alice", "Dr. Alice Example", {identity::Role::kProjectManager}};

class RebuildRecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitOptions init;
    init.origin = "rebuild.example/ledger";
    init.config.max_segment_bytes = 256 << 10;  // several sealed segments
    init.config.witness_files = {witness_};
    ASSERT_OK_AND_ASSIGN(vellum_, vellum::testing::InitWithAdmin(data_, init));
    ASSERT_OK_AND_ASSIGN(Principal admin, vellum::testing::SignInAdmin(*vellum_));
    ASSERT_OK_AND_ASSIGN(alice_, vellum::testing::AddPerson(*vellum_, admin, kAlice));
  }

  // Records `prefix`-0 … `prefix`-(n-1) created in calls of 500.
  void Write(const std::string& prefix, int n) {
    for (int from = 0; from < n; from += 500) {
      std::vector<records::CreateRecord> batch;
      for (int i = from; i < std::min(n, from + 500); ++i) {
        batch.push_back({"annotation", fmt::format("{}-{}", prefix, i),
                         vellum::testing::JsonObject(fmt::format(R"({{"label":"nodule","n":{}}})", i)),
                         std::nullopt, std::nullopt});
      }
      for (const auto& r : vellum_->CreateRecords(alice_, std::move(batch))) ASSERT_OK(r.status());
    }
  }

  // A modification and a deletion of two of `prefix`'s records.
  void ModifyAndDelete(const std::string& prefix) {
    ASSERT_OK(vellum_->ModifyRecord(alice_, {"annotation", prefix + "-1",
                                             vellum::testing::JsonObject(R"({"label":"mass"})"), "second look",
                                             std::nullopt, std::nullopt}));
    ASSERT_OK(vellum_->DeleteRecord(alice_, {"annotation", prefix + "-2", "duplicate", std::nullopt}));
  }

  // Every row of records.db's two tables, in order, as text.
  static std::string Rows(const std::string& dir) {
    auto db = storage::SqliteProjectionStore::OpenReadOnly(dir + "/records.db");
    EXPECT_OK(db.status());
    if (!db.ok()) return "";
    auto reader = (*db)->BeginRead(true);
    EXPECT_OK(reader.status());
    std::string out;
    auto counts = (*reader)->CountRows();
    EXPECT_OK(counts.status());
    out += fmt::format("{} events, {} versions\n", counts->events, counts->record_versions);
    for (int64_t seq = 0; seq <= counts->max_event_seq; ++seq) {
      auto e = (*reader)->IndexedEvent(static_cast<uint64_t>(seq));
      EXPECT_OK(e.status());
      if (e.ok() && *e) {
        out += fmt::format("{} {} {} {} {} {} {}\n", (*e)->seq, (*e)->ts, (*e)->type, (*e)->actor,
                           (*e)->record_type, (*e)->record_id, (*e)->record_version);
      }
      auto v = (*reader)->VersionBySeq(static_cast<uint64_t>(seq));
      EXPECT_OK(v.status());
      if (v.ok() && *v) {
        out += fmt::format("  {}/{} v{} deleted={} {}\n", (*v)->record_type, (*v)->record_id, (*v)->version,
                           (*v)->deleted, (*v)->content);
      }
    }
    return out;
  }

  RebuildRecordsOptions Options(const std::string& reason) {
    RebuildRecordsOptions o;
    o.reason = reason;
    o.witness_files = {witness_};
    return o;
  }

  TempDir tmp_;
  const std::string data_ = tmp_.Sub("data");
  const std::string witness_ = tmp_.Sub("witness.notes");
  std::unique_ptr<Vellum> vellum_;
  Principal alice_;
};

// AT-4, SR-2: more events than one chunk of the rebuild and several segments;
// the rebuilt rows are the appended ones, row for row; events after the latest
// checkpoint are taken in and counted as such; the open that follows records
// the rebuild once, with its reason, even if an earlier open recorded it but
// stopped before it could remove the note.
TEST_F(RebuildRecordsTest, RebuiltRowsAreTheAppendedOnesAndTheRebuildIsRecordedOnce) {
  ASSERT_NO_FATAL_FAILURE(Write("a", 9000));
  ASSERT_NO_FATAL_FAILURE(ModifyAndDelete("a"));
  ASSERT_OK_AND_ASSIGN(storage::StoredCheckpoint latest, vellum_->ledger().MakeCheckpoint());
  const uint64_t signed_size = latest.size;
  ASSERT_NO_FATAL_FAILURE(Write("b", 10));  // after the latest checkpoint: unsigned
  ASSERT_NO_FATAL_FAILURE(ModifyAndDelete("b"));
  const uint64_t size = vellum_->Size();
  ASSERT_LT(signed_size, size);
  vellum_.reset();
  const std::string appended = Rows(data_);

  ASSERT_OK_AND_ASSIGN(RebuildRecordsResult r, RebuildRecords(data_, Options("moving to 16 KiB pages")));
  ASSERT_TRUE(r.ledger_check.ok());
  EXPECT_EQ(r.events, size);
  EXPECT_EQ(r.signed_events, signed_size);
  EXPECT_THAT(r.replaced, ::testing::StartsWith("records.db.replaced-"));
  EXPECT_EQ(Rows(data_), appended);

  const std::string note_path = data_ + "/" + kRebuildNoteName;
  ASSERT_TRUE(fs::exists(note_path));
  const std::string note = ReadFileOrDie(note_path);
  ASSERT_OK_AND_ASSIGN(vellum_, Vellum::Open(data_));
  EXPECT_FALSE(fs::exists(note_path));
  ASSERT_EQ(vellum_->Size(), size + 1);
  ASSERT_OK_AND_ASSIGN(std::string line, vellum_->ledger().ReadEvent(size));
  ASSERT_OK_AND_ASSIGN(ledger::Event e, ledger::DecodeEvent(line));
  EXPECT_EQ(e.type, kRebuiltEventType);
  EXPECT_EQ(e.reason, "moving to 16 KiB pages");
  EXPECT_EQ(e.data.at("events"), size);
  EXPECT_EQ(e.data.at("signed_events"), signed_size);
  EXPECT_EQ(e.data.at("replaced"), r.replaced.c_str());
  vellum_.reset();
  WriteFileOrDie(note_path, note);
  ASSERT_OK_AND_ASSIGN(vellum_, Vellum::Open(data_));
  EXPECT_EQ(vellum_->Size(), size + 1);
  EXPECT_FALSE(fs::exists(note_path));
  ASSERT_OK_AND_ASSIGN(ledger::VerifyReport v, vellum_->Verify({witness_}, std::nullopt, true));
  EXPECT_TRUE(v.ok());
}

// SR-2: the old records.db's note of a recovery no system.recovered event records
// yet is carried into the rebuilt one, and the next open records it.
TEST_F(RebuildRecordsTest, RecoveryNoteIsCarriedIntoTheRebuiltRecordsDb) {
  ASSERT_NO_FATAL_FAILURE(Write("a", 20));
  const uint64_t size = vellum_->Size();
  vellum_.reset();
  const storage::RecoveryNote note{storage::RecoveredRange{size - 6, size - 2}};
  {
    ASSERT_OK_AND_ASSIGN(auto db, storage::SqliteProjectionStore::Open(data_ + "/records.db", /*create=*/false));
    ASSERT_OK_AND_ASSIGN(uint64_t applied, db->AppliedCount());
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    ASSERT_OK(txn->SetUnrecordedRecovery(note));
    ASSERT_OK(txn->Commit(applied));
  }
  ASSERT_OK_AND_ASSIGN(RebuildRecordsResult r, RebuildRecords(data_, Options("carry the note")));
  ASSERT_TRUE(r.ledger_check.ok());
  {
    ASSERT_OK_AND_ASSIGN(auto db, storage::SqliteProjectionStore::OpenReadOnly(data_ + "/records.db"));
    ASSERT_OK_AND_ASSIGN(std::optional<storage::RecoveryNote> carried, db->UnrecordedRecovery());
    EXPECT_EQ(carried, note);
  }
  ASSERT_OK_AND_ASSIGN(vellum_, Vellum::Open(data_));
  EXPECT_EQ(vellum_->open_report().earlier_unrecorded, note);
  ASSERT_OK_AND_ASSIGN(std::string line, vellum_->ledger().ReadEvent(size));
  ASSERT_OK_AND_ASSIGN(ledger::Event e, ledger::DecodeEvent(line));
  EXPECT_EQ(e.type, ledger::kRecoveredEventType);
  EXPECT_EQ(e.data.at("applied_to_records_db").at("first_seq"), note.applied->first_seq);
  EXPECT_EQ(e.data.at("applied_to_records_db").at("last_seq"), note.applied->last_seq);
  ASSERT_OK_AND_ASSIGN(ledger::VerifyReport v, vellum_->Verify({witness_}, std::nullopt, true));
  EXPECT_TRUE(v.ok());
  vellum_.reset();
  ASSERT_OK_AND_ASSIGN(auto db, storage::SqliteProjectionStore::OpenReadOnly(data_ + "/records.db"));
  ASSERT_OK_AND_ASSIGN(std::optional<storage::RecoveryNote> left, db->UnrecordedRecovery());
  EXPECT_FALSE(left.has_value()) << "the system.recovered event removed the note";
}

// SR-2: a records.db left unsynced in a boot that has ended holds no recovery note
// that counts (a note is committed synced, and the mark removed while it is there):
// one it shows is a removal the power cut undid, and is not carried.
TEST_F(RebuildRecordsTest, RecoveryNoteOfARecordsDbLeftUnsyncedIsNotCarried) {
  ASSERT_NO_FATAL_FAILURE(Write("a", 20));
  const uint64_t size = vellum_->Size();
  vellum_.reset();
  {
    ASSERT_OK_AND_ASSIGN(auto db, storage::SqliteProjectionStore::Open(data_ + "/records.db", /*create=*/false));
    ASSERT_OK_AND_ASSIGN(uint64_t applied, db->AppliedCount());
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    ASSERT_OK(txn->SetUnrecordedRecovery(storage::RecoveryNote{storage::RecoveredRange{size - 6, size - 2}}));
    ASSERT_OK(txn->Commit(applied));
  }
  WriteFileOrDie(data_ + "/records.db" + storage::kUnsyncedMarkSuffix, "a boot that has ended\n");
  ASSERT_OK_AND_ASSIGN(RebuildRecordsResult r, RebuildRecords(data_, Options("after a power cut")));
  ASSERT_TRUE(r.ledger_check.ok());
  {
    ASSERT_OK_AND_ASSIGN(auto db, storage::SqliteProjectionStore::OpenReadOnly(data_ + "/records.db"));
    ASSERT_OK_AND_ASSIGN(std::optional<storage::RecoveryNote> carried, db->UnrecordedRecovery());
    EXPECT_FALSE(carried.has_value());
  }
  EXPECT_FALSE(std::filesystem::exists(data_ + "/records.db" + storage::kUnsyncedMarkSuffix))
      << "the mark went with the file it marks";
  ASSERT_OK_AND_ASSIGN(vellum_, Vellum::Open(data_));
  EXPECT_FALSE(vellum_->open_report().earlier_unrecorded.has_value());
  ASSERT_OK_AND_ASSIGN(std::string line, vellum_->ledger().ReadEvent(size));
  ASSERT_OK_AND_ASSIGN(ledger::Event e, ledger::DecodeEvent(line));
  EXPECT_EQ(e.type, kRebuiltEventType);
  ASSERT_OK_AND_ASSIGN(ledger::VerifyReport v, vellum_->Verify({witness_}, std::nullopt, true));
  EXPECT_TRUE(v.ok()) << ::testing::PrintToString(v.problems);
}

// A rebuild whose note is not recorded yet shows in `status`, and refuses
// another rebuild, which changes nothing.
TEST_F(RebuildRecordsTest, PendingNoteRefusesAnotherRebuild) {
  ASSERT_NO_FATAL_FAILURE(Write("a", 20));
  vellum_.reset();
  ASSERT_OK_AND_ASSIGN(RebuildRecordsResult r, RebuildRecords(data_, Options("first")));
  ASSERT_TRUE(r.ledger_check.ok());
  const std::string rows = ReadFileOrDie(data_ + "/records.db");
  // `vellum status` says so.
  ASSERT_OK_AND_ASSIGN(std::string pending, DescribePendingRebuild(core::Env::Default(), data_));
  EXPECT_THAT(pending, HasSubstr(fmt::format("from {} events: the first command that opens the ledger records this "
                                             "as a system.records_rebuilt event", r.events)));
  auto again = RebuildRecords(data_, Options("second"));
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(again.status().message(), HasSubstr("has not been finished or recorded yet"));
  EXPECT_EQ(ReadFileOrDie(data_ + "/records.db"), rows);
}

// SR-2: a rebuild that an open started after a power cut (its note beside
// records.db) is finished by the next open, not replaced by another rebuild,
// which changes nothing.
TEST_F(RebuildRecordsTest, RebuildAtOpenUnderWayRefusesARebuild) {
  ASSERT_NO_FATAL_FAILURE(Write("a", 5));
  vellum_.reset();
  const std::string rows = ReadFileOrDie(data_ + "/records.db");
  {
    std::ofstream note(data_ + "/" + kPowerCutNoteName);
    note << R"({"rebuilt":"2026-11-28T16:00:00.000000Z","reason":"r","replaced":"records.db.replaced-x",)"
         << R"("unsynced_boot":"b"})" << "\n";
  }
  auto refused = RebuildRecords(data_, Options("second"));
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr(kPowerCutNoteName));
  EXPECT_EQ(ReadFileOrDie(data_ + "/records.db"), rows);
}

// A rebuild that stopped after writing its note but before its new file took
// records.db's place did not happen: the next open records nothing and drops
// the note, and the next rebuild starts again from the beginning.
TEST_F(RebuildRecordsTest, NoteOfARebuildThatStoppedBeforeItsSwapIsDropped) {
  ASSERT_NO_FATAL_FAILURE(Write("a", 20));
  const uint64_t size = vellum_->Size();
  vellum_.reset();
  ASSERT_OK_AND_ASSIGN(RebuildRecordsResult r, RebuildRecords(data_, Options("first")));
  ASSERT_TRUE(r.ledger_check.ok());
  const std::string note = ReadFileOrDie(data_ + "/" + kRebuildNoteName);
  // What such a stop leaves: the note, and the new file still under its own name.
  fs::rename(data_ + "/records.db", data_ + "/records.db.rebuild");
  fs::rename(data_ + "/" + r.replaced, data_ + "/records.db");
  ASSERT_OK_AND_ASSIGN(vellum_, Vellum::Open(data_));
  EXPECT_EQ(vellum_->Size(), size);
  EXPECT_FALSE(fs::exists(data_ + "/" + kRebuildNoteName));
  vellum_.reset();
  // The same with a second rebuild instead of an open.
  WriteFileOrDie(data_ + "/" + kRebuildNoteName, note);
  ASSERT_OK_AND_ASSIGN(RebuildRecordsResult again, RebuildRecords(data_, Options("second")));
  ASSERT_TRUE(again.ledger_check.ok());
  ASSERT_OK_AND_ASSIGN(vellum_, Vellum::Open(data_));
  ASSERT_EQ(vellum_->Size(), size + 1);
  ASSERT_OK_AND_ASSIGN(std::string line, vellum_->ledger().ReadEvent(size));
  ASSERT_OK_AND_ASSIGN(ledger::Event e, ledger::DecodeEvent(line));
  EXPECT_EQ(e.reason, "second");
}

// SR-2: a rebuild that stopped between its renames — the old records.db (and its
// -wal) moved away, the new file not yet in its place — leaves no records.db. The
// next open finishes the swap and records the rebuild, instead of every command
// failing until someone runs the rebuild again.
TEST_F(RebuildRecordsTest, ARebuildStoppedBetweenItsRenamesIsFinishedByTheNextOpen) {
  ASSERT_NO_FATAL_FAILURE(Write("a", 20));
  const uint64_t size = vellum_->Size();
  vellum_.reset();
  ASSERT_OK_AND_ASSIGN(RebuildRecordsResult r, RebuildRecords(data_, Options("power cut test")));
  ASSERT_TRUE(r.ledger_check.ok());
  ASSERT_FALSE(r.replaced.empty());
  const std::string rows = Rows(data_);
  // The state the stop leaves: the new file under its own name, no records.db, and a
  // -wal of the old database not yet moved (it must never be read as the new file's).
  fs::rename(data_ + "/records.db", data_ + "/records.db.rebuild");
  WriteFileOrDie(data_ + "/records.db-wal", "not the new file's");
  ASSERT_OK_AND_ASSIGN(vellum_, Vellum::Open(data_));
  EXPECT_EQ(vellum_->Size(), size + 1);  // the rebuild, recorded
  ASSERT_OK_AND_ASSIGN(ledger::Event e, ledger::DecodeEvent(*vellum_->ledger().ReadEvent(size)));
  EXPECT_EQ(e.reason, "power cut test");
  vellum_.reset();
  EXPECT_FALSE(fs::exists(data_ + "/records.db.rebuild"));
  EXPECT_EQ(ReadFileOrDie(data_ + "/" + r.replaced + "-wal"), "not the new file's");
  EXPECT_FALSE(fs::exists(data_ + "/" + kRebuildNoteName));
  EXPECT_NE(Rows(data_).find(rows.substr(rows.find('\n') + 1)), std::string::npos) << "the rebuilt rows are in place";
}

// AT-5: the rebuild trusts the ledger only as far as the witnesses vouch for
// it: a checkpoint in a witness file that the ledger does not match (here an
// altered copy of the latest) refuses the rebuild, and nothing is changed.
TEST_F(RebuildRecordsTest, WitnessTheLedgerDoesNotMatchRefusesTheRebuild) {
  ASSERT_NO_FATAL_FAILURE(Write("a", 20));
  ASSERT_OK(vellum_->ledger().MakeCheckpoint().status());
  vellum_.reset();
  const std::string notes = ReadFileOrDie(witness_);
  const size_t last = notes.rfind("rebuild.example/ledger\n");
  ASSERT_NE(last, std::string::npos);
  std::string altered = notes.substr(last);
  const size_t size_line = altered.find('\n') + 1;
  altered.replace(size_line, altered.find('\n', size_line) - size_line, "999999");
  WriteFileOrDie(witness_, notes + altered);
  const std::string before = ReadFileOrDie(data_ + "/records.db");
  ASSERT_OK_AND_ASSIGN(RebuildRecordsResult r, RebuildRecords(data_, Options("try")));
  EXPECT_FALSE(r.ledger_check.ok());
  std::vector<std::string> areas;
  for (const auto& p : r.ledger_check.problems) areas.push_back(p.area);
  EXPECT_THAT(areas, ::testing::Contains("witness"));
  EXPECT_FALSE(fs::exists(data_ + "/" + kRebuildNoteName));
  EXPECT_FALSE(fs::exists(data_ + "/records.db.rebuild"));
  EXPECT_EQ(ReadFileOrDie(data_ + "/records.db"), before);
}

// SR-2: a failing disk at any step of the rebuild leaves a data directory that
// opens and verifies, with its old records.db and no rebuild recorded, or the
// new one and the rebuild recorded exactly once — never a records.db the trail
// says nothing about, nor a rebuild recorded that did not happen.
TEST_F(RebuildRecordsTest, AFailingDiskLeavesTheOldRecordsDbOrARecordedRebuild) {
  ASSERT_NO_FATAL_FAILURE(Write("a", 50));
  ASSERT_NO_FATAL_FAILURE(ModifyAndDelete("a"));
  const uint64_t size = vellum_->Size();
  vellum_.reset();
  const std::string pristine = tmp_.Sub("pristine");
  vellum::testing::CopyTree(data_, pristine);
  const std::string old_rows = ReadFileOrDie(pristine + "/records.db");
  for (const auto op : {vellum::testing::FaultOp::kOpen, vellum::testing::FaultOp::kSync,
                        vellum::testing::FaultOp::kWriteAtomic, vellum::testing::FaultOp::kRename,
                        vellum::testing::FaultOp::kRemove, vellum::testing::FaultOp::kSyncDir}) {
    uint64_t calls = 0;
    {
      fs::remove_all(data_);
      vellum::testing::CopyTree(pristine, data_);
      vellum::testing::FaultInjectionEnv counting;
      RebuildRecordsOptions o = Options("count");
      o.env = &counting;
      ASSERT_OK(RebuildRecords(data_, o).status());
      calls = counting.OpCount(op);
    }
    for (uint64_t nth = 1; nth <= calls; ++nth) {
      SCOPED_TRACE(::testing::Message() << "op " << static_cast<int>(op) << ", call " << nth << " of " << calls);
      fs::remove_all(data_);
      vellum::testing::CopyTree(pristine, data_);
      vellum::testing::FaultInjectionEnv faulty;
      faulty.FailNth(op, nth, UnavailableError("the disk went away"));
      RebuildRecordsOptions o = Options("disk test");
      o.env = &faulty;
      // A failed read in step 1 is a finding of its check (and refuses the
      // rebuild) rather than an error; either way nothing may be half done.
      auto r = RebuildRecords(data_, o);
      // Steps 2 and 3 alone write: a failed write fails the rebuild.
      if (op == vellum::testing::FaultOp::kWriteAtomic || op == vellum::testing::FaultOp::kRename ||
          op == vellum::testing::FaultOp::kSync) {
        EXPECT_FALSE(r.ok());
      }
      // (The rebuilt file may well be the old one byte for byte: only its name tells.)
      bool rebuilt = false;
      for (const auto& e : fs::directory_iterator(data_)) {
        rebuilt = rebuilt || e.path().filename().string().rfind("records.db.replaced-", 0) == 0;
      }
      if (!rebuilt) {
        EXPECT_EQ(ReadFileOrDie(data_ + "/records.db"), old_rows);
      }
      ASSERT_OK_AND_ASSIGN(vellum_, Vellum::Open(data_));
      EXPECT_EQ(vellum_->Size(), rebuilt ? size + 1 : size);
      if (rebuilt) {
        ASSERT_OK_AND_ASSIGN(std::string line, vellum_->ledger().ReadEvent(size));
        ASSERT_OK_AND_ASSIGN(ledger::Event e, ledger::DecodeEvent(line));
        EXPECT_EQ(e.type, kRebuiltEventType);
      }
      EXPECT_FALSE(fs::exists(data_ + "/" + kRebuildNoteName));
      ASSERT_OK_AND_ASSIGN(ledger::VerifyReport v, vellum_->Verify({witness_}, std::nullopt, true));
      EXPECT_TRUE(v.ok());
      vellum_.reset();
    }
  }
}

// Without a reason, or with one that is not UTF-8, nothing is done.
TEST_F(RebuildRecordsTest, ReasonIsRequired) {
  vellum_.reset();
  EXPECT_EQ(RebuildRecords(data_, Options(" ")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RebuildRecords(data_, Options("caf\xc3")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(data_ + "/" + kRebuildNoteName));
}

}  // namespace
}  // namespace vellum::app
