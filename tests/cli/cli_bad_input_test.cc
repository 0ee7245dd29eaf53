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
  for (const std::string blank : {"", " ", " \t\n "}) {
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

TEST_F(CliBadInputTest, OtherBadOptions) {
  Baseline();
  // Who acts comes from the sign-in (the --actor, --actor-name and --client options are
  // gone); the printed name is set when the account is made, and checked there.
  ExpectRefused(
      Run({"user", "add", "--id", "u-new", "--name", "X\xff", "--email", "x@test.vellum.invalid",
           "--role", "annotator", "--password-file", new_password_}),
      2, "the printed name must be 1 to 200 characters of text");
  ExpectRefused(Run({"login", "--user", "u-1", "--password-file", tmp_.Sub("no-such-password")}), 2,
                "no-such-password");
  ExpectRefused(Create("annotation", "b-1", "", {"--content", tmp_.Sub("no-such-file.json")}), 2,
                "no-such-file.json: no such file");
  ExpectRefused(Create("annotation", "b-1", "", {"--content", tmp_.path()}), 2, "record content");
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
