// The transaction verify's replay of one event runs against (see ReplayTxn).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "storage/projection_store.h"

namespace vellum::ledger {

// The projection as it stood just before event `seq`, plus the rows the replay
// of that event writes: what Projector::Apply reads and writes during verify.
// Rows of earlier events have already been compared with their own replay, so
// they can be trusted as inputs. One event writes a row or two, so the rows are
// kept in a small vector instead of CapturingTxn's maps (verify replays every
// event; the allocations of those maps were a large part of its cost).
class ReplayTxn final : public storage::ProjectionTxn {
 public:
  // `stored` is the record-version row records.db holds for event `seq`, if
  // any, and may be given only when records.db's schema is intact.
  // REQUIRES: base and stored outlive this object.
  ReplayTxn(storage::ProjectionReader* base, uint64_t seq, const storage::RecordVersionRow* stored)
      : base_(base), seq_(seq), stored_(stored) {}

  // The record-version rows the replay wrote.
  const std::vector<storage::RecordVersionRow>& versions() const { return versions_; }

  StatusOr<std::optional<storage::RecordVersionRow>> LatestVersion(const std::string& t,
                                                                   const std::string& id) override;
  StatusOr<std::optional<storage::RecordVersionRow>> LatestVersionBefore(const std::string& t, const std::string& id,
                                                                         uint64_t seq) override;
  StatusOr<std::optional<storage::RecordVersionRow>> Version(const std::string& t, const std::string& id,
                                                             uint64_t v) override;
  StatusOr<std::optional<storage::RecordVersionRow>> VersionBySeq(uint64_t seq) override;
  StatusOr<std::optional<storage::EventIndexRow>> IndexedEvent(uint64_t seq) override;
  StatusOr<Counts> CountRows() override;
  Status PutEvent(const storage::EventIndexRow& row) override;
  Status PutRecordVersion(const storage::RecordVersionRow& row) override;
  // The projector hands its row over: kept without copying its content.
  Status PutRecordVersion(storage::RecordVersionRow&& row) override;
  Status Commit(uint64_t) override;

 private:
  storage::ProjectionReader* base_;
  uint64_t seq_;
  const storage::RecordVersionRow* stored_;
  std::vector<storage::EventIndexRow> events_;
  std::vector<storage::RecordVersionRow> versions_;
};

}  // namespace vellum::ledger
