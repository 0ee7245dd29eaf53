// A fixed-size Bloom filter of record keys (type, id): the sequencer's
// memory of every record the projection holds or will hold. Most commands
// create records, and each create first asks whether its id is taken; for an
// id never used the filter answers "certainly absent" in one memory read,
// instead of a look through the rows in flight and an index lookup in the
// projection store (a tenth of the CPU a durable append cost with SQLite; a
// round trip with a store across the network). It has no false negatives, so
// any "maybe" is looked up as before: a full filter costs lookups, never
// correctness.
//
// Its size is fixed (kBytes), whatever the ledger's size. Absent keys that
// pass anyway: ~3 in 100,000 at a million records, 0.9 % at ten million, 5 %
// at twenty million; past that the share of lookups it saves shrinks.
// Thread-safe: keys are added by the sequencer and by the thread that fills
// the filter from the projection store while the sequencer tests them.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <stop_token>
#include <string_view>

#include "core/status.h"
#include "storage/projection_store.h"

namespace vellum::ledger {

// The hash of a record key that the filter and the rows in flight share, so
// that a lookup hashes the key's strings once.
uint64_t RecordKeyHash(std::string_view type, std::string_view id);

class RecordKeyFilter {
 public:
  static constexpr size_t kWords = size_t{1} << 21;
  static constexpr size_t kBytes = kWords * sizeof(uint64_t);  // 16 MiB

  // Zeroed memory the kernel gives at first touch (in 2 MiB pages where it
  // can). Without the memory, every answer is "maybe".
  RecordKeyFilter();
  ~RecordKeyFilter();
  RecordKeyFilter(const RecordKeyFilter&) = delete;
  RecordKeyFilter& operator=(const RecordKeyFilter&) = delete;

  // Keys by RecordKeyHash(type, id).
  void Add(uint64_t key_hash);
  // False only if the key was never added.
  bool MayContain(uint64_t key_hash) const;

  // The filter answers only once it holds every key of the projection store:
  // until MarkComplete, CertainlyAbsent is false for every key.
  void MarkComplete() { complete_.store(true, std::memory_order_release); }
  bool complete() const { return complete_.load(std::memory_order_acquire); }
  bool CertainlyAbsent(uint64_t key_hash) const { return complete() && !MayContain(key_hash); }

 private:
  void* mapping_ = nullptr;
  size_t mapping_bytes_ = 0;
  uint64_t* words_ = nullptr;  // kWords inside mapping_, or null
  std::atomic<bool> complete_{false};
};

// Adds every record key `reader` lists to `filter`, then marks it complete.
// Stops early when `stop` is requested, leaving it incomplete, as does an
// error (returned). REQUIRES, for the filter to be right once complete: every
// key put into the store after reader's snapshot began is added to `filter` by
// whoever puts it (RowSet::set_key_filter).
Status FillRecordKeyFilter(storage::ProjectionReader& reader, RecordKeyFilter& filter,
                           const std::stop_token& stop);

}  // namespace vellum::ledger
