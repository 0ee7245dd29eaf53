"""Reads `vellum log --format csv` with Python's csv module (RFC 4180) and
compares every field with the same events as JSON Lines.

Usage: csv_check.py EVENTS.jsonl EVENTS.csv
Prints one JSON line: {"rows": N, "columns": [...], "mismatches": ["<seq> <column>: ...", ...],
"crlf": true|false}.
"""
import csv
import io
import json
import sys


def expected(event, column):
    if column.startswith("record_"):
        record = event["record"]
        return None if record is None else record[column[len("record_"):]]
    return event[column]


def matches(want, got):
    if want is None:
        return got == ""
    if isinstance(want, str):
        return got == want
    if isinstance(want, bool):
        return False
    if isinstance(want, int):
        return got == str(want)
    # Structured fields are their JSON text (RFC 8785 form): compare as values.
    return json.loads(got) == want


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        events = [json.loads(line) for line in f.read().splitlines()]
    with open(sys.argv[2], "rb") as f:
        raw = f.read()
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8"), newline=""))
    rows = list(reader)
    mismatches = []
    if len(rows) != len(events):
        mismatches.append(f"{len(rows)} rows for {len(events)} events")
    for event, row in zip(events, rows):
        for column in reader.fieldnames:
            if column not in event and not column.startswith("record_"):
                mismatches.append(f"{event['seq']} {column}: no such event field")
            elif not matches(expected(event, column), row[column]):
                mismatches.append(f"{event['seq']} {column}: {row[column]!r}")
        missing = set(event) - set(reader.fieldnames) - {"record"}
        if missing:
            mismatches.append(f"{event['seq']}: fields without a column: {sorted(missing)}")
    # Every record ends in CRLF (the header included); quoted fields may hold bare LFs.
    crlf = raw.endswith(b"\r\n") and raw.split(b"\r\n", 1)[0] == ",".join(reader.fieldnames).encode()
    print(json.dumps({"rows": len(rows), "columns": reader.fieldnames, "mismatches": mismatches, "crlf": crlf}))


main()
