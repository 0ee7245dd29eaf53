#!/usr/bin/env bash
# Builds Vellum with AddressSanitizer and UndefinedBehaviorSanitizer in
# ./build-sanitize and runs the whole suite there: memory errors, leaks and
# undefined behaviour in the library, the tests and the vellum binary the
# integration tests run. Not part of CI (on two cores the build alone takes
# about 25 minutes); run it after changes to memory handling or threading.
# Extra arguments go to ctest (e.g. -R Crash).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${VELLUM_SANITIZE_DIR:-build-sanitize}"
FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  # AddressSanitizer replaces malloc itself: no tcmalloc in this build.
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVELLUM_USE_TCMALLOC=OFF \
    -DCMAKE_CXX_FLAGS="$FLAGS" -DCMAKE_EXE_LINKER_FLAGS="$FLAGS" -DCMAKE_SHARED_LINKER_FLAGS="$FLAGS"
fi
cmake --build "$BUILD_DIR" -j "${VELLUM_JOBS:-$(nproc)}"
if [ -f tests/tools/node/package.json ] && [ ! -d tests/tools/node/node_modules ]; then
  (cd tests/tools/node && npm ci --no-audit --no-fund --loglevel=error)
fi
# Every finding fails its test (children inherit these). The faketime tests
# preload libfaketime ahead of the sanitizer runtime, which ASan would
# otherwise refuse.
export ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 900 -j "${VELLUM_TEST_JOBS:-$(nproc)}" "$@"
