// In-flight projection rows: a capture written straight into the open batch
// sees the batch's earlier rows, and a failed command's rows roll back
// without a trace in any lookup.
#include "ledger/pending_rows.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace vellum::ledger {
namespace {

using storage::EventIndexRow;
using storage::RecordVersionRow;

// A base with nothing in it (the committed projection of an empty ledger).
class EmptyReader final : public storage::ProjectionReader {
 public:
  StatusOr<std::optional<RecordVersionRow>> LatestVersion(const std::string&, const std::string&) override {
    return std::optional<RecordVersionRow>();
  }
  StatusOr<std::optional<RecordVersionRow>> LatestVersionBefore(const std::string&, const std::string&,
                                                                uint64_t) override {
    return std::optional<RecordVersionRow>();
  }
  StatusOr<std::optional<RecordVersionRow>> Version(const std::string&, const std::string&, uint64_t) override {
    return std::optional<RecordVersionRow>();
  }
  StatusOr<std::optional<RecordVersionRow>> VersionBySeq(uint64_t) override {
    return std::optional<RecordVersionRow>();
  }
  StatusOr<std::optional<EventIndexRow>> IndexedEvent(uint64_t) override { return std::optional<EventIndexRow>(); }
  StatusOr<Counts> CountRows() override { return Counts{}; }
};

RecordVersionRow Version(const std::string& id, uint64_t version, uint64_t seq) {
  RecordVersionRow r;
  r.record_type = "annotation";
  r.record_id = id;
  r.version = version;
  r.seq = seq;
  r.content = "{}";
  return r;
}

EventIndexRow EventRow(uint64_t seq) {
  EventIndexRow e;
  e.seq = seq;
  e.type = "record.created";
  return e;
}

TEST(PendingRowsTest, CaptureIntoTheOpenBatchSeesEarlierRowsAndRollsBack) {
  EmptyReader base;
  PendingRows pending(&base);
  RowSet& open = pending.open_rows();
  {
    CapturingTxn first(&pending, &open);
    ASSERT_OK(first.PutEvent(EventRow(1)));
    ASSERT_OK(first.PutRecordVersion(Version("a-1", 1, 1)));
  }
  const RowSet::Mark mark = open.mark();
  {
    CapturingTxn second(&pending, &open);
    ASSERT_OK_AND_ASSIGN(auto seen, second.LatestVersion("annotation", "a-1"));
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->version, 1u);
    EXPECT_FALSE(second.PutRecordVersion(Version("a-1", 1, 2)).ok()) << "a version written twice";
    ASSERT_OK(second.PutEvent(EventRow(2)));
    ASSERT_OK(second.PutRecordVersion(Version("a-1", 2, 2)));
    ASSERT_OK(second.PutEvent(EventRow(3)));
    ASSERT_OK(second.PutRecordVersion(Version("a-2", 1, 3)));
    open.RollbackTo(mark);
  }
  ASSERT_OK_AND_ASSIGN(auto latest, pending.LatestVersion("annotation", "a-1"));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->version, 1u);
  ASSERT_OK_AND_ASSIGN(auto gone, pending.LatestVersion("annotation", "a-2"));
  EXPECT_FALSE(gone.has_value());
  ASSERT_OK_AND_ASSIGN(auto by_seq, pending.VersionBySeq(2));
  EXPECT_FALSE(by_seq.has_value());
  ASSERT_OK_AND_ASSIGN(auto event, pending.IndexedEvent(3));
  EXPECT_FALSE(event.has_value());
  EXPECT_EQ(open.events().size(), 1u);
  EXPECT_EQ(open.versions().size(), 1u);
  EXPECT_EQ(open.end_seq(), 2u);
  // The batch seals with exactly the surviving rows.
  auto sealed = pending.Seal();
  EXPECT_EQ(sealed->versions().size(), 1u);
  EXPECT_TRUE(pending.open_rows().empty());
}

}  // namespace
}  // namespace vellum::ledger
