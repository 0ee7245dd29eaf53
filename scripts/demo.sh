#!/usr/bin/env bash
# Builds if needed, fills ./demo-data with a sample labelling project, shows
# its audit trail and verifies it. Pass a directory to use another one.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/src/vellum ] || ./scripts/build.sh
DATA="${1:-demo-data}"
V=./build/src/vellum
if [ -e "$DATA" ]; then
  echo "$DATA exists: showing it as it is (remove it to start again)"
else
  $V --data "$DATA" demo --cases 24
fi
echo
echo "== the last events of the audit trail"
$V --data "$DATA" log --format table | tail -n 12
echo
echo "== one annotation's versions: who, when, why"
$V --data "$DATA" record history --type annotation --id ann-case-0001-u-ann-2
echo
echo "== verify"
$V --data "$DATA" verify
