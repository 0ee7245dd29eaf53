#!/usr/bin/env bash
# Builds if needed and runs the whole test suite with CTest.
# Extra arguments go to ctest (e.g. -L unit, -R Merkle).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
if [ -f tests/tools/node/package.json ] && [ ! -d tests/tools/node/node_modules ]; then
  (cd tests/tools/node && npm ci --no-audit --no-fund --loglevel=error)
fi
BUILD_DIR="${VELLUM_BUILD_DIR:-build}"
cd "$BUILD_DIR"
ctest --output-on-failure -j "${VELLUM_TEST_JOBS:-$(nproc)}" "$@"
