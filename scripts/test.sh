#!/usr/bin/env bash
# Builds if needed and runs the whole test suite with CTest, then writes the
# requirements traceability matrix (requirement -> tests -> last result) from
# the tests' citations and this run's results: BUILD/traceability.md and .csv.
# Extra arguments go to ctest (e.g. -L unit, -R Merkle).
set -euo pipefail
requirements=()  # --requirements FILE for the matrix, resolved before leaving the caller's directory
[ -n "${VELLUM_REQUIREMENTS:-}" ] && requirements=(--requirements "$(realpath -m "$VELLUM_REQUIREMENTS")")
cd "$(dirname "$0")/.."
ROOT="$PWD"
./scripts/build.sh
if [ -f tests/tools/node/package.json ] && [ ! -d tests/tools/node/node_modules ]; then
  (cd tests/tools/node && npm ci --no-audit --no-fund --loglevel=error)
fi
BUILD_DIR="${VELLUM_BUILD_DIR:-build}"
cd "$BUILD_DIR"
rm -f test-results.xml
status=0
ctest --output-on-failure -j "${VELLUM_TEST_JOBS:-$(nproc)}" --output-junit test-results.xml "$@" || status=$?
if [ -f test-results.xml ]; then
  if python3 "$ROOT/scripts/traceability.py" --tests "$ROOT/tests" --results test-results.xml \
       --out traceability.md --csv traceability.csv "${requirements[@]}"; then
    echo "Traceability matrix: $BUILD_DIR/traceability.md (and .csv)"
  else
    echo "test.sh: the traceability matrix could not be written" >&2
  fi
fi
exit "$status"
