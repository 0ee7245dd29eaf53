// The tamper matrix (AT-4, AT-5), end to end. Each test plays an attacker who
// can read and write every file of a data directory: it edits the ledger files
// or records.db with ordinary file I/O and SQLite, then runs the real `vellum`
// binary and checks that
//   1. `vellum verify` exits 1 and names what was changed and where (the
//      sequence number and/or the file), in the JSON and the table output alike;
//   2. a later write through the binary (`record create`, `checkpoint`) either
//      is refused and writes nothing, or goes ahead and leaves verify failing:
//      no tamper is ever "healed" into a ledger that verifies;
//   3. tools/offline_verify.py, written from the published formats alone, fails
//      it too (AT-9).
// Attacks at the limits of the design (docs/threat-model.md: the unsigned tail) are at
// the end, with what the product does about them: name them, and record in the trail
// how the events came in.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "app/demo.h"
#include "app/vellum.h"
#include "core/clock.h"
#include "core/ed25519.h"
#include "core/json.h"
#include "core/sha256.h"
#include "core/signed_note.h"
#include "integration/data_dir_util.h"
#include "ledger/checkpoint.h"
#include "ledger/event.h"
#include "ledger/merkle.h"
#include "ledger/projector.h"
#include "records/records.h"
#include "storage/embedded/sqlite_projection.h"
#include "testing/identity_fixture.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr char kOrigin[] = "tamper.test/ledger";

// The ledger every test starts from (BuildLedger), fixed by construction:
//   seq 0..2     `vellum init --admin`: genesis, security policy, the administrator
//                                         checkpoint at size 1
//   seq 3..77    the demo (app::FillDemo, what `vellum demo --cases 6` writes): the
//                administrator's sign-in, its team of seven provisioned (5 events
//                each), then its 39 record events (seq 39..77; 77 deletes case-0003)
//   seq 78       quality signs in and     checkpoint at size 79 (kDemoCheckpoint)
//   seq 79, 80   `vellum login` of the demo's project lead and of quality
//   seq 81, 82   note/n-1 v1, v2          checkpoint at size 83 (the latest; tree/synced 83)
//   seq 83..85   note/n-2 v1, v2, v3      covered by no checkpoint
constexpr uint64_t kEvents = 86;
constexpr uint64_t kDemoCheckpoint = 79;
constexpr uint64_t kLatestCheckpoint = 83;
constexpr std::array<uint64_t, 3> kCheckpointSizes = {1, kDemoCheckpoint, kLatestCheckpoint};
constexpr uint64_t kDemoRecordsStart = 39;
constexpr uint64_t kCaseDeletedSeq = 77;      // case/case-0003 v2, the demo's withdrawn case
constexpr uint64_t kNote1CreatedSeq = 81;     // note/n-1 v1
constexpr uint64_t kNote2CreatedSeq = 83;     // note/n-2 v1
constexpr uint64_t kAfterCheckpointSeq = 84;  // note/n-2 v2: a modify with a reason and changes
constexpr uint64_t kLastSeq = 85;
// A seq in the middle of the demo's records, covered by kDemoCheckpoint only.
constexpr uint64_t kMiddleSeq = 50;

// The demo's people the tests act as: the project lead writes the notes (record.create,
// record.modify) and quality signs checkpoints (docs/permissions.md).
constexpr char kWriter[] = "u-lead";
constexpr char kQualityUser[] = "u-qa-1";

// The binary on `dir` with its test users' secrets in `dir`.secrets.
CliDataDir Cli(const std::string& dir) { return CliDataDir(dir, dir + ".secrets"); }

void MustRun(const CliDataDir& cli, const std::string& user, const std::vector<std::string>& args,
             const std::string& input = "") {
  ProcessResult r = cli.Run(user, args, input);
  ASSERT_EQ(r.exit_code, 0) << "vellum " << fmt::format("{}", fmt::join(args, " ")) << "\n"
                            << r.out << r.err;
}

std::vector<std::string> NoteCommand(const std::string& verb, const std::string& id,
                                     const std::string& reason) {
  std::vector<std::string> args = {"record", verb, "--type", "note", "--id", id};
  if (!reason.empty()) {
    args.push_back("--reason");
    args.push_back(reason);
  }
  return args;
}

