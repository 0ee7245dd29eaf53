// The LogStore contract (storage/log_store.h), run against every engine: the
// embedded file engine and the in-memory one (tests/testing/memory_log_store.h).
// An engine added later (PostgreSQL) joins the list below and must pass
// the same tests: what the ledger relies on — every acknowledged event kept
// byte for byte and in order (SR-1), a tail cut only where asked, tree nodes
// durable up to the synced size and rebuilt past it (SR-2), checkpoints kept
// once per size (AT-5) — does not depend on how an engine stores it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/sha256.h"
#include "storage/embedded/file_log_store.h"
#include "storage/memory/memory_log_store.h"
#include "testing/status_matchers.h"
#include "testing/storage_engines.h"
#include "testing/test_env.h"

namespace vellum::storage {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using vellum::testing::TempDir;

using Engine = vellum::testing::StorageEngine<LogStore>;
using EngineCase = vellum::testing::StorageEngineCase<LogStore>;

class FileEngine final : public Engine {
 public:
  StatusOr<std::unique_ptr<LogStore>> Open() override {
    // Small segments, so that appends seal some of them on the way.
    FileLogStoreOptions options;
    options.max_segment_bytes = 2048;
    const std::string dir = tmp_.Sub("ledger");
    auto store = created_ ? FileLogStore::Open(core::Env::Default(), dir, options)
                          : FileLogStore::Create(core::Env::Default(), dir, options);
    created_ = true;
    if (!store.ok()) return store.status();
    return std::unique_ptr<LogStore>(std::move(*store));
  }

 private:
  TempDir tmp_;
  bool created_ = false;
};

class MemoryEngine final : public Engine {
 public:
  StatusOr<std::unique_ptr<LogStore>> Open() override { return std::make_unique<MemoryLogStore>(state_); }

