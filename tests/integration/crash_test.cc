// Crash safety with real processes (SR-1 durable acknowledgement, SR-2 automatic recovery).
//
// A child process appends under load and reports every acknowledged event on its
// stdout; the test kills it with SIGKILL at a seeded random moment, many times on
// the same data directory, so recovery runs on every restart (sometimes while the
// previous recovery was itself interrupted). After each kill the `vellum` binary
// must verify the directory, every acknowledged event must be present exactly as
// acknowledged, and the next run must continue the ledger where it stopped.
//
// Kill moments are timing-dependent even with a fixed seed; a failure prints the
// seed and cycle, and VELLUM_CRASH_SEED=<seed> replays the same kill delays.
// CrashWindowTest then makes by hand, deterministically, the states that kills in
// a few narrow windows leave behind (each was first found by the random kills).
#include <fcntl.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "app/vellum.h"
#include "ledger/event.h"
#include "testing/ack_checks.h"
#include "testing/identity_fixture.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct KilledRun {
  std::string out;
  std::string err;
  int exit_code = -1;  // -1 when ended by a signal
  int signal = 0;
};

// Runs argv, reading its stdout and stderr, and sends SIGKILL `kill_after_ms`
// after the start (unless it ended earlier); with `armed`, the delay counts from
// when armed() first holds (polled every 2 ms) instead. Returns once the process
// is reaped.
KilledRun RunAndKill(const std::vector<std::string>& argv, int kill_after_ms,
                     const std::function<bool()>& armed = {},
                     const std::vector<std::string>& env = {}) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) std::abort();
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) std::abort();
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (const auto& kv : env) putenv(strdup(kv.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  KilledRun r;
  int fds[2] = {out_pipe[0], err_pipe[0]};
  std::string* sinks[2] = {&r.out, &r.err};
  bool killed = false;
  bool is_armed = !armed;
  auto deadline = start + std::chrono::milliseconds(kill_after_ms);
  char buf[65536];
  while (fds[0] >= 0 || fds[1] >= 0) {
    int timeout = -1;
    if (!killed && !is_armed) {
      if (armed()) {
        is_armed = true;
        deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kill_after_ms);
      } else {
        timeout = 2;
      }
    }
    if (!killed && is_armed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        kill(pid, SIGKILL);
        killed = true;
      } else {
        timeout = static_cast<int>(left.count());
      }
    }
    pollfd p[2];
    int idx[2];
    int n = 0;
    for (int i = 0; i < 2; ++i) {
      if (fds[i] >= 0) {
        p[n] = {fds[i], POLLIN, 0};
        idx[n++] = i;
      }
    }
    int ready = poll(p, n, timeout);
    if (ready < 0 && errno != EINTR) break;
    for (int k = 0; k < n && ready > 0; ++k) {
      if (p[k].revents == 0) continue;
      ssize_t got = read(p[k].fd, buf, sizeof buf);
      if (got <= 0) {
        close(p[k].fd);
        fds[idx[k]] = -1;
      } else {
        sinks[idx[k]]->append(buf, static_cast<size_t>(got));
      }
    }
  }
  if (!killed) kill(pid, SIGKILL);  // both pipes closed early: make sure it is gone
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

std::vector<Ack> ParseAcks(const std::string& out) {
  std::vector<Ack> acks;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Ack a;
    fields >> a.seq >> a.type >> a.id >> a.version;
    EXPECT_FALSE(fields.fail()) << "malformed acknowledgement line: " << line;
    acks.push_back(std::move(a));
  }
  return acks;
}

// `vellum --data DIR args...` signed in as nobody (verify needs no session).
ProcessResult RunCli(const std::string& dir, std::vector<std::string> args,
                     const std::string& input = "") {
  args.insert(args.begin(), {VellumBinary(), "--data", dir});
  return RunProcess(args, input, {"VELLUM_SESSION_FILE=" + dir + ".no-session"});
}

