// `vellum backup` and `vellum restore` through the binary (SR-2): a restore
// that is tested, not just run — the restored trail is the source's byte for
// byte, it verifies, the same people sign in and read the same events — and
// the exit codes and messages of every refusal, with nothing left behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cli/cli_fixture.h"
#include "core/json.h"
#include "core/sha256.h"
#include "storage/embedded/file_log_store.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::vellum::testing::ReadFileOrDie;
using ::vellum::testing::WriteFileOrDie;

class CliBackupTest : public CliTest {
 protected:
  void SetUp() override {
    Init("vellum.test/cli", {kRivera, kQuality});
    ASSERT_NO_FATAL_FAILURE(CreateModifyAndDeleteSampleRecords());
  }

  // `vellum --data DIR args...` by nobody signed in.
  ProcessResult RunOn(const std::string& dir, const std::vector<std::string>& args,
                      const std::string& user = "") const {
    std::vector<std::string> argv = {::vellum::testing::VellumBinary(), "--data", dir};
    argv.insert(argv.end(), args.begin(), args.end());
    return ::vellum::testing::RunProcess(argv, "", cli_.Env(user));
  }

  const std::string backup_ = tmp_.Sub("backups/b1");
  const std::string restored_ = tmp_.Sub("restored");
};

// SR-2, AT-9: backup and restore through the binary, by nobody signed in (file
// access to the data directory is what a backup needs); the restored ledger
// verifies, and its trail, read by the same person, is the source's.
TEST_F(CliBackupTest, RestoredTrailIsTheSourcesByteForByte) {
  ProcessResult b = RunAs("", {"backup", "--out", backup_});
  ASSERT_EQ(b.exit_code, 0) << Describe(b);
  EXPECT_THAT(b.out, HasSubstr("OK: backed up"));
  EXPECT_THAT(b.out, HasSubstr("verified; manifest sha256 "));
  EXPECT_THAT(b.out + b.err, Not(HasSubstr(ReadFileOrDie(data_ + "/keys/ledger.key").substr(20, 30))));

  // The periodic check of the stored backup, by nobody signed in.
  ProcessResult check = RunAs("", {"verify-backup", backup_});
  EXPECT_EQ(check.exit_code, 0) << Describe(check);
  EXPECT_THAT(check.out, HasSubstr("OK: checked"));
  // A backup is laid out as a data directory: verify checks it in place (leaving only its lock file).
  ProcessResult in_place = RunOn(backup_, {"verify"});
  EXPECT_EQ(in_place.exit_code, 0) << Describe(in_place);

  ProcessResult r = RunOn(restored_, {"--format", "json", "restore", "--from", backup_});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  json::object report = ParseOrFail(r.out).as_object();
  EXPECT_EQ(report.at("ok"), true);
  EXPECT_EQ(report.at("events").as_int64(), static_cast<int64_t>(LogLines().size()));
  EXPECT_EQ(report.at("verify").at("problems").as_array().size(), 0u);
  EXPECT_EQ(Str(report.at("manifest_sha256")),
            ::vellum::core::HashToHex(::vellum::core::Sha256(ReadFileOrDie(backup_ + "/vellum-backup.json"))));

  ProcessResult v = RunOn(restored_, {"verify"});
  EXPECT_EQ(v.exit_code, 0) << Describe(v);
  // Until a command opens it, verify (as status, below) says the restore is still to be recorded.
  EXPECT_THAT(v.out, HasSubstr("records this as a system.restored event"));
  const std::string seg = "/ledger/segments/" + storage::FileLogStore::SegmentName(0);
  EXPECT_EQ(ReadFileOrDie(restored_ + seg), ReadFileOrDie(data_ + seg));

  // Until a command opens it, status shows that the restore is still to be recorded.
  ProcessResult st = RunOn(restored_, {"status"});
  EXPECT_EQ(st.exit_code, 0) << Describe(st);
  EXPECT_THAT(st.out, HasSubstr("records this as a system.restored event"));

  // The same person signs in to the restored directory with the same password,
  // and reads the source's trail, then the restore, then the sign-in (AT-1).
  const std::vector<std::string> source = LogLines();
  const ::vellum::testing::CliDataDir restored(restored_, tmp_.Sub("secrets-restored"));
  ProcessResult login = restored.Login(kRivera.id);
  ASSERT_EQ(login.exit_code, 0) << Describe(login);
  ProcessResult log = restored.Run(kRivera.id, {"--format", "jsonl", "log"});
  ASSERT_EQ(log.exit_code, 0) << Describe(log);
  const std::vector<std::string> lines = Lines(log.out);
  ASSERT_GT(lines.size(), source.size() + 1);
  EXPECT_EQ(std::vector<std::string>(lines.begin(), lines.begin() + static_cast<std::ptrdiff_t>(source.size())),
            source);
  EXPECT_THAT(lines[source.size()], HasSubstr("\"type\":\"system.restored\""));
  EXPECT_THAT(lines[source.size()], HasSubstr(Str(report.at("manifest_sha256"))));
  EXPECT_THAT(lines[source.size() + 1], HasSubstr("\"actor\":\"u-1\""));
}

