// Bad input on the command line gets a clear error naming the problem, exit
// code 2, and writes nothing: not an event, not a byte of records.db (the
// general robustness rule of REQUIREMENTS.md; AT-1: no write path bypasses the
// checks, so a refused command leaves no trace to explain).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "cli/cli_fixture.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using ::vellum::testing::ReadFileOrDie;
using ::vellum::testing::WriteFileOrDie;

class CliBadInputTest : public CliTest {
 protected:
  void SetUp() override {
    Init();
    ASSERT_EQ(Create("annotation", "a-1", R"({"label":"nodule","size_mm":4})").exit_code, 0);
    ASSERT_EQ(Create("annotation", "gone", R"({"label":"mass"})").exit_code, 0);
    ASSERT_EQ(Delete("annotation", "gone", "duplicate of a-1").exit_code, 0);
    new_password_ = cli_.PasswordFile("u-new");  // written now, so no test run adds a file
  }

  // Runs the command and checks it was refused with `exit_code` and an error
  // containing `message`, and that every file is byte-for-byte as before.
  // `count_events` also asks the binary itself (`vellum log | wc -l`); the
  // byte comparison alone already proves it, so loops may skip the extra run.
  void ExpectNothingWritten(const ProcessResult& r, int exit_code, const std::string& message,
                            const std::map<std::string, std::string>& before, size_t events_before,
                            bool count_events) {
    EXPECT_EQ(r.exit_code, exit_code) << Describe(r);
    EXPECT_THAT(r.err, AllOf(StartsWith("vellum: "), HasSubstr(message)));
    EXPECT_THAT(r.out, IsEmpty());
    if (count_events) {
      EXPECT_EQ(LogLines().size(), events_before);
    }
    const auto after = Snapshot();
    EXPECT_EQ(after.size(), before.size());
    for (const auto& [path, bytes] : before) {
      auto it = after.find(path);
      ASSERT_NE(it, after.end()) << path << " vanished";
      EXPECT_TRUE(it->second == bytes) << path << " changed";
    }
  }

  void ExpectRefused(const ProcessResult& r, int exit_code, const std::string& message,
                     bool count_events = true) {
    SCOPED_TRACE(message);
    ExpectNothingWritten(r, exit_code, message, before_, events_before_, count_events);
  }

  // A new baseline after a test's own successful write.
  void Baseline2() {
    before_ = Snapshot();
    events_before_ = LogLines().size();
  }

  // Taken after SetUp by each test (SetUp's own writes are the baseline).
  void Baseline() {
    before_ = Snapshot();
    events_before_ = LogLines().size();
    ASSERT_EQ(events_before_, setup_events_ + 3);
  }

  std::map<std::string, std::string> before_;
  size_t events_before_ = 0;
  std::string new_password_;  // a password file for `user add` of u-new
};

// Malformed, non-UTF-8, duplicate-key, lone-surrogate, non-object, too deep and
// too large content: each named, exit 2, nothing written.
TEST_F(CliBadInputTest, ContentThatIsNotAcceptableJson) {
  Baseline();
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "{\"a\":";
  deep += "1";
  for (int i = 0; i < 100; ++i) deep += "}";
  const std::string oversized = "{\"a\":\"" + std::string((1 << 20) + 16, 'x') + "\"}";
  struct Case {
    std::string content;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"label":)", "record content: unexpected end of input"},
           {R"({"label" "mass"})", "record content: invalid JSON"},
           {"{\"label\":\"\xff\"}", "record content: invalid UTF-8 at byte 10"},
           {"{\"label\":\"\xc3\x28\"}", "invalid UTF-8"},
           {"{\"label\":\"\xed\xa0\x80\"}", "invalid UTF-8"},  // a surrogate encoded as UTF-8
           {"{\"\xfe\":1}", "invalid UTF-8"},                  // in a key
           {R"({"label":"a","label":"b"})", "duplicate key \"label\""},
           {R"({"label":"\ud800"})", "lone surrogate \\ud800"},
           {R"({"label":"\udc00x"})", "lone surrogate"},
           {"[1,2]", "record content must be a JSON object"},
           {R"("text")", "record content must be a JSON object"},
           {"null", "record content must be a JSON object"},
           {"42", "record content must be a JSON object"},
           {"", "record content: empty input"},
           {R"({"a":1} {"b":2})", "after the JSON value"},
           {R"({"a":NaN})", "invalid JSON"},
           {R"({"a":1e400})", "not a finite double"},
           {deep, "nesting deeper than 64"},
           {oversized, "record content: input is larger than the limit of 1048576 bytes"},
       }) {
    ExpectRefused(Create("annotation", "b-1", c.content), 2, c.message);
    ExpectRefused(Modify("annotation", "a-1", c.content, "re-read"), 2, c.message);
  }
}

