// The command-line conventions every command shares (DESIGN.md "Interfaces
// users see", docs/cli.md): where the data directory is, exit codes, output
// formats, and usage errors.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <thread>

#include "cli/cli_fixture.h"
#include "core/env.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;
using ::vellum::testing::kAdminId;
using ::vellum::testing::ReadFileOrDie;
using ::vellum::testing::WriteFileOrDie;

class CliConventionsTest : public CliTest {};

// --data names the data directory; init lays it out as DESIGN.md describes.
TEST_F(CliConventionsTest, DataFlagNamesTheDirectory) {
  Init();
  EXPECT_TRUE(fs::exists(data_ + "/vellum.toml"));
  EXPECT_TRUE(fs::exists(data_ + "/keys/ledger.pub"));
  EXPECT_TRUE(fs::exists(data_ + "/records.db"));
  EXPECT_TRUE(fs::exists(SegmentPath()));
  struct stat st {};
  ASSERT_EQ(stat((data_ + "/keys/ledger.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the ledger key must be private";
  ASSERT_EQ(stat((data_ + "/auth.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "auth.db holds the password hashes";
  // init writes the genesis event, the security policy and the first administrator;
  // the rest is the fixture's sign-ins and team.
  std::vector<std::string> log = LogLines();
  ASSERT_EQ(log.size(), setup_events_);
  EXPECT_EQ(Str(ParseOrFail(log[0]).at("type")), "ledger.genesis");
  EXPECT_EQ(Str(ParseOrFail(log[1]).at("type")), "policy.changed");
  EXPECT_EQ(Str(ParseOrFail(log[2]).at("type")), "user.created");
  EXPECT_EQ(Str(ParseOrFail(log[2]).at("record").at("id")), kAdminId);
}

// $VELLUM_DATA is the default when --data is absent, and --data wins over it.
TEST_F(CliConventionsTest, EnvironmentVariableIsTheDefaultAndTheFlagWins) {
  const std::string cwd = tmp_.Sub("cwd");
  fs::create_directories(cwd);
  const std::string env_dir = tmp_.Sub("from-env");
  As(kAdminId);
  ProcessResult r = RunIn(cwd, InitArgs("vellum.test/env"), {"VELLUM_DATA=" + env_dir});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(fs::exists(env_dir + "/vellum.toml"));
  EXPECT_FALSE(fs::exists(cwd + "/vellum-data"));
  r = RunIn(cwd, {"login", "--user", kAdminId, "--password-file", cli_.PasswordFile(kAdminId)},
            {"VELLUM_DATA=" + env_dir});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  r = RunIn(cwd, {"log"}, {"VELLUM_DATA=" + env_dir});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("vellum.test/env"));

  // --data beats the environment: this directory has no ledger, so `log` fails.
  r = RunIn(cwd, {"--data", tmp_.Sub("elsewhere"), "log"}, {"VELLUM_DATA=" + env_dir});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("elsewhere"));
}

// Without --data or $VELLUM_DATA the data directory is ./vellum-data.
TEST_F(CliConventionsTest, DefaultIsVellumDataInTheCurrentDirectory) {
  const std::string cwd = tmp_.Sub("cwd");
  fs::create_directories(cwd);
  As(kAdminId);
  ProcessResult r = RunIn(cwd, InitArgs("vellum.test/default"), {"VELLUM_DATA="});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(fs::exists(cwd + "/vellum-data/vellum.toml"));
  r = RunIn(cwd, {"login", "--user", kAdminId, "--password-file", cli_.PasswordFile(kAdminId)},
            {"VELLUM_DATA="});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  r = RunIn(cwd, {"--format", "jsonl", "log"}, {"VELLUM_DATA="});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  // genesis, policy, administrator, the administrator's sign-in
  EXPECT_EQ(Lines(r.out).size(), 4u);
  EXPECT_EQ(r.out, ReadFileOrDie(cwd + "/vellum-data/ledger/segments/00000000000000000000.jsonl"));
}

TEST_F(CliConventionsTest, EmptyDataFlagIsAUsageError) {
  const std::string cwd = tmp_.Sub("cwd");
  fs::create_directories(cwd);
  ProcessResult r = RunIn(cwd, {"--data", "", "init"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("--data must not be empty"));
  EXPECT_TRUE(fs::is_empty(cwd)) << "an empty --data must not mean the current directory";
}

// A missing data directory is bad input (2), explained, and not created.
TEST_F(CliConventionsTest, MissingDataDirectoryIsExplainedAndNotCreated) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"log"},
                                             {"verify"},
                                             {"record", "show", "--type", "t", "--id", "x"},
                                             {"proof", "inclusion", "--seq", "0"}}) {
    ProcessResult r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << Describe(r);
    EXPECT_THAT(r.err, AllOf(HasSubstr("no Vellum data directory"), HasSubstr("vellum init")));
    EXPECT_THAT(r.out, IsEmpty());
  }
  EXPECT_FALSE(fs::exists(data_));
}

// SR-2: an init cut short after vellum.toml and the keys, before ledger/ (the state
// a power cut there leaves): every command and init itself say what happened and what
// to do, instead of "incomplete" and "already holds a ledger".
TEST_F(CliConventionsTest, InitInterruptedBeforeTheLedgerIsExplained) {
  Init();
  fs::remove_all(data_ + "/ledger");
  fs::remove(data_ + "/records.db");
  fs::remove(data_ + "/auth.db");
  for (const auto& args : std::vector<std::vector<std::string>>{{"status"}, {"verify"}, InitArgs(origin_)}) {
    ProcessResult r = Run(args);
    SCOPED_TRACE(args.front());
    // verify reports it as the problem it finds (exit 1, on stdout); the others fail with it.
    EXPECT_EQ(r.exit_code, args.front() == "verify" ? 1 : 4) << Describe(r);
    EXPECT_THAT(r.out + r.err, AllOf(HasSubstr("holds vellum.toml but no ledger/"), HasSubstr("`vellum init` was interrupted"),
                             HasSubstr("remove the directory and run `vellum init` again")));
  }
}

TEST_F(CliConventionsTest, InitRefusesAnExistingLedger) {
  Init();
  auto before = Snapshot();
  ProcessResult r = Run({"init"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("already holds a Vellum ledger"));
  EXPECT_EQ(Snapshot(), before);
}

// Exit codes (docs/cli.md): 0 ok, 1 verify found a problem, 2 bad usage or
// input, 3 refused, 4 system failure — one representative case each.
TEST_F(CliConventionsTest, ExitCodes) {
  Init();
  ASSERT_EQ(Create("annotation", "a-1", R"({"label":"nodule"})").exit_code, 0);
  ASSERT_EQ(Create("annotation", "a-2", R"({"label":"mass"})").exit_code, 0);

  EXPECT_EQ(Run({"verify"}).exit_code, 0);                       // 0
  EXPECT_EQ(Run({"log", "--since", "yesterday"}).exit_code, 2);  // 2: bad input
  EXPECT_EQ(Run({"log", "--no-such-option"}).exit_code, 2);      // 2: bad usage
  ProcessResult r =
      Modify("annotation", "a-1", R"({"label":"mass"})", "re-read", {"--expect-version", "7"});
  EXPECT_EQ(r.exit_code, 3) << Describe(r);  // 3: stale version
  EXPECT_THAT(r.err, HasSubstr("aborted"));
  ASSERT_EQ(Delete("annotation", "a-2", "duplicate").exit_code, 0);
  r = Modify("annotation", "a-2", R"({"label":"x"})", "undo");
  EXPECT_EQ(r.exit_code, 3) << Describe(r);  // 3: deleted

  // 3: a key file others can read is refused before anything is opened.
  fs::permissions(data_ + "/keys/ledger.key", fs::perms::group_read | fs::perms::others_read,
                  fs::perm_options::add);
  r = Run({"log"});
  EXPECT_EQ(r.exit_code, 3) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("must be 0600"));
  fs::permissions(data_ + "/keys/ledger.key", fs::perms::owner_read | fs::perms::owner_write,
                  fs::perm_options::replace);

  // 4: the projection database is not a database at all.
  const std::string db = ReadFileOrDie(data_ + "/records.db");
  WriteFileOrDie(data_ + "/records.db", std::string(8192, 'x'));
  r = Run({"record", "show", "--type", "annotation", "--id", "a-1"});
  EXPECT_EQ(r.exit_code, 4) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("records.db"));
  WriteFileOrDie(data_ + "/records.db", db);
  ASSERT_EQ(Run({"verify"}).exit_code, 0);

  // 1: an edited event (same length, so only its hash gives it away).
  std::string seg = Segment();
  size_t at = seg.find("\"nodule\"");
  ASSERT_NE(at, std::string::npos);
  seg.replace(at, 8, "\"nodulf\"");
  fs::permissions(SegmentPath(), fs::perms::owner_write, fs::perm_options::add);
  WriteFileOrDie(SegmentPath(), seg);
  r = Run({"verify"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("FAILED"));
}

// A command that finds the data directory held by another process (a writer,
// or a verify while this one writes) waits for it, and after a second says on
// stderr which process it waits for; -q keeps that quiet.
TEST_F(CliConventionsTest, WaitingForABusyDataDirectoryIsAnnounced) {
  Init();
  const std::string holder = ::vellum::testing::LockHolderOfThisBinary(getpid());
  for (bool quiet : {false, true}) {
    auto held = core::Env::Default()->Lock(data_ + "/LOCK", /*exclusive=*/true, 0);
    ASSERT_TRUE(held.ok()) << held.status().ToString();
    // Held past the second after which the waiting command speaks, with room for its start.
    std::thread release([held = std::move(*held), hold_ms = quiet ? 1200 : 2500]() mutable {
      std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
      held.reset();
    });
    std::vector<std::string> args = {"log", "--limit", "1"};
    if (quiet) args.insert(args.begin(), "-q");
    ProcessResult r = Run(args);
    release.join();
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    if (quiet) {
      EXPECT_THAT(r.err, IsEmpty());
    } else {
      EXPECT_THAT(r.err, HasSubstr(data_ + " is in use by another process (" + holder +
                                   "); waiting up to 10 s for it to finish"));
    }
  }
}

// Unknown options, missing required options, a missing or unknown command and
// a bad --format value are usage errors: exit 2, the problem and the usage of
// the command typed on stderr, nothing on stdout.
TEST_F(CliConventionsTest, UsageErrorsShowTheUsageOnStderr) {
  struct Case {
    std::vector<std::string> args;
    std::string problem;
    std::string usage;
  };
  for (const Case& c : std::vector<Case>{
           {{"log", "--bogus"}, "--bogus", "Usage: vellum log [OPTIONS]"},
           {{"record", "create", "--type", "t"}, "--id is required", "Usage: vellum record create"},
           {{"record", "modify", "--type", "t", "--id", "x"},
            "--reason is required",
            "Usage: vellum record modify"},
           {{"record"}, "A subcommand is required", "Usage: vellum record"},
           {{}, "A subcommand is required", "Usage: vellum [OPTIONS] SUBCOMMAND"},
           {{"frobnicate"}, "frobnicate", "Usage: vellum"},
           {{"--format", "xml", "log"}, "xml not in {json,jsonl,table,csv}", "Usage: vellum"},
           {{"proof", "inclusion"}, "--seq is required", "Usage: vellum proof inclusion"},
           {{"log", "--limit", "-1"}, "--limit: must not be negative", "Usage: vellum log"},
           {{"proof", "inclusion", "--seq", "-3"},
            "must not be negative",
            "Usage: vellum proof inclusion"},
           {{"record", "show", "--type", "t", "--id", "x", "--version", "two"},
            "--version",
            "Usage: vellum record show"},
           // An option given twice is named as such, not in CLI11's words.
           {{"--format", "json", "--format", "table", "status"}, "--format was given more than once", "Usage: vellum"},
           {{"log", "--limit", "1", "--limit", "2"}, "--limit was given more than once", "Usage: vellum log"},
           // A count that must be positive says so (CLI11 printed its range up to 1.8e308).
           {{"init", "--checkpoint-every", "0"}, "--checkpoint-every: must be a number greater than 0", "Usage: vellum init"},
           {{"bench", "--seconds", "0"}, "--seconds: must be a number greater than 0", "Usage: vellum bench"},
           {{"bench", "--seconds", "inf"}, "--seconds: must be a number greater than 0", "Usage: vellum bench"},
       }) {
    ProcessResult r = Run(c.args);
    SCOPED_TRACE(::testing::PrintToString(c.args));
    EXPECT_EQ(r.exit_code, 2) << Describe(r);
    EXPECT_THAT(r.err,
                AllOf(StartsWith("vellum: usage: "), HasSubstr(c.problem), HasSubstr(c.usage)));
    EXPECT_THAT(r.out, IsEmpty());
  }
}

TEST_F(CliConventionsTest, HelpAndVersionGoToStdout) {
  ProcessResult r = Run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"init", "login", "logout", "user", "policy", "record", "log", "proof",
                          "verify-proof", "verify", "checkpoint", "canon", "demo", "bench"}) {
    EXPECT_THAT(r.out, HasSubstr(std::string("  ") + cmd + " "));
  }
  r = Run({"record", "modify", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, AllOf(HasSubstr("--reason"), HasSubstr("--expect-version")));
  r = Run({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, MatchesRegex("vellum [0-9]+\\.[0-9]+\\.[0-9]+\n"));
  // Nothing may follow it: `vellum --version verify` must not pass for a verify that passed.
  r = Run({"--version", "verify"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("nothing may follow --version"));
  EXPECT_THAT(r.out, IsEmpty());
}

// Many stray arguments (a file list passed by mistake) are counted, not all echoed back.
TEST_F(CliConventionsTest, ManyUnexpectedArgumentsAreCounted) {
  std::vector<std::string> args{"status"};
  for (int i = 0; i < 1000; ++i) args.push_back("scan-" + std::to_string(i) + ".dcm");
  ProcessResult r = Run(args);
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, AllOf(HasSubstr("\"scan-7.dcm\" and 992 more"), Not(HasSubstr("scan-8.dcm"))));
  EXPECT_LT(r.err.size(), 2000u);
}

// --format json|jsonl|table on init: a table for people, one JSON document otherwise.
TEST_F(CliConventionsTest, InitFormats) {
  std::vector<std::string> args{"--format", "json"};
  for (const std::string& a : InitArgs(origin_)) args.push_back(a);
  ProcessResult r = Run(args);
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  json::value v = ParseOrFail(r.out);
  EXPECT_EQ(Str(v.at("origin")), origin_);
  EXPECT_EQ(v.at("events"), 3);  // genesis, the security policy, the first administrator
  EXPECT_EQ(Str(v.at("administrator")), kAdminId);
  const std::string vkey = Str(v.at("verifier_key"));
  EXPECT_EQ(vkey + "\n", ReadFileOrDie(data_ + "/keys/ledger.pub"));
  EXPECT_GT(Lines(r.out).size(), 1u) << "json is pretty-printed";

  for (const char* fmt : {"jsonl", "table"}) {
    std::vector<std::string> argv{::vellum::testing::VellumBinary(), "--data", tmp_.Sub(fmt),
                                  "--format", fmt};
    for (const std::string& a : InitArgs(origin_)) argv.push_back(a);
    r = ::vellum::testing::RunProcess(argv);
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    if (std::string(fmt) == "jsonl") {
      EXPECT_EQ(Lines(r.out).size(), 1u);
      EXPECT_EQ(Str(ParseOrFail(r.out).at("origin")), origin_);
    } else {
      EXPECT_THAT(r.out, AllOf(HasSubstr("Created a Vellum ledger"), HasSubstr("verifier key")));
    }
  }
  // Secrets never appear in output.
  // PRIVATE+KEY+<origin>+<id>+<base64 secret>; the base64 may itself hold '+'.
  const std::string key = ReadFileOrDie(data_ + "/keys/ledger.key");
  size_t at = 0;
  for (int i = 0; i < 4; ++i) at = key.find('+', at) + 1;
  const std::string secret = key.substr(at, 20);
  ASSERT_EQ(secret.size(), 20u) << "unexpected key file format";
  EXPECT_THAT(r.out + r.err, ::testing::Not(HasSubstr(secret)));
  EXPECT_THAT(r.out + r.err, ::testing::Not(HasSubstr(::vellum::testing::TestPassword(kAdminId))));
}

// --format on log, record show/history and verify.
TEST_F(CliConventionsTest, DataCommandFormats) {
  Init();
  ASSERT_EQ(Create("annotation", "a-1", R"({"label":"nodule"})").exit_code, 0);
  ASSERT_EQ(Modify("annotation", "a-1", R"({"label":"mass"})", "re-read at 2 mm").exit_code, 0);
  const std::vector<std::string> events = LogLines();
  ASSERT_EQ(events.size(), setup_events_ + 2);

  // log: jsonl is the default; json is one array of the same events; table has a header.
  EXPECT_EQ(RunOk({"log"}), RunOk({"--format", "jsonl", "log"}));
  json::value arr = ParseOrFail(RunOk({"--format", "json", "log"}));
  ASSERT_TRUE(arr.is_array());
  ASSERT_EQ(arr.as_array().size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(arr.as_array()[i], ParseOrFail(events[i]));
  EXPECT_EQ(ParseOrFail(RunOk({"--format", "json", "log", "--actor", "nobody"})), json::array());
  std::vector<std::string> table = Lines(RunOk({"--format", "table", "log"}));
  ASSERT_EQ(table.size(), events.size() + 1);
  EXPECT_THAT(table[0], AllOf(HasSubstr("seq"), HasSubstr("action"), HasSubstr("reason")));
  EXPECT_THAT(table.back(), AllOf(HasSubstr("record.modified"), HasSubstr("annotation/a-1 v2"),
                                  HasSubstr("re-read at 2 mm")));

  // record show: json (default, pretty), jsonl (one line), table.
  const std::vector<std::string> show{"record", "show", "--type", "annotation", "--id", "a-1"};
  json::value shown = ParseOrFail(RunOk(show));
  EXPECT_EQ(shown.at("version"), 2);
  EXPECT_EQ(shown.at("reason"), "re-read at 2 mm");
  EXPECT_EQ(shown.at("current"), true);
  std::vector<std::string> args = show;
  args.insert(args.begin(), {"--format", "jsonl"});
  std::string line = RunOk(args);
  EXPECT_EQ(Lines(line).size(), 1u);
  EXPECT_EQ(ParseOrFail(line), shown);
  args[1] = "table";
  EXPECT_THAT(RunOk(args), AllOf(HasSubstr("version       2 (current)"),
                                 HasSubstr("reason        re-read at 2 mm"),
                                 HasSubstr(Str(shown.at("content_hash")))));

  // record history: table (default), json array, jsonl lines.
  const std::vector<std::string> hist{"record", "history", "--type", "annotation", "--id", "a-1"};
  std::vector<std::string> rows = Lines(RunOk(hist));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_THAT(rows[2], HasSubstr("re-read at 2 mm"));
  args = hist;
  args.insert(args.begin(), {"--format", "json"});
  json::value h = ParseOrFail(RunOk(args));
  ASSERT_TRUE(h.is_array());
  ASSERT_EQ(h.as_array().size(), 2u);
  EXPECT_EQ(h.as_array()[1], shown);
  args[1] = "jsonl";
  std::vector<std::string> hl = Lines(RunOk(args));
  ASSERT_EQ(hl.size(), 2u);
  EXPECT_EQ(ParseOrFail(hl[0]), h.as_array()[0]);

  // verify: table (default) and JSON with the same figures.
  EXPECT_THAT(RunOk({"verify"}), HasSubstr(fmt::format("OK: {} events", events.size())));
  json::value vj = ParseOrFail(RunOk({"--format", "json", "verify"}));
  EXPECT_EQ(vj.at("ok"), true);
  EXPECT_EQ(vj.at("events"), events.size());
  EXPECT_EQ(vj.at("problems"), json::array());
  std::string vl = RunOk({"--format", "jsonl", "verify"});
  EXPECT_EQ(Lines(vl).size(), 1u);
  EXPECT_EQ(ParseOrFail(vl).at("root"), vj.at("root"));

  // The summary of a write: json by default, one line in jsonl, a sentence in table.
  ProcessResult w = Create("annotation", "a-2", R"({"label":"x"})", {"--format", "jsonl"});
  ASSERT_EQ(w.exit_code, 0) << Describe(w);
  json::value ws = ParseOrFail(w.out);
  EXPECT_EQ(ws.at("seq"), events.size());
  EXPECT_EQ(ws.at("record").at("id"), "a-2");
  w = Create("annotation", "a-3", R"({"label":"x"})", {"--format", "table"});
  EXPECT_THAT(w.out,
              MatchesRegex(fmt::format("record.created annotation/a-3 v1 at seq {} \\(.*Z\\)\n",
                                       events.size() + 1)));
}

}  // namespace
}  // namespace vellum::cli_test
