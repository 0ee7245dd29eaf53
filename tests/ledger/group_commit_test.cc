// Group commit under concurrency (SR-1): many threads write at once through the
// real service; every call gets its own durable event with a unique, gap-free
// sequence number, and events of concurrent calls share fdatasyncs.
//
// "Shared" is observed by counting: FaultInjectionEnv (with no faults armed)
// counts the WritableFile::Sync calls, one per group commit of the open segment
// while no checkpoint or segment roll is due. Fewer syncs than events means some
// batch carried several events. No timing is measured.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/vellum.h"
#include "testing/ack_checks.h"
#include "testing/fault_env.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::testing {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    app::InitOptions init;
    init.origin = "vellum.test/group-commit";
    app::OpenOptions o;
    o.env = &env_;
    auto v = app::Vellum::Init(tmp_.Sub("data"), init, o);
    ASSERT_OK(v.status());
    v_ = std::move(*v);
  }

  TempDir tmp_;
  FaultInjectionEnv env_;  // no faults: only counts operations
  std::unique_ptr<app::Vellum> v_;
};

TEST_F(GroupCommitTest, SixteenThreadsGetDenseSequenceAndShareFdatasyncs) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 25;
  const uint64_t first_seq = v_->Size();
  const uint64_t syncs_before = env_.OpCount(FaultOp::kSync);
  std::mutex mu;
  std::vector<Ack> acks;
  std::vector<Status> errors;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ledger::Actor actor;
      actor.id = fmt::format("u-{}", t);
      actor.name = fmt::format("Annotator {}", t);
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = fmt::format("t{}-{}", t, i);
        auto e = v_->CreateRecord(
            actor, {"annotation", id, {{"thread", t}, {"i", i}}, std::nullopt, std::nullopt});
        std::lock_guard lock(mu);
        if (e.ok()) {
          acks.push_back(AckOf(*e));
        } else {
          errors.push_back(e.status());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const uint64_t syncs = env_.OpCount(FaultOp::kSync) - syncs_before;
  constexpr uint64_t kEvents = kThreads * kPerThread;

  ASSERT_THAT(errors, ::testing::IsEmpty());
  ASSERT_EQ(acks.size(), kEvents);
  std::vector<uint64_t> seqs;
  for (const Ack& a : acks) seqs.push_back(a.seq);
  std::sort(seqs.begin(), seqs.end());
  for (uint64_t i = 0; i < kEvents; ++i)
    ASSERT_EQ(seqs[i], first_seq + i) << "sequence not unique and dense";
  EXPECT_EQ(v_->Size(), first_seq + kEvents);
  ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(*v_, acks));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v_));
  // Each batch syncs the segment once; at least one batch held several events.
  EXPECT_GE(syncs, 1u);
  EXPECT_LT(syncs, kEvents) << syncs << " fdatasyncs for " << kEvents
                            << " events: no group commit happened";
  RecordProperty("fdatasyncs", static_cast<int>(syncs));
}

// Commands handed over together (an importer's batch) are queued at once, so the
// sequencer takes them in one group commit: exactly one fdatasync for all of them.
TEST_F(GroupCommitTest, SubmitAllSharesOneFdatasync) {
  constexpr int kCommands = 100;
  std::vector<ledger::Decider> deciders;
  for (int i = 0; i < kCommands; ++i) {
    auto d = records::DecideCreate(
        {"case", fmt::format("case-{:04}", i), {{"i", i}}, std::nullopt, std::nullopt});
    ASSERT_OK(d.status());
    deciders.push_back(std::move(*d));
  }
  // Includes a command that fails on its own: it must not take the others down.
  auto dup = records::DecideCreate({"case", "case-0000", {{"i", -1}}, std::nullopt, std::nullopt});
  ASSERT_OK(dup.status());
  deciders.push_back(std::move(*dup));
  ledger::Actor importer;
  importer.id = "svc-importer";
  importer.name = "PACS importer";
  const uint64_t first_seq = v_->Size();
  const uint64_t syncs_before = env_.OpCount(FaultOp::kSync);
  auto results = v_->SubmitAll(importer, std::move(deciders));
  EXPECT_EQ(env_.OpCount(FaultOp::kSync) - syncs_before, 1u);
  ASSERT_EQ(results.size(), static_cast<size_t>(kCommands + 1));
  for (int i = 0; i < kCommands; ++i) {
    ASSERT_OK(results[i].status());
    EXPECT_EQ(results[i]->seq, first_seq + static_cast<uint64_t>(i))
        << "results are in input order";
  }
  EXPECT_THAT(results.back().status(),
              StatusIs(StatusCode::kAlreadyExists, ::testing::HasSubstr("case-0000")));
  EXPECT_EQ(v_->Size(), first_seq + kCommands);
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v_));
}

}  // namespace
}  // namespace vellum::testing