// Builds the ledger described above in `dir`. With `witness`, every checkpoint is
// also appended to that file (`init --witness`, AT-5). Checkpoints come only on
// demand: the time trigger is a day, so a slow machine cannot add one. The demo's
// content comes from the code `vellum demo` runs (which always makes its own data
// directory, with no --witness); its people get the test passwords.
void BuildLedger(const std::string& dir, const std::string& witness = "") {
  const CliDataDir cli = Cli(dir);
  std::vector<std::string> init = {"--origin", kOrigin, "--checkpoint-seconds", "86400"};
  if (!witness.empty()) {
    init.push_back("--witness");
    init.push_back(witness);
  }
  ProcessResult r = cli.Init(init);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  {
    ASSERT_OK_AND_ASSIGN(auto v, app::Vellum::Open(dir));
    ASSERT_OK_AND_ASSIGN(app::Principal admin, SignInAdmin(*v));
    std::map<std::string, std::string> passwords;
    for (const std::string& id : app::DemoTeam()) passwords[id] = TestPassword(id);
    ASSERT_OK(app::FillDemo(*v, admin, 6, &passwords).status());
    ASSERT_OK_AND_ASSIGN(app::Principal quality, SignInAs(*v, kQualityUser));
    ASSERT_OK(v->MakeCheckpoint(quality).status());
  }
  ASSERT_EQ(cli.Login(kWriter).exit_code, 0);
  ASSERT_EQ(cli.Login(kQualityUser).exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(
      MustRun(cli, kWriter, NoteCommand("create", "n-1", ""), R"({"n":1,"status":"draft"})"));
  ASSERT_NO_FATAL_FAILURE(MustRun(cli, kWriter, NoteCommand("modify", "n-1", "Counted again"),
                                  R"({"n":2,"status":"draft"})"));
  ASSERT_NO_FATAL_FAILURE(MustRun(cli, kQualityUser, {"checkpoint"}));
  ASSERT_NO_FATAL_FAILURE(
      MustRun(cli, kWriter, NoteCommand("create", "n-2", ""), R"({"n":1,"status":"draft"})"));
  ASSERT_NO_FATAL_FAILURE(MustRun(cli, kWriter, NoteCommand("modify", "n-2", "Second reading"),
                                  R"({"n":2,"status":"review"})"));
  ASSERT_NO_FATAL_FAILURE(MustRun(cli, kWriter, NoteCommand("modify", "n-2", "Signed off by QA"),
                                  R"({"n":3,"status":"final"})"));
  std::vector<std::string> lines = ReadLines(InDir(dir, kFirstSegment));
  ASSERT_EQ(lines.size(), kEvents);
  for (uint64_t size : kCheckpointSizes) {
    ASSERT_TRUE(fs::exists(InDir(dir, CheckpointFile(size)))) << size;
  }
  ASSERT_EQ(ReadFileOrDie(InDir(dir, "ledger/tree/synced")),
            fmt::format("{}\n", kLatestCheckpoint));
  // The positions the tests name.
  auto record_at = [&](uint64_t seq) {
    auto e = ledger::DecodeEvent(lines[seq]);
    EXPECT_TRUE(e.ok() && e->record.has_value()) << lines[seq];
    return e.ok() && e->record ? fmt::format("{} {}/{} v{}", e->type, e->record->type,
                                             e->record->id, e->record->version)
                               : std::string();
  };
  ASSERT_EQ(record_at(kDemoRecordsStart), "record.created project/chest-ct-nodules v1");
  ASSERT_EQ(record_at(kCaseDeletedSeq), "record.deleted case/case-0003 v2");
  ASSERT_EQ(record_at(kNote1CreatedSeq), "record.created note/n-1 v1");
  ASSERT_EQ(record_at(kNote2CreatedSeq), "record.created note/n-2 v1");
  ASSERT_EQ(record_at(kAfterCheckpointSeq), "record.modified note/n-2 v2");
}

// One pristine ledger (with its users' session files) per process, copied for every test
// (building is the slow part).
std::string PristineDir() {
  const std::string setup =
      SharedSetUp("tamper", [](const std::string& d) { BuildLedger(d + "/data"); });
  return setup.empty() ? "" : setup + "/data";
}

json::object ParseEvent(const std::string& line) {
  auto v = core::ParseJson(line);
  EXPECT_TRUE(v.ok() && v->is_object()) << line;
  return v.ok() && v->is_object() ? v->get_object() : json::object{};
}

std::string Canonical(const json::value& v) {
  auto c = core::CanonicalJson(v);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : std::string();
}

// The checkpoint that first commits to event `seq`.
uint64_t FirstCheckpointCovering(uint64_t seq) {
  for (uint64_t size : kCheckpointSizes) {
    if (size > seq) return size;
  }
  return 0;
}

std::vector<std::string> CheckpointNames(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(InDir(dir, "ledger/checkpoints"))) {
    names.push_back(e.path().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class TamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pristine_ = PristineDir();
    ASSERT_FALSE(pristine_.empty()) << "building the pristine ledger failed";
    dir_ = tmp_.Sub("data");
    CopyDataDir(pristine_, dir_);
    CopyDataDir(pristine_ + ".secrets", dir_ + ".secrets");
    lines_ = ReadLines(Path(kFirstSegment));
    ASSERT_EQ(lines_.size(), kEvents);
  }

  std::string Path(const std::string& rel) const { return InDir(dir_, rel); }
  void WriteSegment(const std::vector<std::string>& lines) {
    OverwriteFile(Path(kFirstSegment), JoinLines(lines));
  }
  void ReplaceLine(uint64_t seq, const std::string& line) {
    std::vector<std::string> lines = lines_;
    lines[seq] = line;
    WriteSegment(lines);
  }

  struct Writes {
    bool record_refused = false;
    bool checkpoint_refused = false;
  };

  // Writes through the binary as an operator would after the tamper. A refused write must
  // leave the ledger as it was; an accepted one is checked by the verify that follows.
  Writes TryWrites() {
    Writes w;
    const std::string segment = ReadFileOrDie(Path(kFirstSegment));
    const CliDataDir cli = Cli(dir_);
    ProcessResult c = cli.Run(kWriter, NoteCommand("create", "after-tamper", ""), R"({"n":99})");
    w.record_refused = c.exit_code != 0;
    if (w.record_refused) {
      EXPECT_TRUE(c.exit_code == 3 || c.exit_code == 4) << "refused as bad input?\n" << c.err;
      EXPECT_EQ(ReadFileOrDie(Path(kFirstSegment)), segment)
          << "a refused write changed the ledger: " << c.err;
    }
    const std::vector<std::string> checkpoints = CheckpointNames(dir_);
    ProcessResult k = cli.Run(kQualityUser, {"checkpoint"});
    w.checkpoint_refused = k.exit_code != 0;
    if (w.checkpoint_refused) {
      EXPECT_EQ(CheckpointNames(dir_), checkpoints) << "a refused checkpoint was stored: " << k.err;
    }
    return w;
  }

  // The writes of TryWrites go ahead and the ledger verifies after them.
  // The first system.recovered event from `seq` on: what the open that recovered
  // appended (after a system.started, should the clock's state have changed).
  StatusOr<ledger::Event> FirstRecoveredEvent(uint64_t seq) {
    const std::vector<std::string> lines = ReadLines(Path(kFirstSegment));
    for (; seq < lines.size(); ++seq) {
      ASSIGN_OR_RETURN(ledger::Event e, ledger::DecodeEvent(lines[seq]));
      if (e.type == "system.recovered") return e;
    }
    return NotFoundError("no system.recovered event");
  }

  // Opens the data directory as every command but verify does, which migrates an
  // older records.db; writes no event.
  void MigrateByOpening() { ASSERT_OK(app::Vellum::Open(dir_).status()); }

  void ExpectWritesAcceptedAndVerifying() {
    Writes w = TryWrites();
    EXPECT_FALSE(w.record_refused);
    EXPECT_FALSE(w.checkpoint_refused);
    VerifyOutput v = RunVerify(dir_);
    EXPECT_EQ(v.exit_code, 0) << v.Describe();
    EXPECT_EQ(v.events, kEvents + 1);
    EXPECT_EQ(v.checkpoints, kCheckpointSizes.size() + 1);
  }

  // The core assertion of every tamper test: verify finds the tamper and `named` finds
  // the place named; after writes through the binary it still does. The offline verifier,
  // written from the published formats alone, finds it too (AT-9).
  void ExpectDetectedAndNeverHealed(const std::function<void(const VerifyOutput&)>& named) {
    VerifyOutput v = RunVerify(dir_);
    EXPECT_EQ(v.exit_code, 1) << v.Describe();
    EXPECT_FALSE(v.ok);
    if (HaveOfflineVerifier()) {
      ProcessResult offline = RunOfflineTool("offline_verify.py", {dir_});
      EXPECT_EQ(offline.exit_code, 1) << "tools/offline_verify.py missed it:\n" << offline.out << offline.err;
    }
    {
      SCOPED_TRACE("first verify after the tamper");
      named(v);
    }
    writes_ = TryWrites();
    VerifyOutput again = RunVerify(dir_);
    EXPECT_EQ(again.exit_code, 1) << "writing through the binary healed the tamper\n"
                                  << again.Describe();
    {
      SCOPED_TRACE("verify after writing through the binary");
      named(again);
    }
  }

  TempDir tmp_;
  std::string pristine_;
  std::string dir_;
  std::vector<std::string> lines_;
  Writes writes_;
};

// ---- controls ----

TEST_F(TamperTest, UntouchedLedgerVerifies) {
  const auto files = SnapshotFiles(dir_);
  VerifyOutput v = RunVerify(dir_);
  EXPECT_EQ(v.exit_code, 0) << v.Describe();
  EXPECT_TRUE(v.ok);
  EXPECT_TRUE(v.problems.empty());
  EXPECT_EQ(v.events, kEvents);
  EXPECT_EQ(v.checkpoints, kCheckpointSizes.size());
  EXPECT_NE(v.table.find(fmt::format("OK: {} events", kEvents)), std::string::npos) << v.table;
  // The one note: the events after the latest checkpoint are not signed yet.
  EXPECT_EQ(v.signed_size, kLatestCheckpoint);
  ASSERT_EQ(v.notes.size(), 1u) << v.Describe();
  EXPECT_TRUE(HasNote(v, fmt::format("events {}..{} after the latest checkpoint", kLatestCheckpoint, kLastSeq)));
  // verify reads only (AT-4): nothing changed, and records.db, closed cleanly, was read
  // without SQLite's -wal and -shm files coming into being.
  EXPECT_TRUE(SnapshotFiles(dir_) == files) << "verify wrote to the data directory";
  EXPECT_FALSE(std::filesystem::exists(Path("records.db-wal")));
  EXPECT_FALSE(std::filesystem::exists(Path("records.db-shm")));
  // The offline verifier passes it too, writing nothing: what it fails below is the tamper (AT-9).
  if (HaveOfflineVerifier()) {
    ProcessResult offline = RunOfflineTool("offline_verify.py", {dir_});
    EXPECT_EQ(offline.exit_code, 0) << offline.out << offline.err;
    EXPECT_NE(offline.out.find(fmt::format("VERIFIED: {} events", kEvents)), std::string::npos) << offline.out;
    EXPECT_TRUE(SnapshotFiles(dir_) == files) << "offline_verify.py wrote to the data directory";
    EXPECT_FALSE(std::filesystem::exists(Path("records.db-shm")));
  }
}

// The writes every tamper test makes keep an untouched ledger verifying, so a failing
// verify after them is the tamper's doing.
TEST_F(TamperTest, WritesKeepAnUntouchedLedgerVerifying) { ExpectWritesAcceptedAndVerifying(); }

// ---- 1. editing a field of an event ----

enum class Field { kActor, kTs, kReason, kChangeValue, kRecordVersion, kSeq, kPrev, kType, kData };
enum class Where { kBeforeCheckpoint, kAfterCheckpoint, kLastEvent };
enum class How {
  kNaive,            // text edited in place; the line may or may not stay canonical JSON
  kRecanonicalized,  // parsed, changed and re-encoded: valid, canonical, well-formed, different
};

std::string FieldName(Field f) {
  switch (f) {
    case Field::kActor:
      return "Actor";
    case Field::kTs:
      return "Ts";
    case Field::kReason:
      return "Reason";
    case Field::kChangeValue:
      return "ChangeValue";
    case Field::kRecordVersion:
      return "RecordVersion";
    case Field::kSeq:
      return "Seq";
    case Field::kPrev:
      return "Prev";
    case Field::kType:
      return "Type";
    case Field::kData:
      return "Data";
  }
  return "?";
}

std::string Member(const json::object& e, const std::string& key) {
  return "\"" + key + "\":" + Canonical(e.at(key));
}

// `line` with its only occurrence of `from` replaced by `to`.
std::string ReplaceOnce(const std::string& line, const std::string& from, const std::string& to) {
  size_t at = line.find(from);
  EXPECT_NE(at, std::string::npos) << from << " not in " << line;
  EXPECT_EQ(line.find(from, at + 1), std::string::npos) << from << " is not unique in " << line;
  if (at == std::string::npos) return line;
  std::string out = line;
  out.replace(at, from.size(), to);
  return out;
}

// A different first character, same length.
std::string OtherFirstChar(std::string s) {
  s[0] = s[0] == 'X' ? 'Y' : 'X';
  return s;
}

// The attacker's text edit: what an editor or sed does to the line. Some results are
// still canonical (a same-length letter swap), some are the same JSON value in other
// bytes (a space, "2.0" for 2) and some are not events at all (a shortened timestamp).
std::string NaiveEdit(const std::string& line, Field f) {
  const json::object e = ParseEvent(line);
  switch (f) {
    case Field::kActor:
      return ReplaceOnce(line, Member(e, "actor"), R"("actor":"u-mallory")");
    case Field::kTs: {
      std::string ts(e.at("ts").as_string());  // "...:54.502713Z" → "...:54.502Z"
      return ReplaceOnce(line, Member(e, "ts"), "\"ts\":\"" + ts.substr(0, ts.size() - 4) + "Z\"");
    }
    case Field::kReason:
      return ReplaceOnce(
          line, Member(e, "reason"),
          "\"reason\":" +
              Canonical(json::string(OtherFirstChar(std::string(e.at("reason").as_string())))));
    case Field::kChangeValue: {
      const json::value& v = e.at("changes").as_array().at(0).as_object().at("new");
      std::string from = "\"changes\":[{\"new\":" + Canonical(v);
      std::string text = Canonical(v);
      if (v.is_string()) {
        text = Canonical(json::string(OtherFirstChar(std::string(v.as_string()))));
      } else {
        text += text.find('.') == std::string::npos ? ".0" : "0";  // 2 → 2.0, 10.9 → 10.90
      }
      return ReplaceOnce(line, from, "\"changes\":[{\"new\":" + text);
    }
    case Field::kRecordVersion: {
      int64_t version = e.at("record").as_object().at("version").to_number<int64_t>();
      return ReplaceOnce(line, fmt::format("\"version\":{}}}", version),
                         fmt::format("\"version\":{}}}", version + 1));
    }
    case Field::kSeq:
      return ReplaceOnce(line, Member(e, "seq"), "\"seq\": " + Canonical(e.at("seq")));
    case Field::kPrev: {
      std::string prev(e.at("prev").as_string());
      std::string flipped = prev;
      flipped.back() = flipped.back() == '0' ? '1' : '0';
      return ReplaceOnce(line, "\"prev\":\"" + prev + "\"", "\"prev\":\"" + flipped + "\"");
    }
    case Field::kType:
      return ReplaceOnce(line, R"("type":"record.modified")", R"("type":"record.created")");
    case Field::kData:
      return ReplaceOnce(line, R"("data":{})", R"("data":{ })");
  }
  return line;
}

// The capable attacker's edit: parse, change the value, write RFC 8785 canonical JSON.
std::string RecanonicalizedEdit(const std::vector<std::string>& lines, uint64_t seq, Field f) {
  json::object e = ParseEvent(lines[seq]);
  switch (f) {
    case Field::kActor:
      e["actor"] = "u-mallory";
      break;
    case Field::kTs: {
      auto ts = core::ParseTimestamp(std::string(e.at("ts").as_string()));
      EXPECT_TRUE(ts.ok());
      e["ts"] = core::FormatTimestamp((ts.ok() ? *ts : 0) - 1'000'000);
      break;
    }
    case Field::kReason:
      e["reason"] = "Approved by the QA lead after discussion";
      break;
    case Field::kChangeValue: {
      json::object& change = e.at("changes").as_array().at(0).as_object();
      if (change.at("new").is_string()) {
        change["new"] = "tampered";
      } else {
        change["new"] = change.at("new").to_number<double>() + 1;
      }
      break;
    }
    case Field::kRecordVersion: {
      json::object& record = e.at("record").as_object();
      record["version"] = record.at("version").to_number<int64_t>() + 1;
      break;
    }
    case Field::kSeq:
      e["seq"] = seq + 1;
      break;
    case Field::kPrev:  // a well-formed hash, just not the previous event's
      e["prev"] = ParseEvent(lines[seq - 1]).at("prev");
      break;
    case Field::kType:
      e["type"] = "record.created";
      break;
    case Field::kData:
      e["data"] = json::object{{"approved", true}};
      break;
  }
  return Canonical(e);
}

// Readable parameters in test output.
void PrintTo(Field f, std::ostream* os) { *os << FieldName(f); }
void PrintTo(Where w, std::ostream* os) {
  *os << (w == Where::kBeforeCheckpoint  ? "before the latest checkpoint"
          : w == Where::kAfterCheckpoint ? "after the latest checkpoint"
                                         : "the last event");
}
void PrintTo(How h, std::ostream* os) { *os << (h == How::kNaive ? "naive" : "re-canonicalized"); }

using EditParam = std::tuple<Field, Where, How>;

std::string EditName(const ::testing::TestParamInfo<EditParam>& info) {
  const auto [field, where, how] = info.param;
  const char* w = where == Where::kBeforeCheckpoint  ? "BeforeCheckpoint"
                  : where == Where::kAfterCheckpoint ? "AfterCheckpoint"
                                                     : "LastEvent";
  return FieldName(field) + "_" + w + (how == How::kNaive ? "_Naive" : "_Recanonicalized");
}

class EventEditTest : public TamperTest, public ::testing::WithParamInterface<EditParam> {
 protected:
  // The first record.modified of an annotation in the demo: a change with a reason,
  // covered by the checkpoint at kDemoCheckpoint but not by the one at 1.
  uint64_t TargetSeq(Where w) const {
    if (w == Where::kAfterCheckpoint) return kAfterCheckpointSeq;
    if (w == Where::kLastEvent) return kLastSeq;
    for (uint64_t seq = kDemoRecordsStart; seq < kDemoCheckpoint; ++seq) {
      const json::object e = ParseEvent(lines_[seq]);
      if (e.at("type") == "record.modified" && e.at("record").at("type") == "annotation")
        return seq;
    }
    ADD_FAILURE() << "the demo has no record.modified event";
    return kDemoRecordsStart;
  }
};

// AT-4: any edit of any field of any event is found, and named by its sequence number.
TEST_P(EventEditTest, VerifyNamesTheEditedEvent) {
  const auto [field, where, how] = GetParam();
  const uint64_t seq = TargetSeq(where);
  std::string edited =
      how == How::kNaive ? NaiveEdit(lines_[seq], field) : RecanonicalizedEdit(lines_, seq, field);
  ASSERT_NE(edited, lines_[seq]);
  if (how == How::kRecanonicalized) {
    // The forged line is a perfectly good event: only the hashes give it away.
    ASSERT_OK(ledger::DecodeEvent(edited));
  }
  ReplaceLine(seq, edited);

  ExpectDetectedAndNeverHealed([&](const VerifyOutput& v) {
    EXPECT_PROBLEM(v, "", seq, "", "");
    if (seq + 1 < kEvents) {
      // The next event's prev no longer matches: the chain breaks right after the edit,
      // named by file and byte offset.
      size_t offset = 0;
      for (uint64_t k = 0; k <= seq; ++k) offset += (k == seq ? edited.size() : lines_[k].size()) + 1;
      EXPECT_PROBLEM(v, "chain", seq + 1, fmt::format("{}:{}", kFirstSegment, offset), "prev does not match");
    }
    if (seq < kLatestCheckpoint) {
      EXPECT_PROBLEM(v, "checkpoint", std::nullopt, CheckpointFile(FirstCheckpointCovering(seq)),
                     "differs from the root recomputed from the ledger");
    }
  });
  if (seq == kLastSeq) {
    // Opening compares the last event with the hash records.db keeps: writes stop.
    EXPECT_TRUE(writes_.record_refused);
    EXPECT_TRUE(writes_.checkpoint_refused);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllFields, EventEditTest,
    ::testing::Combine(::testing::Values(Field::kActor, Field::kTs, Field::kReason,
                                         Field::kChangeValue, Field::kRecordVersion, Field::kSeq,
                                         Field::kPrev, Field::kType, Field::kData),
                       ::testing::Values(Where::kBeforeCheckpoint, Where::kAfterCheckpoint,
                                         Where::kLastEvent),
                       ::testing::Values(How::kNaive, How::kRecanonicalized)),
    EditName);

// ---- 2. deleting an event ----

// AT-4
TEST_F(TamperTest, DeletedEventInTheMiddleIsNamed) {
  std::vector<std::string> lines = lines_;
  lines.erase(lines.begin() + kMiddleSeq);
  WriteSegment(lines);
  ExpectDetectedAndNeverHealed([](const VerifyOutput& v) {
    EXPECT_PROBLEM(
        v, "chain", kMiddleSeq, kFirstSegment,
        fmt::format("the event says seq {} but is at position {}", kMiddleSeq + 1, kMiddleSeq));
    EXPECT_PROBLEM(v, "chain", kMiddleSeq, kFirstSegment, "prev does not match");
    EXPECT_PROBLEM(v, "checkpoint", std::nullopt, CheckpointFile(kDemoCheckpoint), "differs");
  });
}

// AT-4: the last event is covered by no checkpoint; records.db still remembers it.
TEST_F(TamperTest, DeletedLastEventIsNamed) {
  std::vector<std::string> lines = lines_;
  lines.pop_back();
  WriteSegment(lines);
  ExpectDetectedAndNeverHealed([](const VerifyOutput& v) {
    EXPECT_PROBLEM(v, "projection", std::nullopt, "records.db",
                   fmt::format("says it applied {} events but the ledger holds {}", kEvents, kEvents - 1));
    EXPECT_PROBLEM(v, "projection", std::nullopt, "records.db",
                   fmt::format("(highest seq {}) but the ledger holds {}", kLastSeq, kEvents - 1));
  });
  EXPECT_TRUE(writes_.record_refused);
}

// ---- 3. inserting a forged, well-formed event ----

// The first of the demo's reviewer acceptances (a record.modified with a reason).
uint64_t FirstAcceptance(const std::vector<std::string>& lines) {
  for (uint64_t seq = kDemoRecordsStart; seq < kDemoCheckpoint; ++seq) {
    const json::object e = ParseEvent(lines[seq]);
    if (e.at("actor") == "u-rev-1" && e.at("reason") == "Accepted on review") return seq;
  }
  ADD_FAILURE() << "the demo has no reviewer acceptance";
  return kMiddleSeq;
}

// A canonical event that chains correctly to event seq-1 and claims position seq: a copy
// of event `seq` (a reviewer's acceptance) with its own id and another reason.
std::string ForgedEventAt(const std::vector<std::string>& lines, uint64_t seq) {
  json::object e = ParseEvent(lines[seq]);
  e["id"] = "0badc0de0badc0de0badc0de0badc0de";
  e["seq"] = seq;
  e["prev"] = core::HashToTagged(ledger::LeafHash(lines[seq - 1]));
  e["reason"] = "Accepted on second review";
  std::string line = Canonical(e);
  EXPECT_OK(ledger::DecodeEvent(line));
  return line;
}

// AT-4
TEST_F(TamperTest, ForgedEventInsertedInTheMiddleIsNamed) {
  const uint64_t at = FirstAcceptance(lines_);
  std::vector<std::string> lines = lines_;
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), ForgedEventAt(lines_, at));
  WriteSegment(lines);
  ExpectDetectedAndNeverHealed([at](const VerifyOutput& v) {
    // The forgery itself: records.db holds another event at `at`.
    EXPECT_PROBLEM(v, "projection", at, "records.db", "hash differs");
    // The genuine event, pushed to the next position.
    EXPECT_PROBLEM(v, "chain", at + 1, kFirstSegment,
                   fmt::format("the event says seq {} but is at position {}", at, at + 1));
    EXPECT_PROBLEM(v, "checkpoint", std::nullopt, CheckpointFile(kDemoCheckpoint), "differs");
  });
}

