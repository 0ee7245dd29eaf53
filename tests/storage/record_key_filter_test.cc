// RecordKeyFilter, and records.db's lookups through it: a record the filter
// calls absent must not exist, whether its row was committed before the store
// was opened (found by the background fill) or while the fill runs.
#include "storage/embedded/record_key_filter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/sha256.h"
#include "storage/embedded/sqlite_projection.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::storage {
namespace {

using vellum::testing::TempDir;

std::string Id(uint64_t i) { return "rec-" + std::to_string(i); }

RecordVersionRow Row(const std::string& id, uint64_t seq) {
  RecordVersionRow r;
  r.record_type = "note";
  r.record_id = id;
  r.version = 1;
  r.seq = seq;
  r.ts = static_cast<int64_t>(seq);
  r.content = "{}";
  r.content_hash = core::Sha256(r.content);
  return r;
}

// Commits one version row for each id in [from, to), with seq = the id's number.
void CommitRows(SqliteProjectionStore& store, uint64_t from, uint64_t to) {
  ASSERT_OK_AND_ASSIGN(auto txn, store.BeginWrite());
  std::vector<RecordVersionRow> rows;
  for (uint64_t i = from; i < to; ++i) rows.push_back(Row(Id(i), i));
  ASSERT_OK(txn->PutRecordVersions(rows));
  ASSERT_OK(txn->Commit(to));
}

void WaitUntilComplete(const SqliteProjectionStore& store) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!store.record_filter_complete()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the filter was never completed";
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

TEST(RecordKeyFilterTest, NoKeyAddedIsEverMissedAndFewAbsentOnesPass) {
  RecordKeyFilter f;
  constexpr uint64_t kKeys = 200'000;
  for (uint64_t i = 0; i < kKeys; ++i) f.Add("note", Id(i));
  for (uint64_t i = 0; i < kKeys; ++i) ASSERT_TRUE(f.MayContain("note", Id(i))) << i;
  // The same id under another type is another key.
  uint64_t passed = 0;
  for (uint64_t i = 0; i < kKeys; ++i) {
    passed += f.MayContain("note", Id(kKeys + i)) ? 1 : 0;
    passed += f.MayContain("task", Id(i)) ? 1 : 0;
  }
  // 200,000 keys in 2^21 words: about 2 in a million absent keys pass (1
  // expected in these 400,000; 28 in a million at a million keys, 0.9 % at ten
  // million).
  EXPECT_LT(passed, 40u) << passed;
}

TEST(RecordKeyFilterTest, AnswersAbsentOnlyOnceComplete) {
  RecordKeyFilter f;
  EXPECT_FALSE(f.complete());
  EXPECT_FALSE(f.CertainlyAbsent("note", "n-1"));
  f.MarkComplete();
  EXPECT_TRUE(f.CertainlyAbsent("note", "n-1"));
  f.Add("note", "n-1");
  EXPECT_FALSE(f.CertainlyAbsent("note", "n-1"));
}

// RV-1: a record created before the process opened records.db, or while the
// filter is being filled from it, is found by every lookup; one never
// created is not.
TEST(RecordKeyFilterTest, StoreFindsRowsCommittedBeforeOpenAndDuringTheFill) {
  TempDir tmp;
  const std::string path = tmp.Sub("records.db");
  constexpr uint64_t kBefore = 60'000;
  {
    ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(path, /*create=*/true));
    for (uint64_t at = 0; at < kBefore; at += 10'000) CommitRows(*store, at, at + 10'000);
  }
  ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(path, /*create=*/false));
  // Rows committed now race the fill: each must be found as soon as it is
  // committed, by the writer's own transaction and by a new reader.
  uint64_t next = kBefore;
  for (int round = 0; round < 20; ++round) {
    CommitRows(*store, next, next + 50);
    ASSERT_OK_AND_ASSIGN(auto reader, store->BeginRead(/*snapshot=*/true));
    for (uint64_t i = next; i < next + 50; ++i) {
      ASSERT_OK_AND_ASSIGN(auto row, reader->LatestVersion("note", Id(i)));
      ASSERT_TRUE(row.has_value()) << Id(i);
    }
    ASSERT_OK_AND_ASSIGN(auto early, reader->LatestVersion("note", Id(round)));
    ASSERT_TRUE(early.has_value()) << Id(round);
    next += 50;
  }
  WaitUntilComplete(*store);
  ASSERT_OK_AND_ASSIGN(auto reader, store->BeginRead(/*snapshot=*/true));
  for (uint64_t i = 0; i < next; ++i) {
    ASSERT_OK_AND_ASSIGN(auto row, reader->LatestVersion("note", Id(i)));
    ASSERT_TRUE(row.has_value()) << Id(i);
    ASSERT_OK_AND_ASSIGN(auto v1, reader->Version("note", Id(i), 1));
    ASSERT_TRUE(v1.has_value()) << Id(i);
  }
  for (uint64_t i = next; i < next + 1000; ++i) {
    ASSERT_OK_AND_ASSIGN(auto row, reader->LatestVersion("note", Id(i)));
    EXPECT_FALSE(row.has_value()) << Id(i);
  }
  // The writer's transaction sees its own rows before they are committed.
  ASSERT_OK_AND_ASSIGN(auto txn, store->BeginWrite());
  ASSERT_OK(txn->PutRecordVersion(Row(Id(next), next)));
  ASSERT_OK_AND_ASSIGN(auto own, txn->LatestVersion("note", Id(next)));
  EXPECT_TRUE(own.has_value());
}

// A read-only store keeps no filter: every lookup goes to SQLite.
TEST(RecordKeyFilterTest, ReadOnlyStoreHasNoFilter) {
  TempDir tmp;
  const std::string path = tmp.Sub("records.db");
  {
    ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(path, /*create=*/true));
    CommitRows(*store, 0, 10);
  }
  ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::OpenReadOnly(path));
  EXPECT_FALSE(store->record_filter_complete());
  ASSERT_OK_AND_ASSIGN(auto reader, store->BeginRead(/*snapshot=*/true));
  ASSERT_OK_AND_ASSIGN(auto row, reader->LatestVersion("note", Id(3)));
  EXPECT_TRUE(row.has_value());
}

// Closing the store while the fill runs stops it.
TEST(RecordKeyFilterTest, StoreClosesWhileTheFillRuns) {
  TempDir tmp;
  const std::string path = tmp.Sub("records.db");
  {
    ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(path, /*create=*/true));
    CommitRows(*store, 0, 50'000);
  }
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(path, /*create=*/false));
  }
}

}  // namespace
}  // namespace vellum::storage
