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
#include "testing/identity_fixture.h"
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
    auto v = InitWithAdmin(tmp_.Sub("data"), init, o);
    ASSERT_OK(v.status());
    v_ = std::move(*v);
    ASSERT_OK_AND_ASSIGN(app::Principal admin, SignInAdmin(*v_));
    // The sixteen writing threads share four annotators (provisioning a person costs
    // ~4 argon2id hashes; who writes does not matter to the group commit).
    for (int i = 0; i < 4; ++i) {
      ASSERT_OK_AND_ASSIGN(app::Principal p, AddPerson(*v_, admin,
                                                       {fmt::format("u-{}", i),
                                                        fmt::format("Annotator {}", i),
                                                        {identity::Role::kAnnotator}}));
      annotators_.push_back(std::move(p));
    }
    ASSERT_OK_AND_ASSIGN(quality_, AddPerson(*v_, admin, TeamMember(identity::Role::kQuality)));
    // The importer is a machine: a service account with an API key (DC-1).
    ASSERT_OK_AND_ASSIGN(
        importer_, AddServiceAccount(*v_, admin, "svc-importer", "PACS importer",
                                     {identity::Role::kAnnotator}, "pacs-export", "7.1", nullptr));
  }

  TempDir tmp_;
  FaultInjectionEnv env_;  // no faults: only counts operations
  std::unique_ptr<app::Vellum> v_;
  std::vector<app::Principal> annotators_;
  app::Principal quality_;  // reads back what was acknowledged
  app::Principal importer_;
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
      const app::Principal& actor = annotators_[static_cast<size_t>(t) % annotators_.size()];
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
  ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(*v_, quality_, acks));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v_));
  // Each batch syncs the segment once; at least one batch held several events.
  EXPECT_GE(syncs, 1u);
  EXPECT_LT(syncs, kEvents) << syncs << " fdatasyncs for " << kEvents
                            << " events: no group commit happened";
  RecordProperty("fdatasyncs", static_cast<int>(syncs));
}

// SR-1: nothing acknowledged is lost, nothing unacknowledged is projected.
// The projection writes a batch's rows while its events are synced and
// commits them only once they are durable. A failed sync among concurrent
// batches must fail exactly that batch's calls: every acknowledged event is
// stored and in records.db, and nothing of a failed call is. Which batches
// share the failed one's projection transaction is up to the scheduler here;
// failed_sync_test.cc forces durable batches into it (rollback and re-commit).
TEST_F(GroupCommitTest, FailedSyncAmongConcurrentBatchesFailsOnlyItsCalls) {
  const uint64_t first_seq = v_->Size();
  env_.FailNth(FaultOp::kSync, 4, UnavailableError("injected I/O error"));
  const WriteOutcome out = RunWriters(*v_, annotators_[0], 16, 25, "sync");
  env_.ClearFaults();
  EXPECT_FALSE(out.errors.empty()) << "no sync failed";
  for (const Status& e : out.errors) {
    EXPECT_THAT(e, StatusIs(StatusCode::kUnavailable, ::testing::HasSubstr("injected")));
  }
  std::vector<uint64_t> seqs;
  for (const Ack& a : out.acks) seqs.push_back(a.seq);
  std::sort(seqs.begin(), seqs.end());
  for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], first_seq + i) << "sequence not dense";
  EXPECT_EQ(v_->Size(), first_seq + out.acks.size());
  ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedPresent(*v_, quality_, out.acks));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v_));
  ASSERT_OK(v_->CreateRecord(annotators_[0], {"annotation", "after", {{"a", 1}}, std::nullopt, std::nullopt})
                .status()) << "writes go on";
}

// Commands handed over together (an importer's batch) are queued at once, so the
// sequencer takes them in one group commit: exactly one fdatasync for all of them.
TEST_F(GroupCommitTest, SubmitAllSharesOneFdatasync) {
  constexpr int kCommands = 100;
  std::vector<records::CreateRecord> commands;
  for (int i = 0; i < kCommands; ++i) {
    commands.push_back(
        {"case", fmt::format("case-{:04}", i), {{"i", i}}, std::nullopt, std::nullopt});
  }
  // Includes a command that fails on its own: it must not take the others down.
  commands.push_back({"case", "case-0000", {{"i", -1}}, std::nullopt, std::nullopt});
  const uint64_t first_seq = v_->Size();
  const uint64_t syncs_before = env_.OpCount(FaultOp::kSync);
  auto results = v_->CreateRecords(importer_, std::move(commands));
  EXPECT_EQ(env_.OpCount(FaultOp::kSync) - syncs_before, 1u);
  ASSERT_EQ(results.size(), static_cast<size_t>(kCommands + 1));
  for (int i = 0; i < kCommands; ++i) {
    ASSERT_OK(results[i].status());
    EXPECT_EQ(results[i]->seq, first_seq + static_cast<uint64_t>(i))
        << "results are in input order";
  }
  EXPECT_THAT(results.back().status(),
              StatusIs(StatusCode::kAlreadyExists, ::testing::HasSubstr("case-0000")));
  // DC-1: every event names the service account and its source system.
  EXPECT_EQ(results.front()->actor.id, "svc-importer");
  ASSERT_TRUE(results.front()->actor.source.has_value());
  EXPECT_EQ(results.front()->actor.source->at("system").as_string(), "pacs-export");
  EXPECT_EQ(v_->Size(), first_seq + kCommands);
  ASSERT_NO_FATAL_FAILURE(ExpectVerifies(*v_));
}

// Event ids are drawn from blocks of random bytes; across several blocks
// (256 ids each) every id is still 32 lower-case hex digits and none repeats.
TEST_F(GroupCommitTest, EventIdsStayRandomHexAndDistinctAcrossBlocks) {
  constexpr int kCommands = 700;
  std::vector<records::CreateRecord> commands;
  for (int i = 0; i < kCommands; ++i) {
    commands.push_back({"case", fmt::format("ids-{:04}", i), {{"i", i}}, std::nullopt, std::nullopt});
  }
  auto results = v_->CreateRecords(importer_, std::move(commands));
  std::vector<std::string> ids;
  for (auto& r : results) {
    ASSERT_OK(r.status());
    ASSERT_EQ(r->id.size(), 32u);
    for (char c : r->id) ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << r->id;
    ids.push_back(r->id);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end()) << "an event id repeated";
}

}  // namespace
}  // namespace vellum::testing
