// The controlled clock (AT-6) on the real binary, with the system clock moved by
// libfaketime: the process sees a different CLOCK_REALTIME, exactly as after an
// operator or NTP step. Skips when `faketime` is not installed.
//
// Notes on libfaketime (Debian's faketime 0.9.10): an offset must be given with -f
// ("faketime -f -2d"; the plain form "faketime -2d" is rejected by the wrapper as an
// unrecognised timestamp), and -m picks the thread-safe library, since the
// sequencer thread reads the clock. A fixed offset needs no FAKETIME_NO_CACHE
// (the cache only matters when the spec changes while the process runs).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "core/json.h"
#include "ledger/event.h"
#include "testing/identity_fixture.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int kExitRefused = 3;  // docs/cli.md
constexpr int64_t kDay = 86'400'000'000;

class FaketimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveProgram("faketime"))
      GTEST_SKIP() << "faketime is not installed (Debian package faketime)";
  }

  // `vellum --data <dir_> args...` as `user`, under libfaketime when `fake_offset` is set.
  ProcessResult Vellum(std::vector<std::string> args, const std::string& input = "",
                       const std::string& fake_offset = "", const std::string& user = "") {
    std::vector<std::string> argv;
    if (!fake_offset.empty()) argv = {"faketime", "-m", "-f", fake_offset};
    argv.insert(argv.end(), {VellumBinary(), "--data", dir_});
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, input, cli_.Env(user));
  }

  // `init --admin …` (under libfaketime when `fake_offset` is set) and the administrator's
  // sign-in: the administrator reads the trail (audit.read) in these tests.
  void Init(std::vector<std::string> extra, const std::string& fake_offset = "") {
    std::vector<std::string> args = {"init",
                                     "--origin",
                                     "vellum.test/faketime",
                                     "--admin",
                                     kAdminId,
                                     "--admin-name",
                                     kAdminName,
                                     "--admin-email",
                                     kAdminEmail,
                                     "--password-file",
                                     cli_.PasswordFile(kAdminId)};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult init = Vellum(args, "", fake_offset);
    ASSERT_EQ(init.exit_code, 0) << init.err;
    ProcessResult login = cli_.Login(kAdminId);
    ASSERT_EQ(login.exit_code, 0) << login.err;
  }

  // Dr. Rivera writes the notes: a project manager (record.create).
  void AddWriter() {
    ASSERT_TRUE(cli_.AddPerson({kWriter, "Dr. A. Rivera", {identity::Role::kProjectManager}}));
  }

  ProcessResult Create(const std::string& id, const std::string& fake_offset = "") {
    return Vellum({"--format", "jsonl", "record", "create", "--type", "note", "--id", id},
                  R"({"text":"observation"})", fake_offset, kWriter);
  }

  std::vector<ledger::Event> Log(std::vector<std::string> filter = {}) {
    std::vector<std::string> args = {"log", "--format", "jsonl"};
    args.insert(args.end(), filter.begin(), filter.end());
    ProcessResult r = Vellum(args, "", "", kAdminId);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<ledger::Event> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      auto e = ledger::DecodeEvent(line);
      EXPECT_OK(e.status());
      if (e.ok()) out.push_back(*e);
    }
    return out;
  }

  void ExpectVerifiesWithOrderIntact() {
    ProcessResult v = Vellum({"verify"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    // Notes (the events no checkpoint covers yet) come before the verdict.
    EXPECT_THAT(v.out, AnyOf(StartsWith("OK: "), HasSubstr("\nOK: ")));
    int64_t last_ts = 0;
    uint64_t seq = 0;
    for (const auto& e : Log()) {
      EXPECT_EQ(e.seq, seq++);
      EXPECT_GE(e.ts, last_ts) << "time went backwards at seq " << e.seq;
      last_ts = e.ts;
    }
  }

  static constexpr char kWriter[] = "u-1";
  TempDir tmp_;
  std::string dir_ = tmp_.Sub("data");
  CliDataDir cli_{dir_, tmp_.Sub("secrets")};
};

// AT-6: two days back: the write is refused (exit 3) naming the clock, one
// security.clock_anomaly event is recorded at the last good time, the ledger
// verifies, and the next process with the right clock writes again.
TEST_F(FaketimeTest, ClockTwoDaysBackRefusesTheWriteAndRecordsIt) {
  ASSERT_NO_FATAL_FAILURE(Init({}));
  ASSERT_NO_FATAL_FAILURE(AddWriter());
  ProcessResult first = Create("n-1");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::vector<ledger::Event> before = Log();
  ASSERT_FALSE(before.empty());
  ASSERT_TRUE(before.back().record.has_value());
  EXPECT_EQ(before.back().record->id, "n-1");

  ProcessResult faked = Create("n-2", "-2d");
  EXPECT_EQ(faked.exit_code, kExitRefused) << faked.out << faked.err;
  EXPECT_THAT(faked.err, HasSubstr("clock"));
  EXPECT_THAT(faked.err, HasSubstr("moved back"));
  EXPECT_EQ(faked.out, "") << "nothing was written";

  std::vector<ledger::Event> anomalies = Log({"--action", "security.clock_anomaly"});
  ASSERT_EQ(anomalies.size(), 1u);
  const ledger::Event& a = anomalies[0];
  EXPECT_EQ(a.seq, before.size());
  EXPECT_EQ(a.actor.id, "system");
  EXPECT_EQ(a.ts, before.back().ts);
  const int64_t backward = a.data.at("backward_us").to_number<int64_t>();
  EXPECT_GT(backward, 2 * kDay - 60'000'000) << "about two days";
  EXPECT_LT(backward, 2 * kDay + 60'000'000);
  EXPECT_EQ(a.data.at("action").as_string(), "writes stopped");
  EXPECT_THAT(Log({"--record", "note/n-2"}), ::testing::IsEmpty());
  ExpectVerifiesWithOrderIntact();

  // The refused run still marked the writer's session as used at the faked time, two
  // days back, so with the clock right again it looks idle for two days: signing in
  // again records that old session's end (idle timeout) and the new login, then the write.
  ProcessResult login = cli_.Login(kWriter);
  ASSERT_EQ(login.exit_code, 0) << login.err;
  ProcessResult again = Create("n-3");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr(fmt::format("\"seq\":{}", before.size() + 3)));
  ExpectVerifiesWithOrderIntact();
}

