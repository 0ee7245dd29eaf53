#include "cli/allocator.h"

#include <cstddef>

// tcmalloc's C API (gperftools' malloc_extension_c.h, whose header Debian's
// runtime package does not ship). Weak: null when the binary was built
// without tcmalloc.
extern "C" int MallocExtension_SetNumericProperty(const char* property, size_t value) __attribute__((weak));

namespace vellum::cli {

void TuneAllocator() {
  // Every call's commands, events and rows are made on the caller's thread and
  // freed on the ledger's, or the other way round. With tens of threads,
  // tcmalloc's default 32 MiB for all thread caches together kept moving that
  // memory through its central lists: with 64 producers × 256 events per call,
  // 128 MiB took the CPU per event from 12.7 to 11.0 µs (docs/performance-history.md).
  // It is a ceiling on memory held for reuse, not an allocation.
  constexpr size_t kThreadCacheBytes = size_t{128} << 20;
  if (MallocExtension_SetNumericProperty != nullptr) {
    MallocExtension_SetNumericProperty("tcmalloc.max_total_thread_cache_bytes", kThreadCacheBytes);
  }
}

}  // namespace vellum::cli