// An event larger than [limits] max_event_bytes is refused by the ledger after
// the content passed every other check, and still nothing is written.
TEST_F(CliBadInputTest, EventOverTheConfiguredLimit) {
  const std::string toml_path = data_ + "/vellum.toml";
  std::string toml = ReadFileOrDie(toml_path);
  const size_t at = toml.find("max_event_bytes = ");
  ASSERT_NE(at, std::string::npos) << toml;
  toml.replace(at, toml.find('\n', at) - at, "max_event_bytes = 2048");
  WriteFileOrDie(toml_path, toml);
  Baseline();
  const std::string big = "{\"note\":\"" + std::string(3000, 'n') + "\"}";
  ExpectRefused(Create("annotation", "b-1", big), 2, "exceeds the limit of 2048 bytes");
  ExpectRefused(Modify("annotation", "a-1", big, "longer note"), 2,
                "exceeds the limit of 2048 bytes");
  // Under the limit the same command goes through: the limit, not the command, refused it.
  ProcessResult ok = Create("annotation", "b-1", R"({"note":"short"})");
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
}

// AT-2: a reason is mandatory for every change after first entry and for every
// delete; a missing, blank or non-UTF-8 reason is refused.
TEST_F(CliBadInputTest, ReasonRules) {
  Baseline();
  auto modify = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"record", "modify", "--type", "annotation", "--id", "a-1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args, R"({"label":"mass","size_mm":4})");
  };
  auto del = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"record", "delete", "--type", "annotation", "--id", "a-1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args);
  };
  ExpectRefused(modify({}), 2, "--reason is required");
  ExpectRefused(del({}), 2, "--reason is required");
  // Blank is what shows nothing: white space of any kind, controls, zero widths.
  for (const std::string blank : {"", " ", " \t\n ", "\x01\x02", "\xc2\xa0", "\xe2\x80\x8b",
                                  "\xe3\x80\x80", "\xe2\x80\xa8", "\x7f"}) {
    ExpectRefused(modify({"--reason", blank}), 2, "a reason is required to modify a record");
    ExpectRefused(del({"--reason", blank}), 2, "a reason is required to delete a record");
  }
  for (const std::string bad : {"re-read \xff", "\xc3", "x\xed\xa0\x80"}) {
    ExpectRefused(modify({"--reason", bad}), 2, "the reason is not valid UTF-8");
    ExpectRefused(del({"--reason", bad}), 2, "the reason is not valid UTF-8");
    ExpectRefused(Create("annotation", "b-1", "{}", {"--reason", bad}), 2,
                  "the reason is not valid UTF-8");
  }
  ExpectRefused(modify({"--reason", std::string(5000, 'r')}), 2, "longer than 4096 bytes");
  // A control character in a reason would act on the terminal of whoever reviews the trail.
  for (const std::string bad : {"typo\x1b]0;owned\x07", "ok\rforged line", "x\xc2\x9b" "2J"}) {
    ExpectRefused(modify({"--reason", bad}), 2, "the reason holds a control character");
    ExpectRefused(del({"--reason", bad}), 2, "the reason holds a control character");
  }
  // A well-formed reason (with non-ASCII text) passes.
  ProcessResult ok = modify({"--reason", "relecture à 2 mm ✓"});
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
}

