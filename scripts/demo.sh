#!/usr/bin/env bash
# Builds if needed, fills ./demo-data with a sample labelling project and its
# team, shows its audit trail and verifies it. Pass a directory to use another one.
#
# `vellum demo` creates the data directory, writes the team's passwords to
# <dir>/demo-accounts.txt (mode 0600) and leaves the CLI signed in as the
# team's quality user, u-qa-1, whose role may read the audit trail. A session
# ends after 15 idle minutes; for a directory made earlier, the script signs
# u-qa-1 in again with the password from that file.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/src/vellum ] || ./scripts/build.sh
DATA="${1:-demo-data}"
V=./build/src/vellum
if [ -e "$DATA" ]; then
  echo "$DATA exists: showing it as it is (remove it to start again)"
  if [ ! -f "$DATA/demo-accounts.txt" ]; then
    echo "$DATA has no demo-accounts.txt (not made by this version's demo): remove it" >&2
    exit 1
  fi
  awk '$1 == "u-qa-1" { print $2 }' "$DATA/demo-accounts.txt" |
    $V --data "$DATA" login --user u-qa-1 --password-file -
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
echo "== what the data directory holds"
$V --data "$DATA" status
echo
echo "== verify"
$V --data "$DATA" verify
echo
echo "== the same ledger checked without Vellum: Python, from the format documents alone"
/usr/bin/python3 tools/offline_verify.py "$DATA" --key "$($V --data "$DATA" checkpoint --verifier-key)"
echo
echo "== an online backup, restored into a new directory (each copy verified)"
COPIES=$(mktemp -d)
trap 'rm -rf "$COPIES"' EXIT
$V --data "$DATA" backup --out "$COPIES/backup"
$V verify-backup "$COPIES/backup"
$V --data "$COPIES/restored" restore --from "$COPIES/backup"
