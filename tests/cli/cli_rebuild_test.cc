// `vellum rebuild-records` through the binary (AT-4: the projection is
// rebuildable from the trail; SR-2): a lost or edited records.db is made again
// from the ledger alone, the result verifies and reads as before, the old file
// is kept as evidence and the rebuild is in the trail; a ledger that does not
// verify is refused with nothing changed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/cli_fixture.h"
#include "integration/data_dir_util.h"
#include "storage/embedded/sqlite_db.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::vellum::testing::ExecSql;
using ::vellum::testing::ReadFileOrDie;

class CliRebuildTest : public CliTest {
 protected:
  void SetUp() override {
    Init("vellum.test/cli", {kRivera, kQuality});
    ASSERT_NO_FATAL_FAILURE(CreateModifyAndDeleteSampleRecords());
  }

  std::string RecordsDb() const { return data_ + "/records.db"; }

  // What the records read as: every version of both, with content hashes.
  std::string Histories() const {
    return RunOk({"--format", "json", "record", "history", "--type", "annotation", "--id", "a-1"}) +
           RunOk({"--format", "json", "record", "history", "--type", "annotation", "--id", "a-2"});
  }

  // records.db's files moved away, as a lost disk or a careless clean-up leaves it.
  void LoseRecordsDb() const {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ec;
      fs::remove(RecordsDb() + suffix, ec);
    }
  }

  std::vector<std::string> ReplacedFiles() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(data_)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("records.db.replaced-", 0) == 0) out.push_back(name);
    }
    return out;
  }

  // The last event of the trail, parsed.
  json::object LastEvent() const {
    std::vector<std::string> lines = LogLines();
    if (lines.empty()) return {};
    return ParseOrFail(lines.back()).as_object();
  }
};