// AT-9: tools/offline_verify.py, written from the published formats alone, reads the
// directory as `vellum verify` just did and comes to the same verdict, writing nothing: an
// incomplete last line and what records.db has not applied are notes, and events that
// nothing vouches for (not applied, not signed) the one problem. Nothing to compare where
// python3-cryptography is missing.
void ExpectOfflineVerdict(const std::string& dir, bool crash_left_unapplied) {
  if (!HaveOfflineVerifier()) return;
  const auto before = SnapshotFiles(dir);
  ProcessResult r = RunOfflineTool("offline_verify.py", {dir});
  EXPECT_TRUE(SnapshotFiles(dir) == before) << "offline_verify.py changed the data directory";
  ASSERT_EQ(r.exit_code, crash_left_unapplied ? 1 : 0) << r.out << r.err;
  if (crash_left_unapplied) {
    EXPECT_THAT(r.out, HasSubstr("are neither applied to records.db nor signed by a checkpoint")) << r.out;
  }
}

// `vellum verify` on the directory as the crash left it (AT-4, SR-2). It reads only,
// so what the crash left is still there: an incomplete line, and events written to
// the ledger whose records.db commit the kill prevented. Those were never
// acknowledged, and no checkpoint signs them: verify names them as vouched for by
// nothing (a forged append looks the same), and must find nothing else.
// With `offline_too`, tools/offline_verify.py must agree (ExpectOfflineVerdict).
void ExpectCliVerifiesAsTheCrashLeftIt(const std::string& dir, bool offline_too = false) {
  const auto before = SnapshotFiles(dir);
  ProcessResult v = RunCli(dir, {"verify"});
  EXPECT_TRUE(SnapshotFiles(dir) == before) << "verify changed the data directory";
  ASSERT_TRUE(v.exit_code == 0 || v.exit_code == 1) << v.out << v.err;
  if (offline_too) ExpectOfflineVerdict(dir, v.exit_code == 1);
  std::istringstream lines(v.out);
  int problems = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("PROBLEM", 0) != 0) continue;
    ++problems;
    EXPECT_THAT(line, HasSubstr("but records.db never applied")) << v.out;
  }
  EXPECT_EQ(v.exit_code == 1, problems == 1) << v.out;
}

// `vellum verify` after the next open recovered the directory: it passes.
void ExpectCliVerifies(const std::string& dir) {
  ProcessResult v = RunCli(dir, {"verify"});
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_THAT(v.out, AnyOf(StartsWith("OK: "), HasSubstr("\nOK: "))) << v.out;
  EXPECT_THAT(v.out, Not(HasSubstr("PROBLEM"))) << v.out;
}