// ---- 4. swapping two events ----

// AT-4
TEST_F(TamperTest, SwappedEventsAreNamed) {
  // Before the latest checkpoint.
  std::vector<std::string> lines = lines_;
  std::swap(lines[kMiddleSeq], lines[kMiddleSeq + 1]);
  WriteSegment(lines);
  VerifyOutput v = RunVerify(dir_);
  EXPECT_EQ(v.exit_code, 1) << v.Describe();
  EXPECT_PROBLEM(
      v, "chain", kMiddleSeq, kFirstSegment,
      fmt::format("the event says seq {} but is at position {}", kMiddleSeq + 1, kMiddleSeq));
  EXPECT_PROBLEM(
      v, "chain", kMiddleSeq + 1, kFirstSegment,
      fmt::format("the event says seq {} but is at position {}", kMiddleSeq, kMiddleSeq + 1));
  EXPECT_PROBLEM(v, "checkpoint", std::nullopt, CheckpointFile(kDemoCheckpoint), "differs");

  // After it: the last event changes, which opening notices, so writes stop.
  lines = lines_;
  std::swap(lines[kAfterCheckpointSeq], lines[kLastSeq]);
  WriteSegment(lines);
  ExpectDetectedAndNeverHealed([](const VerifyOutput& out) {
    EXPECT_PROBLEM(
        out, "chain", kAfterCheckpointSeq, kFirstSegment,
        fmt::format("the event says seq {} but is at position {}", kLastSeq, kAfterCheckpointSeq));
    EXPECT_PROBLEM(
        out, "chain", kLastSeq, kFirstSegment,
        fmt::format("the event says seq {} but is at position {}", kAfterCheckpointSeq, kLastSeq));
  });
  EXPECT_TRUE(writes_.record_refused);
}