// AT-4, SR-2: records.db lost; every command that needs it says so; the
// rebuild makes it again from the ledger, by nobody signed in (file access to
// the data directory is what it needs, as for restore), and the records read
// exactly as before. The trail records the rebuild, with its reason.
TEST_F(CliRebuildTest, LostRecordsDbIsRebuiltFromTheLedgerAndTheRebuildRecorded) {
  const std::string before = Histories();
  LoseRecordsDb();
  ProcessResult lost = Run({"record", "show", "--type", "annotation", "--id", "a-1"});
  EXPECT_EQ(lost.exit_code, 4) << Describe(lost);
  EXPECT_THAT(lost.err, HasSubstr("records.db"));

  ProcessResult r = RunAs("", {"rebuild-records", "--reason", "records.db was lost with its disk"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("OK: records.db rebuilt from "));
  EXPECT_THAT(r.out, HasSubstr("recorded as a system.records_rebuilt event; verified"));
  EXPECT_THAT(ReplacedFiles(), ::testing::IsEmpty());

  ProcessResult v = RunAs("", {"verify"});
  EXPECT_EQ(v.exit_code, 0) << Describe(v);
  EXPECT_EQ(Histories(), before);
  const json::object last = LastEvent();
  EXPECT_EQ(Str(last.at("type")), "system.records_rebuilt");
  EXPECT_EQ(Str(last.at("actor")), "system");
  EXPECT_EQ(Str(last.at("reason")), "records.db was lost with its disk");
  const json::object& data = last.at("data").as_object();
  EXPECT_EQ(data.at("events").to_number<uint64_t>(), last.at("seq").to_number<uint64_t>());
  EXPECT_EQ(Str(data.at("replaced")), "");
  EXPECT_FALSE(fs::exists(data_ + "/records-rebuilt.json")) << "the note is removed once recorded";
  EXPECT_FALSE(fs::exists(RecordsDb() + ".rebuild"));
  // Writing goes on as before.
  EXPECT_EQ(Create("annotation", "a-3", R"({"label":"nodule"})").exit_code, 0);
  EXPECT_EQ(RunAs("", {"verify"}).exit_code, 0);
}

// AT-4: an edited row (which verify names) is made right again; the edited
// file is kept, byte for byte, as evidence; a file with 4 KiB pages, which
// `status` points out, comes back with 16 KiB ones.
TEST_F(CliRebuildTest, EditedRecordsDbIsReplacedAndKeptAsEvidence) {
  const std::string before = Histories();
  ExecSql(RecordsDb(), "PRAGMA journal_mode=DELETE; PRAGMA page_size=4096; VACUUM;");
  ExecSql(RecordsDb(), "UPDATE record_versions SET content='{\"label\":\"benign\"}' "
                       "WHERE record_id='a-1' AND version=2");
  EXPECT_EQ(RunAs("", {"verify"}).exit_code, 1);
  const std::string edited = ReadFileOrDie(RecordsDb());
  // `status` names the old page size and the way to the new one.
  const std::string page_note = "records.db has pages of 4096 bytes, as an earlier Vellum made it; `vellum "
                                "rebuild-records` makes it again with 16384-byte pages";
  ProcessResult st = RunAs("", {"status"});
  ASSERT_EQ(st.exit_code, 0) << Describe(st);
  EXPECT_THAT(st.out, HasSubstr(page_note));

  ProcessResult r = RunAs("", {"--format", "json", "rebuild-records", "--reason", "verify found an edited row"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const json::object out = ParseOrFail(r.out).as_object();
  EXPECT_TRUE(out.at("ok").as_bool());
  const std::vector<std::string> replaced = ReplacedFiles();
  ASSERT_EQ(replaced.size(), 1u);
  EXPECT_EQ(Str(out.at("replaced")), replaced[0]);
  EXPECT_EQ(ReadFileOrDie(data_ + "/" + replaced[0]), edited);
  EXPECT_EQ(Histories(), before);
  EXPECT_EQ(RunAs("", {"verify"}).exit_code, 0);
  EXPECT_EQ(Str(LastEvent().at("data").at("replaced")), replaced[0]);
  auto db = storage::sqlite::Database::Open(RecordsDb(), false);
  ASSERT_TRUE(db.ok());
  auto page = (*db)->Prepare("PRAGMA page_size");
  ASSERT_TRUE(page.ok());
  ASSERT_TRUE(page->Step().ok());
  EXPECT_EQ(page->ColumnInt(0), 16384);
  st = RunAs("", {"status"});
  EXPECT_THAT(st.out, Not(HasSubstr("records.db has pages of")));
}

// AT-4: the trail is what the rebuild trusts, so a ledger that does not verify
// (here an edited event) is refused, the problem named, and nothing written.
TEST_F(CliRebuildTest, LedgerThatDoesNotVerifyIsRefusedAndNothingChanges) {
  std::string segment = Segment();
  const size_t at = segment.find("\"mass\"");
  ASSERT_NE(at, std::string::npos);
  segment.replace(at, 6, "\"mast\"");
  ::vellum::testing::OverwriteFile(SegmentPath(), segment);
  const auto snapshot = Snapshot();
  ProcessResult r = RunAs("", {"rebuild-records", "--reason", "try"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("PROBLEM"));
  EXPECT_THAT(r.out, HasSubstr("REFUSED: the ledger files do not verify; records.db was not rebuilt"));
  EXPECT_EQ(Snapshot(), snapshot);
}

// Bad usage writes nothing: no reason, a blank one, no data directory.
TEST_F(CliRebuildTest, BadUsageIsRefusedAndNothingChanges) {
  const auto snapshot = Snapshot();
  ProcessResult r = RunAs("", {"rebuild-records"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("--reason"));
  r = RunAs("", {"rebuild-records", "--reason", "  "});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("a reason is required"));
  EXPECT_EQ(Snapshot(), snapshot);
  r = ::vellum::testing::RunProcess(
      {::vellum::testing::VellumBinary(), "--data", tmp_.Sub("nowhere"), "rebuild-records", "--reason", "x"});
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("no Vellum data directory"));
  EXPECT_FALSE(fs::exists(tmp_.Sub("nowhere")));
}

// What an interrupted rebuild leaves before its swap (records.db.rebuild) is
// discarded by the next one; records.db itself was never touched.
TEST_F(CliRebuildTest, LeftoverOfAnInterruptedRebuildIsDiscarded) {
  ::vellum::testing::WriteFileOrDie(RecordsDb() + ".rebuild", "half a database");
  ProcessResult r = RunAs("", {"rebuild-records", "--reason", "upgrade to 16 KiB pages"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_FALSE(fs::exists(RecordsDb() + ".rebuild"));
  EXPECT_EQ(RunAs("", {"verify"}).exit_code, 0);
}

// A -wal file of the old database, even without its database (what a rebuild
// stopped between its renames leaves), is moved away with it: SQLite would
// read it as the new file's own.
TEST_F(CliRebuildTest, OldWriteAheadLogIsMovedAwayWithTheOldDatabase) {
  const std::string wal = ReadFileOrDie(RecordsDb());  // any bytes: SQLite is not asked to read them
  LoseRecordsDb();
  ::vellum::testing::WriteFileOrDie(RecordsDb() + "-wal", wal.substr(0, 4096));
  ProcessResult r = RunAs("", {"rebuild-records", "--reason", "records.db lost, its -wal left"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const std::vector<std::string> replaced = ReplacedFiles();
  ASSERT_EQ(replaced.size(), 1u);
  EXPECT_THAT(replaced[0], ::testing::EndsWith("-wal"));
  EXPECT_EQ(ReadFileOrDie(data_ + "/" + replaced[0]), wal.substr(0, 4096));
  EXPECT_EQ(RunAs("", {"verify"}).exit_code, 0);
}

// SR-2, AT-4: the machine stopped (a power cut) while records.db held writes not
// yet on disk: the mark beside it names a boot that is not this one. verify
// names records.db instead of comparing it (exit 1); the next command that opens
// the data directory says what it does, keeps the old file, rebuilds records.db,
// and the trail records it; then everything verifies and reads as before.
TEST_F(CliRebuildTest, RecordsDbLeftUnsyncedByAPowerCutIsRebuiltByTheNextCommand) {
  const std::string before = Histories();
  {
    std::ofstream mark(RecordsDb() + "-unsynced");
    mark << "00000000-0000-4000-8000-000000000000\n";  // no machine's boot but a test's
  }
  ProcessResult found = RunAs("", {"verify"});
  EXPECT_EQ(found.exit_code, 1) << Describe(found);
  EXPECT_THAT(found.out + found.err, HasSubstr("records.db was left with changes not yet on stable storage"));
  EXPECT_THAT(found.out + found.err, HasSubstr("00000000-0000-4000-8000-000000000000"));
  if (::vellum::testing::HaveOfflineVerifier()) {  // the verifier written from the formats agrees
    ProcessResult offline = RunOfflineTool("offline_verify.py", {data_});
    EXPECT_EQ(offline.exit_code, 1) << Describe(offline);
    EXPECT_THAT(offline.out, HasSubstr("records.db was left with changes not yet on stable storage"));
  }
  ProcessResult status = RunAs("", {"status"});
  EXPECT_EQ(status.exit_code, 0) << Describe(status);
  EXPECT_THAT(status.out, HasSubstr("rebuilds records.db from the ledger"));

  // The first command that opens it rebuilds it, and says so.
  ProcessResult first = Run({"record", "show", "--type", "annotation", "--id", "a-1"});
  EXPECT_EQ(first.exit_code, 0) << Describe(first);
  EXPECT_THAT(first.err, HasSubstr("vellum: records.db was left with writes not yet on disk when the system stopped"));
  EXPECT_THAT(first.err, HasSubstr("kept as records.db.replaced-"));
  EXPECT_EQ(Histories(), before);
  ASSERT_EQ(ReplacedFiles().size(), 2u);  // the file and its mark
  const json::object last = LastEvent();
  EXPECT_EQ(Str(last.at("type")), "system.records_rebuilt");
  EXPECT_THAT(Str(last.at("reason")), HasSubstr("not yet on stable storage"));
  const json::object& data = last.at("data").as_object();
  EXPECT_EQ(Str(data.at("unsynced_boot")), "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(data.at("events").to_number<uint64_t>(), last.at("seq").to_number<uint64_t>());
  EXPECT_THAT(ReplacedFiles(), ::testing::Contains(Str(data.at("replaced"))));
  EXPECT_FALSE(fs::exists(data_ + "/records-rebuilt-at-open.json")) << "the note is removed once recorded";
  ProcessResult v = RunAs("", {"verify"});
  EXPECT_EQ(v.exit_code, 0) << Describe(v);
  EXPECT_FALSE(fs::exists(RecordsDb() + "-unsynced")) << "no command holds records.db open";
  if (::vellum::testing::HaveOfflineVerifier()) {
    ProcessResult offline = RunOfflineTool("offline_verify.py", {data_});
    EXPECT_EQ(offline.exit_code, 0) << Describe(offline);
  }
}

}  // namespace
}  // namespace vellum::cli_test