// The whole trail through `vellum log` as `reader` (a role with audit.read): seq dense
// from 0, time non-decreasing, and every acknowledged event of every cycle present with
// its record version.
void ExpectFullTrail(const CliDataDir& cli, const std::string& reader,
                     const std::map<uint64_t, Ack>& acks) {
  ProcessResult log = cli.Run(reader, {"log", "--format", "jsonl"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  std::istringstream in(log.out);
  std::string line;
  uint64_t expect_seq = 0;
  int64_t last_ts = 0;
  size_t matched = 0;
  while (std::getline(in, line)) {
    ASSERT_OK_AND_ASSIGN(ledger::Event e, ledger::DecodeEvent(line));
    ASSERT_EQ(e.seq, expect_seq) << "the trail has a gap or a duplicate";
    ++expect_seq;
    EXPECT_GE(e.ts, last_ts) << "time went backwards at seq " << e.seq;
    last_ts = e.ts;
    auto it = acks.find(e.seq);
    if (it == acks.end()) continue;
    ASSERT_TRUE(e.record.has_value()) << "seq " << e.seq;
    EXPECT_EQ(e.record->id, it->second.id) << "seq " << e.seq;
    EXPECT_EQ(e.record->version, it->second.version) << "seq " << e.seq;
    ++matched;
  }
  EXPECT_EQ(matched, acks.size()) << "acknowledged events are missing from `vellum log`";
}

// The writer of the crash tests: a project manager, whose role creates, modifies and
// deletes records and reads the trail (docs/permissions.md).
const Person kCrashWriter{"u-crash", "Crash Writer", {identity::Role::kProjectManager}};

// SR-1, SR-2: kill -9 a writer with 4 threads 50 times on one data directory; every
// tenth cycle the offline verifier checks what the crash left, too (AT-9).
TEST(CrashTest, KilledWriterLosesNoAcknowledgedEvent) {
  const uint64_t seed = CrashSeed(20261125);
  SCOPED_TRACE(fmt::format("VELLUM_CRASH_SEED={}", seed));
  std::mt19937_64 rng(seed);
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  const CliDataDir cli(dir, tmp.Sub("secrets"));
  app::Principal reader;  // the writer's own account, signed in here to read back
  uint64_t prev_max_seq = 0;
  {
    app::InitOptions init;
    init.origin = "vellum.test/crash";
    // Small segments and frequent checkpoints, so kills also land in segment
    // sealing, tree syncing and checkpoint writing, not only in appends.
    init.config.max_segment_bytes = 64 << 10;
    init.config.checkpoint_every_events = 200;
    ASSERT_OK_AND_ASSIGN(auto v, InitWithAdmin(dir, init));
    ASSERT_OK_AND_ASSIGN(app::Principal admin, SignInAdmin(*v));
    ASSERT_OK_AND_ASSIGN(reader, AddPerson(*v, admin, kCrashWriter));
    prev_max_seq = v->Size() - 1;  // the set-up's last event
  }
  constexpr int kCycles = 50;
  std::map<uint64_t, Ack> all_acks;
  int cycles_with_acks = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    const int kill_ms = 20 + static_cast<int>(rng() % 281);
    SCOPED_TRACE(fmt::format("cycle {} killed after {} ms", cycle, kill_ms));
    KilledRun run = RunAndKill({CRASH_WRITER_PATH, dir, std::to_string(cycle), "4",
                                std::to_string(seed + static_cast<uint64_t>(cycle)),
                                kCrashWriter.id, cli.PasswordFile(kCrashWriter.id)},
                               kill_ms);
    ASSERT_EQ(run.signal, SIGKILL)
        << "the writer ended by itself (exit " << run.exit_code << "): " << run.err;
    ASSERT_TRUE(run.out.empty() || run.out.back() == '\n') << "a torn acknowledgement line";
    std::vector<Ack> acks = ParseAcks(run.out);
    // Every tenth cycle the offline verifier reads the same directory (it is slower).
    const bool offline_too = cycle % 10 == 0;
    ASSERT_NO_FATAL_FAILURE(ExpectCliVerifiesAsTheCrashLeftIt(dir, offline_too));
    {
      auto v = app::Vellum::Open(dir);
      ASSERT_OK(v.status());
      EXPECT_THAT((*v)->open_report().damage, ::testing::IsEmpty());
      ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(**v, reader, acks));
    }
    ASSERT_NO_FATAL_FAILURE(ExpectCliVerifies(dir));
    if (offline_too) {
      ASSERT_NO_FATAL_FAILURE(ExpectOfflineVerdict(dir, false));
    }
    uint64_t max_seq = prev_max_seq;
    for (const Ack& a : acks) {
      // The ledger continued after everything acknowledged before the crash.
      EXPECT_GT(a.seq, prev_max_seq) << "seq " << a.seq << " reused after recovery";
      EXPECT_TRUE(all_acks.emplace(a.seq, a).second) << "seq " << a.seq << " acknowledged twice";
      max_seq = std::max(max_seq, a.seq);
    }
    prev_max_seq = max_seq;
    if (!acks.empty()) ++cycles_with_acks;
  }
  // Most kills must land while events are being written, or the test proves little.
  EXPECT_GE(cycles_with_acks, kCycles / 2);
  ProcessResult login = cli.Login(kCrashWriter.id);
  ASSERT_EQ(login.exit_code, 0) << login.err;
  ASSERT_NO_FATAL_FAILURE(ExpectFullTrail(cli, kCrashWriter.id, all_acks));
  // And the ledger is still writable through the binary.
  ProcessResult w = cli.Run(kCrashWriter.id,
                            {"record", "create", "--type", "annotation", "--id", "after-crashes"},
                            R"({"label":"solid"})");
  ASSERT_EQ(w.exit_code, 0) << w.err;
  ExpectCliVerifies(dir);
}

