// The ProjectionStore contract (storage/projection_store.h), run against every
// engine: records.db (SQLite) and the in-memory projection
// (src/storage/memory). An engine added later (PostgreSQL) joins the list
// below. What the ledger and verify rely on: a write transaction sees its own
// rows, publishes them with the applied count only when it commits (SR-2:
// recovery resumes from that count) and leaves nothing when abandoned;
// readers see a snapshot or the latest commit; every version of a record stays
// readable, tombstones included (AT-3, RV-1); the trail is queried by record,
// actor, action and time (AT-7).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "storage/embedded/sqlite_projection.h"
#include "storage/memory/memory_projection_store.h"
#include "testing/projection_rows.h"
#include "testing/status_matchers.h"
#include "testing/storage_engines.h"
#include "testing/test_env.h"

namespace vellum::storage {
namespace {

using ::testing::ElementsAre;
using vellum::testing::Ev;
using vellum::testing::TempDir;
using vellum::testing::Ver;

using ProjectionEngine = vellum::testing::StorageEngine<ProjectionStore>;
using EngineCase = vellum::testing::StorageEngineCase<ProjectionStore>;

// records.db with `env`: commits unsynced under the boot's mark, as the
// product opens it; without: synced at each WAL checkpoint.
class SqliteEngine final : public ProjectionEngine {
 public:
  explicit SqliteEngine(core::Env* env = nullptr) : env_(env) {}

  StatusOr<std::unique_ptr<ProjectionStore>> Open() override {
    auto store = SqliteProjectionStore::Open(tmp_.Sub("records.db"), /*create=*/!opened_, env_);
    opened_ = true;
    if (!store.ok()) return store.status();
    return std::unique_ptr<ProjectionStore>(std::move(*store));
  }

 private:
  core::Env* env_;
  TempDir tmp_;
  bool opened_ = false;
};

class MemoryEngine final : public ProjectionEngine {
 public:
  StatusOr<std::unique_ptr<ProjectionStore>> Open() override {
    return std::unique_ptr<ProjectionStore>(new MemoryProjectionStore(state_));
  }

 private:
  std::shared_ptr<MemoryProjectionState> state_ = std::make_shared<MemoryProjectionState>();
};

class ProjectionStoreConformanceTest : public vellum::testing::StorageConformanceTest<ProjectionStore> {
 protected:
  // Writes the rows of events [first, first + rows.size()) and commits.
  void Commit(const std::vector<EventIndexRow>& events, const std::vector<RecordVersionRow>& versions,
              uint64_t applied) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ProjectionTxn> txn, store_->BeginWrite());
    for (const auto& e : events) ASSERT_OK(txn->PutEvent(e));
    for (const auto& v : versions) ASSERT_OK(txn->PutRecordVersion(v));
    ASSERT_OK(txn->Commit(applied));
  }

  // A small trail: a genesis, a record made, changed and deleted, another
  // record, and events that concern no record.
  void CommitTrail() {
    Commit({Ev(0, 100, "ledger.genesis", "system"), Ev(1, 110, "record.created", "u-1", "note", "a", 1),
            Ev(2, 120, "record.created", "u-2", "note", "b", 1), Ev(3, 130, "security.login_failed", "u-3"),
            Ev(4, 140, "record.modified", "u-1", "note", "a", 2), Ev(5, 150, "record.deleted", "u-2", "note", "a", 3)},
           {Ver("note", "a", 1, 1), Ver("note", "b", 1, 2), Ver("note", "a", 2, 4), Ver("note", "a", 3, 5, true)}, 6);
  }

  std::vector<uint64_t> Query(const EventQuery& q) {
    std::vector<uint64_t> out;
    EXPECT_OK(store_->QueryEvents(q, [&](uint64_t seq) {
      out.push_back(seq);
      return true;
    }));
    return out;
  }
};

