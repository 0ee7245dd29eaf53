// tools/offline_verify.py, the ledger check written from the published formats
// alone (docs/formats/), run on ledgers the real binary wrote (AT-9: verifiable
// offline from the published algorithm). It must agree with `vellum verify`: an
// untouched ledger passes both, and each tamper of the matrix that the ledger
// files themselves reveal (AT-4, AT-5) — an edited, deleted, inserted or swapped
// event, a line no longer canonical, a cut below a checkpoint, an edited or
// removed checkpoint, a ledger rewritten under another key against a witness —
// or an edited or deleted row of records.db — fails both, the script naming
// the sequence number or file. Every record version is rebuilt from the events'
// changes and its content hash checked (RV-1).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/cli_fixture.h"
#include "integration/data_dir_util.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using ::testing::HasSubstr;
using ::vellum::testing::ExecSql;
using ::vellum::testing::ReadFileOrDie;
using ::vellum::testing::RunProcess;
using ::vellum::testing::WriteFileOrDie;

constexpr char kPython[] = "/usr/bin/python3";

class CliOfflineVerifyTest : public CliTest {
 protected:
  void SetUp() override {
    if (!HaveOfflineVerifier()) {
      GTEST_SKIP() << "python3 with python3-cryptography is not installed (scripts/setup.sh installs it)";
    }
    Init("vellum.test/cli", {kRivera, kQuality});
    ASSERT_NO_FATAL_FAILURE(CreateModifyAndDeleteSampleRecords());
    ASSERT_EQ(RunAs(kQuality.id, {"checkpoint"}).exit_code, 0);
    // One more event, covered by no checkpoint.
    ASSERT_EQ(Create("annotation", "a-3", R"({"label":"cyst"})").exit_code, 0);
    lines_ = Lines(Segment());
    verifier_key_ = RunOk({"checkpoint", "--verifier-key"});
    while (!verifier_key_.empty() && verifier_key_.back() == '\n') verifier_key_.pop_back();
  }

  ProcessResult Offline(const std::vector<std::string>& args, const std::string& dir = "") const {
    std::vector<std::string> argv{dir.empty() ? data_ : dir};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunOfflineTool("offline_verify.py", argv);
  }

  // The script's JSON report; exit code in *exit_code.
  json::object Report(const std::vector<std::string>& args = {}, const std::string& dir = "") const {
    std::vector<std::string> a{"--format", "json"};
    a.insert(a.end(), args.begin(), args.end());
    ProcessResult r = Offline(a, dir);
    last_exit_ = r.exit_code;
    json::value v = ParseOrFail(r.out);
    return v.is_object() ? v.as_object() : json::object();
  }

  // Every problem of a report as "area|seq|where|message".
  static std::string Problems(const json::object& report) {
    std::string out;
    for (const auto& p : report.at("problems").as_array()) {
      const auto& o = p.as_object();
      const std::string seq = o.at("seq").is_null() ? "-" : std::to_string(o.at("seq").to_number<int64_t>());
      out += Str(o.at("area")) + "|" + seq + "|" + Str(o.at("where")) + "|" + Str(o.at("message")) + "\n";
    }
    return out;
  }

  void WriteLines(const std::vector<std::string>& lines) const {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    fs::permissions(SegmentPath(), fs::perms::owner_write, fs::perm_options::add);
    WriteFileOrDie(SegmentPath(), text);
  }

  std::vector<std::string> CheckpointFiles() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(data_ + "/ledger/checkpoints")) out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  // Both verifiers find the tampered ledger wrong; the script's problems are returned.
  std::string ExpectBothFail() const {
    ProcessResult verify = Run({"verify"});
    EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
    const json::object report = Report();
    EXPECT_EQ(last_exit_, 1);
    EXPECT_FALSE(report.at("ok").as_bool());
    return Problems(report);
  }

  std::vector<std::string> lines_;
  std::string verifier_key_;
  mutable int last_exit_ = -1;
};