// Ids are a closed alphabet: path traversal, shell metacharacters, spaces,
// percent-encodings, non-ASCII and overlong ids are refused wherever an id is
// accepted, and nothing appears anywhere on disk.
TEST_F(CliBadInputTest, InjectionAndPathTraversalInIds) {
  Baseline();
  const std::vector<std::string> bad_ids{"../../etc/passwd",
                                         "..",
                                         "a/b",
                                         "a b",
                                         "x;rm -rf /",
                                         "$(touch pwned)",
                                         "`id`",
                                         "%00",
                                         "a%2F..",
                                         std::string(200, 'a'),
                                         "é",
                                         "注釈",
                                         "a\nb",
                                         "-rf",
                                         ".hidden",
                                         "",
                                         "a\\b",
                                         "a'b",
                                         "a\"b"};
  for (const std::string& id : bad_ids) {
    SCOPED_TRACE("id " + id);
    const std::string what = id.empty()        ? "record id must not be empty"
                             : id.size() > 128 ? "record id is longer than 128 characters"
                                               : "record id may contain only";
    ExpectRefused(Create("annotation", id, R"({"label":"x"})"), 2, what, false);
    ExpectRefused(Modify("annotation", id, R"({"label":"x"})", "r"), 2, what, false);
    ExpectRefused(Delete("annotation", id, "r"), 2, what, false);
    ExpectRefused(Run({"record", "show", "--type", "annotation", "--id", id}), 2, what, false);
    ExpectRefused(Run({"record", "history", "--type", "annotation", "--id", id}), 2, what, false);
    ExpectRefused(Create(id, "b-1", R"({"label":"x"})"), 2,
                  id.empty() ? "record type must not be empty" : "record type", false);
    // An empty --guideline means none, so only non-empty ones can be bad.
    if (!id.empty())
      ExpectRefused(Create("annotation", "b-1", R"({"label":"x"})", {"--guideline", id}), 2,
                    "guideline", false);
    // User ids: the actor filter of the trail, and the account commands (checked
    // before anything is opened, whoever runs them). An empty --actor or
    // `user show --id` means none or yourself, so only non-empty ones can be bad.
    const std::string user_what = id.empty()        ? "user id must not be empty"
                                  : id.size() > 128 ? "user id is longer than 128 characters"
                                                    : "user id may contain only";
    ExpectRefused(Run({"user", "add", "--id", id, "--name", "X", "--email", "x@test.vellum.invalid",
                       "--role", "annotator", "--password-file", new_password_}),
                  2, user_what, false);
    if (!id.empty()) {
      ExpectRefused(Run({"log", "--actor", id}), 2, "actor", false);
      ExpectRefused(Run({"user", "show", "--id", id}), 2, user_what, false);
      ExpectRefused(Run({"log", "--record", "annotation/" + id}), 2, "record id", false);
    }
  }
  EXPECT_EQ(LogLines().size(), events_before_);
  // The longest id allowed (128) and every allowed punctuation mark work.
  ProcessResult ok = Create("annotation", std::string(128, 'z'), R"({"label":"x"})");
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
  ok = Create("annotation", "a.b_c:d@e-f", R"({"label":"x"})");
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
}

// AT-2, AC-2: options the commands refuse, each named, nothing written.
TEST_F(CliBadInputTest, OtherBadOptions) {
  Baseline();
  // Who acts comes from the sign-in (the --actor, --actor-name and --client options are
  // gone); the printed name is set when the account is made, and checked there.
  ExpectRefused(
      Run({"user", "add", "--id", "u-new", "--name", "X\xff", "--email", "x@test.vellum.invalid",
           "--role", "annotator", "--password-file", new_password_}),
      2, "the printed name must be 1 to 200 characters of visible text");
  // A printed name shows who signed (§11.50): nothing blank, nothing that reorders what is shown.
  for (const std::string& name : std::vector<std::string>{" ", "\xc2\xa0", "\xe2\x80\x8b", "Dr. \xe2\x80\xae" "aveR",
                                                          std::string(201, 'n')}) {
    ExpectRefused(Run({"user", "add", "--id", "u-new", "--name", name, "--email", "x@test.vellum.invalid",
                       "--role", "annotator", "--password-file", new_password_}),
                  2, "the printed name must be 1 to 200 characters of visible text", false);
  }
  // 200 characters, not bytes: a name of 150 accented letters is within it.
  std::string accented;
  for (int i = 0; i < 150; ++i) accented += "\xc3\xa9";
  ProcessResult long_name = RunAs("u-admin", {"user", "add", "--id", "u-long", "--name", accented, "--email",
                                 "x@test.vellum.invalid", "--role", "annotator", "--password-file", new_password_});
  EXPECT_EQ(long_name.exit_code, 0) << Describe(long_name);
  Baseline2();
  // AC-2: a password given on the command line is refused, and not echoed in the refusal.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"login", "--user", "u-1", "--password", "Sup3r-secret-passphrase"},
           {"login", "--user", "u-1", "--password=Sup3r-secret-passphrase"},
           {"user", "passwd", "--new-password", "Sup3r-secret-passphrase"}}) {
    ProcessResult r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << Describe(r);
    EXPECT_THAT(r.err, HasSubstr("never given on the command line"));
    EXPECT_THAT(r.out + r.err, Not(HasSubstr("Sup3r-secret-passphrase")));
  }
  ExpectRefused(Run({"login", "--user", "u-1", "--password-file", tmp_.Sub("no-such-password")}), 2,
                "no-such-password");
  ExpectRefused(Create("annotation", "b-1", "", {"--content", tmp_.Sub("no-such-file.json")}), 2,
                "no-such-file.json: no such file");
  ExpectRefused(Create("annotation", "b-1", "", {"--content", tmp_.path()}), 2, "record content");
  // A filter given empty is refused, never read as no filter (`--actor "$WHO"`, WHO unset,
  // must not list everyone's events as that person's); so is an empty guideline.
  ExpectRefused(Run({"log", "--actor", ""}), 2, "actor must not be empty", false);
  ExpectRefused(Run({"log", "--action", ""}), 2, "action must not be empty", false);
  ExpectRefused(Run({"log", "--record", ""}), 2, "--record must be TYPE/ID", false);
  ExpectRefused(Run({"log", "--since", ""}), 2, "time", false);
  ExpectRefused(Create("annotation", "b-1", "{}", {"--guideline", ""}), 2, "guideline must not be empty");
  // Numbers are decimal: "010" is ten (a zero-padded checkpoint name means its size), never
  // octal; hex, signs, blanks and words are usage errors.
  for (const std::string bad : {"0x10", "", "+1", "1e3", "ten"}) {
    ExpectRefused(Run({"log", "--from-seq", bad}), 2, "--from-seq", false);
  }
  ProcessResult padded = Run({"--format", "jsonl", "log", "--from-seq", "010", "--limit", "1"});
  ASSERT_EQ(padded.exit_code, 0) << Describe(padded);
  EXPECT_THAT(padded.out, HasSubstr("\"seq\":10,"));
  // What an error quotes from the input cannot act on the terminal: escapes are shown, not sent.
  ProcessResult esc = Run({"record", "show", "--type", "annotation", "--id", "a-1", "--version", "\x1b[2J"});
  EXPECT_EQ(esc.exit_code, 2) << Describe(esc);
  EXPECT_THAT(esc.err, Not(HasSubstr("\x1b")));
  ExpectRefused(Create("annotation", "b-1", "", {"--content", tmp_.Sub("\x1b]0;title\x07.json")}), 2,
                "\\x1b]0;title\\x07.json");
}

