#!/usr/bin/env python3
"""The requirements traceability matrix (VA-1): requirement -> tests -> last result.

Reads the GoogleTest sources under a test directory and, optionally, the JUnit
XML that `ctest --output-junit` writes, and prints for each requirement id the
tests that prove it and how each last ran.

A test cites a requirement in a comment: in the comment block at the top of its
file (the file's tests all prove it), in the comment lines right above the test,
or in a comment inside the test's body. Ids in string literals or code are not
citations. An id is a requirement family and a number: AT-4, SR-2, AC-7, ...

    scripts/traceability.py --tests tests --results build/test-results.xml \\
        --out build/traceability.md --csv build/traceability.csv

With --requirements FILE (a Markdown list whose items begin `**ID Title.**`),
each requirement gets its title and those no test cites are listed too.
Exit status: 0, or 2 when an input cannot be read.
"""

import argparse
import csv
import datetime
import os
import re
import sys
import xml.etree.ElementTree as ElementTree

# The requirement families: audit trail, records and versions, storage, access,
# device checks, signatures, annotation, operational checks, copies,
# validation, change control.
FAMILIES = ("AT", "RV", "SR", "AC", "DC", "ES", "AN", "OC", "CP", "VA", "CC")
ID_RE = re.compile(r"\b(" + "|".join(FAMILIES) + r")-(\d{1,3})\b")
TEST_RE = re.compile(r"\b(TEST|TEST_F|TEST_P)\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)")
INSTANTIATE_RE = re.compile(r"\bINSTANTIATE_TEST_SUITE_P\s*\(\s*(\w*)\s*,\s*(\w+)\s*,")
# `- **AT-1 Title.** Text` or `- **DC-1** Text` (then the text's first words are its title).
REQUIREMENT_LINE_RE = re.compile(r"^\s*[-*]\s+\*\*(" + "|".join(FAMILIES) + r")-(\d{1,3})\b\s*([^*]*?)\.?\*\*\s*(.*)")

RESULT_ORDER = ("failed", "passed", "skipped", "not run")


def id_key(requirement):
    family, number = requirement.split("-")
    return (FAMILIES.index(family), int(number))


def split_code_and_comments(text):
    """Returns (code, comments): two strings as long as `text`. `code` has every
    comment and the inside of every string and character literal replaced by
    spaces; `comments` holds only the comments' text (everything else spaces).
    Newlines are kept in both, so offsets and line numbers agree."""
    code = list(text)
    comments = [c if c == "\n" else " " for c in text]
    i, n = 0, len(text)

    def blank(begin, end, keep_comment):
        for k in range(begin, end):
            if text[k] != "\n":
                code[k] = " "
                if keep_comment:
                    comments[k] = text[k]

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(i, end, True)
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            blank(i, end, True)
            i = end
        elif c == "R" and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            open_paren = text.find("(", i + 2)
            delimiter = text[i + 2:open_paren] if open_paren >= 0 else ""
            end = text.find(")" + delimiter + '"', open_paren + 1) if open_paren >= 0 else -1
            end = n if end < 0 else end + len(delimiter) + 2
            blank(i + 2, end - 1, False)
            i = end
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():  # a digit separator: 1'000'000
                i += 1
                continue
            k = i + 1
            while k < n and text[k] != c and text[k] != "\n":
                k += 2 if text[k] == "\\" else 1
            blank(i + 1, min(k, n), False)
            i = k + 1
        else:
            i += 1
    return "".join(code), "".join(comments)


