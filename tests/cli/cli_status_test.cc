// `vellum status`: what a data directory holds, read without signing in and
// without writing, and what it says when a crash or an edit left something
// for an operator to know.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <string>

#include "cli/cli_fixture.h"
#include "integration/data_dir_util.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::vellum::testing::CheckpointFile;
using ::vellum::testing::ExecSql;
using ::vellum::testing::OverwriteFile;
using ::vellum::testing::ReadFileOrDie;

class CliStatusTest : public CliTest {
 protected:
  void SetUp() override {
    Init("vellum.test/cli", {kRivera, kQuality});
    ASSERT_NO_FATAL_FAILURE(CreateSampleRecords());
  }

  // `status --format json` by nobody signed in: file access is all it needs.
  json::object Status() const {
    ProcessResult r = RunAs("", {"--format", "json", "status"});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    json::value v = ParseOrFail(r.out);
    return v.is_object() ? v.as_object() : json::object{};
  }
  json::object Verify() const {
    ProcessResult r = RunAs("", {"--format", "json", "verify"});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    json::value v = ParseOrFail(r.out);
    return v.is_object() ? v.as_object() : json::object{};
  }
  static uint64_t Num(const json::value& v) { return v.to_number<uint64_t>(); }
};

// Everything status says agrees with what verify, log and checkpoint say, and
// reading it changes no file.
TEST_F(CliStatusTest, DescribesTheDirectoryAsTheOtherCommandsSeeIt) {
  const auto before = Snapshot();
  json::object st = Status();
  EXPECT_EQ(Snapshot(), before) << "status wrote something";
  const json::object v = Verify();
  const std::vector<std::string> log = LogLines();
  const uint64_t events = log.size();

  EXPECT_EQ(Str(st.at("origin")), origin_);
  EXPECT_EQ(Num(st.at("events")), events);
  EXPECT_EQ(Num(st.at("events")), Num(v.at("events")));
  EXPECT_EQ(Num(st.at("ledger_bytes")), Num(v.at("bytes")));
  EXPECT_EQ(Num(st.at("segments")), 1u);
  EXPECT_EQ(Num(st.at("checkpoints")), Num(v.at("checkpoints")));
  EXPECT_EQ(Str(st.at("ledger_key")) + "\n", RunOk({"checkpoint", "--verifier-key"}));
  // The first and the last event, as the log has them.
  json::value first = ParseOrFail(log.front()), last = ParseOrFail(log.back());
  EXPECT_EQ(Num(st.at("first_event").at("seq")), 0u);
  EXPECT_EQ(Str(st.at("first_event").at("type")), "ledger.genesis");
  EXPECT_EQ(Str(st.at("first_event").at("ts")), Str(first.at("ts")));
  EXPECT_EQ(Num(st.at("last_event").at("seq")), events - 1);
  EXPECT_EQ(Str(st.at("last_event").at("type")), "record.modified");
  EXPECT_EQ(Str(st.at("last_event").at("ts")), Str(last.at("ts")));
  // Init signed a checkpoint; the team's set-up and the records came after it.
  const json::object& cp = st.at("latest_checkpoint").as_object();
  EXPECT_TRUE(cp.at("signature_ok").as_bool());
  EXPECT_TRUE(cp.at("signature_problem").is_null());
  EXPECT_EQ(Num(cp.at("size")) + Num(st.at("unsigned_events")), events);
  EXPECT_GT(Num(st.at("unsigned_events")), 0u);
  EXPECT_EQ(Str(cp.at("file")), CheckpointFile(Num(cp.at("size"))));
  // records.db has applied every event.
  EXPECT_EQ(Num(st.at("applied")), events);
  EXPECT_THAT(st.at("notes").as_array(), IsEmpty());

  // Signed now: nothing unsigned, and the root is the one verify computes.
  As(kQuality.id);
  RunOk({"checkpoint"});
  st = Status();
  EXPECT_EQ(Num(st.at("unsigned_events")), 0u);
  EXPECT_EQ(Num(st.at("latest_checkpoint").at("size")), events);
  EXPECT_EQ(Str(st.at("latest_checkpoint").at("root")), Str(Verify().at("root")));
  EXPECT_EQ(Num(st.at("checkpoints")), Num(v.at("checkpoints")) + 1);

  // The table for people says the same.
  ProcessResult table = RunAs("", {"status"});
  ASSERT_EQ(table.exit_code, 0) << Describe(table);
  EXPECT_THAT(table.out, HasSubstr(fmt::format("events             {} in 1 segment", events)));
  EXPECT_THAT(table.out, HasSubstr(fmt::format("size {} at ", events)));
  EXPECT_THAT(table.out, HasSubstr("signature valid"));
  EXPECT_THAT(table.out, HasSubstr(fmt::format("records.db         {} of {} events applied\n", events, events)));
  EXPECT_THAT(table.out, ::testing::Not(HasSubstr("NOTE")));
}