// A reason may hold a direction control (text in a right-to-left script needs
// them), but a table shows it as an escape, so it cannot reorder what the
// reviewer reads; JSON Lines keep the stored bytes. AT-7, AT-9
TEST_F(CliBadInputTest, TablesShowNothingThatActsOnTheTerminal) {
  const std::string rlo = "\xe2\x80\xae";
  ProcessResult m = Run({"record", "modify", "--type", "annotation", "--id", "a-1", "--reason", "fixed " + rlo + "txet"},
                        R"({"label":"mass","size_mm":4})");
  ASSERT_EQ(m.exit_code, 0) << Describe(m);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--format", "table", "log"},
           {"record", "history", "--type", "annotation", "--id", "a-1"},
           {"--format", "table", "record", "show", "--type", "annotation", "--id", "a-1"}}) {
    ProcessResult r = Run(args);
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_THAT(r.out, HasSubstr("fixed \\u202etxet"));
    EXPECT_THAT(r.out, Not(HasSubstr(rlo)));
  }
  EXPECT_THAT(RunOk({"--format", "jsonl", "log"}), HasSubstr("fixed " + rlo + "txet"));
}

// The record's state decides: unknown record (2, not found), id already used
// (2, ids are never reused, a deleted one included), a deleted record (3,
// refused), a modification that changes nothing (2).
TEST_F(CliBadInputTest, CommandsTheRecordStateRefuses) {
  Baseline();
  ExpectRefused(Modify("annotation", "nope", R"({"label":"x"})", "r"), 2,
                "record annotation/nope does not exist");
  ExpectRefused(Delete("annotation", "nope", "r"), 2, "record annotation/nope does not exist");
  ExpectRefused(Run({"record", "show", "--type", "annotation", "--id", "nope"}), 2,
                "does not exist");
  ExpectRefused(Run({"record", "show", "--type", "annotation", "--id", "a-1", "--version", "5"}), 2,
                "record annotation/a-1 has no version 5");
  ExpectRefused(Create("annotation", "a-1", R"({"label":"x"})"), 2,
                "record annotation/a-1 already exists; record ids are never reused");
  ExpectRefused(Create("annotation", "gone", R"({"label":"x"})"), 2,
                "already exists (deleted at version 2)");
  ExpectRefused(Modify("annotation", "gone", R"({"label":"x"})", "undo"), 3,
                "record annotation/gone was deleted at version 2");
  ExpectRefused(Delete("annotation", "gone", "again"), 3, "was deleted");
  ExpectRefused(Modify("annotation", "a-1", R"({ "size_mm" : 4.0, "label" : "nodule" })", "no-op"),
                2, "identical to version 1");
  ExpectRefused(Modify("annotation", "a-1", R"({"label":"mass"})", "r", {"--expect-version", "2"}),
                3, "is at version 1, not 2");

  // After all of that the ledger is whole and still takes writes.
  EXPECT_EQ(Run({"verify"}).exit_code, 0);
  ProcessResult ok = Modify("annotation", "a-1", R"({"label":"mass","size_mm":4})", "re-read",
                            {"--expect-version", "1"});
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
}

}  // namespace
}  // namespace vellum::cli_test