// ---- 5. truncating the tail ----

// AT-4: cut after the latest checkpoint; records.db says how far the ledger went.
TEST_F(TamperTest, TailRemovedAfterTheLatestCheckpointIsNamed) {
  constexpr uint64_t kKept = kLatestCheckpoint + 1;
  WriteSegment(std::vector<std::string>(lines_.begin(), lines_.begin() + kKept));
  ExpectDetectedAndNeverHealed([&](const VerifyOutput& v) {
    EXPECT_PROBLEM(v, "projection", std::nullopt, "records.db",
                   fmt::format("says it applied {} events but the ledger holds {}", kEvents, kKept));
  });
  EXPECT_TRUE(writes_.record_refused);
}

// AT-4: cut below the latest checkpoint and the durable tree size.
TEST_F(TamperTest, TailRemovedAcrossCheckpointsIsNamed) {
  constexpr uint64_t kKept = kDemoCheckpoint - 2;
  WriteSegment(std::vector<std::string>(lines_.begin(), lines_.begin() + kKept));
  ExpectDetectedAndNeverHealed([&](const VerifyOutput& v) {
    EXPECT_PROBLEM(v, "open", std::nullopt, "",
                   fmt::format("made durable for {} events but the ledger holds only {}",
                               kLatestCheckpoint, kKept));
  });
  EXPECT_TRUE(writes_.record_refused);
  EXPECT_TRUE(writes_.checkpoint_refused);
}

// AT-4: a cut inside the last line looks like a torn write; the event it held was
// acknowledged, and records.db says so. Opening then keeps the partial line as
// evidence instead of removing it as it would a crash's (TryWrites checks that a
// refused write leaves the segment byte for byte as it was).
TEST_F(TamperTest, TailCutInsideTheLastLineIsNamed) {
  std::string text = JoinLines(lines_);
  OverwriteFile(Path(kFirstSegment), text.substr(0, text.size() - lines_.back().size() / 2));
  ExpectDetectedAndNeverHealed([](const VerifyOutput& v) {
    EXPECT_PROBLEM(v, "projection", std::nullopt, "records.db",
                   fmt::format("says it applied {} events but the ledger holds {}", kEvents, kEvents - 1));
  });
  EXPECT_TRUE(writes_.record_refused);
  EXPECT_TRUE(writes_.checkpoint_refused);
}

// ---- 6. rewriting the whole ledger with the stolen key (AT-5) ----

void PutFixed64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

struct ForgedCheckpoint {
  uint64_t size;
  int64_t time_micros;
};

