// A fixed-size Bloom filter of the record keys (type, id) in records.db. Most
// commands create records, and each create first asks whether its id is
// taken; for an id that is not, the filter answers "certainly absent" in a
// memory read instead of a lookup in SQLite's index (a tenth of all the CPU
// the durable appends cost). It has no false negatives, so any "maybe" goes to
// SQLite as before: a full filter costs lookups, never correctness.
//
// Its size is fixed (kBytes), whatever the ledger's size. Absent keys that
// pass anyway: ~3 in 100,000 at a million records, 0.9 % at ten million, 5 %
// at twenty million; past that the share of lookups it saves shrinks. Thread-safe: keys are added
// by the writer and the builder of the filter while readers test them.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vellum::storage {

class RecordKeyFilter {
 public:
  static constexpr size_t kWords = size_t{1} << 21;
  static constexpr size_t kBytes = kWords * sizeof(uint64_t);  // 16 MiB

  // Zeroed memory the kernel gives lazily: pages no key touched cost nothing.
  // Without the memory, every answer is "maybe".
  RecordKeyFilter();
  ~RecordKeyFilter();
  RecordKeyFilter(const RecordKeyFilter&) = delete;
  RecordKeyFilter& operator=(const RecordKeyFilter&) = delete;

  void Add(std::string_view type, std::string_view id);
  // False only if (type, id) was never added.
  bool MayContain(std::string_view type, std::string_view id) const;

  // The filter answers for records.db only once it holds every key there:
  // until MarkComplete, CertainlyAbsent is false for every key.
  void MarkComplete() { complete_.store(true, std::memory_order_release); }
  bool complete() const { return complete_.load(std::memory_order_acquire); }
  bool CertainlyAbsent(std::string_view type, std::string_view id) const {
    return complete() && !MayContain(type, id);
  }

 private:
  uint64_t* words_;  // kWords, or null
  std::atomic<bool> complete_{false};
};

}  // namespace vellum::storage
