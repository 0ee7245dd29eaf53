// The rows a projection store holds for a run of consecutive events, read with
// one ordered range scan per table and handed out in sequence order: what
// verify and recovery compare event by event, without a lookup per event.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/status.h"
#include "storage/projection_store.h"

namespace vellum::ledger {

class StoredRun {
 public:
  enum class Tables { kEventsAndVersions, kEventsOnly };

  // Holds no run until Read. REQUIRES: reader outlives this object.
  explicit StoredRun(storage::ProjectionReader& reader, Tables tables = Tables::kEventsAndVersions);

  // Reads the rows of events [from, to) in place of the run read before, over
  // the rows it held: a reader of run after run (verify's workers, recovery)
  // reuses their storage. Should a range read fail, falls back to one lookup
  // per sequence number, whose errors are then reported for each event.
  void Read(uint64_t from, uint64_t to);

  // The event-index row for `seq`, or null. REQUIRES: seq ascends from call to
  // call and lies in the [from, to) of the latest Read.
  StatusOr<const storage::EventIndexRow*> Event(uint64_t seq);

  // The record-version row made by event `seq`, or null. REQUIRES: as for
  // Event, and the run was read with Tables::kEventsAndVersions.
  StatusOr<const storage::RecordVersionRow*> Version(uint64_t seq);

 private:
  template <typename Row>
  StatusOr<const Row*> Next(uint64_t seq, const std::vector<Row>& rows, size_t& next, std::optional<Row>& looked_up,
                            StatusOr<std::optional<Row>> (storage::ProjectionReader::*lookup)(uint64_t));

  storage::ProjectionReader& reader_;
  Tables tables_;
  bool point_lookups_ = false;
  std::vector<storage::EventIndexRow> events_;
  std::vector<storage::RecordVersionRow> versions_;
  size_t next_event_ = 0, next_version_ = 0;
  std::optional<storage::EventIndexRow> event_;
  std::optional<storage::RecordVersionRow> version_;
};

}  // namespace vellum::ledger