// SR-2: bad usage exits 2, damaged backup media 4, a backup that does not check
// out 1; nothing is left behind.
TEST_F(CliBackupTest, RefusalsExitNonZeroAndLeaveNothing) {
  // Bad usage: exit 2.
  fs::create_directories(tmp_.Sub("full"));
  WriteFileOrDie(tmp_.Sub("full/x"), "x");
  ProcessResult full = RunAs("", {"backup", "--out", tmp_.Sub("full")});
  EXPECT_EQ(full.exit_code, 2) << Describe(full);
  EXPECT_THAT(full.err, HasSubstr("is not empty"));
  ProcessResult inside = RunAs("", {"backup", "--out", data_ + "/b"});
  EXPECT_EQ(inside.exit_code, 2) << Describe(inside);
  EXPECT_THAT(inside.err, HasSubstr("inside the data directory"));
  // A symbolic link as DIR would be replaced by the rename, the copy landing beside it, not
  // where it points (the key and auth.db on the wrong disk): refused before anything is copied.
  fs::create_directories(tmp_.Sub("full/target"));
  fs::create_directory_symlink(tmp_.Sub("full/target"), tmp_.Sub("full/link"));
  ProcessResult link = RunAs("", {"backup", "--out", tmp_.Sub("full/link")});
  EXPECT_EQ(link.exit_code, 2) << Describe(link);
  EXPECT_THAT(link.err, HasSubstr("is a symbolic link"));
  EXPECT_TRUE(fs::is_symlink(tmp_.Sub("full/link")));
  EXPECT_TRUE(fs::is_empty(tmp_.Sub("full/target")));
  ProcessResult missing = RunAs("", {"backup"});
  EXPECT_EQ(missing.exit_code, 2) << Describe(missing);
  EXPECT_THAT(missing.err, HasSubstr("--out"));
  ProcessResult no_from = RunOn(restored_, {"restore"});
  EXPECT_EQ(no_from.exit_code, 2) << Describe(no_from);
  ProcessResult no_backup = RunOn(restored_, {"restore", "--from", tmp_.Sub("full")});
  EXPECT_EQ(no_backup.exit_code, 2) << Describe(no_backup);
  EXPECT_THAT(no_backup.err, HasSubstr("no Vellum backup"));
  EXPECT_FALSE(fs::exists(restored_));

  ASSERT_EQ(RunAs("", {"backup", "--out", backup_}).exit_code, 0);
  ProcessResult onto_data = RunOn(data_, {"restore", "--from", backup_});
  EXPECT_EQ(onto_data.exit_code, 2) << Describe(onto_data);
  EXPECT_THAT(onto_data.err, HasSubstr("is not empty"));

  // A damaged backup file: exit 4, naming it.
  const std::string seg = backup_ + "/ledger/segments/" + storage::FileLogStore::SegmentName(0);
  fs::permissions(seg, fs::perms::owner_write, fs::perm_options::add);
  std::string bytes = ReadFileOrDie(seg);
  bytes[bytes.size() / 3] ^= 0x20;
  WriteFileOrDie(seg, bytes);
  ProcessResult check = RunAs("", {"verify-backup", backup_});
  EXPECT_EQ(check.exit_code, 1) << Describe(check);
  EXPECT_THAT(check.out, HasSubstr("PROBLEM [backup] at ledger/segments/"));
  EXPECT_THAT(check.out, HasSubstr("FAILED: the backup in"));
  ProcessResult not_a_backup = RunAs("", {"verify-backup", tmp_.Sub("full")});
  EXPECT_EQ(not_a_backup.exit_code, 2) << Describe(not_a_backup);
  EXPECT_THAT(not_a_backup.err, HasSubstr("no Vellum backup"));
  ProcessResult damaged = RunOn(restored_, {"restore", "--from", backup_});
  EXPECT_EQ(damaged.exit_code, 4) << Describe(damaged);
  EXPECT_THAT(damaged.err, HasSubstr("is not the file its manifest lists"));
  EXPECT_FALSE(fs::exists(restored_));
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp_.path()), fs::directory_iterator()), 4)
      << "a staging directory was left";  // data, secrets, full, backups
}