// AT-9, AT-4, AT-5
TEST_F(CliOfflineVerifyTest, UntouchedLedgerVerifiesAsVellumVerifies) {
  ProcessResult verify = Run({"verify"});
  ASSERT_EQ(verify.exit_code, 0) << Describe(verify);
  json::object report = Report({"--key", verifier_key_});
  EXPECT_EQ(last_exit_, 0) << Problems(report);
  EXPECT_TRUE(report.at("ok").as_bool());
  EXPECT_EQ(report.at("events").to_number<uint64_t>(), lines_.size());
  EXPECT_EQ(report.at("checkpoints").to_number<uint64_t>(), CheckpointFiles().size());
  EXPECT_EQ(report.at("latest_checkpoint_size").to_number<uint64_t>(), lines_.size() - 1);
  // The one note: the last event comes after the latest checkpoint; --require-signed makes it a problem.
  ASSERT_EQ(report.at("notes").as_array().size(), 1u);
  EXPECT_THAT(Str(report.at("notes").as_array()[0]),
              HasSubstr(fmt::format("events {0}..{0} after the latest checkpoint (tree size {0}) are covered by "
                                    "no signature yet", lines_.size() - 1)));
  EXPECT_EQ(Run({"verify", "--require-signed"}).exit_code, 1);
  const json::object strict = Report({"--key", verifier_key_, "--require-signed"});
  EXPECT_EQ(last_exit_, 1);
  EXPECT_THAT(Problems(strict), HasSubstr("checkpoint|" + std::to_string(lines_.size() - 1) + "|"));
  // Every event that names a record made a version, rebuilt from its changes; records.db compared.
  const auto versions = std::count_if(lines_.begin(), lines_.end(), [](const std::string& l) {
    return l.find("\"record\":{") != std::string::npos;
  });
  EXPECT_GT(versions, 4);
  EXPECT_EQ(report.at("record_versions").to_number<int64_t>(), versions);
  EXPECT_EQ(report.at("records_db_applied").to_number<uint64_t>(), lines_.size());
  // Without --key the genesis event's key is used, and the report says what that does not rule out.
  report = Report();
  EXPECT_EQ(last_exit_, 0);
  EXPECT_EQ(Str(report.at("key")), verifier_key_);
  ASSERT_EQ(report.at("notes").as_array().size(), 2u);
  EXPECT_THAT(Str(report.at("notes").as_array()[1]), HasSubstr("--key"));
  // The readable form ends with the verdict.
  ProcessResult text = Offline({"--key", verifier_key_});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_THAT(text.out, HasSubstr("VERIFIED: " + std::to_string(lines_.size()) + " events"));
}

// SR-1, AT-9: complete lines that are not JSON at all after every applied and signed event
// (a zero-filled block, half a line, an empty line) are what a torn write leaves: a note for
// both verifiers, not a problem; the same bytes before the end are damage for both.
TEST_F(CliOfflineVerifyTest, NonJsonLinesAtTheEndAreACrashRemnantForBoth) {
  for (const std::string& torn : {std::string(300, '\0'), lines_.back().substr(0, lines_.back().size() / 2),
                                  std::string()}) {
    std::vector<std::string> lines = lines_;
    lines.push_back(torn);
    WriteLines(lines);
    ProcessResult verify = Run({"verify"});
    EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
    const json::object report = Report();
    EXPECT_EQ(last_exit_, 0) << Problems(report);
    EXPECT_EQ(report.at("events").to_number<uint64_t>(), lines_.size());
  }
  std::vector<std::string> lines = lines_;
  lines.insert(lines.begin() + 2, std::string(300, '\0'));
  WriteLines(lines);
  ExpectBothFail();
}