def matching_brace(code, open_at):
    depth = 0
    for k in range(open_at, len(code)):
        if code[k] == "{":
            depth += 1
        elif code[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    return len(code) - 1


def ids_in(text):
    return {f"{m.group(1)}-{int(m.group(2))}" for m in ID_RE.finditer(text)}


def header_ids(code, comments):
    """Ids in the comments before the file's first line of code."""
    first_code = re.search(r"\S", code)
    end = first_code.start() if first_code else len(code)
    return ids_in(comments[:end])


def comment_block_above(lines_code, lines_comments, line_index):
    """Ids in the comment lines directly above line `line_index` (0-based):
    lines that hold a comment and no code, up to a blank line or code."""
    found = set()
    k = line_index - 1
    while k >= 0 and not lines_code[k].strip() and lines_comments[k].strip():
        found |= ids_in(lines_comments[k])
        k -= 1
    return found


def parse_test_file(path, relative):
    """The tests in one source file: dicts with suite, name, kind, source
    (file:line) and ids (the requirements cited), and the file's
    INSTANTIATE_TEST_SUITE_P prefixes by suite."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    code, comments = split_code_and_comments(text)
    lines_code, lines_comments = code.split("\n"), comments.split("\n")
    file_ids = header_ids(code, comments)
    tests = []
    for m in TEST_RE.finditer(code):
        line_index = code.count("\n", 0, m.start())
        open_at = code.find("{", m.end())
        close_at = matching_brace(code, open_at) if open_at >= 0 else m.end()
        cited = set(file_ids)
        cited |= comment_block_above(lines_code, lines_comments, line_index)
        cited |= ids_in(comments[m.start():close_at + 1])
        tests.append({"suite": m.group(2), "name": m.group(3), "kind": m.group(1),
                      "source": f"{relative}:{line_index + 1}", "ids": cited})
    prefixes = {}
    for m in INSTANTIATE_RE.finditer(code):
        prefixes.setdefault(m.group(2), []).append(m.group(1))
    return tests, prefixes


def collect_tests(tests_dir):
    tests, prefixes = [], {}
    for root, dirs, files in os.walk(tests_dir):
        dirs[:] = sorted(d for d in dirs if d != "node_modules")
        for name in sorted(files):
            if not name.endswith((".cc", ".cpp", ".h")):
                continue
            path = os.path.join(root, name)
            relative = os.path.relpath(path, os.path.dirname(os.path.abspath(tests_dir)))
            found, found_prefixes = parse_test_file(path, relative)
            tests.extend(found)
            for suite, names in found_prefixes.items():
                prefixes.setdefault(suite, []).extend(names)
    return tests, prefixes


def read_results(path):
    """CTest's JUnit XML: {ctest test name: passed | failed | skipped}."""
    root = ElementTree.parse(path).getroot()
    results = {}
    for case in root.iter("testcase"):
        status = case.get("status", "")
        if case.find("failure") is not None or case.find("error") is not None or status == "fail":
            outcome = "failed"
        elif case.find("skipped") is not None or status in ("notrun", "disabled"):
            outcome = "skipped"
        else:
            outcome = "passed"
        results[case.get("name", "")] = outcome
    return results


def instances(test, prefixes, results):
    """The CTest names of a source test's runs that the results hold: Suite.Name,
    or Prefix/Suite.Name/Param for each instantiation of a TEST_P."""
    if test["kind"] != "TEST_P":
        name = f"{test['suite']}.{test['name']}"
        return [name] if name in results else []
    found = []
    for prefix in prefixes.get(test["suite"], []):
        head = f"{prefix}/{test['suite']}.{test['name']}/" if prefix else f"{test['suite']}.{test['name']}/"
        found.extend(sorted(r for r in results if r.startswith(head)))
    return found


def last_result(test, prefixes, results):
    """(outcome, detail) of a source test over its instances: failed when any
    failed, skipped when all were skipped, not run when none ran, else passed."""
    runs = instances(test, prefixes, results)
    if not runs:
        return "not run", ""
    outcomes = [results[r] for r in runs]
    if "failed" in outcomes:
        outcome = "failed"
    elif all(o == "skipped" for o in outcomes):
        outcome = "skipped"
    else:
        outcome = "passed"
    detail = f"{outcomes.count(outcome)} of {len(runs)} instances" if len(runs) > 1 else ""
    return outcome, detail


def read_requirements(path):
    titles = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = REQUIREMENT_LINE_RE.match(line)
            if m:
                title = m.group(3).strip()
                if not title:  # no title in bold: the text's start, cut at a word
                    title = m.group(4).strip()
                    if len(title) > 60:
                        title = title[:60].rsplit(" ", 1)[0] + " ..."
                titles[f"{m.group(1)}-{int(m.group(2))}"] = title
    return titles


def markdown_cell(text):
    return text.replace("|", "\\|")


def write_markdown(out, matrix, titles, uncited, run_summary, generated):
    out.write("# Requirements traceability matrix\n\n")
    out.write(f"Generated {generated} from the test sources; {run_summary}. A test proves the requirements its "
              "comments cite (docs: README, \"Traceability\").\n\n")
    out.write("| requirement | tests | passed | failed | skipped | not run |\n|---|---|---|---|---|---|\n")
    for requirement in sorted(set(matrix) | set(titles), key=id_key):
        rows = matrix.get(requirement, [])
        counts = {o: sum(1 for r in rows if r["outcome"] == o) for o in RESULT_ORDER}
        label = f"{requirement} {titles[requirement]}" if requirement in titles else requirement
        out.write(f"| {markdown_cell(label)} | {len(rows)} | {counts['passed']} | {counts['failed']} | "
                  f"{counts['skipped']} | {counts['not run']} |\n")
    for requirement in sorted(set(matrix) | set(titles), key=id_key):
        rows = matrix.get(requirement, [])
        title = f" {titles[requirement]}" if requirement in titles else ""
        out.write(f"\n## {requirement}{markdown_cell(title)}\n\n")
        if not rows:
            out.write("No test cites it.\n")
            continue
        out.write("| test | source | last result |\n|---|---|---|\n")
        for row in rows:
            result = row["outcome"] + (f" ({row['detail']})" if row["detail"] else "")
            out.write(f"| {row['test']} | {row['source']} | {result} |\n")
    out.write(f"\nTests that cite no requirement (conventions, usability and robustness checks): {uncited}.\n")


def main(argv):
    parser = argparse.ArgumentParser(description="Generate the requirements traceability matrix from the tests.")
    parser.add_argument("--tests", required=True, help="the test source directory")
    parser.add_argument("--results", help="JUnit XML from `ctest --output-junit` (else every test is 'not run')")
    parser.add_argument("--requirements", help="a Markdown requirements list, for titles and uncited requirements")
    parser.add_argument("--out", help="the Markdown matrix (default: standard output)")
    parser.add_argument("--csv", help="also write one row per requirement and test here")
    args = parser.parse_args(argv)

    if not os.path.isdir(args.tests):
        print(f"traceability.py: {args.tests} is not a directory", file=sys.stderr)
        return 2
    tests, prefixes = collect_tests(args.tests)
    results = {}
    if args.results:
        try:
            results = read_results(args.results)
        except (OSError, ElementTree.ParseError) as e:
            print(f"traceability.py: cannot read the results {args.results}: {e}", file=sys.stderr)
            return 2
    titles = {}
    if args.requirements:
        try:
            titles = read_requirements(args.requirements)
        except OSError as e:
            print(f"traceability.py: cannot read the requirements {args.requirements}: {e}", file=sys.stderr)
            return 2

    matrix, uncited = {}, 0
    for test in tests:
        if not test["ids"]:
            uncited += 1
            continue
        outcome, detail = last_result(test, prefixes, results)
        for requirement in test["ids"]:
            matrix.setdefault(requirement, []).append({"test": f"{test['suite']}.{test['name']}",
                                                       "source": test["source"], "outcome": outcome,
                                                       "detail": detail})
    for rows in matrix.values():
        rows.sort(key=lambda r: (r["source"].split(":")[0], r["test"]))

    if results:
        counts = {o: sum(1 for v in results.values() if v == o) for o in ("passed", "failed", "skipped")}
        run_summary = (f"last results from {os.path.basename(args.results)}: {len(results)} test runs, "
                       f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    else:
        run_summary = "no results given, so every test shows as not run"
    generated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            write_markdown(out, matrix, titles, uncited, run_summary, generated)
    else:
        write_markdown(sys.stdout, matrix, titles, uncited, run_summary, generated)
    if args.csv:
        with open(args.csv, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\r\n")
            writer.writerow(["requirement", "test", "source", "last_result", "detail"])
            for requirement in sorted(matrix, key=id_key):
                for row in matrix[requirement]:
                    writer.writerow([requirement, row["test"], row["source"], row["outcome"], row["detail"]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
