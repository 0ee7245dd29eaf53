#!/usr/bin/env bash
# Builds Vellum with AddressSanitizer and UndefinedBehaviorSanitizer in
# ./build-sanitize and runs the whole suite there: memory errors, leaks and
# undefined behaviour in the library, the tests and the vellum binary the
# integration tests run. With VELLUM_SANITIZER=thread it builds with
# ThreadSanitizer instead, in ./build-tsan: data races between the ledger's
# threads (sequencer, append, projection, verify workers) and their callers.
# Not part of CI (on two cores the build alone takes about 25 minutes); run it
# after changes to memory handling or threading. Extra arguments go to ctest
# (e.g. -R Crash).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${VELLUM_SANITIZER:-address}" in
  address)
    BUILD_DIR="${VELLUM_SANITIZE_DIR:-build-sanitize}"
    FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer"
    ;;
  thread)
    BUILD_DIR="${VELLUM_SANITIZE_DIR:-build-tsan}"
    FLAGS="-fsanitize=thread -fno-omit-frame-pointer"
    ;;
  *)
    echo "VELLUM_SANITIZER must be address or thread" >&2
    exit 2
    ;;
esac
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  # The sanitizers replace malloc themselves: no tcmalloc in this build.
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
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 900 -j "${VELLUM_TEST_JOBS:-$(nproc)}" "$@"