// SR-1, SR-2, AT-9: the power cut that tears the ledger's last write also leaves
// records.db marked unsynced in a boot that has ended. Neither verifier compares
// records.db (one problem, naming it), and both still read the lines that are not
// JSON after the signed events as what a torn write leaves: a note, not damage.
// `status` says records.db is not read; `backup` waits for the rebuild.
TEST_F(CliOfflineVerifyTest, TornTailBesideARecordsDbLeftUnsyncedIsACrashRemnantForBoth) {
  std::vector<std::string> lines = lines_;
  lines.push_back(std::string(300, '\0'));
  WriteLines(lines);
  WriteFileOrDie(data_ + "/records.db-unsynced", "00000000-0000-4000-8000-000000000000\n");
  ProcessResult verify = Run({"--format", "json", "verify"});
  EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
  const json::value found = ParseOrFail(verify.out);
  ASSERT_TRUE(found.is_object()) << verify.out;
  const json::array& problems = found.at("problems").as_array();
  ASSERT_EQ(problems.size(), 1u) << verify.out;
  EXPECT_EQ(Str(problems[0].at("location")), "records.db");
  EXPECT_THAT(Str(problems[0].at("message")), HasSubstr("not yet on stable storage"));
  EXPECT_THAT(json::serialize(found.at("notes")), HasSubstr("are not JSON"));
  EXPECT_EQ(found.at("events").to_number<uint64_t>(), lines_.size());

  const json::object report = Report();
  EXPECT_EQ(last_exit_, 1);
  EXPECT_EQ(report.at("problems").as_array().size(), 1u) << Problems(report);
  EXPECT_THAT(Problems(report), HasSubstr("projection|-|records.db|records.db was left with changes"));
  EXPECT_THAT(json::serialize(report.at("notes")), HasSubstr("are not JSON"));

  ProcessResult status = Run({"--format", "json", "status"});
  EXPECT_EQ(status.exit_code, 0) << Describe(status);
  const json::value st = ParseOrFail(status.out);
  ASSERT_TRUE(st.is_object()) << status.out;
  EXPECT_TRUE(st.at("applied").is_null());
  EXPECT_THAT(json::serialize(st.at("notes")), HasSubstr("rebuilds records.db from the ledger"));
  ProcessResult table = Run({"status"});
  EXPECT_THAT(table.out, HasSubstr("not read"));

  const std::string out = tmp_.Sub("backup");
  ProcessResult backup = RunAs("", {"backup", "--out", out});
  EXPECT_EQ(backup.exit_code, 3) << Describe(backup);
  EXPECT_THAT(backup.err, HasSubstr("back up once a command has opened the data directory"));
  EXPECT_FALSE(fs::exists(out + "/vellum-backup.json"));
}

// AT-9: a copy of the ledger/ folder alone (as an export hands it over) is checked without
// records.db and keys/ledger.pub, against the key given; in a whole data directory their
// absence is a problem, as for vellum verify.
TEST_F(CliOfflineVerifyTest, ACopyOfTheLedgerFolderAloneVerifies) {
  const std::string copy = tmp_.Sub("export");
  fs::create_directories(copy);
  fs::copy(data_ + "/ledger", copy + "/ledger", fs::copy_options::recursive);
  json::object report = Report({"--key", verifier_key_}, copy);
  EXPECT_EQ(last_exit_, 0) << Problems(report);
  EXPECT_EQ(report.at("events").to_number<uint64_t>(), lines_.size());
  EXPECT_TRUE(report.at("records_db_applied").is_null());
  fs::remove(data_ + "/records.db");
  report = Report({"--key", verifier_key_});
  EXPECT_EQ(last_exit_, 1);
  EXPECT_THAT(Problems(report), HasSubstr("projection|-|records.db|the data directory has no records.db"));
}

// AT-9, RV-1: values whose canonical form is easy to get wrong — numbers at the edges of the
// double and 64-bit integer ranges and of ECMAScript's exponent form, escapes, keys that sort
// differently by UTF-16 code unit than by code point — written by Vellum, then read, re-encoded
// and their content hashes rebuilt by the script, which must come to the same bytes.
TEST_F(CliOfflineVerifyTest, ValuesHardToCanonicaliseVerifyTheSame) {
  const std::string content =
      R"({"a":1e21,"b":0.000001,"c":1e-7,"d":123456789012345680000,"e":-0.0,"f":18446744073709551615,)"
      R"("g":-9223372036854775808,"h":"\u2028\u0000\u001f\u007f \u00e9\ud83d\ude00\"\\/",)"
      R"("\u00e9":1,"\ud83d\ude00":2,"\ufb33":3,"i":9007199254740993,"j":18446744073709551616,)"
      R"("k":[0.1,1.5e300,-5e-324,100,1E2,2.5E-8],"l":{"z":{"y":[]},"a":null},"m":true})";
  ASSERT_EQ(Create("note", "n-1", content).exit_code, 0);
  ASSERT_EQ(Modify("note", "n-1", R"({"a":1e22,"e":0,"i":9007199254740994,"l":{"z":{"y":[1e-6]}}})",
                   "edge values changed")
                .exit_code,
            0);
  ASSERT_EQ(RunAs(kQuality.id, {"checkpoint"}).exit_code, 0);
  ASSERT_EQ(Run({"verify"}).exit_code, 0);
  const json::object report = Report({"--key", verifier_key_, "--require-signed"});
  EXPECT_EQ(last_exit_, 0) << Problems(report);
  const std::string segment = Segment();
  // Record content is I-JSON: every number an IEEE 754 double, in ECMAScript's form.
  EXPECT_THAT(segment, HasSubstr(R"({"new":9007199254740992,"path":"/i"})"));
  EXPECT_THAT(segment, HasSubstr(R"({"new":-9223372036854776000,"path":"/g"})"));
  EXPECT_THAT(segment, HasSubstr(R"({"new":1e+21,"path":"/a"})"));
  EXPECT_THAT(segment, HasSubstr(R"({"new":[0.1,1.5e+300,-5e-324,100,100,2.5e-8],"path":"/k"})"));
}

