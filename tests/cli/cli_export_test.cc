// The audit trail exported in open formats (AT-9): every event line conforms
// to the published JSON Schema (docs/schemas/event-1.schema.json), checked by
// the python3-jsonschema package, and `log --format csv` holds the same events
// field for field, read back by Python's csv module. Both oracles are
// independent of Vellum's code (tests/tools/python).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cli/cli_fixture.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

namespace json = boost::json;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::vellum::testing::HaveProgram;
using ::vellum::testing::kAdminId;
using ::vellum::testing::RunProcess;
using ::vellum::testing::SourceDir;
using ::vellum::testing::WriteFileOrDie;

constexpr char kPython[] = "/usr/bin/python3";

class CliExportTest : public CliTest {
 protected:
  // A trail with most kinds of events: init's, people's sign-ins and a failed
  // one, a refusal, a service account acting with its API key (a `source`),
  // and records created, modified and deleted with text that needs escaping.
  void SetUp() override {
    Init("vellum.test/export", {kRivera, kQuality});
    As(kAdminId);
    RunOk({"user", "add", "--service", "--id", "svc-1", "--name", "DICOM importer", "--role", "annotator",
           "--source-system", "dicom-importer", "--source-version", "3.2.1", "--reason", "imports studies"});
    ProcessResult key = Run({"user", "apikey", "create", "--id", "svc-1", "--reason", "host A"});
    ASSERT_EQ(key.exit_code, 0) << Describe(key);
    const std::string key_file = tmp_.Sub("svc.key");
    WriteFileOrDie(key_file, key.out);
    std::filesystem::permissions(key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace);
    ProcessResult by_service =
        RunAs("", {"--api-key-file", key_file, "record", "create", "--type", "study", "--id", "st-1"},
              R"({"modality":"CT","series":[1,2,3]})");
    ASSERT_EQ(by_service.exit_code, 0) << Describe(by_service);

    const std::string wrong = tmp_.Sub("wrong.pw");
    WriteFileOrDie(wrong, "not the password of anyone\n");
    EXPECT_EQ(RunAs("", {"login", "--user", kRivera.id, "--password-file", wrong}).exit_code, 3);

    As(kRivera.id);
    ASSERT_EQ(Create("annotation", "a-1", R"({"label":"nódulo, \"sólido\"","note":"line 1\nline 2","d":3.5})")
                  .exit_code,
              0);
    ASSERT_EQ(Modify("annotation", "a-1", R"({"label":"mass","d":4})", "re-read, \"second\" look; 第二").exit_code,
              0);
    ASSERT_EQ(Delete("annotation", "a-1", "entered in error, see CAPA-7").exit_code, 0);
    EXPECT_EQ(Run({"checkpoint"}).exit_code, 3);  // a project manager may not sign: recorded as refused

    As(kQuality.id);
    lines_ = LogLines();
    for (const auto& l : lines_) types_.insert(Str(ParseOrFail(l).at("type")));
  }

  std::string WriteLines(const std::vector<std::string>& lines, const std::string& name) const {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    const std::string path = tmp_.Sub(name);
    WriteFileOrDie(path, text);
    return path;
  }

  // The event schema's verdict on each line: "" when valid, else its first error.
  static std::vector<std::string> Validate(const std::vector<std::string>& lines) {
    return SchemaVerdicts("event-1.schema.json", lines);
  }

  std::vector<std::string> lines_;
  std::set<std::string> types_;
};

