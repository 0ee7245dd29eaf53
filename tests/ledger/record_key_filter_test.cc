// RecordKeyFilter and the sequencer's lookups through it: a record the filter
// calls absent must not exist, whether its row was committed before the
// ledger opened (found by the fill from the projection store), is in flight,
// or was put while the fill ran.
#include "ledger/record_key_filter.h"

#include <gtest/gtest.h>

#include <stop_token>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "ledger/pending_rows.h"
#include "storage/embedded/sqlite_projection.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::ledger {
namespace {

using storage::RecordVersionRow;
using storage::SqliteProjectionStore;
using vellum::testing::TempDir;

std::string Id(uint64_t i) { return "rec-" + std::to_string(i); }

RecordVersionRow Row(const std::string& id, uint64_t version, uint64_t seq) {
  RecordVersionRow r;
  r.record_type = "note";
  r.record_id = id;
  r.version = version;
  r.seq = seq;
  r.ts = static_cast<int64_t>(seq);
  r.content = "{}";
  r.content_hash = core::Sha256(r.content);
  return r;
}

// Commits version 1 of each id in [from, to) (seq = the id's number), and
// version 2 of every tenth.
void CommitRows(SqliteProjectionStore& store, uint64_t from, uint64_t to) {
  ASSERT_OK_AND_ASSIGN(auto txn, store.BeginWrite());
  std::vector<RecordVersionRow> rows;
  for (uint64_t i = from; i < to; ++i) rows.push_back(Row(Id(i), 1, 2 * i));
  for (uint64_t i = from; i < to; i += 10) rows.push_back(Row(Id(i), 2, 2 * i + 1));
  ASSERT_OK(txn->PutRecordVersions(rows));
  ASSERT_OK(txn->Commit(2 * to));
}

TEST(RecordKeyFilterTest, NoKeyAddedIsEverMissedAndFewAbsentOnesPass) {
  RecordKeyFilter f;
  constexpr uint64_t kKeys = 200'000;
  for (uint64_t i = 0; i < kKeys; ++i) f.Add(RecordKeyHash("note", Id(i)));
  for (uint64_t i = 0; i < kKeys; ++i) ASSERT_TRUE(f.MayContain(RecordKeyHash("note", Id(i)))) << i;
  // The same id under another type is another key.
  uint64_t passed = 0;
  for (uint64_t i = 0; i < kKeys; ++i) {
    passed += f.MayContain(RecordKeyHash("note", Id(kKeys + i))) ? 1 : 0;
    passed += f.MayContain(RecordKeyHash("task", Id(i))) ? 1 : 0;
  }
  // 200,000 keys in 2^21 words: about 2 in a million absent keys pass (1
  // expected in these 400,000; 28 in a million at a million keys, 0.9 % at ten
  // million).
  EXPECT_LT(passed, 40u) << passed;
}

TEST(RecordKeyFilterTest, AnswersAbsentOnlyOnceComplete) {
  RecordKeyFilter f;
  EXPECT_FALSE(f.complete());
  EXPECT_FALSE(f.CertainlyAbsent(RecordKeyHash("note", "n-1")));
  f.MarkComplete();
  EXPECT_TRUE(f.CertainlyAbsent(RecordKeyHash("note", "n-1")));
  f.Add(RecordKeyHash("note", "n-1"));
  EXPECT_FALSE(f.CertainlyAbsent(RecordKeyHash("note", "n-1")));
}

// RV-1: a create asks whether its id is taken. Through the filter, the
// sequencer's view (a capture into the open batch over PendingRows over the
// projection) finds every record committed before the fill's snapshot, put
// while it ran, or in flight, and rolled-back rows stay absent.
TEST(RecordKeyFilterTest, SequencerViewFindsEveryRecordThatExists) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(tmp.Sub("records.db"), /*create=*/true));
  constexpr uint64_t kCommitted = 30'000;
  for (uint64_t at = 0; at < kCommitted; at += 10'000) CommitRows(*store, at, at + 10'000);

  RecordKeyFilter filter;
  ASSERT_OK_AND_ASSIGN(auto live, store->BeginRead(/*snapshot=*/false));
  PendingRows pending(live.get(), &filter);
  // Taken before the rows below are put, as the ledger's fill starts before
  // any command is sequenced.
  ASSERT_OK_AND_ASSIGN(auto snapshot, store->BeginRead(/*snapshot=*/true));

  // In flight before the fill: one batch sealed, one open, one command rolled back.
  {
    CapturingTxn capture(&pending, &pending.open_rows());
    ASSERT_OK(capture.PutRecordVersion(Row("sealed", 1, 2 * kCommitted)));
  }
  auto sealed = pending.Seal();
  {
    CapturingTxn capture(&pending, &pending.open_rows());
    ASSERT_OK(capture.PutRecordVersion(Row("open", 1, 2 * kCommitted + 1)));
  }
  const RowSet::Mark mark = pending.open_rows().mark();
  {
    CapturingTxn capture(&pending, &pending.open_rows());
    ASSERT_OK(capture.PutRecordVersion(Row("rolled-back", 1, 2 * kCommitted + 2)));
  }
  pending.open_rows().RollbackTo(mark);
  // Committed after the snapshot, through the sealed batch as the projection
  // thread would: the snapshot does not hold it; the filter has it already.
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store->BeginWrite());
    ASSERT_OK(WriteRows(*sealed, *txn));
    ASSERT_OK(txn->Commit(2 * kCommitted + 1));
  }
  pending.EraseBelow(2 * kCommitted + 1);

  ASSERT_OK(FillRecordKeyFilter(*snapshot, filter, std::stop_token()));
  ASSERT_TRUE(filter.complete());

  CapturingTxn view(&pending, &pending.open_rows());
  auto exists = [&](const std::string& id) {
    auto latest = view.LatestVersion("note", id);
    EXPECT_OK(latest.status());
    auto v1 = view.Version("note", id, 1);
    EXPECT_OK(v1.status());
    auto through_pending = pending.LatestVersion("note", id);
    EXPECT_OK(through_pending.status());
    const bool found = latest.ok() && latest->has_value();
    EXPECT_EQ(v1.ok() && v1->has_value(), found) << id;
    EXPECT_EQ(through_pending.ok() && through_pending->has_value(), found) << id;
    return found;
  };
  for (uint64_t i = 0; i < kCommitted; ++i) ASSERT_TRUE(exists(Id(i))) << Id(i);
  ASSERT_OK_AND_ASSIGN(auto v2, view.LatestVersion("note", Id(10)));
  EXPECT_EQ(v2->version, 2u);
  EXPECT_TRUE(exists("sealed"));
  EXPECT_TRUE(exists("open"));
  EXPECT_FALSE(exists("rolled-back"));
  for (uint64_t i = kCommitted; i < kCommitted + 1000; ++i) EXPECT_FALSE(exists(Id(i))) << Id(i);
  // Every record above was answered; most absent ones without a lookup.
  uint64_t certainly_absent = 0;
  for (uint64_t i = kCommitted; i < kCommitted + 1000; ++i) {
    certainly_absent += filter.CertainlyAbsent(RecordKeyHash("note", Id(i))) ? 1 : 0;
  }
  EXPECT_GT(certainly_absent, 990u);
}