// SR-1, SR-2: kill -9 the `vellum` binary itself while `vellum demo` fills a ledger.
// The demo writes one event per call, so every kill lands between or inside appends,
// tree updates, projection commits and checkpoints of one process. The demo makes its
// own data directory, so the kill delay counts from when init has finished (its accounts
// file appears; a kill inside `init` is a different case, see power_cut_test.cc,
// InterruptedInit...), in odd cycles from when its first record is in the segment: kills
// land both while the team is provisioned and while the records are written.
TEST(CrashTest, KilledDemoCommandLeavesAVerifiableLedger) {
  namespace fs = std::filesystem;
  const uint64_t seed = CrashSeed(20261125) + 1;
  SCOPED_TRACE(fmt::format("VELLUM_CRASH_SEED={}", seed - 1));
  std::mt19937_64 rng(seed);
  TempDir tmp;
  constexpr int kCycles = 8;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    const std::string dir = tmp.Sub(fmt::format("demo-{}", cycle));
    const CliDataDir cli(dir, dir + ".secrets");
    const int kill_ms = 20 + static_cast<int>(rng() % 281);
    const bool in_records = cycle % 2 == 1;
    SCOPED_TRACE(fmt::format("cycle {} killed {} ms after {}", cycle, kill_ms,
                             in_records ? "its first record" : "init"));
    const std::string accounts = dir + "/demo-accounts.txt";
    auto armed = [&] {
      if (!fs::exists(accounts)) return false;
      if (!in_records) return true;
      std::ifstream in(dir + "/ledger/segments/00000000000000000000.jsonl");
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      return text.find("\"type\":\"record.created\"") != std::string::npos;
    };
    // The demo signs the CLI in as its quality user, into that user's session file.
    KilledRun run = RunAndKill({VellumBinary(), "--data", dir, "demo", "--cases", "200"}, kill_ms,
                               armed, cli.Env("u-qa-1"));
    const bool finished = run.exit_code == 0;
    if (!finished) {
      ASSERT_EQ(run.signal, SIGKILL) << "exit " << run.exit_code << ": " << run.err;
    }
    ASSERT_NO_FATAL_FAILURE(ExpectCliVerifiesAsTheCrashLeftIt(dir));
    uint64_t size_after_crash = 0;
    {
      auto v = app::Vellum::Open(dir);
      ASSERT_OK(v.status());
      EXPECT_THAT((*v)->open_report().damage, ::testing::IsEmpty());
      size_after_crash = (*v)->Size();
      if (finished) {
        EXPECT_THAT(run.out, HasSubstr(fmt::format(" {} events;", size_after_crash)));
      }
    }
    ASSERT_NO_FATAL_FAILURE(ExpectCliVerifies(dir));
    // The administrator's password was written down before anything else: they can
    // always sign in, and that sign-in continues the ledger right after the recovered end.
    std::string admin_password;
    {
      std::istringstream in(ReadFileOrDie(accounts));
      for (std::string line; std::getline(in, line);) {
        if (line.rfind("admin ", 0) == 0) admin_password = line.substr(6);
      }
    }
    ASSERT_FALSE(admin_password.empty()) << ReadFileOrDie(accounts);
    const std::string admin_file = cli.secrets() + "/admin.demo-password";
    WriteFileOrDie(admin_file, admin_password + "\n");
    ProcessResult login =
        cli.Run("admin", {"login", "--user", "admin", "--password-file", admin_file});
    ASSERT_EQ(login.exit_code, 0) << login.err;
    ProcessResult next = cli.Run("admin", {"log", "--from-seq", std::to_string(size_after_crash)});
    ASSERT_EQ(next.exit_code, 0) << next.err;
    EXPECT_THAT(next.out, ::testing::StartsWith(fmt::format("{{\"actor\":\"admin\"")));
    EXPECT_THAT(next.out, HasSubstr(fmt::format("\"seq\":{},", size_after_crash)));
    EXPECT_THAT(next.out, HasSubstr("\"type\":\"security.login_succeeded\""));
    // A new writer, made through the binary, writes at the next free seq.
    ASSERT_TRUE(
        cli.AddPerson({"u-after", "After The Crash", {identity::Role::kProjectManager}}, "admin"));
    uint64_t size_before_write = 0;
    {
      auto v = app::Vellum::Open(dir);
      ASSERT_OK(v.status());
      size_before_write = (*v)->Size();
    }
    ProcessResult w =
        cli.Run("u-after",
                {"--format", "jsonl", "record", "create", "--type", "note", "--id", "after-kill"},
                R"({"text":"written after the crash"})");
    ASSERT_EQ(w.exit_code, 0) << w.err;
    EXPECT_THAT(w.out, HasSubstr(fmt::format("\"seq\":{}", size_before_write)));
    ASSERT_NO_FATAL_FAILURE(ExpectCliVerifies(dir));
    ASSERT_NO_FATAL_FAILURE(ExpectFullTrail(cli, "admin", {}));
  }
}

