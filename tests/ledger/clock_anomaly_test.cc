// The controlled clock (AT-6) through the real service with a settable clock:
// timestamps come from the server clock only and never go backwards; a step back
// within the tolerance is absorbed by holding time at the last event's; a step
// back beyond it stops writes and records one security event.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "app/vellum.h"
#include "core/clock.h"
#include "ledger/event.h"
#include "testing/ack_checks.h"
#include "testing/identity_fixture.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kTolerance = 1 * kSecond;  // clock_tolerance_ms = 1000 (the default)

int64_t T0() { return core::ParseTimestamp("2026-03-01T12:00:00Z").value(); }

class ClockAnomalyTest : public ::testing::Test {
 protected:
  ClockAnomalyTest() : clock_(T0()) {}

  // The team signs in at T0, before any test moves the clock.
  void SetUp() override {
    app::InitOptions init;
    init.origin = "vellum.test/clock";
    init.config.clock_tolerance_ms = kTolerance / 1000;
    auto v = InitWithAdmin(dir_, init, Options());
    ASSERT_OK(v.status());
    v_ = std::move(*v);
    ASSERT_OK_AND_ASSIGN(app::Principal admin, SignInAdmin(*v_));
    ASSERT_OK_AND_ASSIGN(
        actor_, AddPerson(*v_, admin, {"u-1", "Dr. A. Rivera", {identity::Role::kAnnotator}}));
    ASSERT_OK_AND_ASSIGN(quality_, AddPerson(*v_, admin, TeamMember(identity::Role::kQuality)));
  }

  app::OpenOptions Options() {
    app::OpenOptions o;
    o.clock = &clock_;
    return o;
  }

  void Reopen() {
    v_.reset();
    auto v = app::Vellum::Open(dir_, Options());
    ASSERT_OK(v.status());
    v_ = std::move(*v);
  }

  StatusOr<ledger::Event> Create(const std::string& id) {
    return v_->CreateRecord(
        actor_, {"note", id, boost::json::object{{"id", id}}, std::nullopt, std::nullopt});
  }

  ledger::Event EventAt(uint64_t seq) {
    auto line = v_->ReadEvent(quality_, seq);
    EXPECT_OK(line.status());
    auto e = ledger::DecodeEvent(line.ok() ? *line : "");
    EXPECT_OK(e.status());
    return e.ok() ? *e : ledger::Event{};
  }

  std::vector<ledger::Event> Anomalies() {
    std::vector<ledger::Event> out;
    storage::EventQuery q;
    q.type = "security.clock_anomaly";
    EXPECT_OK(v_->QueryEvents(quality_, q, [&](uint64_t, const std::string& line) -> Status {
      ASSIGN_OR_RETURN(ledger::Event e, ledger::DecodeEvent(line));
      out.push_back(std::move(e));
      return OkStatus();
    }));
    return out;
  }

  // Every event in order: seq dense from 0 and time never going backwards.
  void ExpectOrderIntact() {
    int64_t last_ts = 0;
    for (uint64_t seq = 0; seq < v_->Size(); ++seq) {
      ledger::Event e = EventAt(seq);
      EXPECT_EQ(e.seq, seq);
      EXPECT_GE(e.ts, last_ts) << "time went backwards at seq " << seq;
      last_ts = e.ts;
    }
  }

  TempDir tmp_;
  std::string dir_ = tmp_.Sub("data");
  core::FakeClock clock_;
  std::unique_ptr<app::Vellum> v_;
  app::Principal actor_;    // an annotator: writes the notes
  app::Principal quality_;  // reads the trail and signs checkpoints
};

// AT-6: the clock source and its synchronisation state are in the genesis event.
TEST_F(ClockAnomalyTest, GenesisRecordsTheClock) {
  ledger::Event genesis = EventAt(0);
  ASSERT_TRUE(genesis.data.contains("clock"));
  EXPECT_EQ(genesis.data.at("clock").at("source").as_string(), "fake");
  EXPECT_TRUE(genesis.data.at("clock").at("synchronized").as_bool());
  EXPECT_EQ(genesis.ts, T0());
}

