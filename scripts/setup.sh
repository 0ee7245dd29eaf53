#!/usr/bin/env bash
# Installs everything Vellum's build and tests need on Debian 12, then builds.
# Safe to run again. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Boost 1.81 only: never libboost-dev / libboost-all-dev (1.74), which conflict with it.
PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libssl-dev libsodium-dev libsqlite3-dev sqlite3
  libboost-json1.81-dev libcli11-dev libfmt-dev libspdlog-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libtcmalloc-minimal4  # the vellum binary's allocator
  faketime jq
  libargon2-dev oathtool  # test oracles only: reference Argon2, OATH Toolkit (TOTP)
  golang-go golang-golang-x-mod-dev
  python3 python3-jsonschema  # test oracles only: the event JSON Schema (docs/schemas), CSV parsing
  python3-cryptography  # tools/offline_verify.py (Ed25519), the ledger check from the published formats
)
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# npm packages used by the test suite as independent oracles (pinned in the lock file).
echo "== installing npm test tools"
(cd tests/tools/node && npm ci --no-audit --no-fund --loglevel=error)

./scripts/build.sh
echo
echo "Vellum is built: ./build/src/vellum --help"
echo "Run the demo:    ./scripts/demo.sh"