// AT-9, AT-4
TEST_F(CliOfflineVerifyTest, EditedFieldIsNamed) {
  std::vector<std::string> lines = lines_;
  // a-1's creation, below the checkpoint: its label edited, the line still canonical.
  const auto it = std::find_if(lines.begin(), lines.end(),
                               [](const std::string& l) { return l.find("\"nodule\"") != std::string::npos; });
  ASSERT_NE(it, lines.end());
  const size_t seq = static_cast<size_t>(it - lines.begin());
  it->replace(it->find("\"nodule\""), 8, "\"nodulf\"");
  WriteLines(lines);
  const std::string problems = ExpectBothFail();
  // The next event's prev no longer matches, and the checkpoint's root differs.
  EXPECT_THAT(problems, HasSubstr("chain|" + std::to_string(seq + 1) + "|"));
  EXPECT_THAT(problems, HasSubstr("prev is not the leaf hash"));
  EXPECT_THAT(problems, HasSubstr("its root is not the root"));
}

// AT-4, AT-9: event.md's field rules hold on read too, whatever else a forger gets right:
// an event id that is not 32 hex digits, an id outside the id alphabet. Both verifiers
// name the rule, not only the broken hash it also causes.
TEST_F(CliOfflineVerifyTest, FieldRulesOfTheEventFormatAreChecked) {
  struct Case {
    std::string from, to, vellum_says, offline_says;
  };
  const std::string& last = lines_.back();
  const size_t id_at = last.find("\"id\":\"") + 6;
  const size_t actor_at = last.find("\"actor\":\"") + 9;
  for (const Case& c : std::vector<Case>{
           {last.substr(id_at, 32), "x", "its id is not 32 lower-case hex digits", "id is not 32 lower-case hex digits"},
           {last.substr(actor_at, last.find('"', actor_at) - actor_at), "..", "actor may contain only",
            "actor is not an id"}}) {
    SCOPED_TRACE(c.to);
    std::vector<std::string> lines = lines_;
    lines.back().replace(lines.back().find("\"" + c.from + "\""), c.from.size() + 2, "\"" + c.to + "\"");
    WriteLines(lines);
    ProcessResult verify = Run({"verify"});
    EXPECT_EQ(verify.exit_code, 1) << Describe(verify);
    EXPECT_THAT(verify.out, HasSubstr(c.vellum_says));
    const std::string problems = ExpectBothFail();
    EXPECT_THAT(problems, HasSubstr(c.offline_says));
  }
}

// AT-9, AT-4, RV-1: the new value of a modify edited; the version's content hash no longer
// follows from the changes.
TEST_F(CliOfflineVerifyTest, EditedChangeIsNamedByTheRebuiltVersion) {
  std::vector<std::string> lines = lines_;
  const auto it = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("\"type\":\"record.modified\"") != std::string::npos && l.find("\"new\":\"cyst\"") != std::string::npos;
  });
  ASSERT_NE(it, lines.end());
  const size_t seq = static_cast<size_t>(it - lines.begin());
  it->replace(it->find("\"new\":\"cyst\""), 12, "\"new\":\"cysx\"");
  WriteLines(lines);
  const std::string problems = ExpectBothFail();
  EXPECT_THAT(problems, HasSubstr("record|" + std::to_string(seq) + "|ledger/segments/00000000000000000000.jsonl:"));
  EXPECT_THAT(problems, HasSubstr("the content hash does not match the changes"));
}

