#!/usr/bin/env python3
"""Checks tools/offline_verify.py's RFC 8785 canonical form against the public JCS
vectors (numbers: es6_numbers_*.txt, IEEE 754 bits and their ECMAScript text;
documents: input/ and output/). Usage: offline_verify_jcs_vectors.py TOOLS_DIR JCS_DIR.
Prints one line per file checked and exits 1 on any difference."""
import json
import math
import os
import struct
import sys

sys.path.insert(0, sys.argv[1])
import offline_verify as ov  # noqa: E402

jcs = sys.argv[2]
failed = False
for name in sorted(n for n in os.listdir(jcs) if n.startswith("es6_numbers_")):
    checked = wrong = 0
    with open(os.path.join(jcs, name)) as f:
        for line in f:
            if not line.strip():
                continue
            bits, expected = line.strip().split(",")
            value = struct.unpack(">d", bytes.fromhex(bits.rjust(16, "0")))[0]
            if not math.isfinite(value):
                continue  # no JSON text for NaN or infinities
            checked += 1
            if ov._number(value) != expected:
                wrong += 1
                print(f"{name}: {bits} gives {ov._number(value)}, not {expected}")
    print(f"{name}: {checked} numbers, {wrong} wrong")
    failed |= wrong > 0 or checked == 0
for name in sorted(os.listdir(os.path.join(jcs, "input"))):
    with open(os.path.join(jcs, "input", name), encoding="utf-8") as f:
        value = json.load(f, object_pairs_hook=ov._no_duplicates)
    with open(os.path.join(jcs, "output", name), "rb") as f:
        expected = f.read()
    same = ov.canonical(value).encode("utf-8") == expected.rstrip(b"\n")
    print(f"{name}: {'same' if same else 'DIFFERENT'}")
    failed |= not same
sys.exit(1 if failed else 0)