// SR-2: rows become visible, with the applied count, only when their
// transaction commits; an abandoned transaction leaves nothing; a commit
// survives a restart.
TEST_P(ProjectionStoreConformanceTest, CommitPublishesRowsWithTheAppliedCount) {
  ASSERT_OK_AND_ASSIGN(uint64_t applied, store_->AppliedCount());
  EXPECT_EQ(applied, 0u);
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ProjectionTxn> txn, store_->BeginWrite());
    ASSERT_OK(txn->PutEvent(Ev(0, 100, "ledger.genesis", "system")));
    ASSERT_OK(txn->PutRecordVersion(Ver("note", "a", 1, 0)));
    ASSERT_OK_AND_ASSIGN(std::optional<RecordVersionRow> own, txn->LatestVersion("note", "a"));
    EXPECT_TRUE(own.has_value()) << "a transaction sees its own rows";
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ProjectionReader> reader, store_->BeginRead(false));
    ASSERT_OK_AND_ASSIGN(std::optional<RecordVersionRow> other, reader->LatestVersion("note", "a"));
    EXPECT_FALSE(other.has_value()) << "uncommitted rows are visible outside their transaction";
  }  // abandoned
  ASSERT_OK_AND_ASSIGN(applied, store_->AppliedCount());
  EXPECT_EQ(applied, 0u);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ProjectionReader> reader, store_->BeginRead(true));
  ASSERT_OK_AND_ASSIGN(std::optional<EventIndexRow> none, reader->IndexedEvent(0));
  EXPECT_FALSE(none.has_value()) << "an abandoned transaction left a row";
  reader.reset();

  ASSERT_NO_FATAL_FAILURE(CommitTrail());
  ASSERT_NO_FATAL_FAILURE(Restart());
  ASSERT_OK_AND_ASSIGN(applied, store_->AppliedCount());
  EXPECT_EQ(applied, 6u);
  ASSERT_OK_AND_ASSIGN(reader, store_->BeginRead(true));
  ASSERT_OK_AND_ASSIGN(ProjectionReader::Counts counts, reader->CountRows());
  EXPECT_EQ(counts.events, 6u);
  EXPECT_EQ(counts.record_versions, 4u);
  EXPECT_EQ(counts.max_event_seq, 5);
  EXPECT_EQ(counts.max_version_seq, 5);
  ASSERT_OK_AND_ASSIGN(std::optional<EventIndexRow> e4, reader->IndexedEvent(4));
  ASSERT_TRUE(e4.has_value());
  EXPECT_EQ(*e4, Ev(4, 140, "record.modified", "u-1", "note", "a", 2));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> differences, store_->SchemaDifferences());
  EXPECT_TRUE(differences.empty());
}

// SR-2: the note of what recovery did that no system.recovered event records
// yet is committed with the rows or not at all, survives a restart whole, and
// is cleared by a later commit.
TEST_P(ProjectionStoreConformanceTest, RecoveryNoteIsCommittedWithTheRows) {
  ASSERT_OK_AND_ASSIGN(std::optional<RecoveryNote> note, store_->UnrecordedRecovery());
  EXPECT_FALSE(note.has_value());
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ProjectionTxn> txn, store_->BeginWrite());
    ASSERT_OK(txn->PutEvent(Ev(0, 100, "ledger.genesis", "system")));
    ASSERT_OK(txn->SetUnrecordedRecovery(RecoveryNote{RecoveredRange{0, 0}}));
  }  // abandoned
  ASSERT_OK_AND_ASSIGN(note, store_->UnrecordedRecovery());
  EXPECT_FALSE(note.has_value()) << "an abandoned transaction left its note";

  ASSERT_NO_FATAL_FAILURE(CommitTrail());
  RecoveryNote written;
  written.applied = RecoveredRange{4, 6};
  written.lines_removed = 1;
  written.bytes_removed = 17;
  written.cut_events = 9;
  written.cut_lines = 2;
  written.cut_bytes = 40;
  ASSERT_OK(store_->SetDurableCommits(true));
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ProjectionTxn> txn, store_->BeginWrite());
    ASSERT_OK(txn->PutEvent(Ev(6, 160, "record.created", "u-1", "note", "c", 1)));
    ASSERT_OK(txn->SetUnrecordedRecovery(written));
    ASSERT_OK(txn->Commit(7));
  }
  ASSERT_OK(store_->SetDurableCommits(false));
  ASSERT_NO_FATAL_FAILURE(Restart());
  ASSERT_OK_AND_ASSIGN(note, store_->UnrecordedRecovery());
  EXPECT_EQ(note, written);
  EXPECT_EQ(note->RecordedFrom(), 7u);
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ProjectionTxn> txn, store_->BeginWrite());
    ASSERT_OK(txn->PutEvent(Ev(7, 170, "system.recovered", "system")));
    ASSERT_OK(txn->SetUnrecordedRecovery(std::nullopt));
    ASSERT_OK(txn->Commit(8));
  }
  ASSERT_OK_AND_ASSIGN(note, store_->UnrecordedRecovery());
  EXPECT_FALSE(note.has_value());
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> differences, store_->SchemaDifferences());
  EXPECT_TRUE(differences.empty()) << "the note is rows, not schema";
}