// What a capable attacker with keys/ledger.key builds: the altered events re-numbered and
// re-chained, the offset index, every tree level and tree/synced, checkpoints at the
// original sizes and times re-signed with the stolen key in a correct vellum-prev chain,
// and an empty records.db that Vellum's own recovery fills from the events on first open.
void ForgeLedger(std::vector<ledger::Event> events,
                 const std::vector<ForgedCheckpoint>& checkpoints, const core::NoteSigner& signer,
                 const std::string& out_dir) {
  for (const char* sub :
       {"ledger/segments", "ledger/offsets", "ledger/tree", "ledger/checkpoints"}) {
    fs::create_directories(InDir(out_dir, sub));
  }
  std::string segment, offsets;
  std::array<std::string, 64> levels;
  std::map<uint64_t, core::Hash> roots;
  ledger::TreeBuilder tree;
  std::optional<core::Hash> prev;
  for (size_t i = 0; i < events.size(); ++i) {
    events[i].seq = i;
    events[i].prev = prev;
    ASSERT_OK_AND_ASSIGN(std::string line, ledger::EncodeEvent(events[i]));
    PutFixed64(&offsets, segment.size());
    segment += line + "\n";
    const core::Hash leaf = ledger::LeafHash(line);
    tree.Append(leaf, [&](int level, uint64_t, const core::Hash& h) {
      levels[static_cast<size_t>(level)].append(core::AsBytes(h));
    });
    roots[tree.size()] = tree.Root();
    prev = leaf;
  }
  WriteFileOrDie(InDir(out_dir, kFirstSegment), segment);
  WriteFileOrDie(InDir(out_dir, "ledger/offsets/00000000000000000000.idx"), offsets);
  for (int level = 0; level < 64; ++level) {
    if (!levels[static_cast<size_t>(level)].empty()) {
      WriteFileOrDie(InDir(out_dir, LevelFile(level)), levels[static_cast<size_t>(level)]);
    }
  }
  WriteFileOrDie(InDir(out_dir, "ledger/tree/synced"), fmt::format("{}\n", events.size()));
  std::optional<core::Hash> prev_note;
  for (const auto& c : checkpoints) {
    ledger::Checkpoint cp;
    cp.origin = kOrigin;
    cp.size = c.size;
    cp.root = roots.at(c.size);
    cp.time_micros = c.time_micros;
    cp.prev = prev_note;
    ASSERT_OK_AND_ASSIGN(std::string note, ledger::SignCheckpoint(cp, signer));
    WriteFileOrDie(InDir(out_dir, CheckpointFile(c.size)), note);
    prev_note = ledger::CheckpointNoteHash(note);
  }
  // records.db as the forged events make it, every one applied: what a forger builds
  // by replaying them with the projection's own code.
  ASSERT_OK_AND_ASSIGN(auto projection,
                       storage::SqliteProjectionStore::Open(InDir(out_dir, "records.db"), true));
  ASSERT_OK_AND_ASSIGN(auto txn, projection->BeginWrite());
  records::RecordsProjector projector;
  for (const std::string& line : ReadLines(InDir(out_dir, kFirstSegment))) {
    ASSERT_OK_AND_ASSIGN(ledger::Event e, ledger::DecodeEvent(line));
    ASSERT_OK(txn->PutEvent(ledger::IndexRowFor(e, ledger::LeafHash(line))));
    ASSERT_OK(projector.Apply(e, *txn));
  }
  ASSERT_OK(txn->Commit(events.size()));
}

std::string KeyFileText(const std::string& path) {
  std::string text = ReadFileOrDie(path);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// AT-5: the one attack only a witness can catch. Plain verify passes on the forged
// ledger; verify against the witness file the original ledger wrote fails and names the
// witnessed checkpoints that the new history contradicts.
TEST(LedgerRewriteTest, RewriteWithTheStolenKeyIsCaughtByTheWitness) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data"), witness = tmp.Sub("witness.notes"),
                    forged = tmp.Sub("forged");
  ASSERT_NO_FATAL_FAILURE(BuildLedger(dir, witness));
  const CliDataDir cli = Cli(dir);
  VerifyOutput before = RunVerify(dir, {"--witness", witness});
  ASSERT_EQ(before.exit_code, 0) << before.Describe();
  ASSERT_EQ(before.witness_checkpoints, kCheckpointSizes.size());

  // The history the attacker wants: case-0003 was never withdrawn, and a returned
  // annotation was returned by the adjudicator rather than the reviewer.
  std::vector<ledger::Event> events;
  bool reattributed = false;
  for (const auto& line : ReadLines(InDir(dir, kFirstSegment))) {
    ASSERT_OK_AND_ASSIGN(ledger::Event e, ledger::DecodeEvent(line));
    if (e.type == "record.deleted" && e.record && e.record->id == "case-0003") continue;
    if (e.actor.id == "u-rev-1" && e.reason && e.reason->rfind("Returned", 0) == 0 &&
        !reattributed) {
      e.actor.id = "u-adj-1";
      e.actor.name = "Dr. Lukas Berger, MD (radiologist)";
      reattributed = true;
    }
    events.push_back(std::move(e));
  }
  ASSERT_TRUE(reattributed) << "the demo has no returned annotation";
  ASSERT_EQ(events.size(), kEvents - 1);

  ASSERT_OK_AND_ASSIGN(core::NoteSigner stolen,
                       core::ParseSignerKey(KeyFileText(InDir(dir, "keys/ledger.key"))));
  ASSERT_OK_AND_ASSIGN(core::NoteVerifier pub,
                       core::ParseVerifierKey(KeyFileText(InDir(dir, "keys/ledger.pub"))));
  std::vector<ForgedCheckpoint> checkpoints;
  for (uint64_t size : kCheckpointSizes) {
    ASSERT_OK_AND_ASSIGN(
        ledger::Checkpoint cp,
        ledger::OpenCheckpoint(ReadFileOrDie(InDir(dir, CheckpointFile(size))), pub, kOrigin));
    checkpoints.push_back({size, cp.time_micros.value_or(0)});
  }
  ASSERT_NO_FATAL_FAILURE(ForgeLedger(std::move(events), checkpoints, stolen, forged));

  // Swap the forgery in; keys and vellum.toml stay (the same key signs the forgery).
  for (const char* gone : {"ledger", "records.db", "records.db-wal", "records.db-shm"}) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(InDir(dir, gone), ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(InDir(dir, gone));
  }
  fs::copy(InDir(forged, "ledger"), InDir(dir, "ledger"), fs::copy_options::recursive);
  fs::copy(InDir(forged, "records.db"), InDir(dir, "records.db"));

  VerifyOutput plain = RunVerify(dir);
  EXPECT_EQ(plain.exit_code, 0) << "the forgery is meant to be self-consistent\n"
                                << plain.Describe();
  EXPECT_EQ(plain.events, kEvents - 1);

  auto caught = [&](const VerifyOutput& v) {
    EXPECT_EQ(v.exit_code, 1) << v.Describe();
    // Checkpoint 1 (genesis only) is untouched history; the later two are not.
    EXPECT_FALSE(HasProblem(v, {"witness", std::nullopt, witness + " (checkpoint 1)", ""}))
        << v.Describe();
    EXPECT_PROBLEM(v, "witness", std::nullopt, witness + " (checkpoint 2)",
                   "the ledger was rewritten");
    EXPECT_PROBLEM(v, "witness", std::nullopt, witness + " (checkpoint 3)",
                   "the ledger was rewritten");
  };
  caught(RunVerify(dir, {"--witness", witness}));

  // Nothing at open can tell the forgery apart, so writes go ahead (and even append a new
  // checkpoint of the forgery to the witness file); the witnessed past still contradicts it.
  ProcessResult w = cli.Run(kWriter, NoteCommand("create", "after-rewrite", ""), R"({"n":7})");
  EXPECT_EQ(w.exit_code, 0) << w.err;
  ProcessResult k = cli.Run(kQualityUser, {"checkpoint"});
  EXPECT_EQ(k.exit_code, 0) << k.err;
  caught(RunVerify(dir, {"--witness", witness}));
}

// ---- 7. editing records.db ----

struct RecordsDbCase {
  const char* name;
  const char* sql;
  WantProblem want;
};

void PrintTo(const RecordsDbCase& c, std::ostream* os) { *os << c.sql; }

class RecordsDbTest : public TamperTest, public ::testing::WithParamInterface<RecordsDbCase> {};

// AT-4: every projected row is compared with a replay; the record and version are named.
TEST_P(RecordsDbTest, VerifyNamesTheRecordAndVersion) {
  ASSERT_NO_FATAL_FAILURE(ExecSql(Path("records.db"), GetParam().sql));
  ExpectDetectedAndNeverHealed([](const VerifyOutput& v) { EXPECT_PROBLEM(v, GetParam().want); });
}