// The states a kill leaves in two narrow windows of segment rolling, made by hand
// (the random kills above hit them only now and then). SR-2.
class CrashWindowTest : public ::testing::Test {
 protected:
  // A closed ledger whose events fill a few small segments; returns the event count.
  uint64_t MakeLedger() {
    app::InitOptions init;
    init.origin = "vellum.test/window";
    init.config.max_segment_bytes = 4096;
    auto v = InitWithAdmin(dir_, init);
    EXPECT_OK(v.status());
    if (!v.ok()) return 0;
    auto admin = SignInAdmin(**v);
    EXPECT_OK(admin.status());
    if (!admin.ok()) return 0;
    auto writer = AddPerson(**v, *admin, kCrashWriter);
    EXPECT_OK(writer.status());
    if (!writer.ok()) return 0;
    writer_ = *writer;
    WriteOutcome w = RunWriters(**v, writer_, 1, 20, "w");
    EXPECT_THAT(w.errors, ::testing::IsEmpty());
    acks_ = w.acks;
    return (*v)->Size();
  }

  void ExpectOpensAndContinues(uint64_t size) {
    auto v = app::Vellum::Open(dir_);
    ASSERT_OK(v.status());
    ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(**v, writer_, acks_));
    WriteOutcome w = RunWriters(**v, writer_, 1, 8, "after");
    ASSERT_THAT(w.errors, ::testing::IsEmpty());
    EXPECT_EQ(w.acks.front().seq, size);
    ASSERT_NO_FATAL_FAILURE(ExpectVerifies(**v));
  }

  std::string SegmentPath(const std::string& dir, uint64_t first) {
    return fmt::format("{}/ledger/{}/{:020}.{}", dir_, dir, first,
                       dir == "segments" ? "jsonl" : "idx");
  }

  TempDir tmp_;
  std::string dir_ = tmp_.Sub("data");
  app::Principal writer_;  // a project manager: writes, and reads back (record.read, audit.read)
  std::vector<Ack> acks_;
};

// Killed inside the creation of a new segment: its file exists, its offset index not yet.
TEST_F(CrashWindowTest, NewSegmentWithoutItsIndex) {
  const uint64_t size = MakeLedger();
  ASSERT_GT(size, 0u);
  WriteFileOrDie(SegmentPath("segments", size), "");
  ExpectOpensAndContinues(size);
}

// Killed after a full segment was sealed (made read-only with its index) but before
// the next one was created: the sealed one is still the open segment, and both of
// its files must become writable again (as root a read-only file would not stop the
// append, so the mode bits are what is checked).
TEST_F(CrashWindowTest, SealedSegmentWithoutSuccessor) {
  namespace fs = std::filesystem;
  const uint64_t size = MakeLedger();
  ASSERT_GT(size, 0u);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_ + "/ledger/segments"))
    names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  ASSERT_GE(names.size(), 2u) << "the test needs a rolled segment";
  const uint64_t last = std::stoull(names.back().substr(0, 20));
  for (const char* kind : {"segments", "offsets"})
    fs::permissions(SegmentPath(kind, last), fs::perms(0444));
  {
    auto v = app::Vellum::Open(dir_);
    ASSERT_OK(v.status());
    for (const char* kind : {"segments", "offsets"}) {
      EXPECT_NE(fs::status(SegmentPath(kind, last)).permissions() & fs::perms::owner_write,
                fs::perms::none)
          << kind << " of the open segment is still read-only";
    }
  }
  ExpectOpensAndContinues(size);
}