// AT-6: steps back up to the tolerance (inclusive) hold time at the last event's;
// time moves on as soon as the clock passes it again. No security event.
TEST_F(ClockAnomalyTest, StepBackWithinToleranceHoldsTime) {
  clock_.Set(T0() + 10 * kSecond);
  ASSERT_OK_AND_ASSIGN(auto a, Create("a"));
  EXPECT_EQ(a.ts, T0() + 10 * kSecond);
  clock_.Set(a.ts - kSecond / 2);
  ASSERT_OK_AND_ASSIGN(auto b, Create("b"));
  EXPECT_EQ(b.ts, a.ts) << "held at the last event's time";
  clock_.Set(a.ts - kTolerance);  // exactly the tolerance: still absorbed
  ASSERT_OK_AND_ASSIGN(auto c, Create("c"));
  EXPECT_EQ(c.ts, a.ts);
  clock_.Set(a.ts + 3);
  ASSERT_OK_AND_ASSIGN(auto d, Create("d"));
  EXPECT_EQ(d.ts, a.ts + 3);
  EXPECT_THAT(Anomalies(), ::testing::IsEmpty());
  ExpectOrderIntact();
  ExpectVerifies(*v_);
}

// AT-6: a step back beyond the tolerance fails the write naming the clock, appends
// exactly one security.clock_anomaly event, and stops every later write, from any
// thread, even once the clock is right again, until a restart.
TEST_F(ClockAnomalyTest, StepBackBeyondToleranceStopsWritesAndRecordsOneEvent) {
  clock_.Set(T0() + 60 * kSecond);
  ASSERT_OK_AND_ASSIGN(auto a, Create("a"));
  const uint64_t size_before = v_->Size();
  const int64_t behind = a.ts - kTolerance - 1;
  clock_.Set(behind);

  auto refused = Create("b");
  EXPECT_THAT(refused.status(), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("clock")));
  ASSERT_EQ(v_->Size(), size_before + 1) << "exactly one event: the security event";

  ledger::Event anomaly = EventAt(size_before);
  EXPECT_EQ(anomaly.type, "security.clock_anomaly");
  EXPECT_EQ(anomaly.actor.id, "system");
  EXPECT_FALSE(anomaly.record.has_value());
  EXPECT_EQ(anomaly.ts, a.ts) << "stamped with the last good time, so order stays intact";
  EXPECT_EQ(anomaly.data.at("observed").as_string(), core::FormatTimestamp(behind));
  EXPECT_EQ(anomaly.data.at("last_event").as_string(), core::FormatTimestamp(a.ts));
  EXPECT_EQ(anomaly.data.at("backward_us").to_number<int64_t>(), kTolerance + 1);
  EXPECT_EQ(anomaly.data.at("tolerance_us").to_number<int64_t>(), kTolerance);
  EXPECT_EQ(anomaly.data.at("action").as_string(), "writes stopped");
  EXPECT_THAT(std::string(anomaly.data.at("detail").as_string()), HasSubstr("clock moved back"));
  EXPECT_THAT(v_->GetRecord(actor_, "note", "b").status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("b")));

  // Stopped for everyone, whatever the clock says now.
  clock_.Set(a.ts + 3600 * kSecond);
  std::atomic<int> refused_count{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        auto e = Create(fmt::format("t{}-{}", t, i));
        if (!e.ok() && e.status().code() == StatusCode::kFailedPrecondition &&
            e.status().message().find("clock") != std::string::npos) {
          ++refused_count;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(refused_count.load(), 20);
  EXPECT_THAT(
      v_->ModifyRecord(actor_,
                       {"note", "a", {{"id", "changed"}}, "fix", std::nullopt, std::nullopt})
          .status(),
      StatusIs(StatusCode::kFailedPrecondition, AllOf(HasSubstr("stopped"), HasSubstr("clock"))));
  EXPECT_THAT(v_->DeleteRecord(actor_, {"note", "a", "withdrawn", std::nullopt}).status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("clock")));
  // No checkpoint is signed over a tree built under a bad clock.
  EXPECT_THAT(v_->MakeCheckpoint(quality_).status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("clock")));
  EXPECT_EQ(v_->Size(), size_before + 1);
  EXPECT_EQ(Anomalies().size(), 1u);
  ExpectOrderIntact();
  ExpectVerifies(*v_);
}