INSTANTIATE_TEST_SUITE_P(
    Rows, RecordsDbTest,
    ::testing::Values(
        RecordsDbCase{"VersionContent",
                      "UPDATE record_versions SET content='{\"n\":2,\"status\":\"approved\"}' "
                      "WHERE record_type='note' AND record_id='n-2' AND version=2",
                      {"projection", kAfterCheckpointSeq, "records.db",
                       "record note/n-2 version 2 differs from the replay of the ledger: content"}},
        RecordsDbCase{"ContentHash",
                      "UPDATE record_versions SET content_hash=zeroblob(32) "
                      "WHERE record_type='note' AND record_id='n-1' AND version=1",
                      {"projection", kNote1CreatedSeq, "records.db",
                       "record note/n-1 version 1 differs from the replay of the ledger: "
                       "content hash"}},
        RecordsDbCase{"TombstoneRevived",
                      "UPDATE record_versions SET deleted=0 "
                      "WHERE record_type='case' AND record_id='case-0003' AND version=2",
                      {"projection", kCaseDeletedSeq, "records.db",
                       "record case/case-0003 version 2 differs from the replay"}},
        RecordsDbCase{
            "VersionDeleted",
            "DELETE FROM record_versions "
            "WHERE record_type='note' AND record_id='n-2' AND version=3",
            {"projection", kLastSeq, "records.db", "record note/n-2 version 3 is missing"}},
        RecordsDbCase{
            "VersionAddedBeyondTheLedger",
            "INSERT INTO record_versions VALUES('note','n-2',4,1000,0,0,'{\"n\":4}',zeroblob(32))",
            {"projection", std::nullopt, "records.db",
             "record note/n-2 version 4 is attributed to seq 1000"}},
        RecordsDbCase{"VersionAddedToAnEventThatMakesNone",
                      "INSERT INTO record_versions VALUES('note','n-9',1,0,0,0,'{}',zeroblob(32))",
                      {"projection", 0, "records.db",
                       "record note/n-9 version 1 is attributed to this event"}},
        // Verify relies on records.db's constraints (one row per record version):
        // its schema must be Vellum's own.
        RecordsDbCase{"IndexRedefined",
                      "DROP INDEX events_by_type; CREATE INDEX events_by_type ON events(actor)",
                      {"projection", std::nullopt, "records.db",
                       "its schema was changed: index events_by_type is not defined as Vellum defines it"}},
        RecordsDbCase{"VersionUniquenessDropped",
                      "DROP INDEX record_versions_by_record; CREATE INDEX record_versions_by_record "
                      "ON record_versions(record_type, record_id, version)",
                      {"projection", std::nullopt, "records.db",
                       "its schema was changed: index record_versions_by_record is not defined as Vellum "
                       "defines it"}},
        RecordsDbCase{"TriggerAdded",
                      "CREATE TRIGGER hide AFTER INSERT ON events BEGIN SELECT 1; END",
                      {"projection", std::nullopt, "records.db", "its schema was changed: trigger hide was added"}},
        RecordsDbCase{
            "EventIndexActor",
            "UPDATE events SET actor='u-mallory' WHERE seq=50",
            {"projection", kMiddleSeq, "records.db", "the indexed event's fields differ"}},
        // Values that read back like the ones Vellum writes but are not stored as it writes
        // them (NULL and '' both read as empty; a short or zero blob as a tombstone's zero hash).
        RecordsDbCase{"EventIndexEmptyRecordInsteadOfNull",
                      "UPDATE events SET record_type='', record_id='', record_version=0 WHERE seq=0",
                      {"projection", 0, "records.db", "the indexed event's fields differ"}},
        RecordsDbCase{"EventIndexShortLeafHash", "UPDATE events SET leaf_hash=x'00' WHERE seq=50",
                      {"projection", kMiddleSeq, "records.db", "the indexed event's hash differs"}},
        RecordsDbCase{"TombstoneWithAHash",
                      "UPDATE record_versions SET content_hash=zeroblob(32) "
                      "WHERE record_type='case' AND record_id='case-0003' AND version=2",
                      {"projection", kCaseDeletedSeq, "records.db",
                       "record case/case-0003 version 2 differs from the replay"}},
        // The note a recovery leaves for the next open (records-db.md) must name events
        // records.db applied, and come whole.
        RecordsDbCase{"RecoveryNoteBeyondTheAppliedEvents",
                      "INSERT INTO meta VALUES('recovery_first_seq', 5), ('recovery_last_seq', 100000)",
                      {"projection", std::nullopt, "records.db",
                       "its recovery note names events up to 100000, which it has not applied"}},
        RecordsDbCase{"RecoveryNoteHalf", "INSERT INTO meta VALUES('recovery_first_seq', 5)",
                      {"projection", std::nullopt, "records.db", "recovery note is malformed"}},
        RecordsDbCase{"RecoveryNoteCutOfNothing",
                      "INSERT INTO meta VALUES('recovery_cut_events', 5), ('recovery_cut_lines', 0), "
                      "('recovery_cut_bytes', 0)",
                      {"projection", std::nullopt, "records.db", "recovery note is malformed"}},
        RecordsDbCase{"TombstoneFlagSeven",
                      "UPDATE record_versions SET deleted=7 "
                      "WHERE record_type='case' AND record_id='case-0003' AND version=2",
                      {"projection", kCaseDeletedSeq, "records.db",
                       "record case/case-0003 version 2 differs from the replay"}}),
    [](const ::testing::TestParamInfo<RecordsDbCase>& info) {
      return std::string(info.param.name);
    });

// AT-4: a page of one of records.db's indexes zeroed. No row the replay reads
// differs (verify reads the tables, not that index), yet the next write through the
// index fails; SQLite's structure check names it, in both verifiers.
TEST_F(TamperTest, ZeroedIndexPageOfRecordsDbIsNamed) {
  int64_t page_size = 0, root = 0;
  {
    ASSERT_FALSE(std::filesystem::exists(Path("records.db-wal")));
    auto db = storage::sqlite::Database::OpenImmutable(Path("records.db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto size = (*db)->Prepare("PRAGMA page_size");
    ASSERT_TRUE(size.ok() && *size->Step());
    page_size = size->ColumnInt(0);
    auto page = (*db)->Prepare("SELECT rootpage FROM sqlite_schema WHERE name='events_by_actor'");
    ASSERT_TRUE(page.ok() && *page->Step());
    root = page->ColumnInt(0);
  }
  std::string bytes = ReadFileOrDie(Path("records.db"));
  ASSERT_GE(static_cast<int64_t>(bytes.size()), root * page_size);
  std::fill_n(bytes.begin() + (root - 1) * page_size, page_size, '\0');
  WriteFileOrDie(Path("records.db"), bytes);
  ExpectDetectedAndNeverHealed([](const VerifyOutput& v) {
    EXPECT_PROBLEM(v, "projection", std::nullopt, "records.db", "SQLite's structure check");
  });
}

// records.db as a Vellum with schema version 1 left it: record_versions keyed by
// (record_type, record_id, version), WITHOUT ROWID, holding the same rows.
constexpr char kRecordsDbToSchemaV1[] = R"sql(
  ALTER TABLE record_versions RENAME TO record_versions_v2;
  CREATE TABLE record_versions (record_type TEXT NOT NULL, record_id TEXT NOT NULL,
    version INTEGER NOT NULL, seq INTEGER NOT NULL UNIQUE, ts INTEGER NOT NULL,
    deleted INTEGER NOT NULL, content TEXT, content_hash BLOB,
    PRIMARY KEY (record_type, record_id, version)) STRICT, WITHOUT ROWID;
  INSERT INTO record_versions SELECT * FROM record_versions_v2;
  DROP TABLE record_versions_v2;
  UPDATE meta SET value=1 WHERE key='schema_version';
)sql";

// SR-2, AT-4: the binary migrates a schema version 1 records.db when a command opens
// the data directory, keeping every row: the ledger verifies and takes writes, with nothing
// re-applied. verify reads only, so before that it says what to do and changes nothing.
TEST_F(TamperTest, SchemaVersion1RecordsDbIsMigratedAndVerifies) {
  ASSERT_NO_FATAL_FAILURE(ExecSql(Path("records.db"), kRecordsDbToSchemaV1));
  const std::string before = ReadFileOrDie(Path("records.db"));
  ProcessResult refused = Cli(dir_).Run("", {"verify"});
  EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
  EXPECT_THAT(refused.err, ::testing::HasSubstr("schema version 1"));
  EXPECT_EQ(ReadFileOrDie(Path("records.db")), before);
  MigrateByOpening();
  VerifyOutput v = RunVerify(dir_);
  EXPECT_EQ(v.exit_code, 0) << v.Describe();
  EXPECT_EQ(v.events, kEvents);
  ExpectWritesAcceptedAndVerifying();
}

// AT-4: the migration copies rows as they are, so a row edited in a version 1
// records.db is still named afterwards; an upgrade never heals it.
TEST_F(TamperTest, RowEditedInASchemaVersion1RecordsDbIsNamed) {
  ASSERT_NO_FATAL_FAILURE(ExecSql(Path("records.db"), kRecordsDbToSchemaV1));
  ASSERT_NO_FATAL_FAILURE(ExecSql(Path("records.db"),
                                  "UPDATE record_versions SET content='{\"n\":2,\"status\":\"approved\"}' "
                                  "WHERE record_type='note' AND record_id='n-2' AND version=2"));
  MigrateByOpening();
  ExpectDetectedAndNeverHealed([](const VerifyOutput& v) {
    EXPECT_PROBLEM(v, "projection", kAfterCheckpointSeq, "records.db",
                   "record note/n-2 version 2 differs from the replay of the ledger: content");
  });
}

// AT-4: a file the ledger needs, removed. verify names it as the reason the ledger
// cannot be read; every command that would write refuses as for damage (not as for
// bad input), and nothing comes back by itself.
class RemovedFileTest : public TamperTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(RemovedFileTest, IsNamedAndRefusesWrites) {
  const std::string rel = GetParam();
  std::filesystem::remove(Path(rel));
  ExpectDetectedAndNeverHealed([&](const VerifyOutput& v) { EXPECT_PROBLEM(v, "open", std::nullopt, "", rel); });
  EXPECT_TRUE(writes_.record_refused);
  EXPECT_TRUE(writes_.checkpoint_refused);
  EXPECT_FALSE(std::filesystem::exists(Path(rel)));
}

INSTANTIATE_TEST_SUITE_P(Files, RemovedFileTest, ::testing::Values("records.db", "keys/ledger.pub"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param) == "records.db" ? "RecordsDb" : "PublicKey";
                         });

