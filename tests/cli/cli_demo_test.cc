// The sample project (`vellum demo`) and versioned records as an inspector
// sees them: every version kept, in order, with who, when and why (RV-1, AT-3).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_fixture.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

class CliDemoTest : public CliTest {};

// demo fills a fresh data directory with a ledger that verifies; its modified
// annotation has an ordered history with reasons.
TEST_F(CliDemoTest, DemoLedgerVerifies) {
  // The demo makes its own data directory and team, and leaves the CLI signed in
  // as u-qa-1 (quality): the session goes to that user's session file.
  As("u-qa-1");
  ProcessResult r = Run({"demo", "--cases", "6"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("Demo data written to " + data_));
  EXPECT_THAT(r.out, HasSubstr("Signed in as u-qa-1 (quality)"));
  json::value me = ParseOrFail(RunOk({"--format", "json", "user", "show"}));
  EXPECT_EQ(Str(me.at("id")), "u-qa-1");
  EXPECT_EQ(me.at("roles"), ParseOrFail(R"(["quality"])"));
  // The team's passwords are in a file only its owner can read, one line per account.
  const std::string accounts = data_ + "/demo-accounts.txt";
  struct stat st {};
  ASSERT_EQ(stat(accounts.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string accounts_text = ::vellum::testing::ReadFileOrDie(accounts);
  for (const char* id :
       {"admin", "u-lead", "u-rev-1", "u-adj-1", "u-qa-1", "u-ann-1", "u-ann-2", "u-ann-3"}) {
    EXPECT_THAT(accounts_text, HasSubstr(std::string("\n") + id + " ")) << id;
  }
  // The summary counts the ledger's events, and the checkpoint covers them all.
  const size_t events = LogLines().size();
  EXPECT_THAT(r.out,
              HasSubstr(fmt::format(" {} events; checkpoint at tree size {}.", events, events)));
  json::value report = ParseOrFail(RunOk({"--format", "json", "verify"}));
  EXPECT_EQ(report.at("ok"), true) << json::serialize(report);
  EXPECT_EQ(report.at("events").to_number<uint64_t>(), LogLines().size());
  EXPECT_THAT(RunOk({"verify"}), HasSubstr("OK: "));

  json::value hist = ParseOrFail(RunOk({"--format", "json", "record", "history", "--type",
                                        "annotation", "--id", "ann-case-0001-u-ann-2"}));
  const json::array& versions = hist.as_array();
  ASSERT_GE(versions.size(), 2u);
  uint64_t last_seq = 0;
  for (size_t i = 0; i < versions.size(); ++i) {
    const json::value& v = versions[i];
    EXPECT_EQ(v.at("version"), i + 1);
    EXPECT_GT(v.at("seq").to_number<uint64_t>(), last_seq);
    last_seq = v.at("seq").to_number<uint64_t>();
    EXPECT_EQ(v.at("current"), i + 1 == versions.size());
    // AT-2: every change after first entry carries a reason.
    if (i > 0) {
      EXPECT_FALSE(Str(v.at("reason")).empty()) << json::serialize(v);
    }
  }
  // The demo's deleted case is a tombstone whose earlier version remains.
  json::value gone = ParseOrFail(RunOk({"record", "show", "--type", "case", "--id", "case-0003"}));
  EXPECT_EQ(gone.at("deleted"), true);
  json::value first = ParseOrFail(
      RunOk({"record", "show", "--type", "case", "--id", "case-0003", "--version", "1"}));
  EXPECT_EQ(first.at("deleted"), false);
  EXPECT_TRUE(first.at("content").is_object());

  // A second demo into the same directory is refused: the demo always makes a new one.
  const std::string segment = Segment();
  r = Run({"demo", "--cases", "1"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("already holds a Vellum ledger"));
  EXPECT_EQ(Segment(), segment);
  EXPECT_EQ(::vellum::testing::ReadFileOrDie(accounts), accounts_text);
  EXPECT_EQ(Run({"verify"}).exit_code, 0);
}

// AT-3: a change makes a new version and keeps the old; a delete is a
// tombstone; every earlier value stays retrievable, with its reason.
TEST_F(CliDemoTest, HistoryKeepsEveryVersion) {
  Init();
  const std::vector<std::string> contents{R"({"label":"nodule","size_mm":4})",
                                          R"({"label":"mass","size_mm":4})",
                                          R"({"label":"mass","size_mm":6.5,"note":"re-measured"})"};
  ASSERT_EQ(Create("annotation", "a-1", contents[0]).exit_code, 0);
  ASSERT_EQ(Modify("annotation", "a-1", contents[1], "re-read at 2 mm").exit_code, 0);
  ASSERT_EQ(
      Modify("annotation", "a-1", contents[2], "measured on the 1 mm reconstruction").exit_code, 0);

  const std::vector<std::string> show{"record", "show", "--type",   "annotation",
                                      "--id",   "a-1",  "--version"};
  for (size_t i = 0; i < contents.size(); ++i) {
    std::vector<std::string> args = show;
    args.push_back(std::to_string(i + 1));
    json::value v = ParseOrFail(RunOk(args));
    EXPECT_EQ(v.at("content"), ParseOrFail(contents[i])) << "version " << i + 1;
    EXPECT_EQ(v.at("current"), i + 1 == contents.size());
  }
  json::value v2 = ParseOrFail(
      RunOk({"record", "show", "--type", "annotation", "--id", "a-1", "--version", "2"}));
  EXPECT_EQ(Str(v2.at("reason")), "re-read at 2 mm");
  EXPECT_EQ(Str(v2.at("actor_name")), "Dr. A. Rivera");
  // The field-level diff of version 2 names the one field that changed.
  ASSERT_EQ(v2.at("changes").as_array().size(), 1u);
  EXPECT_EQ(v2.at("changes").as_array()[0],
            ParseOrFail(R"({"new":"mass","old":"nodule","path":"/label"})"));

  ASSERT_EQ(Delete("annotation", "a-1", "withdrawn: wrong series").exit_code, 0);
  json::value hist = ParseOrFail(
      RunOk({"--format", "json", "record", "history", "--type", "annotation", "--id", "a-1"}));
  const json::array& versions = hist.as_array();
  ASSERT_EQ(versions.size(), 4u);
  const std::vector<std::string> types{"record.created", "record.modified", "record.modified",
                                       "record.deleted"};
  const std::vector<std::string> reasons{
      "", "re-read at 2 mm", "measured on the 1 mm reconstruction", "withdrawn: wrong series"};
  for (size_t i = 0; i < versions.size(); ++i) {
    EXPECT_EQ(versions[i].at("version"), i + 1);
    EXPECT_EQ(Str(versions[i].at("event_type")), types[i]);
    EXPECT_EQ(Str(versions[i].at("reason")), reasons[i]);
  }
  EXPECT_TRUE(versions[0].at("reason").is_null());
  EXPECT_EQ(versions[3].at("deleted"), true);
  EXPECT_TRUE(versions[3].at("content").is_null());
  // Version 1 is still there after the delete, unchanged.
  EXPECT_EQ(versions[0].at("content"), ParseOrFail(contents[0]));
  std::vector<std::string> args = show;
  args.push_back("1");
  EXPECT_EQ(ParseOrFail(RunOk(args)).at("content"), ParseOrFail(contents[0]));

  // The table lists the versions oldest first with their reasons.
  std::vector<std::string> rows =
      Lines(RunOk({"record", "history", "--type", "annotation", "--id", "a-1"}));
  ASSERT_EQ(rows.size(), 5u);
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_THAT(rows[i], HasSubstr(types[i - 1]));
    if (!reasons[i - 1].empty()) {
      EXPECT_THAT(rows[i], HasSubstr(reasons[i - 1]));
    }
  }
  EXPECT_THAT(rows[4], HasSubstr("(deleted)"));
}

}  // namespace
}  // namespace vellum::cli_test
