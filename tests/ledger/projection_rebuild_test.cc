// ledger::RebuildProjection (AT-4: the projection is rebuildable from the
// trail): the rebuilt rows equal the ones the appends wrote, in any engine;
// an event that does not continue the ledger, or one that cannot be applied,
// stops it naming the event; it only fills a projection that has applied nothing.
#include "ledger/projection_rebuild.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "records/records.h"
#include "storage/memory/memory_log_store.h"
#include "storage/memory/memory_projection_store.h"
#include "testing/direct_ledger.h"
#include "testing/status_matchers.h"

namespace vellum::testing {
namespace {

using ::testing::HasSubstr;
using storage::MemoryLogState;
using storage::MemoryLogStore;
using storage::MemoryProjectionStore;

constexpr char kOrigin[] = "vellum.test/rebuild";
constexpr char kType[] = "annotation";

class ProjectionRebuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(parts_.Init());
    ledger::LedgerOptions o;
    o.origin = kOrigin;
    ASSERT_OK_AND_ASSIGN(ledger_, ledger::Ledger::Create(parts_.Deps(core::Env::Default(), &log_, &appended_),
                                                         o, DirectLedgerParts::Writer(), parts_.GenesisData()));
    // Creations in calls of 100, then a modification and a deletion.
    for (int call = 0; call < 50; ++call) {
      std::vector<ledger::Decider> deciders;
      for (int i = 0; i < 100; ++i) {
        ASSERT_OK_AND_ASSIGN(ledger::Decider d,
                             records::DecideCreate({kType, fmt::format("a-{}-{}", call, i),
                                                    {{"label", "nodule"}, {"n", i}}, std::nullopt, std::nullopt}));
        deciders.push_back(std::move(d));
      }
      for (const auto& r : ledger_->SubmitAll(DirectLedgerParts::Writer(), std::move(deciders))) ASSERT_OK(r.status());
    }
    ASSERT_OK_AND_ASSIGN(ledger::Decider modify, records::DecideModify({kType, "a-0-1", {{"label", "mass"}},
                                                                        "second look", std::nullopt, std::nullopt}));
    ASSERT_OK(ledger_->Submit(DirectLedgerParts::Writer(), std::move(modify)).status());
    ASSERT_OK_AND_ASSIGN(ledger::Decider remove, records::DecideDelete({kType, "a-0-2", "duplicate", std::nullopt}));
    ASSERT_OK(ledger_->Submit(DirectLedgerParts::Writer(), std::move(remove)).status());
    ledger_.reset();
  }

  // Every row of `store`, as text.
  static std::string Rows(storage::ProjectionStore& store) {
    auto reader = store.BeginRead(true);
    EXPECT_OK(reader.status());
    std::string out;
    auto counts = (*reader)->CountRows();
    EXPECT_OK(counts.status());
    for (int64_t seq = 0; seq <= counts->max_event_seq; ++seq) {
      auto e = (*reader)->IndexedEvent(static_cast<uint64_t>(seq));
      if (e.ok() && *e) out += fmt::format("{} {} {} {}\n", (*e)->seq, (*e)->type, (*e)->record_id, (*e)->ts);
      auto v = (*reader)->VersionBySeq(static_cast<uint64_t>(seq));
      if (v.ok() && *v) out += fmt::format("  v{} {} {}\n", (*v)->version, (*v)->deleted, (*v)->content);
    }
    return out;
  }

  DirectLedgerParts parts_{kOrigin};
  std::shared_ptr<MemoryLogState> state_ = std::make_shared<MemoryLogState>();
  MemoryLogStore log_{state_};
  MemoryProjectionStore appended_;
  std::unique_ptr<ledger::Ledger> ledger_;
  records::RecordsProjector projector_;
};

// AT-4: more events than one chunk; the rebuilt rows are the appended ones,
// and progress is told as the chunks are committed.
TEST_F(ProjectionRebuildTest, RebuiltRowsAreTheAppendedOnes) {
  MemoryProjectionStore fresh;
  std::vector<uint64_t> told;
  ASSERT_OK_AND_ASSIGN(uint64_t n, ledger::RebuildProjection(log_, fresh, projector_, [&](uint64_t done, uint64_t) {
                         told.push_back(done);
                       }));
  EXPECT_EQ(n, log_.EventCount());
  ASSERT_OK_AND_ASSIGN(uint64_t applied, fresh.AppliedCount());
  EXPECT_EQ(applied, n);
  EXPECT_EQ(Rows(fresh), Rows(appended_));
  ASSERT_GE(told.size(), 2u);
  EXPECT_EQ(told.front(), 4096u);
  EXPECT_EQ(told.back(), n);
}

// An event removed from the middle: the next one does not continue the ledger.
TEST_F(ProjectionRebuildTest, EventThatDoesNotContinueTheLedgerStopsIt) {
  {
    std::unique_lock lock(state_->mu);
    state_->events.erase(state_->events.begin() + 4500);
  }
  MemoryProjectionStore fresh;
  auto r = ledger::RebuildProjection(log_, fresh, projector_);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("event 4500 does not continue the ledger"));
}

// A line that is not an event at all.
TEST_F(ProjectionRebuildTest, UndecodableEventStopsIt) {
  {
    std::unique_lock lock(state_->mu);
    state_->events[7] = "{\"not\":\"an event\"}";
  }
  MemoryProjectionStore fresh;
  auto r = ledger::RebuildProjection(log_, fresh, projector_);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("event 7:"));
}

TEST_F(ProjectionRebuildTest, OnlyFillsAnEmptyProjection) {
  auto r = ledger::RebuildProjection(log_, appended_, projector_);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace vellum::testing
