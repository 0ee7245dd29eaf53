#include "ledger/record_key_filter.h"

#include <sys/mman.h>

#include <cstdlib>
#include <functional>

namespace vellum::ledger {
namespace {

// The finalizer of splitmix64: spreads every input bit over the output.
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// One word per key, four bits in it: a key costs one cache line to add or
// test. The low 21 bits pick the word, four 6-bit fields above them the bits.
struct Probe {
  size_t word;
  uint64_t mask;
};

Probe ProbeFor(uint64_t key_hash) {
  const uint64_t h = Mix(key_hash);
  uint64_t mask = 0;
  for (int i = 0; i < 4; ++i) mask |= uint64_t{1} << ((h >> (21 + 6 * i)) & 63);
  return {static_cast<size_t>(h & (RecordKeyFilter::kWords - 1)), mask};
}

}  // namespace

uint64_t RecordKeyHash(std::string_view type, std::string_view id) {
  return std::hash<std::string_view>{}(type) * 0x9e3779b97f4a7c15ULL ^ std::hash<std::string_view>{}(id);
}

// Anonymous memory, zeroed by the kernel at first touch, in 2 MiB pages where
// it gives them: each test is a random read of 16 MiB, and with 4 KiB pages
// nearly every one also missed the TLB.
RecordKeyFilter::RecordKeyFilter() {
  constexpr size_t kHugePage = size_t{2} << 20;
  mapping_bytes_ = kBytes + kHugePage;
  void* m = ::mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return;
  mapping_ = m;
  const uintptr_t aligned = (reinterpret_cast<uintptr_t>(m) + kHugePage - 1) & ~(kHugePage - 1);
  words_ = reinterpret_cast<uint64_t*>(aligned);
  ::madvise(words_, kBytes, MADV_HUGEPAGE);  // only advice: 4 KiB pages work too
}

RecordKeyFilter::~RecordKeyFilter() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_bytes_);
}

void RecordKeyFilter::Add(uint64_t key_hash) {
  if (words_ == nullptr) return;
  const Probe p = ProbeFor(key_hash);
  std::atomic_ref<uint64_t>(words_[p.word]).fetch_or(p.mask, std::memory_order_release);
}

bool RecordKeyFilter::MayContain(uint64_t key_hash) const {
  if (words_ == nullptr) return true;
  const Probe p = ProbeFor(key_hash);
  const uint64_t w = std::atomic_ref<uint64_t>(words_[p.word]).load(std::memory_order_acquire);
  return (w & p.mask) == p.mask;
}

Status FillRecordKeyFilter(storage::ProjectionReader& reader, RecordKeyFilter& filter,
                           const std::stop_token& stop) {
  uint64_t n = 0;
  bool stopped = false;
  RETURN_IF_ERROR(reader.ForEachRecordKey([&](std::string_view type, std::string_view id) {
    if (++n % 4096 == 0 && stop.stop_requested()) {
      stopped = true;
      return false;
    }
    filter.Add(RecordKeyHash(type, id));
    return true;
  }));
  if (!stopped) filter.MarkComplete();
  return OkStatus();
}

}  // namespace vellum::ledger
