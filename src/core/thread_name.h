// Names for Vellum's own threads, as `top -H`, `ps -L`, `perf` and debuggers
// show them (/proc/<pid>/task/<tid>/comm): an operator can see which part of
// a busy process spends the CPU, and which thread a stack belongs to.
#pragma once

#include <string_view>

namespace vellum::core {

// Names the calling thread. Linux keeps at most 15 bytes of a name: a longer
// one is cut there. Best effort: a system that cannot name threads leaves it.
void NameThisThread(std::string_view name);

}  // namespace vellum::core