// AT-9: "JSON Lines with a published JSON Schema".
TEST_F(CliExportTest, EveryEventConformsToThePublishedSchema) {
  if (!HaveJsonSchema()) GTEST_SKIP() << "python3-jsonschema is not installed (scripts/setup.sh installs it)";
  for (const char* t : {"ledger.genesis", "policy.changed", "user.created", "user.api_key_created",
                        "security.login_succeeded", "security.login_failed", "security.access_denied",
                        "record.created", "record.modified", "record.deleted"}) {
    EXPECT_THAT(types_, Contains(t));
  }
  const std::vector<std::string> verdicts = Validate(lines_);
  ASSERT_EQ(verdicts.size(), lines_.size());
  for (size_t i = 0; i < lines_.size(); ++i) EXPECT_EQ(verdicts[i], "") << lines_[i];

  // The schema is not a formality: each of these breaks it.
  const json::object genesis = ParseOrFail(lines_.front()).as_object();
  json::object modified;
  for (const auto& l : lines_) {
    if (Str(ParseOrFail(l).at("type")) == "record.modified") modified = ParseOrFail(l).as_object();
  }
  ASSERT_FALSE(modified.empty());
  std::vector<std::pair<std::string, json::object>> broken;
  auto edit = [&](const std::string& what, json::object e, const std::function<void(json::object&)>& f) {
    f(e);
    broken.emplace_back(what, std::move(e));
  };
  edit("a field missing", modified, [](json::object& e) { e.erase("guideline"); });
  edit("an unknown field", modified, [](json::object& e) { e["extra"] = 1; });
  edit("seq as text", modified, [](json::object& e) { e["seq"] = "7"; });
  edit("an upper-case id", modified, [](json::object& e) { e["id"] = "ABCDEF0123456789ABCDEF0123456789"; });
  edit("a time without microseconds", modified, [](json::object& e) { e["ts"] = "2026-11-25T13:52:34Z"; });
  edit("record version 0", modified, [](json::object& e) { e["record"].as_object()["version"] = 0; });
  edit("a change with only a path", modified,
       [](json::object& e) { e["changes"].as_array()[0] = json::object{{"path", "/label"}}; });
  edit("a change path that is no JSON Pointer", modified,
       [](json::object& e) { e["changes"].as_array()[0].as_object()["path"] = "label"; });
  edit("an actor id with a space", modified, [](json::object& e) { e["actor"] = "u 1"; });
  edit("a prev that is no hash", modified, [](json::object& e) { e["prev"] = "sha256:xyz"; });
  edit("no prev after seq 0", modified, [](json::object& e) { e["prev"] = nullptr; });
  edit("a prev at seq 0", genesis, [&](json::object& e) { e["prev"] = modified.at("prev"); });
  edit("data as an array", modified, [](json::object& e) { e["data"] = json::array{}; });
  std::vector<std::string> texts;
  for (const auto& [what, e] : broken) texts.push_back(json::serialize(e));
  const std::vector<std::string> rejected = Validate(texts);
  ASSERT_EQ(rejected.size(), broken.size());
  for (size_t i = 0; i < broken.size(); ++i) EXPECT_NE(rejected[i], "") << broken[i].first << " was accepted";
}

// AT-9: "… CSV". Each row is the event, field for field, whatever its text holds.
TEST_F(CliExportTest, CsvHoldsTheEventsFieldForField) {
  if (!std::filesystem::exists(kPython)) GTEST_SKIP() << "python3 is not installed";
  ProcessResult csv = Run({"--format", "csv", "log"});
  ASSERT_EQ(csv.exit_code, 0) << Describe(csv);
  const std::string csv_path = tmp_.Sub("events.csv");
  WriteFileOrDie(csv_path, csv.out);
  ProcessResult check = RunProcess(
      {kPython, SourceDir() + "/tests/tools/python/csv_check.py", WriteLines(lines_, "events.jsonl"), csv_path});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  const json::object got = ParseOrFail(check.out).as_object();
  EXPECT_EQ(got.at("rows").to_number<uint64_t>(), lines_.size());
  EXPECT_TRUE(got.at("crlf").as_bool()) << "records end in CRLF (RFC 4180)";
  EXPECT_THAT(got.at("mismatches").as_array(), IsEmpty()) << json::serialize(got.at("mismatches"));
  EXPECT_EQ(got.at("columns").as_array().size(), 18u);
  // The tricky texts are in it, quoted.
  EXPECT_THAT(csv.out, HasSubstr(R"("re-read, ""second"" look; 第二")"));

  // Filters apply as to the other formats: the header, then one record's events.
  ProcessResult one = Run({"--format", "csv", "log", "--record", "annotation/a-1"});
  ASSERT_EQ(one.exit_code, 0) << Describe(one);
  size_t records = 0;
  for (size_t at = 0; (at = one.out.find("\r\n", at)) != std::string::npos; at += 2) ++records;
  EXPECT_EQ(records, 4u) << one.out;  // the header, created, modified, deleted
  EXPECT_EQ(one.out.substr(0, one.out.find("\r\n")), csv.out.substr(0, csv.out.find("\r\n")));
  EXPECT_TRUE(std::regex_search(one.out, std::regex("\r\n[0-9]+,[^\r]*,record\\.deleted,"))) << one.out;

  // No other command has rows to give.
  for (const auto& args : std::vector<std::vector<std::string>>{{"--format", "csv", "status"},
                                                                {"--format", "csv", "record", "history", "--type",
                                                                 "annotation", "--id", "a-1"}}) {
    ProcessResult r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << Describe(r);
    EXPECT_THAT(r.err, HasSubstr("--format csv is for `log` only"));
    EXPECT_TRUE(r.out.empty());
  }
}

}  // namespace
}  // namespace vellum::cli_test