// A power cut in the middle of a batch's write: the file system kept a zero-filled
// line and part of the next one. verify reads the directory as it is, names both as
// what a crash leaves, passes and writes nothing (AT-4); the next open cuts them and
// records the cut in the trail (SR-2).
TEST_F(CrashWindowTest, TornWriteIsNotedByVerifyAndCutByTheNextOpen) {
  namespace fs = std::filesystem;
  const uint64_t size = MakeLedger();
  ASSERT_GT(size, 0u);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_ + "/ledger/segments")) names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  const std::string segment = names.back();
  const std::string intact = ReadFileOrDie(segment);
  const std::string zeros(40, '\0'), torn = "{\"actor\":\"u-cra";
  WriteFileOrDie(segment, intact + zeros + "\n" + torn);
  const std::string rel = "ledger/segments/" + fs::path(segment).filename().string();

  const auto files = SnapshotFiles(dir_);
  ProcessResult v = RunCli(dir_, {"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_THAT(v.out, HasSubstr(fmt::format("NOTE: the last 1 line(s) of the ledger, from {}:{}, are not JSON",
                                           rel, intact.size())));
  EXPECT_THAT(v.out, HasSubstr(fmt::format("NOTE: {}:{} ends in an incomplete line of {} bytes", rel,
                                           intact.size() + zeros.size() + 1, torn.size())));
  EXPECT_TRUE(SnapshotFiles(dir_) == files) << "verify changed the data directory";

  {
    auto opened = app::Vellum::Open(dir_);
    ASSERT_OK(opened.status());
    const ledger::OpenReport& report = (*opened)->open_report();
    EXPECT_EQ(report.invalid_tail_events_removed, 1u);
    EXPECT_EQ(report.torn_tail_bytes, torn.size());
    ASSERT_EQ((*opened)->Size(), size + 1);
    ASSERT_OK_AND_ASSIGN(std::string line, (*opened)->ledger().ReadEvent(size));
    ASSERT_OK_AND_ASSIGN(ledger::Event recovered, ledger::DecodeEvent(line));
    EXPECT_EQ(recovered.type, "system.recovered");
    EXPECT_EQ(recovered.data.at("unreadable_lines_removed").to_number<uint64_t>(), 1u);
    EXPECT_EQ(recovered.data.at("incomplete_line_bytes_removed").to_number<uint64_t>(), torn.size());
    EXPECT_FALSE(recovered.data.contains("applied_to_records_db"));
  }
  EXPECT_EQ(ReadFileOrDie(segment).substr(0, intact.size() + 1), intact + "{");
  ExpectOpensAndContinues(size + 1);
}

// Killed inside an atomic file write (temp file written, not yet renamed): a
// checkpoint, the tree's durable size, or a rebuilt offset index.
TEST_F(CrashWindowTest, LeftoversOfAtomicWrites) {
  namespace fs = std::filesystem;
  const uint64_t size = MakeLedger();
  ASSERT_GT(size, 0u);
  const std::vector<std::string> leftovers = {
      fmt::format("{}/ledger/checkpoints/{:020}.note.tmp.Ab3dEf", dir_, size),
      dir_ + "/ledger/tree/synced.tmp.Q1w2E3",
      fmt::format("{}/ledger/offsets/{:020}.idx.tmp.zZ9yY8", dir_, 0),
  };
  for (const auto& path : leftovers) WriteFileOrDie(path, "partial");
  // verify reads only: it names the leftovers and leaves them (AT-4).
  ProcessResult v = RunCli(dir_, {"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_THAT(v.out, HasSubstr("3 temporary file(s) of an interrupted write")) << v.out;
  for (const auto& path : leftovers) EXPECT_TRUE(fs::exists(path)) << path;
  // The next open removes them (SR-2).
  ASSERT_OK(app::Vellum::Open(dir_).status());
  for (const auto& path : leftovers) EXPECT_FALSE(fs::exists(path)) << path;
  ExpectOpensAndContinues(size);
}

}  // namespace
}  // namespace vellum::testing