// AT-4: an event edited in a backup whose manifest was rewritten to match is
// caught by the restore's verification: exit 1, the problem named, nothing kept.
TEST_F(CliBackupTest, ADoctoredBackupDoesNotRestore) {
  ASSERT_EQ(RunAs("", {"backup", "--out", backup_}).exit_code, 0);
  const std::string rel = "ledger/segments/" + storage::FileLogStore::SegmentName(0);
  const std::string seg = backup_ + "/" + rel;
  fs::permissions(seg, fs::perms::owner_write, fs::perm_options::add);
  std::string bytes = ReadFileOrDie(seg);
  const size_t at = bytes.find("\"nodule\"");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 8, "\"benign\"");
  WriteFileOrDie(seg, bytes);
  json::object manifest = json::parse(ReadFileOrDie(backup_ + "/vellum-backup.json")).as_object();
  for (auto& f : manifest.at("files").as_array()) {
    if (Str(f.at("path")) == rel) {
      f.as_object()["sha256"] = ::vellum::core::HashToHex(::vellum::core::Sha256(bytes));
    }
  }
  // Written as Vellum writes a manifest: the attacker knows the format.
  auto canonical = ::vellum::core::CanonicalJson(json::value(manifest));
  ASSERT_TRUE(canonical.ok());
  WriteFileOrDie(backup_ + "/vellum-backup.json", *canonical + "\n");
  ProcessResult check = RunAs("", {"verify-backup", backup_});
  EXPECT_EQ(check.exit_code, 1) << Describe(check);
  EXPECT_THAT(check.out, HasSubstr("PROBLEM [chain] seq"));
  EXPECT_THAT(check.out, Not(HasSubstr("PROBLEM [backup]")));  // the manifest was rewritten to match
  ProcessResult r = RunOn(restored_, {"restore", "--from", backup_});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("PROBLEM [chain] seq"));
  EXPECT_THAT(r.out, HasSubstr("FAILED: the copy does not verify; nothing was kept"));
  EXPECT_FALSE(fs::exists(restored_));
}