// AT-6: a step back within the tolerance is absorbed: the write succeeds and its
// time is not earlier than the last event's.
TEST_F(FaketimeTest, SmallStepBackWithinToleranceIsHeld) {
  ASSERT_NO_FATAL_FAILURE(Init({"--clock-tolerance-ms", "10000"}));
  ASSERT_NO_FATAL_FAILURE(AddWriter());
  ASSERT_EQ(Create("n-1").exit_code, 0);
  ProcessResult faked = Create("n-2", "-3s");
  ASSERT_EQ(faked.exit_code, 0) << faked.err;
  std::vector<ledger::Event> log = Log();
  ASSERT_GE(log.size(), 2u);
  const ledger::Event& n1 = log[log.size() - 2];
  const ledger::Event& n2 = log.back();
  ASSERT_TRUE(n1.record.has_value() && n2.record.has_value());
  EXPECT_EQ(n1.record->id, "n-1");
  EXPECT_EQ(n2.record->id, "n-2");
  EXPECT_GE(n2.ts, n1.ts);
  EXPECT_THAT(Log({"--action", "security.clock_anomaly"}), ::testing::IsEmpty());
  ExpectVerifiesWithOrderIntact();
  // Beyond this ledger's larger tolerance the write is refused all the same.
  EXPECT_EQ(Create("n-3", "-1d").exit_code, kExitRefused);
  EXPECT_EQ(Log({"--action", "security.clock_anomaly"}).size(), 1u);
}

// AT-6: the clock state recorded at start says when libfaketime was in play, so
// such a record never passes for real synchronised time.
TEST_F(FaketimeTest, GenesisSaysTheClockWasFaked) {
  ASSERT_NO_FATAL_FAILURE(Init({}, "+0s"));
  std::vector<ledger::Event> log = Log();
  ASSERT_FALSE(log.empty());
  const auto& clock = log[0].data.at("clock").as_object();
  EXPECT_EQ(clock.at("source").as_string(), "CLOCK_REALTIME");
  ASSERT_TRUE(clock.contains("libfaketime"));
  EXPECT_TRUE(clock.at("libfaketime").as_bool());
}

}  // namespace
}  // namespace vellum::testing
