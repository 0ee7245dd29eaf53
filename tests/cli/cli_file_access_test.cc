// Files of the data directory that the process may not read, and what a failed
// command leaves behind: exit codes as docs/cli.md gives them (4 when a file it
// needs cannot be read, 3 only for refusals by Vellum itself), messages that name
// the file, and no checkpoint signed by a command that failed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "cli/cli_fixture.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::vellum::testing::kAdminId;
using ::vellum::testing::RunProcess;

constexpr uid_t kNobody = 65534;

class CliFileAccessTest : public CliTest {
 protected:
  // Makes `vellum` run as a user whom file modes bind: this user when it is not
  // root; as root, `nobody` (setpriv), owning the whole temporary directory and a
  // copy of the binary, so that only the mode a test takes away stands in its way.
  void SetUp() override {
    if (::geteuid() != 0) {
      prefix_ = {::vellum::testing::VellumBinary()};
      return;
    }
    if (!::vellum::testing::HaveProgram("setpriv")) GTEST_SKIP() << "running as root and setpriv is not installed";
    const std::string copy = tmp_.Sub("vellum");
    fs::copy_file(::vellum::testing::VellumBinary(), copy);
    prefix_ = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", copy};
    ProcessResult probe = RunProcess({prefix_[0], prefix_[1], prefix_[2], prefix_[3], copy, "--version"});
    if (probe.exit_code != 0) {
      GTEST_SKIP() << "nobody cannot run a binary in " << tmp_.path() << " (a parent directory is closed to it): "
                   << probe.err;
    }
  }

  // Hands everything below the temporary directory to the user that runs `vellum`.
  void HandOver() const {
    if (::geteuid() != 0) return;
    ASSERT_EQ(::chown(tmp_.path().c_str(), kNobody, kNobody), 0);
    for (const auto& e : fs::recursive_directory_iterator(tmp_.path())) {
      ASSERT_EQ(::lchown(e.path().c_str(), kNobody, kNobody), 0) << e.path();
    }
  }

  ProcessResult RunBound(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = prefix_;
    argv.push_back("--data");
    argv.push_back(data_);
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  }

  std::vector<std::string> prefix_;
};

// A file or directory the process may not read is the system's failure (exit 4,
// "Permission denied", the path named), not a missing directory (2), not a
// refusal (3), not an incomplete data directory.
TEST_F(CliFileAccessTest, UnreadableFilesAreNamedAndExitFour) {
  Init();
  ASSERT_NO_FATAL_FAILURE(HandOver());
  ProcessResult fine = RunBound({"status"});
  ASSERT_EQ(fine.exit_code, 0) << Describe(fine);

  struct Case {
    std::string path;  // below the data directory
    std::vector<std::string> command;
  };
  for (const Case& c : std::vector<Case>{{"", {"status"}},
                                         {"", {"verify"}},
                                         {"vellum.toml", {"status"}},
                                         {"LOCK", {"status"}},
                                         {"LOCK", {"verify"}},
                                         {"keys/ledger.pub", {"status"}},
                                         {"records.db", {"status"}},
                                         {"records.db", {"verify"}},
                                         {"ledger/segments", {"verify"}}}) {
    SCOPED_TRACE(c.path + " " + c.command[0]);
    const std::string target = c.path.empty() ? data_ : data_ + "/" + c.path;
    const fs::perms was = fs::status(target).permissions();
    fs::permissions(target, fs::perms::none, fs::perm_options::replace);
    ProcessResult r = RunBound(c.command);
    fs::permissions(target, was, fs::perm_options::replace);
    EXPECT_EQ(r.exit_code, 4) << Describe(r);
    EXPECT_THAT(r.err, AllOf(HasSubstr("Permission denied"), HasSubstr(c.path.empty() ? data_ : c.path),
                             Not(HasSubstr("no Vellum data directory")), Not(HasSubstr("incomplete")),
                             Not(HasSubstr("in use by another process")),
                             Not(HasSubstr("permission_denied"))));
    EXPECT_THAT(r.out, IsEmpty());
  }
  ProcessResult again = RunBound({"verify"});
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
}

// A --data that is a file is named as such (exit 2), not as a missing directory.
TEST_F(CliFileAccessTest, DataThatIsAFileIsNamed) {
  ::vellum::testing::WriteFileOrDie(data_, "not a directory\n");
  ASSERT_NO_FATAL_FAILURE(HandOver());
  ProcessResult r = RunBound({"status"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("it is not a directory"));
}

class CliClosingCheckpointTest : public CliTest {};

// Exit 2 means nothing was written: a command that fails leaves a checkpoint that
// fell due (checkpoint.every_seconds) to the next command that succeeds, which
// signs it when it closes (AT-5).
TEST_F(CliClosingCheckpointTest, AFailedCommandSignsNoCheckpoint) {
  auto checkpoints = [&] {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(data_ + "/ledger/checkpoints")) n += e.path().extension() == ".note";
    return n;
  };
  const auto start = std::chrono::steady_clock::now();
  ProcessResult init = cli_.Init({"--origin", origin_, "--checkpoint-seconds", "4"});
  ASSERT_EQ(init.exit_code, 0) << Describe(init);
  ProcessResult login = cli_.Login(kAdminId);  // appends events no checkpoint covers yet
  ASSERT_EQ(login.exit_code, 0) << Describe(login);
  ASSERT_EQ(checkpoints(), 1u) << "init and login took longer than the checkpoint interval";
  As(kAdminId);
  std::this_thread::sleep_until(start + std::chrono::milliseconds(4200));  // the checkpoint is now due

  const auto before = Snapshot();
  ProcessResult failed = Run({"user", "show", "--id", "u-nobody"});
  EXPECT_EQ(failed.exit_code, 2) << Describe(failed);
  EXPECT_EQ(Snapshot(), before) << "a failed command signed a checkpoint";
  ProcessResult ok = Run({"user", "show"});
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
  EXPECT_EQ(checkpoints(), 2u) << "the next command that succeeds signs the checkpoint due";
}

}  // namespace
}  // namespace vellum::cli_test