// ---- 8. checkpoints ----

enum class NoteLine { kSize = 1, kRoot = 2, kTime = 3 };

void PrintTo(NoteLine l, std::ostream* os) {
  *os << (l == NoteLine::kSize   ? "size line"
          : l == NoteLine::kRoot ? "root line"
                                 : "vellum-time line");
}

using CheckpointEditParam = std::tuple<NoteLine, uint64_t>;

std::string CheckpointEditName(const ::testing::TestParamInfo<CheckpointEditParam>& info) {
  const auto [which, size] = info.param;
  const char* w = which == NoteLine::kSize ? "Size" : which == NoteLine::kRoot ? "Root" : "Time";
  return fmt::format("{}_Checkpoint{}", w, size);
}

class CheckpointEditTest : public TamperTest,
                           public ::testing::WithParamInterface<CheckpointEditParam> {};

// AT-5: a checkpoint cannot be changed without the key.
TEST_P(CheckpointEditTest, VerifyNamesTheCheckpointFile) {
  const auto [which, size] = GetParam();
  const std::string path = Path(CheckpointFile(size));
  std::vector<std::string> lines = ReadLines(path);
  ASSERT_GE(lines.size(), 7u);
  std::string& line = lines[static_cast<size_t>(which)];
  switch (which) {
    case NoteLine::kSize:
      line = std::to_string(size + 1);
      break;
    case NoteLine::kRoot:
      line[0] = line[0] == 'A' ? 'B' : 'A';
      break;
    case NoteLine::kTime:  // "vellum-time 2026-…:54.502713Z": one microsecond later
      line[line.size() - 2] =
          line[line.size() - 2] == '9' ? '8' : static_cast<char>(line[line.size() - 2] + 1);
      break;
  }
  OverwriteFile(path, JoinLines(lines));
  ExpectDetectedAndNeverHealed([size = size](const VerifyOutput& v) {
    EXPECT_PROBLEM(v, "checkpoint", std::nullopt, CheckpointFile(size),
                   "signature or format check failed");
  });
  if (size == kLatestCheckpoint) {
    // Opening checks the latest checkpoint before chaining the next one to it.
    EXPECT_TRUE(writes_.record_refused);
    EXPECT_TRUE(writes_.checkpoint_refused);
  }
}

INSTANTIATE_TEST_SUITE_P(Lines, CheckpointEditTest,
                         ::testing::Combine(::testing::Values(NoteLine::kSize, NoteLine::kRoot,
                                                              NoteLine::kTime),
                                            ::testing::Values(kDemoCheckpoint, kLatestCheckpoint)),
                         CheckpointEditName);

// AT-5: a checkpoint signed by any other key (even one named like the ledger's) is refused.
TEST_F(TamperTest, CheckpointSignedByAnotherKeyIsNamed) {
  for (uint64_t size : {kDemoCheckpoint, kLatestCheckpoint}) {
    SCOPED_TRACE(size);
    ASSERT_OK_AND_ASSIGN(core::NoteVerifier pub,
                         core::ParseVerifierKey(KeyFileText(Path("keys/ledger.pub"))));
    const std::string path = Path(CheckpointFile(size));
    const std::string original = ReadFileOrDie(path);
    ASSERT_OK_AND_ASSIGN(ledger::Checkpoint cp, ledger::OpenCheckpoint(original, pub, kOrigin));
    ASSERT_OK_AND_ASSIGN(core::Ed25519PrivateKey other, core::Ed25519PrivateKey::Generate());
    ASSERT_OK_AND_ASSIGN(core::NoteSigner signer,
                         core::ParseSignerKey(core::FormatSignerKey(kOrigin, other)));
    ASSERT_OK_AND_ASSIGN(std::string note, ledger::SignCheckpoint(cp, signer));
    OverwriteFile(path, note);
    if (size == kLatestCheckpoint) {
      ExpectDetectedAndNeverHealed([size](const VerifyOutput& v) {
        EXPECT_PROBLEM(v, "checkpoint", std::nullopt, CheckpointFile(size),
                       "signature or format check failed");
      });
      EXPECT_TRUE(writes_.record_refused);
    } else {
      VerifyOutput v = RunVerify(dir_);
      EXPECT_EQ(v.exit_code, 1) << v.Describe();
      EXPECT_PROBLEM(v, "checkpoint", std::nullopt, CheckpointFile(size),
                     "signature or format check failed");
      OverwriteFile(path, original);
    }
  }
}

// AT-5: removing a checkpoint breaks the vellum-prev link of the one after it.
TEST_F(TamperTest, DeletedCheckpointBreaksThePrevLink) {
  fs::remove(Path(CheckpointFile(1)));
  VerifyOutput v = RunVerify(dir_);
  EXPECT_EQ(v.exit_code, 1) << v.Describe();
  EXPECT_PROBLEM(v, "checkpoint", std::nullopt, CheckpointFile(kDemoCheckpoint),
                 "does not link to the previous checkpoint");
  fs::copy_file(InDir(pristine_, CheckpointFile(1)), Path(CheckpointFile(1)));

  fs::remove(Path(CheckpointFile(kDemoCheckpoint)));
  ExpectDetectedAndNeverHealed([](const VerifyOutput& out) {
    EXPECT_PROBLEM(out, "checkpoint", std::nullopt, CheckpointFile(kLatestCheckpoint),
                   "does not link to the previous checkpoint");
  });
}

// ---- 9. tree files ----

class TreeEntryTest : public TamperTest,
                      public ::testing::WithParamInterface<std::tuple<int, uint64_t>> {};

// AT-4: every stored tree hash below the durable size is compared with the recomputed tree.
// Level 6 entry 0 (leaves 0..63 of the 83 made durable) is on the right edge the ledger
// resumes from at open, so the checkpoint written afterwards commits to a wrong root, which
// verify names too.
TEST_P(TreeEntryTest, VerifyNamesTheTreeFileAndEntry) {
  const auto [level, index] = GetParam();
  const std::string path = Path(LevelFile(level));
  std::string bytes = ReadFileOrDie(path);
  ASSERT_GE(bytes.size(), (index + 1) * 32);
  bytes[index * 32 + 7] = static_cast<char>(bytes[index * 32 + 7] ^ 0x5a);
  OverwriteFile(path, bytes);
  const uint64_t completed_at = ((index + 1) << level) - 1;  // the leaf that completes the entry
  ExpectDetectedAndNeverHealed([&](const VerifyOutput& v) {
    EXPECT_PROBLEM(v, "tree", completed_at, "ledger/tree",
                   fmt::format("{} entry {} differs", LevelFile(level), index));
  });
}

INSTANTIATE_TEST_SUITE_P(Entries, TreeEntryTest,
                         ::testing::Values(std::make_tuple(0, uint64_t{5}),
                                           std::make_tuple(2, uint64_t{3}),
                                           std::make_tuple(6, uint64_t{0})),
                         [](const auto& info) {
                           return fmt::format("Level{}Entry{}", std::get<0>(info.param),
                                              std::get<1>(info.param));
                         });

// AT-4
TEST_F(TamperTest, TruncatedTreeFileIsNamed) {
  fs::resize_file(Path(LevelFile(0)), 20 * 32);
  ExpectDetectedAndNeverHealed([](const VerifyOutput& v) {
    EXPECT_PROBLEM(v, "open", std::nullopt, "",
                   fmt::format("ledger/tree/level-00.hash holds 20 hashes but {} were made durable",
                               kLatestCheckpoint));
  });
  EXPECT_TRUE(writes_.record_refused);
}

// AT-4
TEST_F(TamperTest, DeletedTreeFileIsNamed) {
  fs::remove(Path(LevelFile(1)));
  ExpectDetectedAndNeverHealed([](const VerifyOutput& v) {
    EXPECT_PROBLEM(v, "open", std::nullopt, "", "tree file ledger/tree/level-01.hash is missing");
  });
  EXPECT_TRUE(writes_.record_refused);
}

// By design, not a tamper: tree entries past tree/synced are derived data a crash may
// leave half-written, so opening discards and recomputes them from the events. verify
// reads only: the events are intact, so it passes, noting the entry, which it leaves
// as it is; the next open writes the true hash again.
TEST_F(TamperTest, TreeEntryPastTheDurableSizeIsRecomputedFromTheEvents) {
  const std::string path = Path(LevelFile(0));
  std::string bytes = ReadFileOrDie(path);
  bytes[kLastSeq * 32] = static_cast<char>(bytes[kLastSeq * 32] ^ 0x01);
  OverwriteFile(path, bytes);
  VerifyOutput v = RunVerify(dir_);
  EXPECT_EQ(v.exit_code, 0) << v.Describe();
  EXPECT_TRUE(HasNote(v, fmt::format("level-00.hash entry {} differs from the hash recomputed from the events, "
                                     "past the tree size made durable ({})",
                                     kLastSeq, kLatestCheckpoint)))
      << v.Describe();
  EXPECT_EQ(ReadFileOrDie(path), bytes);
  ASSERT_OK(app::Vellum::Open(dir_).status());
  EXPECT_EQ(ReadFileOrDie(path).substr(kLastSeq * 32, 32),
            std::string(core::AsBytes(ledger::LeafHash(lines_[kLastSeq]))));
}

