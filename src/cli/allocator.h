// Settings of the allocator the vellum binary links (see src/CMakeLists.txt).
#pragma once

namespace vellum::cli {

// Raises tcmalloc's limit on the memory all threads together keep cached for
// reuse; does nothing when the binary runs on the system allocator.
void TuneAllocator();

}  // namespace vellum::cli