// AT-9, AT-4: records.db edited as an attacker with file access would.
TEST_F(CliOfflineVerifyTest, EditedOrDeletedRecordsDbRowIsNamed) {
  const std::string db = data_ + "/records.db";
  const auto it = std::find_if(lines_.begin(), lines_.end(),
                               [](const std::string& l) { return l.find("\"nodule\"") != std::string::npos; });
  ASSERT_NE(it, lines_.end());
  const std::string seq = std::to_string(it - lines_.begin());
  ASSERT_NO_FATAL_FAILURE(ExecSql(db, "UPDATE record_versions SET content = replace(content, 'nodule', 'mass') "
                                      "WHERE seq = " + seq));
  std::string problems = ExpectBothFail();
  EXPECT_THAT(problems, HasSubstr("projection|" + seq + "|records.db|records.db's record version differs"));
  ASSERT_NO_FATAL_FAILURE(ExecSql(db, "UPDATE record_versions SET content = replace(content, 'mass', 'nodule') "
                                      "WHERE seq = " + seq));
  ASSERT_EQ(Report().at("ok").as_bool(), true);
  ASSERT_NO_FATAL_FAILURE(ExecSql(db, "DELETE FROM events WHERE seq = 3"));
  problems = ExpectBothFail();
  EXPECT_THAT(problems, HasSubstr("projection|3|records.db|records.db's event index lacks this event"));
}

// AT-9, AT-4, SR-1: the last event's rows taken out of records.db, as a crash between the
// ledger's write and records.db's commit leaves it (or an attacker who appended the event).
// No checkpoint signs it either: nothing vouches for it, a problem for both verifiers.
TEST_F(CliOfflineVerifyTest, EventNeitherAppliedNorSignedIsNamed) {
  const std::string db = data_ + "/records.db";
  const std::string last = std::to_string(lines_.size() - 1);
  ASSERT_NO_FATAL_FAILURE(ExecSql(db, "DELETE FROM events WHERE seq = " + last +
                                          "; DELETE FROM record_versions WHERE seq = " + last +
                                          "; UPDATE meta SET value = " + last + " WHERE key = 'applied_count'"));
  EXPECT_THAT(ExpectBothFail(), HasSubstr("projection|" + last + "|records.db|events " + last + ".." + last +
                                          " are neither applied to records.db nor signed by a checkpoint"));
}

// AT-9, AT-4
TEST_F(CliOfflineVerifyTest, DeletedInsertedAndSwappedEventsAreNamed) {
  {
    std::vector<std::string> lines = lines_;
    lines.erase(lines.begin() + 5);
    WriteLines(lines);
    EXPECT_THAT(ExpectBothFail(), HasSubstr("chain|6|ledger/segments/00000000000000000000.jsonl:"));
  }
  {
    std::vector<std::string> lines = lines_;
    lines.insert(lines.begin() + 5, lines[5]);  // a replayed copy
    WriteLines(lines);
    EXPECT_THAT(ExpectBothFail(), HasSubstr("seq 5 where 6 was expected"));
  }
  {
    std::vector<std::string> lines = lines_;
    std::swap(lines[6], lines[7]);
    WriteLines(lines);
    EXPECT_THAT(ExpectBothFail(), HasSubstr("seq 7 where 6 was expected"));
  }
}

// AT-9, AT-4: the bytes hashed are the canonical ones; any other spelling of the same JSON fails.
TEST_F(CliOfflineVerifyTest, LineNotCanonicalOrNotUtf8IsNamed) {
  {
    std::vector<std::string> lines = lines_;
    lines[4].insert(1, " ");
    WriteLines(lines);
    EXPECT_THAT(ExpectBothFail(), HasSubstr("format|4|ledger/segments/00000000000000000000.jsonl:"));
  }
  {
    std::vector<std::string> lines = lines_;
    const size_t at = lines[4].find("\"actor\":\"") + 9;
    lines[4][at] = '\xff';
    WriteLines(lines);
    EXPECT_THAT(ExpectBothFail(), HasSubstr("not valid UTF-8"));
  }
}

// AT-9, AT-5: a cut below a signed checkpoint is caught by the checkpoint.
TEST_F(CliOfflineVerifyTest, TailCutBelowTheCheckpointIsNamed) {
  std::vector<std::string> lines = lines_;
  lines.resize(lines.size() - 3);
  WriteLines(lines);
  EXPECT_THAT(ExpectBothFail(), HasSubstr("but the ledger has " + std::to_string(lines.size())));
}