// ---- the unsigned tail ----

// A well-formed event appended after the last one, chained correctly: a new record whose
// content hash matches its changes, appended without the key (no checkpoint signs it).
// It looks exactly like an event whose records.db commit a crash lost, and nothing on
// disk tells the two apart (docs/threat-model.md). So, AT-4:
//   - verify reads only: it fails, naming the event as one that records.db never
//     applied and no checkpoint signs, i.e. that nothing vouches for;
//   - opening takes it for a crash remnant and applies it (an acknowledged event must
//     never be lost), and records that in a `system.recovered` event naming its seq,
//     which the next checkpoint signs with it: verify passes again, and the trail
//     shows how the event came in.
// Appending with the stolen key and editing records.db to match stays a limit that
// only a witness of every checkpoint narrows.
TEST_F(TamperTest, ForgedEventAppendedAtTheEndIsNamedAndItsRecoveryRecorded) {
  // This event creates note/n-2 with {"n":1,"status":"draft"}; the same create for another
  // id has the same changes and content hash, so a replay accepts it.
  json::object e = ParseEvent(lines_[kNote2CreatedSeq]);
  e["id"] = "0badc0de0badc0de0badc0de0badc0de";
  e["seq"] = kEvents;
  e["prev"] = core::HashToTagged(ledger::LeafHash(lines_[kLastSeq]));
  e["ts"] = ParseEvent(lines_[kLastSeq]).at("ts");
  e["record"].as_object()["id"] = "n-forged";
  std::string forged = Canonical(e);
  ASSERT_OK(ledger::DecodeEvent(forged));
  std::vector<std::string> lines = lines_;
  lines.push_back(forged);
  WriteSegment(lines);
  const auto files = SnapshotFiles(dir_);

  VerifyOutput v = RunVerify(dir_);
  EXPECT_EQ(v.exit_code, 1) << v.Describe();
  EXPECT_EQ(v.events, kEvents + 1);
  EXPECT_EQ(v.signed_size, kLatestCheckpoint);
  ASSERT_EQ(v.problems.size(), 1u) << v.Describe();
  EXPECT_PROBLEM(v, "projection", kEvents, "records.db",
                 fmt::format("event {} is in the ledger but records.db never applied it and no checkpoint signs "
                             "it: nothing vouches for it",
                             kEvents));
  EXPECT_TRUE(HasNote(v, fmt::format("events {}..{} after the latest checkpoint (tree size {}) are covered by no "
                                     "signature yet",
                                     kLatestCheckpoint, kEvents, kLatestCheckpoint)))
      << v.Describe();
  VerifyOutput strict = RunVerify(dir_, {"--require-signed"});
  EXPECT_EQ(strict.exit_code, 1) << strict.Describe();
  EXPECT_PROBLEM(strict, "checkpoint", kLatestCheckpoint, "ledger/checkpoints",
                 fmt::format("events {}..{} after the latest checkpoint", kLatestCheckpoint, kEvents));
  EXPECT_TRUE(SnapshotFiles(dir_) == files) << "verify wrote to the data directory";

  // A checkpoint through the binary opens the ledger: recovery applies the event and
  // records so before anything else is written.
  MustRun(Cli(dir_), kQualityUser, {"checkpoint"});
  ASSERT_OK_AND_ASSIGN(ledger::Event recovered, FirstRecoveredEvent(kEvents + 1));
  EXPECT_EQ(recovered.data.at("applied_to_records_db"),
            (json::object{{"first_seq", kEvents}, {"last_seq", kEvents}}));
  VerifyOutput signed_now = RunVerify(dir_, {"--require-signed"});
  EXPECT_EQ(signed_now.exit_code, 0) << signed_now.Describe();
}

// records.db rolled back to before event 81, as a power cut that lost its last commits
// leaves it, or as someone who removed those rows and lowered its applied count. Of
// the events it lacks, a checkpoint signs 81 and 82: a note. No checkpoint signs 83..85:
// nothing vouches for them, a problem (AT-4). The next open applies all five and says
// so in a system.recovered event; then verify passes (SR-2).
TEST_F(TamperTest, RecordsDbRolledBackIsNamedUnlessSigned) {
  constexpr uint64_t kApplied = kNote1CreatedSeq;
  ASSERT_NO_FATAL_FAILURE(ExecSql(Path("records.db"),
                                  fmt::format("DELETE FROM events WHERE seq >= {0}; DELETE FROM record_versions "
                                              "WHERE seq >= {0}; UPDATE meta SET value = {0} WHERE key = "
                                              "'applied_count';",
                                              kApplied)));
  VerifyOutput v = RunVerify(dir_);
  EXPECT_EQ(v.exit_code, 1) << v.Describe();
  ASSERT_EQ(v.problems.size(), 1u) << v.Describe();
  EXPECT_PROBLEM(v, "projection", kLatestCheckpoint, "records.db",
                 fmt::format("events {}..{} are in the ledger but records.db never applied them and no checkpoint "
                             "signs them",
                             kLatestCheckpoint, kLastSeq));
  EXPECT_TRUE(HasNote(v, fmt::format("records.db has not applied events {}..{} yet, which a checkpoint signs",
                                     kApplied, kLatestCheckpoint - 1)))
      << v.Describe();

  MustRun(Cli(dir_), kQualityUser, {"checkpoint"});
  ASSERT_OK_AND_ASSIGN(ledger::Event recovered, FirstRecoveredEvent(kEvents));
  EXPECT_EQ(recovered.data.at("applied_to_records_db"),
            (json::object{{"first_seq", kApplied}, {"last_seq", kLastSeq}}));
  VerifyOutput again = RunVerify(dir_);
  EXPECT_EQ(again.exit_code, 0) << again.Describe();
}

// records.db's applied count lowered to 0 and a signed event's line zeroed: past the
// applied count, a line that is not JSON looks like a torn write, which opening cuts
// with everything after it. A checkpoint signs that line, so it cannot be one: it is
// named, and opening keeps every line as evidence instead of cutting signed history
// away (AT-4, SR-2; TryWrites checks that the refused writes leave the segment as it is).
TEST_F(TamperTest, ZeroedSignedLineIsNotTakenForATornWrite) {
  ASSERT_NO_FATAL_FAILURE(
      ExecSql(Path("records.db"), "UPDATE meta SET value = 0 WHERE key = 'applied_count'"));
  ReplaceLine(kMiddleSeq, std::string(lines_[kMiddleSeq].size(), '\0'));
  ExpectDetectedAndNeverHealed([](const VerifyOutput& v) {
    EXPECT_PROBLEM(v, "event", kMiddleSeq, kFirstSegment, "");
    EXPECT_PROBLEM(v, "checkpoint", std::nullopt, CheckpointFile(kDemoCheckpoint), "differs");
  });
  EXPECT_TRUE(writes_.record_refused);
  EXPECT_TRUE(writes_.checkpoint_refused);
  EXPECT_EQ(ReadLines(Path(kFirstSegment)).size(), kEvents);
}

// A copy of an old line appended at the end. It is well-formed JSON, so it cannot be what a
// torn write leaves: opening must keep it as evidence and refuse to write, and verify must
// name it (docs/threat-model.md: opening "never repairs anything that was durable").
TEST_F(TamperTest, ForeignLineAppendedAtTheEndIsNamed) {
  std::vector<std::string> lines = lines_;
  lines.push_back(lines_[20]);
  WriteSegment(lines);
  ExpectDetectedAndNeverHealed(
      [](const VerifyOutput& v) { EXPECT_PROBLEM(v, "", kEvents, "", ""); });
}

// An event after the latest checkpoint edited (not the last one): opening checks the chain
// and records.db's hashes of every event since the latest checkpoint, so the ledger never
// signs a checkpoint over the edited history.
TEST_F(TamperTest, NoCheckpointIsSignedOverAnEditedTail) {
  ReplaceLine(kAfterCheckpointSeq,
              RecanonicalizedEdit(lines_, kAfterCheckpointSeq, Field::kReason));
  const std::vector<std::string> before = CheckpointNames(dir_);
  ProcessResult k = Cli(dir_).Run(kQualityUser, {"checkpoint"});
  EXPECT_NE(k.exit_code, 0) << k.out;
  EXPECT_EQ(CheckpointNames(dir_), before);
}

}  // namespace
}  // namespace vellum::testing
