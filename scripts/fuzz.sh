#!/usr/bin/env bash
# Builds the libFuzzer targets in tests/fuzz/ with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs each for a while, seeded with the RFC 8785
# vectors (when ../shared/vectors is present) and real events, checkpoints and
# a backup manifest from a demo ledger. Not part of CI; run it after changes to
# the JSON code, the event decoders, the record changes, the backup manifest or
# the signed-note and checkpoint readers.
#
#   ./scripts/fuzz.sh                 every target, 300 s each
#   ./scripts/fuzz.sh event json      some targets
#   VELLUM_FUZZ_SECONDS=60 ./scripts/fuzz.sh
#
# Needs clang-14 and libclang-rt-14-dev (apt-get install clang-14
# libclang-rt-14-dev) and a built ./build/src/vellum (for the demo ledger).
# Work goes to $VELLUM_FUZZ_DIR (default build-fuzz/): the binaries, each
# target's growing corpus, and any input that broke a property (crash-*).
# Exit status: 0 when every target ran clean, 1 when one found a problem.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
OUT="${VELLUM_FUZZ_DIR:-build-fuzz}"
SECONDS_EACH="${VELLUM_FUZZ_SECONDS:-300}"
VECTORS="${VELLUM_VECTORS_DIR:-$ROOT/../shared/vectors}"
CXX="${VELLUM_FUZZ_CXX:-clang++-14}"

if ! command -v "$CXX" >/dev/null; then
  echo "fuzz.sh: $CXX not found; install it with: apt-get install clang-14 libclang-rt-14-dev" >&2
  exit 2
fi
mkdir -p "$OUT"

core=(src/core/json.cc src/core/json_text.cc src/core/canonical_json.cc src/core/canonical_check.cc
      src/core/status.cc)
declare -A sources=(
  [json]="tests/fuzz/json_fuzz.cc ${core[*]}"
  [event]="tests/fuzz/event_fuzz.cc src/ledger/event.cc src/ledger/merkle.cc src/records/changes.cc
           src/core/clock.cc src/core/sha256.cc src/core/encoding.cc ${core[*]}"
  [content]="tests/fuzz/content_fuzz.cc src/records/changes.cc ${core[*]}"
  [manifest]="tests/fuzz/manifest_fuzz.cc src/app/backup_manifest.cc src/storage/embedded/file_log_store.cc
              src/core/env_posix.cc src/core/lock_holder.cc src/core/sha256.cc src/core/encoding.cc src/core/clock.cc
              ${core[*]}"
  [note]="tests/fuzz/note_fuzz.cc src/core/signed_note.cc src/core/ed25519.cc src/ledger/checkpoint.cc
          src/core/sha256.cc src/core/encoding.cc src/core/clock.cc ${core[*]}"
)
declare -A libs=([json]="-lboost_json" [event]="-lboost_json -lcrypto -lfmt" [content]="-lboost_json -lfmt"
                 [manifest]="-lboost_json -lcrypto -lfmt" [note]="-lboost_json -lcrypto -lfmt")

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(json event content manifest note)
for t in "${targets[@]}"; do
  if [ -z "${sources[$t]:-}" ]; then
    echo "fuzz.sh: no target '$t' (targets: json event content manifest note)" >&2
    exit 2
  fi
done

# Seeds: canonical-JSON vectors, and the lines and record contents of a demo ledger.
seed_dir="$OUT/seeds"
if [ ! -f "$seed_dir/made" ]; then
  mkdir -p "$seed_dir/json" "$seed_dir/event" "$seed_dir/content" "$seed_dir/manifest" "$seed_dir/note"
  if [ -d "$VECTORS/jcs/input" ]; then
    cp "$VECTORS"/jcs/input/*.json "$seed_dir/json/"
    cp "$VECTORS"/jcs/input/*.json "$seed_dir/content/"
  fi
  if [ -x build/src/vellum ]; then
    demo="$OUT/demo-data"
    rm -rf "$demo"
    build/src/vellum --data "$demo" demo >/dev/null
    # The manifest of a backup of it.
    build/src/vellum --data "$demo" -q backup --out "$OUT/demo-backup" >/dev/null
    cp "$OUT/demo-backup/vellum-backup.json" "$seed_dir/manifest/demo.json"
    rm -rf "$OUT/demo-backup"
    # Its checkpoints (signed notes), two of them as a witness file, and its verifier key.
    cp "$demo"/ledger/checkpoints/*.note "$seed_dir/note/"
    cat "$demo"/ledger/checkpoints/*.note > "$seed_dir/note/witness-file"
    cp "$demo/keys/ledger.pub" "$seed_dir/note/verifier-key"
    segment="$(ls "$demo"/ledger/segments/*.jsonl | head -n 1)"
    head -n 200 "$segment" | split -l 1 - "$seed_dir/event/line-"
    # The content of every record the demo created, as a created record's content.
    build/src/vellum --data "$demo" log --action record.created --format jsonl |
      node -e '
const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
lines.forEach((line, i) => {
  const content = {};
  for (const c of JSON.parse(line).changes) if ("new" in c) content[c.path.slice(1)] = c.new;
  require("fs").writeFileSync(process.argv[1] + "/created-" + i + ".json", JSON.stringify(content));
});' "$seed_dir/content"
  fi
  touch "$seed_dir/made"
fi

flags=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc)
status=0
for t in "${targets[@]}"; do
  echo "== $t: building"
  # shellcheck disable=SC2086
  "$CXX" "${flags[@]}" ${sources[$t]} ${libs[$t]} -o "$OUT/${t}_fuzz"
  mkdir -p "$OUT/corpus/$t"
  echo "== $t: fuzzing for ${SECONDS_EACH} s"
  # pipefail: the fuzzer's own exit status (non-zero when it saved an input that broke a property).
  if ! (cd "$OUT" && "./${t}_fuzz" -max_len=4096 -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
          -artifact_prefix="$t-" "corpus/$t" "seeds/$t" 2>&1 | tail -n 25); then
    echo "== $t: FOUND A PROBLEM; the input is in $OUT/$t-*" >&2
    status=1
  fi
done
exit "$status"