// A snapshot reader keeps what it saw when it began; a reader without one
// sees every commit as it lands.
TEST_P(ProjectionStoreConformanceTest, SnapshotsKeepTheirViewLatestReadersFollowCommits) {
  ASSERT_NO_FATAL_FAILURE(Commit({Ev(0, 100, "ledger.genesis", "system")}, {}, 1));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ProjectionReader> snapshot, store_->BeginRead(true));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ProjectionReader> latest, store_->BeginRead(false));
  ASSERT_OK_AND_ASSIGN(std::optional<EventIndexRow> seen, snapshot->IndexedEvent(0));
  EXPECT_TRUE(seen.has_value());
  ASSERT_NO_FATAL_FAILURE(
      Commit({Ev(1, 110, "record.created", "u-1", "note", "a", 1)}, {Ver("note", "a", 1, 1)}, 2));
  ASSERT_OK_AND_ASSIGN(std::optional<RecordVersionRow> in_snapshot, snapshot->LatestVersion("note", "a"));
  EXPECT_FALSE(in_snapshot.has_value()) << "a snapshot saw a later commit";
  ASSERT_OK_AND_ASSIGN(std::optional<RecordVersionRow> in_latest, latest->LatestVersion("note", "a"));
  EXPECT_TRUE(in_latest.has_value()) << "a reader without a snapshot missed a commit";
}

// AT-3, RV-1: every version stays readable by number, by seq and as of any
// point; a tombstone is the latest version of a deleted record.
TEST_P(ProjectionStoreConformanceTest, EveryVersionStaysReadable) {
  ASSERT_NO_FATAL_FAILURE(CommitTrail());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ProjectionReader> r, store_->BeginRead(true));
  ASSERT_OK_AND_ASSIGN(std::optional<RecordVersionRow> latest, r->LatestVersion("note", "a"));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(*latest, Ver("note", "a", 3, 5, true));
  ASSERT_OK_AND_ASSIGN(std::optional<RecordVersionRow> before5, r->LatestVersionBefore("note", "a", 5));
  ASSERT_TRUE(before5.has_value());
  EXPECT_EQ(*before5, Ver("note", "a", 2, 4));
  ASSERT_OK_AND_ASSIGN(std::optional<RecordVersionRow> before1, r->LatestVersionBefore("note", "a", 1));
  EXPECT_FALSE(before1.has_value());
  ASSERT_OK_AND_ASSIGN(std::optional<RecordVersionRow> v1, r->Version("note", "a", 1));
  ASSERT_TRUE(v1.has_value());
  EXPECT_EQ(*v1, Ver("note", "a", 1, 1));
  ASSERT_OK_AND_ASSIGN(std::optional<RecordVersionRow> v9, r->Version("note", "a", 9));
  EXPECT_FALSE(v9.has_value());
  ASSERT_OK_AND_ASSIGN(std::optional<RecordVersionRow> by_seq, r->VersionBySeq(2));
  ASSERT_TRUE(by_seq.has_value());
  EXPECT_EQ(*by_seq, Ver("note", "b", 1, 2));
  ASSERT_OK_AND_ASSIGN(std::optional<RecordVersionRow> no_version, r->VersionBySeq(3));
  EXPECT_FALSE(no_version.has_value());
  ASSERT_OK_AND_ASSIGN(std::optional<RecordVersionRow> never, r->LatestVersion("note", "zzz"));
  EXPECT_FALSE(never.has_value());

  std::vector<EventIndexRow> events;
  ASSERT_OK(r->EventsInRange(2, 5, &events));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].seq, 2u);
  EXPECT_EQ(events[2].seq, 4u);
  std::vector<RecordVersionRow> versions;
  ASSERT_OK(r->VersionsInRange(0, 6, &versions));
  ASSERT_EQ(versions.size(), 4u);
  EXPECT_EQ(versions[3], Ver("note", "a", 3, 5, true));

  ASSERT_OK_AND_ASSIGN(std::vector<RecordVersionRow> history, store_->History("note", "a"));
  EXPECT_THAT(history, ElementsAre(Ver("note", "a", 1, 1), Ver("note", "a", 2, 4), Ver("note", "a", 3, 5, true)));
  ASSERT_OK_AND_ASSIGN(std::vector<RecordVersionRow> records, store_->ListRecords("note"));
  EXPECT_THAT(records, ElementsAre(Ver("note", "a", 3, 5, true), Ver("note", "b", 1, 2)));
  ASSERT_OK_AND_ASSIGN(records, store_->ListRecords("other"));
  EXPECT_TRUE(records.empty());
}

