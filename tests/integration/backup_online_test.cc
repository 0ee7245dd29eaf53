// Online backup with real processes (SR-2, SR-1): while a writer process
// (tests/tools/crash_writer) creates, modifies and deletes records on four
// threads, `vellum backup` runs again and again; then the writer is killed with
// SIGKILL and one more backup is taken of the directory exactly as the crash
// left it, before any recovery. Every backup must verify, hold every event the
// writer was told was durable before the backup began, be byte for byte the
// start of the source's trail, and restore into a ledger that verifies.
#include <fcntl.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/vellum.h"
#include "testing/identity_fixture.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::testing {
namespace {

namespace fs = std::filesystem;

const Person kWriter{"u-writer", "Online Writer", {identity::Role::kProjectManager}};

// A child process whose stdout goes to a file; killed with SIGKILL when destroyed.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& out_file) {
    pid_ = fork();
    if (pid_ == 0) {
      int fd = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd < 0 || dup2(fd, 1) < 0) _exit(120);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(121);
    }
  }
  ~Child() { Kill(); }
  // SIGKILL; returns the signal that ended it (0 if it had exited by itself).
  int Kill() {
    if (pid_ <= 0) return 0;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }

 private:
  pid_t pid_ = -1;
};

// Events the writer was told are durable: one more than the highest seq it reported.
uint64_t AcknowledgedCount(const std::string& acks_file) {
  std::ifstream in(acks_file);
  uint64_t count = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || in.eof()) break;  // a line still being written
    count = std::max<uint64_t>(count, std::stoull(line.substr(0, line.find(' '))) + 1);
  }
  return count;
}

std::string Trail(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir + "/ledger/segments")) names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  std::string all;
  for (const auto& n : names) all += ReadFileOrDie(n);
  return all;
}

ProcessResult RunCli(const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {VellumBinary(), "--data", dir, "--format", "json"});
  return RunProcess(args, "", {"VELLUM_SESSION_FILE=" + dir + ".no-session"});
}

// SR-2: backups of a ledger in use, and of one a crash has just left.
TEST(BackupOnlineTest, BackupsWhileAWriterRunsAndAfterItIsKilled) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  const CliDataDir cli(dir, tmp.Sub("secrets"));
  {
    app::InitOptions init;
    init.origin = "vellum.test/online-backup";
    init.config.max_segment_bytes = 64 << 10;  // segments are sealed during the backups
    init.config.checkpoint_every_events = 300;
    ASSERT_OK_AND_ASSIGN(auto v, InitWithAdmin(dir, init));
    ASSERT_OK_AND_ASSIGN(app::Principal admin, SignInAdmin(*v));
    ASSERT_OK(AddPerson(*v, admin, kWriter).status());
  }
  const std::string acks = tmp.Sub("acks.txt");
  Child writer({CRASH_WRITER_PATH, dir, "0", "4", "20261127", kWriter.id, cli.PasswordFile(kWriter.id)}, acks);

  struct Taken {
    std::string dir;
    uint64_t acknowledged_before = 0;
    uint64_t events = 0;
  };
  std::vector<Taken> backups;
  auto backup = [&](const std::string& name) {
    Taken t{tmp.Sub("backups/" + name), AcknowledgedCount(acks), 0};
    ProcessResult r = RunCli(dir, {"backup", "--out", t.dir});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    boost::json::object report = boost::json::parse(r.out).as_object();
    ASSERT_EQ(report.at("ok"), true) << r.out;
    t.events = static_cast<uint64_t>(report.at("events").as_int64());
    EXPECT_GE(t.events, t.acknowledged_before) << name << ": an acknowledged event is missing";
    backups.push_back(t);
  };
  for (int i = 0; i < 4; ++i) {
    const uint64_t start = AcknowledgedCount(acks);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (AcknowledgedCount(acks) < start + 200) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the writer stopped writing";
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_NO_FATAL_FAILURE(backup(fmt::format("live-{}", i)));
  }
  ASSERT_EQ(writer.Kill(), SIGKILL) << "the writer stopped by itself";
  ASSERT_NO_FATAL_FAILURE(backup("after-the-kill"));
  EXPECT_GE(backups.back().events, AcknowledgedCount(acks));

  const std::string source = Trail(dir);
  uint64_t previous = 0;
  for (const auto& b : backups) {
    SCOPED_TRACE(b.dir);
    EXPECT_GT(b.events, previous) << "the writer went on between backups";
    previous = b.events;
    const std::string copy = Trail(b.dir);
    ASSERT_LE(copy.size(), source.size());
    EXPECT_EQ(source.compare(0, copy.size(), copy), 0) << "the backup is not the start of the source's trail";
    const std::string restored = b.dir + "-restored";
    ProcessResult r = RunCli(restored, {"restore", "--from", b.dir});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    ProcessResult v = RunCli(restored, {"verify"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_EQ(static_cast<uint64_t>(boost::json::parse(v.out).at("events").as_int64()), b.events);
    EXPECT_EQ(Trail(restored), copy);
  }
}

}  // namespace
}  // namespace vellum::testing