 private:
  std::shared_ptr<MemoryLogState> state_ = std::make_shared<MemoryLogState>();
};

// Event lines of varying length and content (UTF-8 included), distinct per seq.
std::string EventLine(uint64_t seq) {
  return "{\"n\":" + std::to_string(seq) + ",\"text\":\"" + std::string(seq % 5 * 37, 'a') + "\xc3\xa9\"}";
}

std::vector<std::string> EventLines(uint64_t first, uint64_t count) {
  std::vector<std::string> out;
  for (uint64_t seq = first; seq < first + count; ++seq) out.push_back(EventLine(seq));
  return out;
}

core::Hash NodeHash(int level, uint64_t index) {
  return core::Sha256("level " + std::to_string(level) + " index " + std::to_string(index));
}

// The nodes of a perfect tree over leaves [0, size) that are new after `from`
// leaves: every level's entries from (from >> level) to (size >> level).
std::vector<TreeNode> NodesBetween(uint64_t from, uint64_t size) {
  std::vector<TreeNode> out;
  for (int level = 0; (size >> level) > 0; ++level) {
    for (uint64_t i = from >> level; i < (size >> level); ++i) out.push_back({level, i, NodeHash(level, i)});
  }
  return out;
}

class LogStoreConformanceTest : public vellum::testing::StorageConformanceTest<LogStore> {
 protected:
  // Every event the store holds, read back three ways, is EventLine(seq).
  void ExpectEvents(uint64_t count) {
    ASSERT_EQ(store_->EventCount(), count);
    uint64_t last_offset = 0;
    std::string last_file;
    for (uint64_t seq = 0; seq < count; ++seq) {
      ASSERT_OK_AND_ASSIGN(std::string line, store_->ReadEvent(seq));
      EXPECT_EQ(line, EventLine(seq)) << "seq " << seq;
      ASSERT_OK_AND_ASSIGN(EventLocation where, store_->LocateEvent(seq));
      EXPECT_FALSE(where.file.empty());
      if (where.file == last_file) {
        EXPECT_GT(where.offset, last_offset) << "seq " << seq;
      }
      last_file = where.file;
      last_offset = where.offset;
    }
    auto cursor = store_->Scan(0);
    uint64_t seq = 0;
    while (cursor->Next()) {
      EXPECT_EQ(cursor->seq(), seq);
      EXPECT_EQ(cursor->line(), EventLine(seq));
      EXPECT_EQ(cursor->offset(), cursor->location().offset);
      ++seq;
    }
    ASSERT_OK(cursor->status());
    EXPECT_EQ(seq, count);
    EXPECT_THAT(store_->ReadEvent(count), StatusIs(StatusCode::kNotFound, _));
    EXPECT_THAT(store_->LocateEvent(count), StatusIs(StatusCode::kNotFound, _));
  }
};

// SR-1: what AppendEvents acknowledged is there, byte for byte and in order,
// read by seq, by location and by scan, and still there after a restart.
TEST_P(LogStoreConformanceTest, AppendedEventsAreKeptInOrderAcrossRestarts) {
  ASSERT_NO_FATAL_FAILURE(ExpectEvents(0));
  EXPECT_EQ(store_->TornTailBytes(), 0u);
  uint64_t count = 0;
  for (uint64_t batch : {1, 7, 1, 40, 3}) {
    ASSERT_OK(store_->AppendEvents(EventLines(count, batch)));
    count += batch;
  }
  ASSERT_OK(store_->AppendEvents({}));
  ASSERT_NO_FATAL_FAILURE(ExpectEvents(count));
  ASSERT_NO_FATAL_FAILURE(Restart());
  ASSERT_NO_FATAL_FAILURE(ExpectEvents(count));
  EXPECT_EQ(store_->TornTailBytes(), 0u);
  // Appends go on after the restart.
  ASSERT_OK(store_->AppendEvents(EventLines(count, 5)));
  ASSERT_NO_FATAL_FAILURE(ExpectEvents(count + 5));
}

// A scan reads from any seq to the end as of its start; what is appended
// meanwhile is not part of it.
TEST_P(LogStoreConformanceTest, ScanStartsAnywhereAndEndsWhereTheLogEndedWhenItBegan) {
  ASSERT_OK(store_->AppendEvents(EventLines(0, 30)));
  auto from_middle = store_->Scan(17);
  ASSERT_OK(store_->AppendEvents(EventLines(30, 4)));
  std::vector<uint64_t> seen;
  while (from_middle->Next()) {
    EXPECT_EQ(from_middle->line(), EventLine(from_middle->seq()));
    seen.push_back(from_middle->seq());
  }
  ASSERT_OK(from_middle->status());
  EXPECT_EQ(seen.size(), 13u);
  EXPECT_EQ(seen.front(), 17u);
  EXPECT_EQ(seen.back(), 29u);
  for (uint64_t from : {34, 35, 1000}) {
    auto past_end = store_->Scan(from);
    EXPECT_FALSE(past_end->Next()) << "scan from " << from;
    EXPECT_OK(past_end->status());
  }
}

// SR-2: recovery cuts an unacknowledged tail and nothing else; the cut lasts
// across a restart and the next append takes the freed sequence numbers.
TEST_P(LogStoreConformanceTest, TruncateCutsTheTailOnly) {
  ASSERT_OK(store_->AppendEvents(EventLines(0, 20)));
  ASSERT_OK(store_->AppendEvents(EventLines(20, 6)));
  EXPECT_THAT(store_->TruncateEvents(27), StatusIs(StatusCode::kInvalidArgument, _));
  ASSERT_OK(store_->TruncateEvents(26));  // nothing to cut
  ASSERT_OK(store_->TruncateEvents(22));
  ASSERT_NO_FATAL_FAILURE(ExpectEvents(22));
  ASSERT_NO_FATAL_FAILURE(Restart());
  ASSERT_NO_FATAL_FAILURE(ExpectEvents(22));
  ASSERT_OK(store_->AppendEvents(EventLines(22, 3)));
  ASSERT_NO_FATAL_FAILURE(ExpectEvents(25));
}

// Tree nodes: appended level by level in order, read one at a time or in
// runs; out-of-order appends and reads past the end are refused as the
// contract says.
TEST_P(LogStoreConformanceTest, TreeNodesAreStoredPerLevelInOrder) {
  ASSERT_OK(store_->AppendNodes(NodesBetween(0, 5)));
  ASSERT_OK(store_->AppendNodes(NodesBetween(5, 13)));
  EXPECT_EQ(store_->NodeCount(0), 13u);
  EXPECT_EQ(store_->NodeCount(1), 6u);
  EXPECT_EQ(store_->NodeCount(2), 3u);
  EXPECT_EQ(store_->NodeCount(3), 1u);
  EXPECT_EQ(store_->NodeCount(4), 0u);
  EXPECT_EQ(store_->NodeCount(-1), 0u);
  EXPECT_EQ(store_->NodeCount(64), 0u);
  for (int level = 0; level < 4; ++level) {
    for (uint64_t i = 0; i < store_->NodeCount(level); ++i) {
      ASSERT_OK_AND_ASSIGN(core::Hash h, store_->Node(level, i));
      EXPECT_EQ(h, NodeHash(level, i)) << level << "/" << i;
    }
  }
  EXPECT_THAT(store_->Node(0, 13), StatusIs(StatusCode::kOutOfRange, _));
  EXPECT_THAT(store_->Node(5, 0), StatusIs(StatusCode::kOutOfRange, _));
  ASSERT_OK_AND_ASSIGN(std::vector<core::Hash> run, store_->ReadNodes(0, 10, 100));
  EXPECT_THAT(run, ElementsAre(NodeHash(0, 10), NodeHash(0, 11), NodeHash(0, 12)));
  ASSERT_OK_AND_ASSIGN(run, store_->ReadNodes(1, 2, 2));
  EXPECT_THAT(run, ElementsAre(NodeHash(1, 2), NodeHash(1, 3)));
  ASSERT_OK_AND_ASSIGN(run, store_->ReadNodes(0, 13, 4));
  EXPECT_TRUE(run.empty());
  EXPECT_THAT(store_->AppendNodes(std::vector<TreeNode>{{0, 15, NodeHash(0, 15)}}),
              StatusIs(StatusCode::kInternal, _));
  EXPECT_THAT(store_->AppendNodes(std::vector<TreeNode>{{1, 5, NodeHash(1, 5)}}),
              StatusIs(StatusCode::kInternal, _));
}

// SR-2: the tree is durable up to the synced size; a restart keeps exactly the
// nodes of that size and drops the rest, which the ledger then rebuilds.
TEST_P(LogStoreConformanceTest, RestartKeepsTheTreeUpToTheSyncedSize) {
  EXPECT_EQ(store_->TreeSyncedSize(), 0u);
  ASSERT_OK(store_->AppendEvents(EventLines(0, 23)));
  ASSERT_OK(store_->AppendNodes(NodesBetween(0, 11)));
  EXPECT_THAT(store_->SyncTree(12), StatusIs(StatusCode::kInternal, _));  // level 0 holds 11
  ASSERT_OK(store_->SyncTree(11));
  EXPECT_EQ(store_->TreeSyncedSize(), 11u);
  ASSERT_OK(store_->AppendNodes(NodesBetween(11, 23)));  // not synced
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_EQ(store_->TreeSyncedSize(), 11u);
  for (int level = 0; level < 64; ++level) {
    EXPECT_EQ(store_->NodeCount(level), uint64_t{11} >> level) << "level " << level;
  }
  ASSERT_OK_AND_ASSIGN(core::Hash kept, store_->Node(1, 4));
  EXPECT_EQ(kept, NodeHash(1, 4));
  // Rebuilt from where the durable tree ends.
  ASSERT_OK(store_->AppendNodes(NodesBetween(11, 23)));
  ASSERT_OK(store_->SyncTree(23));
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_EQ(store_->TreeSyncedSize(), 23u);
  EXPECT_EQ(store_->NodeCount(0), 23u);
  EXPECT_EQ(store_->NodeCount(4), 1u);
}

// AT-5: one checkpoint per tree size, kept byte for byte, listed by size.
TEST_P(LogStoreConformanceTest, CheckpointsAreKeptOncePerSize) {
  ASSERT_OK_AND_ASSIGN(std::optional<StoredCheckpoint> none, store_->LatestCheckpoint());
  EXPECT_FALSE(none.has_value());
  ASSERT_OK_AND_ASSIGN(std::vector<StoredCheckpoint> list, store_->ListCheckpoints());
  EXPECT_TRUE(list.empty());
  const std::string note1 = "origin\n1\nroot-1\n\n\xe2\x80\x94 key sig1\n";
  const std::string note9 = "origin\n9\nroot-9\n\n\xe2\x80\x94 key sig9\n";
  const std::string note30 = "origin\n30\nroot-30\n\n\xe2\x80\x94 key sig30\n";
  ASSERT_OK(store_->PutCheckpoint(9, note9));
  ASSERT_OK(store_->PutCheckpoint(1, note1));
  ASSERT_OK(store_->PutCheckpoint(30, note30));
  EXPECT_THAT(store_->PutCheckpoint(9, note30), StatusIs(StatusCode::kAlreadyExists, _));
  ASSERT_NO_FATAL_FAILURE(Restart());
  ASSERT_OK_AND_ASSIGN(list, store_->ListCheckpoints());
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].size, 1u);
  EXPECT_EQ(list[0].note, note1);
  EXPECT_EQ(list[1].size, 9u);
  EXPECT_EQ(list[1].note, note9);
  EXPECT_EQ(list[2].size, 30u);
  EXPECT_EQ(list[2].note, note30);
  for (const auto& cp : list) EXPECT_FALSE(cp.name.empty());
  ASSERT_OK_AND_ASSIGN(std::optional<StoredCheckpoint> latest, store_->LatestCheckpoint());
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->size, 30u);
  EXPECT_EQ(latest->note, note30);
  EXPECT_EQ(latest->name, list[2].name);
}

INSTANTIATE_TEST_SUITE_P(
    Engines, LogStoreConformanceTest,
    ::testing::Values(EngineCase{"Files", [] { return std::unique_ptr<Engine>(new FileEngine()); }},
                      EngineCase{"Memory", [] { return std::unique_ptr<Engine>(new MemoryEngine()); }}),
    vellum::testing::EngineName<LogStore>);

}  // namespace
}  // namespace vellum::storage