// AT-6: a restart with the clock still behind records the anomaly again at the
// first write attempt (and refuses it); with the clock corrected, writes resume.
TEST_F(ClockAnomalyTest, RestartRecordsAgainUntilTheClockIsFixed) {
  clock_.Set(T0() + 60 * kSecond);
  ASSERT_OK_AND_ASSIGN(auto a, Create("a"));
  clock_.Set(a.ts - 3600 * kSecond);
  EXPECT_THAT(Create("b").status(), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("clock")));
  ASSERT_EQ(Anomalies().size(), 1u);

  ASSERT_NO_FATAL_FAILURE(Reopen());  // still an hour behind
  const uint64_t size = v_->Size();
  EXPECT_THAT(Create("c").status(), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("clock")));
  EXPECT_THAT(Create("d").status(), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("clock")));
  EXPECT_EQ(v_->Size(), size + 1);
  std::vector<ledger::Event> anomalies = Anomalies();
  ASSERT_EQ(anomalies.size(), 2u);
  EXPECT_EQ(anomalies[1].seq, size);
  EXPECT_EQ(anomalies[1].ts, a.ts);
  ExpectVerifies(*v_);

  clock_.Set(a.ts + kSecond);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_OK_AND_ASSIGN(auto e, Create("e"));
  EXPECT_EQ(e.seq, size + 1);
  EXPECT_EQ(e.ts, a.ts + kSecond);
  ASSERT_OK(v_->MakeCheckpoint(quality_).status());
  EXPECT_EQ(Anomalies().size(), 2u);
  ExpectOrderIntact();
  ExpectVerifies(*v_);
}

// AT-6: an importer's batch (one CreateRecords, one group commit) under a bad clock:
// the first command that sees it records the event; no command of the batch is
// written, and the sequence stays dense.
TEST_F(ClockAnomalyTest, AnomalyInsideABatch) {
  clock_.Set(T0() + 60 * kSecond);
  ASSERT_OK_AND_ASSIGN(auto a, Create("a"));
  clock_.Set(a.ts - 5 * kSecond);
  std::vector<records::CreateRecord> commands;
  for (int i = 0; i < 5; ++i) {
    commands.push_back(
        {"note", fmt::format("batch-{}", i), {{"i", i}}, std::nullopt, std::nullopt});
  }
  auto results = v_->CreateRecords(actor_, std::move(commands));
  ASSERT_EQ(results.size(), 5u);
  for (const auto& r : results) {
    EXPECT_THAT(r.status(), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("clock")));
  }
  EXPECT_EQ(v_->Size(), a.seq + 2);
  EXPECT_EQ(Anomalies().size(), 1u);
  ExpectOrderIntact();
  ExpectVerifies(*v_);
}

// AT-6: the clock steps back in the middle of a group commit (set by the second
// command's decider, which runs on the sequencer just before that command is
// stamped). The command before it is written and acknowledged, the security event
// follows it, and everything after is refused. Hooking a decider needs the
// ledger's own SubmitAll (the service takes record commands, not deciders); the
// events carry the annotator's signed-in identity all the same.
TEST_F(ClockAnomalyTest, AnomalyInTheMiddleOfABatch) {
  clock_.Set(T0() + 60 * kSecond);
  std::vector<ledger::Decider> deciders;
  for (int i = 0; i < 3; ++i) {
    auto d = records::DecideCreate(
        {"note", fmt::format("mid-{}", i), {{"i", i}}, std::nullopt, std::nullopt});
    ASSERT_OK(d.status());
    if (i == 1) {
      deciders.push_back([this, inner = std::move(*d)](storage::ProjectionReader& state) {
        clock_.Set(T0());
        return inner(state);
      });
    } else {
      deciders.push_back(std::move(*d));
    }
  }
  const uint64_t first = v_->Size();
  auto results = v_->ledger().SubmitAll(actor_.Actor(), std::move(deciders));
  ASSERT_EQ(results.size(), 3u);
  ASSERT_OK(results[0].status());
  ASSERT_EQ(results[0]->size(), 1u);
  const ledger::Event& written = results[0]->front();
  EXPECT_EQ(written.seq, first);
  EXPECT_THAT(results[1].status(), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("clock")));
  EXPECT_THAT(results[2].status(), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("clock")));
  ASSERT_EQ(v_->Size(), first + 2);
  ledger::Event anomaly = EventAt(first + 1);
  EXPECT_EQ(anomaly.type, "security.clock_anomaly");
  EXPECT_EQ(anomaly.ts, written.ts);
  ASSERT_OK_AND_ASSIGN(auto view, v_->GetRecord(actor_, "note", "mid-0"));
  EXPECT_EQ(view.event.seq, first);
  EXPECT_EQ(view.event.actor.session, actor_.session_id);
  EXPECT_THAT(v_->GetRecord(actor_, "note", "mid-1").status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("mid-1")));
  ExpectOrderIntact();
  ExpectVerifies(*v_);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(*v_, quality_, {AckOf(written)}));
}

}  // namespace
}  // namespace vellum::testing
