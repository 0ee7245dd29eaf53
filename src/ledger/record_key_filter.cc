#include "ledger/record_key_filter.h"

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

Probe ProbeFor(std::string_view type, std::string_view id) {
  const uint64_t h = Mix(std::hash<std::string_view>{}(type) * 0x9e3779b97f4a7c15ULL ^
                         std::hash<std::string_view>{}(id));
  uint64_t mask = 0;
  for (int i = 0; i < 4; ++i) mask |= uint64_t{1} << ((h >> (21 + 6 * i)) & 63);
  return {static_cast<size_t>(h & (RecordKeyFilter::kWords - 1)), mask};
}

}  // namespace

RecordKeyFilter::RecordKeyFilter()
    : words_(static_cast<uint64_t*>(std::calloc(kWords, sizeof(uint64_t)))) {}

RecordKeyFilter::~RecordKeyFilter() { std::free(words_); }

void RecordKeyFilter::Add(std::string_view type, std::string_view id) {
  if (words_ == nullptr) return;
  const Probe p = ProbeFor(type, id);
  std::atomic_ref<uint64_t>(words_[p.word]).fetch_or(p.mask, std::memory_order_release);
}

bool RecordKeyFilter::MayContain(std::string_view type, std::string_view id) const {
  if (words_ == nullptr) return true;
  const Probe p = ProbeFor(type, id);
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
    filter.Add(type, id);
    return true;
  }));
  if (!stopped) filter.MarkComplete();
  return OkStatus();
}

}  // namespace vellum::ledger
