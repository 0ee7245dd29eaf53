// What the libFuzzer targets in this folder do when a property fails: say
// which, and abort, so that libFuzzer saves the input that broke it.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace vellum::fuzz {

inline void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "property failed: %s\n", what);
    std::abort();
  }
}

}  // namespace vellum::fuzz
