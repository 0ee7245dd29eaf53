"""Validates JSON Lines against a JSON Schema with the python3-jsonschema package
(an implementation independent of Vellum), for the event schema test.

Usage: schema_check.py SCHEMA < lines.jsonl
Prints one JSON line: {"results": [null | "<first error>", ...]} in input order.
Exits 2 when the schema itself is not a valid draft 2020-12 schema.
"""
import json
import sys

import jsonschema


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as e:
        print(f"schema_check: the schema is invalid: {e.message}", file=sys.stderr)
        sys.exit(2)
    validator = jsonschema.Draft202012Validator(schema)
    results = []
    for line in sys.stdin.read().splitlines():
        errors = sorted(validator.iter_errors(json.loads(line)), key=lambda e: list(e.path))
        results.append(None if not errors else f"{list(errors[0].path)}: {errors[0].message}")
    print(json.dumps({"results": results}))


main()