// AT-7: the trail is queried by record, actor, action, time and position,
// in ascending order, with a limit, and stops when told to.
TEST_P(ProjectionStoreConformanceTest, EventsAreQueriedByRecordActorActionAndTime) {
  ASSERT_NO_FATAL_FAILURE(CommitTrail());
  EventQuery all;
  EXPECT_THAT(Query(all), ElementsAre(0, 1, 2, 3, 4, 5));
  EventQuery by_record;
  by_record.record_type = "note";
  by_record.record_id = "a";
  EXPECT_THAT(Query(by_record), ElementsAre(1, 4, 5));
  EventQuery by_actor;
  by_actor.actor = "u-2";
  EXPECT_THAT(Query(by_actor), ElementsAre(2, 5));
  EventQuery by_type;
  by_type.type = "record.created";
  EXPECT_THAT(Query(by_type), ElementsAre(1, 2));
  EventQuery by_time;
  by_time.since = 120;
  by_time.until = 150;
  EXPECT_THAT(Query(by_time), ElementsAre(2, 3, 4));
  EventQuery paged;
  paged.from_seq = 2;
  paged.limit = 2;
  EXPECT_THAT(Query(paged), ElementsAre(2, 3));
  EventQuery combined;
  combined.actor = "u-1";
  combined.type = "record.modified";
  EXPECT_THAT(Query(combined), ElementsAre(4));
  std::vector<uint64_t> first_two;
  ASSERT_OK(store_->QueryEvents(all, [&](uint64_t seq) {
    first_two.push_back(seq);
    return first_two.size() < 2;
  }));
  EXPECT_THAT(first_two, ElementsAre(0, 1));
}

// A second row for the same event, or a second copy of a record version, is
// refused: verify relies on one row per event and per version.
TEST_P(ProjectionStoreConformanceTest, DuplicateRowsAreRefused) {
  ASSERT_NO_FATAL_FAILURE(CommitTrail());
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ProjectionTxn> txn, store_->BeginWrite());
    EXPECT_FALSE(txn->PutEvent(Ev(3, 130, "security.login_failed", "u-9")).ok());
  }
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ProjectionTxn> txn, store_->BeginWrite());
    EXPECT_FALSE(txn->PutRecordVersion(Ver("note", "b", 1, 6)).ok());
  }
  ASSERT_OK_AND_ASSIGN(uint64_t applied, store_->AppliedCount());
  EXPECT_EQ(applied, 6u);
}

INSTANTIATE_TEST_SUITE_P(
    Engines, ProjectionStoreConformanceTest,
    ::testing::Values(EngineCase{"Sqlite", [] { return std::unique_ptr<ProjectionEngine>(new SqliteEngine()); }},
                      EngineCase{"SqliteUnsynced",
                                 [] {
                                   return std::unique_ptr<ProjectionEngine>(new SqliteEngine(core::Env::Default()));
                                 }},
                      EngineCase{"Memory", [] { return std::unique_ptr<ProjectionEngine>(new MemoryEngine()); }}),
    vellum::testing::EngineName<ProjectionStore>);

}  // namespace
}  // namespace vellum::storage