// A copy without the private key and auth.db (what an inspector is handed)
// reads the same.
TEST_F(CliStatusTest, NeedsOnlyThePublicPartsOfTheDirectory) {
  const json::object st = Status();
  const std::string copy = tmp_.Sub("copy");
  ::vellum::testing::CopyDataDir(data_, copy);
  std::filesystem::remove(copy + "/keys/ledger.key");
  std::filesystem::remove(copy + "/auth.db");
  ProcessResult r = ::vellum::testing::RunVellum(copy, {"--format", "json", "status"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  json::object other = ParseOrFail(r.out).as_object();
  other["data_directory"] = st.at("data_directory");
  EXPECT_EQ(other, st);
}

// A crash's torn last line and a projection that fell behind are what the next
// writer repairs: status names both and still answers.
TEST_F(CliStatusTest, NamesWhatTheNextWriterRepairs) {
  const uint64_t events = LogLines().size();
  const std::string segment = Segment();
  OverwriteFile(SegmentPath(), segment + R"({"seq":)" + std::to_string(events) + R"(,"id":"0)");
  ExecSql(data_ + "/records.db",
          fmt::format("UPDATE meta SET value = {} WHERE key = 'applied_count'", events - 2));
  const json::object st = Status();
  EXPECT_EQ(Num(st.at("events")), events);
  EXPECT_EQ(Num(st.at("ledger_bytes")), segment.size());
  EXPECT_EQ(Num(st.at("applied")), events - 2);
  const json::array& notes = st.at("notes").as_array();
  ASSERT_THAT(notes, SizeIs(2));
  EXPECT_THAT(Str(notes[0]), HasSubstr("ends in an incomplete line of"));
  EXPECT_THAT(Str(notes[1]), HasSubstr(fmt::format("records.db reflects {} of the {} events", events - 2, events)));
  ProcessResult table = RunAs("", {"status"});
  EXPECT_EQ(table.exit_code, 0) << Describe(table);
  EXPECT_THAT(table.out, HasSubstr("NOTE: " + Str(notes[1])));
}

// SR-2: a recovery that ended before its system.recovered event left a note in
// records.db; status names the events the next open will record as recovered.
TEST_F(CliStatusTest, NamesARecoveryNotYetRecorded) {
  ExecSql(data_ + "/records.db", "INSERT INTO meta VALUES ('recovery_first_seq', 1), ('recovery_last_seq', 2)");
  const json::object st = Status();
  EXPECT_THAT(st.at("notes").as_array(),
              ::testing::Contains(::testing::Property(
                  &json::value::as_string, HasSubstr("a recovery applied events 1..2 and ended before"))));
}

// SR-2: a note of a rebuild at open that is not one Vellum writes (damaged, or
// written by hand) is named by status, which then does not read records.db, and is
// a problem for verify; neither fails to report.
TEST_F(CliStatusTest, NamesARebuildNoteThatCannotBeRead) {
  OverwriteFile(data_ + "/records-rebuilt-at-open.json", "{\"reason\": 1}\n");
  const json::object st = Status();
  EXPECT_TRUE(st.at("applied").is_null());
  EXPECT_THAT(st.at("notes").as_array(),
              ::testing::Contains(::testing::Property(
                  &json::value::as_string, HasSubstr("records-rebuilt-at-open.json is not a note"))));
  ProcessResult verify = RunAs("", {"verify"});
  EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
  EXPECT_THAT(verify.out, HasSubstr("records-rebuilt-at-open.json is not a note"));
}

// A checkpoint that does not verify is said to, and nothing it claims is shown
// but the size its file is named by.
TEST_F(CliStatusTest, SaysWhenTheLatestCheckpointDoesNotVerify) {
  const json::object good = Status();
  const uint64_t size = Num(good.at("latest_checkpoint").at("size"));
  const std::string path = data_ + "/" + CheckpointFile(size);
  std::string note = ReadFileOrDie(path);
  const size_t root_line = note.find('\n', note.find('\n') + 1) + 1;
  note[root_line] = note[root_line] == 'A' ? 'B' : 'A';
  OverwriteFile(path, note);
  const json::object st = Status();
  const json::object& cp = st.at("latest_checkpoint").as_object();
  EXPECT_FALSE(cp.at("signature_ok").as_bool());
  EXPECT_FALSE(Str(cp.at("signature_problem")).empty());
  EXPECT_TRUE(cp.at("root").is_null());
  EXPECT_TRUE(cp.at("time").is_null());
  EXPECT_EQ(Num(cp.at("size")), size);
  ASSERT_THAT(st.at("notes").as_array(), SizeIs(1));
  EXPECT_THAT(Str(st.at("notes").at(0)), HasSubstr("does not verify with keys/ledger.pub"));
  ProcessResult table = RunAs("", {"status"});
  EXPECT_EQ(table.exit_code, 0) << Describe(table);
  EXPECT_THAT(table.out, HasSubstr("signature does NOT verify"));
}

// No data directory is a usage error; one whose files are missing is damage.
TEST_F(CliStatusTest, MissingDirectoryOrFilesAreErrors) {
  ProcessResult none = ::vellum::testing::RunVellum(tmp_.Sub("nothing-here"), {"status"});
  EXPECT_EQ(none.exit_code, 2) << Describe(none);
  EXPECT_THAT(none.err, HasSubstr("no Vellum data directory"));
  EXPECT_TRUE(none.out.empty());
  std::filesystem::remove(data_ + "/records.db");
  ProcessResult damaged = RunAs("", {"status"});
  EXPECT_EQ(damaged.exit_code, 4) << Describe(damaged);
  EXPECT_THAT(damaged.err, HasSubstr("the data directory is incomplete"));
  EXPECT_TRUE(damaged.out.empty());
}

}  // namespace
}  // namespace vellum::cli_test