// AT-9, AT-4: the tree files proofs are served from, edited: a hash changed, one cut off
// the end (the files shorter than the ledger), one added (longer: events were removed).
TEST_F(CliOfflineVerifyTest, EditedTreeFilesAreNamed) {
  const std::string level1 = data_ + "/ledger/tree/level-01.hash";
  const std::string level0 = data_ + "/ledger/tree/level-00.hash";
  const std::string original1 = ReadFileOrDie(level1), original0 = ReadFileOrDie(level0);
  ASSERT_EQ(original0.size(), 32 * lines_.size());
  std::string edited = original1;
  edited[32] ^= 1;  // entry 1 of level 1: the node over leaves 2 and 3
  WriteFileOrDie(level1, edited);
  EXPECT_THAT(ExpectBothFail(),
              HasSubstr("tree|3|ledger/tree|ledger/tree/level-01.hash entry 1 differs from the hash recomputed"));
  WriteFileOrDie(level1, original1);
  // The last leaf is past tree/synced (the size the checkpoint made durable): its entry missing
  // is what a crash leaves, a note for both. The one before is durable: missing, a problem.
  WriteFileOrDie(level0, original0.substr(0, original0.size() - 32));
  EXPECT_EQ(Run({"verify"}).exit_code, 0);
  EXPECT_EQ(Report().at("ok").as_bool(), true);
  WriteFileOrDie(level0, original0.substr(0, original0.size() - 64));
  EXPECT_THAT(ExpectBothFail(), HasSubstr("level-00.hash lacks entry " + std::to_string(lines_.size() - 2)));
  WriteFileOrDie(level0, original0 + original0.substr(0, 32));
  EXPECT_THAT(ExpectBothFail(), HasSubstr(fmt::format("tree|-|ledger/tree/level-00.hash|holds {} hashes but the "
                                                      "ledger's {} events make {}",
                                                      lines_.size() + 1, lines_.size(), lines_.size())));
}

// AT-9, AT-5
TEST_F(CliOfflineVerifyTest, EditedOrRemovedCheckpointIsNamed) {
  const std::vector<std::string> files = CheckpointFiles();
  ASSERT_GE(files.size(), 2u);
  const std::string latest = files.back();
  const std::string original = ReadFileOrDie(latest);
  fs::permissions(latest, fs::perms::owner_write, fs::perm_options::add);
  {
    std::string edited = original;
    const size_t root = edited.find('\n', edited.find('\n') + 1) + 1;  // line 3, the root
    edited[root] = edited[root] == 'A' ? 'B' : 'A';
    WriteFileOrDie(latest, edited);
    EXPECT_THAT(ExpectBothFail(), HasSubstr("signature does not verify"));
  }
  // A cosignature line added to the signatures that checkpoint.md does not allow (a signature
  // of 3 bytes, a key name holding '+', a control character): the note is malformed for both,
  // though the ledger's own signature still verifies.
  for (const std::string& line : {std::string("\xe2\x80\x94 witness AAAA\n"),
                                  std::string("\xe2\x80\x94 wit+ness AAAAAAAA\n"),
                                  std::string("\xe2\x80\x94 wit\x01ness AAAAAAAA\n")}) {
    WriteFileOrDie(latest, original + line);
    EXPECT_THAT(ExpectBothFail(), HasSubstr("checkpoint|-|ledger/checkpoints/")) << line;
  }
  WriteFileOrDie(latest, original);
  // Removing the checkpoint before the latest breaks the latest's vellum-prev link.
  fs::remove(files[files.size() - 2]);
  EXPECT_THAT(ExpectBothFail(), HasSubstr("vellum-prev"));
}

// AT-4, AT-5: a stray file among the checkpoints is named by both verifiers, and
// every checkpoint beside it is still checked (an edited one is still named).
TEST_F(CliOfflineVerifyTest, StrayFileAmongTheCheckpointsLeavesTheOthersChecked) {
  const std::vector<std::string> files = CheckpointFiles();
  ASSERT_GE(files.size(), 2u);
  WriteFileOrDie(data_ + "/ledger/checkpoints/README", "notes\n");
  std::string edited = ReadFileOrDie(files.front());
  const size_t root = edited.find('\n', edited.find('\n') + 1) + 1;
  edited[root] = edited[root] == 'A' ? 'B' : 'A';
  fs::permissions(files.front(), fs::perms::owner_write, fs::perm_options::add);
  WriteFileOrDie(files.front(), edited);
  const std::string problems = ExpectBothFail();
  EXPECT_THAT(problems, HasSubstr("ledger/checkpoints/README"));
  EXPECT_THAT(problems, HasSubstr("signature does not verify"));
  ProcessResult verify = Run({"verify"});
  EXPECT_THAT(verify.out, HasSubstr("ledger/checkpoints/README"));
  EXPECT_THAT(verify.out, HasSubstr(fs::path(files.front()).filename().string()));
  EXPECT_THAT(verify.out, HasSubstr(std::to_string(files.size()) + " checkpoints"));
}

