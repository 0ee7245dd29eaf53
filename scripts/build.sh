#!/usr/bin/env bash
# Configures (once) and builds Vellum in ./build with Ninja.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${VELLUM_BUILD_DIR:-build}"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${VELLUM_BUILD_TYPE:-RelWithDebInfo}"
fi
cmake --build "$BUILD_DIR" -j "${VELLUM_JOBS:-$(nproc)}"
