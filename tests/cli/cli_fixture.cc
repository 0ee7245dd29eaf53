#include "cli/cli_fixture.h"

#include <filesystem>
#include <sstream>

#include "core/json.h"

namespace vellum::cli_test {

namespace fs = std::filesystem;
using ::vellum::testing::ReadFileOrDie;
using ::vellum::testing::RunProcess;
using ::vellum::testing::VellumBinary;

namespace {
constexpr char kPython[] = "/usr/bin/python3";
}  // namespace

std::string Describe(const ProcessResult& r) {
  std::ostringstream s;
  s << "exit " << r.exit_code << " (signal " << r.signal << ")\n--- stdout\n"
    << r.out << "--- stderr\n"
    << r.err;
  return s.str();
}

boost::json::value ParseOrFail(const std::string& text) {
  core::JsonLimits limits;
  limits.max_bytes = 64 << 20;
  auto v = core::ParseJson(text, limits);
  EXPECT_TRUE(v.ok()) << v.status().ToString() << "\n" << text;
  return v.ok() ? *v : boost::json::value();
}

std::string Str(const boost::json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : "";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool HaveJsonSchema() {
  return fs::exists(kPython) && RunProcess({kPython, "-c", "import jsonschema"}).exit_code == 0;
}

std::vector<std::string> SchemaVerdicts(const std::string& schema, const std::vector<std::string>& documents) {
  std::string input;
  for (const auto& d : documents) input += d + "\n";
  ProcessResult r = RunProcess({kPython, ::vellum::testing::SourceDir() + "/tests/tools/python/schema_check.py",
                                ::vellum::testing::SourceDir() + "/docs/schemas/" + schema},
                               input);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> out;
  if (r.exit_code != 0) return out;
  const boost::json::value got = ParseOrFail(r.out);
  for (const auto& v : got.at("results").as_array()) out.push_back(v.is_null() ? "" : Str(v));
  return out;
}

ProcessResult CliTest::Run(const std::vector<std::string>& args, const std::string& input,
                           const std::vector<std::string>& env) const {
  return RunAs(user_, args, input, env);
}

ProcessResult CliTest::RunAs(const std::string& user_id, const std::vector<std::string>& args,
                             const std::string& input, const std::vector<std::string>& env) const {
  return cli_.Run(user_id, args, input, env);
}

ProcessResult CliTest::RunIn(const std::string& cwd, const std::vector<std::string>& args,
                             const std::vector<std::string>& env) const {
  std::vector<std::string> argv{"sh", "-c", "cd \"$1\" && shift && exec \"$@\"",
                                "sh", cwd,  VellumBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> full_env = cli_.Env(user_);
  full_env.insert(full_env.end(), env.begin(), env.end());
  return RunProcess(argv, "", full_env);
}

std::string CliTest::RunOk(const std::vector<std::string>& args, const std::string& input) const {
  ProcessResult r = Run(args, input);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  return r.out;
}

void CliTest::Init(const std::string& origin, const std::vector<Person>& team) {
  std::string key = origin;
  for (const Person& p : team) key += " " + p.id;
  const std::string setup = ::vellum::testing::SharedSetUp(key, [&](const std::string& dir) {
    const ::vellum::testing::CliDataDir t(dir + "/data", dir + "/secrets");
    ProcessResult r = t.Init({"--origin", origin, "--checkpoint-seconds", "86400"});
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    r = t.Login(::vellum::testing::kAdminId);
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    for (const Person& p : team) ASSERT_TRUE(t.AddPerson(p));
  });
  ASSERT_FALSE(setup.empty()) << "building the data directory failed";
  ::vellum::testing::CopyTree(setup + "/data", data_);
  ::vellum::testing::CopyTree(setup + "/secrets", cli_.secrets());
  setup_events_ = 4 + 5 * team.size();
}

std::vector<std::string> CliTest::InitArgs(const std::string& origin) const {
  return {"init",
          "--origin",
          origin,
          "--admin",
          ::vellum::testing::kAdminId,
          "--admin-name",
          ::vellum::testing::kAdminName,
          "--admin-email",
          ::vellum::testing::kAdminEmail,
          "--password-file",
          cli_.PasswordFile(::vellum::testing::kAdminId)};
}

ProcessResult CliTest::Create(const std::string& type, const std::string& id,
                              const std::string& content,
                              const std::vector<std::string>& extra) const {
  std::vector<std::string> args{"record", "create", "--type", type, "--id", id};
  args.insert(args.end(), extra.begin(), extra.end());
  return Run(args, content);
}

ProcessResult CliTest::Modify(const std::string& type, const std::string& id,
                              const std::string& content, const std::string& reason,
                              const std::vector<std::string>& extra) const {
  std::vector<std::string> args{"record", "modify", "--type", type, "--id", id, "--reason", reason};
  args.insert(args.end(), extra.begin(), extra.end());
  return Run(args, content);
}

ProcessResult CliTest::Delete(const std::string& type, const std::string& id,
                              const std::string& reason) const {
  return Run({"record", "delete", "--type", type, "--id", id, "--reason", reason});
}

std::map<std::string, std::string> CliTest::Snapshot() const {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(tmp_.path())) {
    if (!e.is_regular_file() || e.path().filename() == "LOCK") continue;
    if (e.path().filename().string().rfind("auth.db", 0) == 0) continue;
    files[fs::relative(e.path(), tmp_.path()).string()] = ReadFileOrDie(e.path().string());
  }
  return files;
}

std::vector<std::string> CliTest::LogLines() const {
  ProcessResult r = Run({"--format", "jsonl", "log"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  return Lines(r.out);
}

void CliTest::CreateSampleRecords() const {
  ASSERT_EQ(Create("annotation", "a-1", R"({"label":"nodule"})").exit_code, 0);
  ASSERT_EQ(Create("annotation", "a-2", R"({"label":"mass"})").exit_code, 0);
  ASSERT_EQ(Modify("annotation", "a-1", R"({"label":"cyst"})", "second look").exit_code, 0);
}

void CliTest::CreateModifyAndDeleteSampleRecords() const {
  ASSERT_NO_FATAL_FAILURE(CreateSampleRecords());
  ASSERT_EQ(Delete("annotation", "a-2", "duplicate").exit_code, 0);
}

std::string CliTest::SegmentPath() const {
  return data_ + "/ledger/segments/00000000000000000000.jsonl";
}

std::string CliTest::Segment() const { return ReadFileOrDie(SegmentPath()); }

}  // namespace vellum::cli_test