// AT-4: keys/ledger.pub is the key and its line end, nothing else; both verifiers
// read spaces around it the same way (not the key).
TEST_F(CliOfflineVerifyTest, SpacesAroundThePublicKeyAreNotTheKey) {
  const std::string pub = data_ + "/keys/ledger.pub";
  const std::string key = ReadFileOrDie(pub);
  WriteFileOrDie(pub, key + "\r\n\n");
  ProcessResult verify = Run({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
  EXPECT_TRUE(Report().at("ok").as_bool());
  WriteFileOrDie(pub, "  " + key.substr(0, key.size() - 1) + "  \n");
  ExpectBothFail();
}

// AT-9, AT-5: a whole ledger made again under another key (every hash recomputed,
// every checkpoint signed) passes on its own, and fails against the real key or a
// witness of the real ledger's checkpoints.
TEST_F(CliOfflineVerifyTest, LedgerRewrittenUnderAnotherKeyFailsAgainstTheKeyAndTheWitness) {
  std::string witness_text;
  for (const auto& f : CheckpointFiles()) witness_text += ReadFileOrDie(f);
  const std::string witness = tmp_.Sub("witness.notes");
  WriteFileOrDie(witness, witness_text);
  json::object report = Report({"--witness", witness});
  EXPECT_EQ(last_exit_, 0) << Problems(report);
  EXPECT_EQ(report.at("witnessed_checkpoints").to_number<uint64_t>(), CheckpointFiles().size());

  // The forger's ledger: same origin, same team, new key.
  const std::string forged = tmp_.Sub("forged");
  std::vector<std::string> argv{::vellum::testing::VellumBinary(), "--data", forged};
  for (const auto& a : InitArgs(origin_)) argv.push_back(a);
  ProcessResult init = RunProcess(argv);
  ASSERT_EQ(init.exit_code, 0) << Describe(init);
  report = Report({}, forged);
  EXPECT_EQ(last_exit_, 0) << Problems(report);  // consistent on its own
  report = Report({"--key", verifier_key_}, forged);
  EXPECT_EQ(last_exit_, 1);
  EXPECT_THAT(Problems(report), HasSubstr("keys|0|"));
  EXPECT_THAT(Problems(report), HasSubstr("not signed by the ledger key"));
  report = Report({"--witness", witness}, forged);
  EXPECT_EQ(last_exit_, 1);
  EXPECT_THAT(Problems(report), HasSubstr("witness|"));
  // The witness's checkpoints read with the key they were signed with: their roots are not the forger's.
  report = Report({"--witness", witness, "--witness-key", verifier_key_}, forged);
  EXPECT_EQ(last_exit_, 1);
  EXPECT_THAT(Problems(report), HasSubstr("its root is not the root of the ledger's first"));
}

// AT-9, RV-1: the script's RFC 8785 form is the published one: every number of the
// public JCS vectors (IEEE 754 bits and their ECMAScript text) and every document.
TEST(OfflineVerifierCanonicalFormTest, MatchesThePublicJcsVectors) {
  if (!HaveOfflineVerifier()) GTEST_SKIP() << "python3 with python3-cryptography is not installed";
  const auto vectors = ::vellum::testing::VectorsDir();
  if (!vectors) GTEST_SKIP() << "public test vectors not found (set VELLUM_VECTORS)";
  const std::string source = ::vellum::testing::SourceDir();
  ProcessResult r = RunProcess({kPython, "-B", source + "/tests/tools/python/offline_verify_jcs_vectors.py",
                                source + "/tools", *vectors + "/jcs"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("es6_numbers_first1000.txt: 1000 numbers, 0 wrong"));
  EXPECT_THAT(r.out, HasSubstr("unicode.json: same"));
}

// AT-9: bad usage is exit 2, with a message naming it.
TEST_F(CliOfflineVerifyTest, BadUsageIsExit2) {
  ProcessResult r = Offline({}, tmp_.Sub("nowhere"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("holds no ledger/ folder"));
  r = Offline({"--key", "not-a-key"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--key: not a verifier key"));
  r = Offline({"--witness", tmp_.Sub("missing.notes")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("no witness file"));
}

}  // namespace
}  // namespace vellum::cli_test