// AT-9: the manifest has a published JSON Schema
// (docs/schemas/backup-manifest-1.schema.json). A manifest `backup` writes
// conforms, checked by python3-jsonschema; manifests the restore refuses as
// malformed (exit 2, nothing written) fail it too.
TEST_F(CliBackupTest, ManifestConformsToThePublishedSchema) {
  if (!HaveJsonSchema()) GTEST_SKIP() << "python3-jsonschema is not installed (scripts/setup.sh installs it)";
  ASSERT_EQ(RunAs("", {"backup", "--out", backup_}).exit_code, 0);
  std::string text = ReadFileOrDie(backup_ + "/vellum-backup.json");
  ASSERT_FALSE(text.empty());
  text.pop_back();  // the newline
  // Each edit written in canonical form, so that it is refused for what it changed.
  const auto edited = [&](const std::function<void(json::object&)>& edit) {
    json::value v = json::parse(text);
    edit(v.as_object());
    auto canonical = ::vellum::core::CanonicalJson(v);
    EXPECT_TRUE(canonical.ok());
    return canonical.ok() ? *canonical : std::string();
  };
  const auto first_file = [](json::object& m) -> json::object& { return m.at("files").as_array()[0].as_object(); };
  const std::vector<std::string> malformed = {
      edited([](json::object& m) { m["format"] = "vellum-backup/2"; }),
      edited([](json::object& m) { m["extra"] = true; }),
      edited([](json::object& m) { m.erase("tree_size"); }),
      edited([](json::object& m) { m["events"] = "12"; }),
      edited([](json::object& m) { m["created"] = "yesterday"; }),
      edited([](json::object& m) { m["origin"] = "has space"; }),
      edited([&](json::object& m) { first_file(m)["path"] = "../../etc/passwd"; }),
      edited([&](json::object& m) { first_file(m)["path"] = "/etc/passwd"; }),
      edited([&](json::object& m) { first_file(m)["path"] = "ledger/tree/level-64.hash"; }),
      edited([&](json::object& m) { first_file(m)["mode"] = "0777"; }),
      edited([&](json::object& m) { first_file(m)["sha256"] = "ABC"; }),
      edited([&](json::object& m) { first_file(m)["bytes"] = -1; }),
      edited([&](json::object& m) { first_file(m)["owner"] = "root"; }),
      edited([](json::object& m) {
        auto& files = m.at("files").as_array();
        files.insert(files.begin(), files[0]);
      }),
  };
  std::vector<std::string> documents = {text};
  documents.insert(documents.end(), malformed.begin(), malformed.end());
  const std::vector<std::string> verdicts = SchemaVerdicts("backup-manifest-1.schema.json", documents);
  ASSERT_EQ(verdicts.size(), documents.size());
  EXPECT_EQ(verdicts[0], "") << "the manifest `backup` wrote does not conform";
  for (size_t i = 1; i < documents.size(); ++i) {
    SCOPED_TRACE(documents[i]);
    EXPECT_NE(verdicts[i], "") << "the schema accepts a malformed manifest";
    WriteFileOrDie(backup_ + "/vellum-backup.json", documents[i] + "\n");
    ProcessResult r = RunOn(restored_, {"restore", "--from", backup_});
    EXPECT_EQ(r.exit_code, 2) << Describe(r);
    EXPECT_THAT(r.err, HasSubstr("is not a Vellum backup manifest"));
    EXPECT_FALSE(fs::exists(restored_));
  }

  // What a schema cannot say, the reader checks: there is one spelling of each
  // manifest, and its fields agree with each other.
  const auto swap_first_two = [](json::object& m) {
    auto& files = m.at("files").as_array();
    std::swap(files[0], files[1]);
  };
  const auto checkpoint_files = [](const json::object& m) {
    size_t n = 0;
    for (const auto& f : m.at("files").as_array()) n += Str(f.at("path")).rfind("ledger/checkpoints/", 0) == 0;
    return n;
  };
  ASSERT_GT(checkpoint_files(json::parse(text).as_object()), 0u);
  const uint64_t events = json::parse(text).at("events").to_number<uint64_t>();
  struct Inconsistent {
    std::string text;
    std::string message;
  };
  for (const Inconsistent& c : std::vector<Inconsistent>{
           {"{ " + text.substr(1), "RFC 8785 canonical JSON and a newline"},
           {text + " ", "RFC 8785 canonical JSON and a newline"},
           {edited(swap_first_two), "not in path order"},
           {edited([&](json::object& m) { m["tree_size"] = events + 1; }), "is more than its"},
           {edited([](json::object& m) { m["checkpoint"] = nullptr; }), "\"checkpoint\" is null"},
           {edited([](json::object& m) { m["checkpoint"] = m.at("checkpoint").to_number<uint64_t>() - 1; }),
            "but the latest checkpoint it lists is"},
       }) {
    SCOPED_TRACE(c.text);
    WriteFileOrDie(backup_ + "/vellum-backup.json", c.text + "\n");
    for (const auto& args : std::vector<std::vector<std::string>>{{"restore", "--from", backup_},
                                                                  {"verify-backup", backup_}}) {
      ProcessResult r = RunOn(restored_, args);
      EXPECT_EQ(r.exit_code, 2) << Describe(r);
      EXPECT_THAT(r.err, HasSubstr(c.message));
      EXPECT_FALSE(fs::exists(restored_));
    }
  }
}

}  // namespace
}  // namespace vellum::cli_test