TEST(RecordKeyFilterTest, StoppedFillLeavesTheFilterIncomplete) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(tmp.Sub("records.db"), /*create=*/true));
  CommitRows(*store, 0, 10'000);
  ASSERT_OK_AND_ASSIGN(auto reader, store->BeginRead(/*snapshot=*/true));
  std::stop_source stop;
  stop.request_stop();
  RecordKeyFilter filter;
  ASSERT_OK(FillRecordKeyFilter(*reader, filter, stop.get_token()));
  EXPECT_FALSE(filter.complete());
  EXPECT_FALSE(filter.CertainlyAbsent(RecordKeyHash("note", Id(9'999))));
}

// A projection view that cannot list its keys leaves the filter unused.
TEST(RecordKeyFilterTest, ViewThatListsNoKeysLeavesTheFilterIncomplete) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto store, SqliteProjectionStore::Open(tmp.Sub("records.db"), /*create=*/true));
  ASSERT_OK_AND_ASSIGN(auto live, store->BeginRead(/*snapshot=*/false));
  PendingRows pending(live.get());  // lists no keys: not its job
  RecordKeyFilter filter;
  EXPECT_FALSE(FillRecordKeyFilter(pending, filter, std::stop_token()).ok());
  EXPECT_FALSE(filter.complete());
}

}  // namespace
}  // namespace vellum::ledger
