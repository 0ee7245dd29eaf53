#!/usr/bin/env python3
"""Checks a Vellum ledger offline, from its published formats alone (AT-9).

A second implementation of the ledger checks of `vellum verify`, written from
docs/formats/ (event.md, ledger-files.md, tree.md, checkpoint.md) and not from
Vellum's code, so that a customer or an inspector can check a trail without
trusting the program that wrote it. It reads a data directory (or a copy of its
`ledger/` folder and `keys/ledger.pub`) and checks, writing nothing:

  * every line of every segment: strict JSON, UTF-8, in RFC 8785 canonical form
    (re-encoded here and compared byte for byte), the event's fields, `seq`
    continuous from 0 and matching the segment's name, `prev` equal to the leaf
    hash of the line before, `ts` never going backwards;
  * the genesis event: it names the ledger's verifier key;
  * the RFC 9162 Merkle tree of the events, recomputed, against the root of
    every stored checkpoint, each checkpoint's Ed25519 signature (C2SP signed
    note) and the `vellum-prev` link from each checkpoint to the one before;
  * with --witness FILE, every checkpoint a witness holds: signed by the key, and
    its root equal to the root of the ledger's first `size` events, which proves
    that the ledger extends it (a rewrite with recomputed hashes fails here);
  * every record version, rebuilt from the events' field-level changes: versions
    follow one another, each content's SHA-256 is the event's record hash, and
    nothing follows a tombstone;
  * records.db, when there is one (SQLite, read-only): its schema as records-db.md
    publishes it, its event index and record versions, row for row, against the
    events and the rebuilt versions;
  * the tree files (tree.md), which proofs are read from: every stored hash is
    the one the events make, and none is stored beyond them.

It does not read the offset files. Exit status: 0 verified, 1 problems found,
2 bad usage or input.

Needs Python 3.9+ and the `cryptography` package (Debian: python3-cryptography).
One file on purpose: it can be copied next to a ledger and read from top to bottom.
"""

import argparse
import base64
import binascii
import calendar
import datetime
import hashlib
import json
import math
import os
import re
import sqlite3
import sys

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover - reported to the user below
    Ed25519PublicKey = None

EVENT_FIELDS = {"actor", "actor_name", "changes", "client", "data", "guideline", "id", "prev",
                "reason", "record", "seq", "session", "source", "ts", "type"}
TS_RE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z\Z")
EVENT_ID_RE = re.compile(r"\A[0-9a-f]{32}\Z")
# Ids (actor, record type and id, guideline): event.md, "Rules a verifier applies".
ID_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}\Z")
HASH_RE = re.compile(r"\Asha256:[0-9a-f]{64}\Z")
SIZE_RE = re.compile(r"\A(0|[1-9][0-9]*)\Z")
NAME_RE = re.compile(r"\A[0-9]{20}\Z")
SIG_PREFIX = "\u2014 "  # an em dash and a space begin every signature line


class Problem(Exception):
    """A check that failed, with where it failed."""

    def __init__(self, area, message, seq=None, where=""):
        super().__init__(message)
        self.area, self.message, self.seq, self.where = area, message, seq, where

    def as_dict(self):
        return {"area": self.area, "seq": self.seq, "where": self.where, "message": self.message}


# --- RFC 8785 (JCS) canonical form ------------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MUST_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def _string(s):
    return '"' + _MUST_ESCAPE.sub(lambda m: _ESCAPES.get(m.group(), "\\u%04x" % ord(m.group())), s) + '"'


def _number(v):
    """ECMAScript Number::toString of v (RFC 8785 §3.2.2.3): every number is an IEEE 754
    double, so an integer beyond 2^53 stands for the double nearest to it (docs/formats/event.md)."""
    if isinstance(v, int):
        if -(2**53) <= v <= 2**53:
            return str(v)
        v = float(v)  # OverflowError past the double range: not canonical
    if not math.isfinite(v):
        raise ValueError("a number that is not finite")
    if v == 0:
        return "0"
    sign = "-" if v < 0 else ""
    mantissa, _, exponent = repr(abs(v)).partition("e")  # repr: the shortest digits that read back
    whole, _, fraction = mantissa.partition(".")
    all_digits = whole + fraction
    digits = all_digits.lstrip("0")
    # The value is 0.<digits> × 10^n.
    n = len(whole) + int(exponent or 0) - (len(all_digits) - len(digits))
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + text


def canonical(v):
    """The RFC 8785 text of a parsed JSON value."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (int, float)):
        return _number(v)
    if isinstance(v, list):
        return "[" + ",".join(canonical(x) for x in v) + "]"
    # Members sorted by the UTF-16 code units of their names (big-endian bytes sort the same way).
    keys = sorted(v, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
    return "{" + ",".join(_string(k) + ":" + canonical(v[k]) for k in keys) + "}"


def _no_duplicates(pairs):
    obj = {}
    for k, val in pairs:
        if k in obj:
            raise ValueError("duplicate key " + json.dumps(k))
        obj[k] = val
    return obj


def _no_constants(name):
    raise ValueError("not JSON: " + name)


def not_json_at_all(line):
    """Whether a line is no JSON value at all (a torn or zero-filled write), as opposed to an
    event that was altered and is still JSON."""
    try:
        json.loads(line.decode("utf-8"), parse_constant=_no_constants)
        return False
    except (UnicodeDecodeError, ValueError, RecursionError):
        return True


def parse_canonical(line):
    """The value of one ledger line (bytes, without its newline); ValueError unless the line
    is strict JSON in UTF-8 and exactly its RFC 8785 form."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"not valid UTF-8 (byte {e.start})") from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ValueError as e:
        raise ValueError(f"not JSON: {e}") from None
    try:
        again = canonical(value).encode("utf-8")
    except (UnicodeEncodeError, OverflowError, ValueError, RecursionError) as e:
        raise ValueError(f"no canonical form: {e}") from None
    if again != line:
        at = next((i for i, (a, b) in enumerate(zip(again, line)) if a != b), min(len(again), len(line)))
        raise ValueError(f"not in RFC 8785 canonical form (differs from byte {at})")
    return value


# --- RFC 9162 Merkle tree ---------------------------------------------------------------------

def leaf_hash(line):
    return hashlib.sha256(b"\x00" + line).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class Tree:
    """The roots of perfect subtrees that make up the first `size` leaves, largest first.
    `on_node(level, index, hash)` is told of every complete subtree as a leaf completes it:
    entry `index` of level `level` in tree.md's terms."""

    def __init__(self, on_node=None):
        self.size = 0
        self.stack = []  # [(level, hash)]
        self.on_node = on_node or (lambda level, index, h: None)

    def append(self, leaf):
        self.stack.append((0, leaf))
        self.size += 1
        self.on_node(0, self.size - 1, leaf)
        while len(self.stack) > 1 and self.stack[-1][0] == self.stack[-2][0]:
            (level, right), (_, left) = self.stack.pop(), self.stack.pop()
            self.stack.append((level + 1, node_hash(left, right)))
            self.on_node(level + 1, (self.size >> (level + 1)) - 1, self.stack[-1][1])

    def root(self):
        if not self.stack:
            return hashlib.sha256(b"").digest()
        h = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            h = node_hash(left, h)
        return h


class TreeFiles:
    """ledger/tree/level-NN.hash (tree.md): the stored hash of every complete subtree, and
    ledger/tree/synced, the tree size whose entries were made durable."""

    def __init__(self, tree_dir):
        self.levels = {}
        for level in range(64):
            path = os.path.join(tree_dir, f"level-{level:02d}.hash")
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    self.levels[level] = f.read()
        # "synced": the size in decimal digits and a newline, nothing else (tree.md); absent
        # means 0. Anything else is damage: self.synced_problem says what.
        self.synced, self.synced_problem = 0, None
        path = os.path.join(tree_dir, "synced")
        if os.path.exists(path):
            with open(path, "rb") as f:
                text = f.read()
            if re.fullmatch(rb"[0-9]{1,20}\n", text) and int(text) < 2**64:
                self.synced = int(text)
            else:
                self.synced_problem = "is not a tree size in decimal digits and a newline"

    def count(self, level):
        return len(self.levels.get(level, b"")) // 32

    def compare(self, level, index, h):
        """"" when entry `index` of `level` is `h`, else what is wrong with it."""
        stored = self.levels.get(level, b"")[32 * index:32 * index + 32]
        if len(stored) < 32:
            return f"ledger/tree/level-{level:02d}.hash lacks entry {index} (the tree files are shorter than the ledger)"
        if stored != h:
            return f"ledger/tree/level-{level:02d}.hash entry {index} differs from the hash recomputed from the events"
        return ""


# --- C2SP signed notes and checkpoints --------------------------------------------------------

class VerifierKey:
    """A C2SP note verifier key: <name>+<8 hex key ID>+base64(0x01 ‖ Ed25519 public key)."""

    def __init__(self, text):
        parts = text.strip().split("+", 2)  # the base64 may hold "+" too
        if len(parts) != 3 or not parts[0] or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise ValueError("not a verifier key <name>+<key id>+<base64>")
        self.name = parts[0]
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            raise ValueError("the verifier key's base64 is malformed") from None
        if len(raw) != 33 or raw[0] != 1:
            raise ValueError("the verifier key is not an Ed25519 key (0x01 and 32 bytes)")
        self.public = raw[1:]
        self.key_id = hashlib.sha256(self.name.encode() + b"\n\x01" + self.public).digest()[:4]
        if self.key_id.hex() != parts[1]:
            raise ValueError("the verifier key's ID does not match its name and key")
        self.text = text.strip()
        self._key = Ed25519PublicKey.from_public_bytes(self.public)

    def verify(self, signature, message):
        try:
            self._key.verify(signature, message)
            return True
        except InvalidSignature:
            return False


def split_notes(text):
    """Signed notes written back to back: body lines, one empty line, the signature lines."""
    notes, current, in_signatures = [], [], False
    for line in text.splitlines(keepends=True):
        if in_signatures and not line.startswith(SIG_PREFIX):
            notes.append("".join(current))
            current, in_signatures = [], False
        current.append(line)
        if line == "\n":
            if in_signatures:
                raise ValueError("an empty line among the signature lines")
            in_signatures = True
    if current:
        notes.append("".join(current))
    return notes


def open_checkpoint(note, key):
    """{size, root, time, prev} of a checkpoint note signed by `key`; ValueError otherwise."""
    if "\n\n" not in note or not note.endswith("\n"):
        raise ValueError("not a signed note (no empty line before the signatures, or no final newline)")
    # checkpoint.md, "Opening a checkpoint": UTF-8 (bytes that were not read as U+FFFD), no
    # control character but the line ends, at most 100 signature lines, each well-formed.
    if "\ufffd" in note or any(ord(c) < 0x20 and c != "\n" or ord(c) == 0x7f for c in note):
        raise ValueError("not valid UTF-8 text without control characters")
    body, signatures = note.split("\n\n", 1)
    body += "\n"
    signed = False
    signature_lines = signatures[:-1].split("\n")
    if len(signature_lines) > 100:
        raise ValueError("more than 100 signature lines")
    for line in signature_lines:
        if not line.startswith(SIG_PREFIX) or line.count(" ") != 2:
            raise ValueError("a malformed signature line")
        name, blob = line[len(SIG_PREFIX):].split(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error:
            raise ValueError("a signature line's base64 is malformed") from None
        if not name or "+" in name or base64.b64encode(raw).decode() != blob or len(raw) < 5:
            raise ValueError("a malformed signature line (key name, or a signature of fewer than 5 bytes "
                             "in canonical base64)")
        if name != key.name or raw[:4] != key.key_id:
            continue  # another key's signature (a witness's cosignature): not ours to check
        if len(raw) != 68 or not key.verify(raw[4:], body.encode()):
            raise ValueError("the ledger key's signature does not verify")
        signed = True
    if not signed:
        raise ValueError("not signed by the ledger key " + key.text)
    lines = body[:-1].split("\n")
    if len(lines) < 3 or any(not x for x in lines) or any(ord(c) < 0x20 for c in body if c != "\n"):
        raise ValueError("the checkpoint body is malformed")
    if lines[0] != key.name:
        raise ValueError(f"the checkpoint's origin {lines[0]!r} is not the ledger's {key.name!r}")
    if not SIZE_RE.match(lines[1]) or int(lines[1]) >= 2**64:
        raise ValueError("the checkpoint's tree size is malformed")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error:
        root = b""
    if len(root) != 32 or base64.b64encode(root).decode() != lines[2]:
        raise ValueError("the checkpoint's root is not the base64 of 32 bytes")
    cp = {"size": int(lines[1]), "root": root, "time": None, "prev": None}
    # Vellum's extension lines come first: vellum-time (always), then vellum-prev (but for
    # the first checkpoint); other extension lines may follow them, never precede them.
    ext = lines[3:]
    if not ext or not ext[0].startswith("vellum-time "):
        raise ValueError("the checkpoint has no vellum-time line right after its root")
    cp["time"] = ext[0][len("vellum-time "):]
    try:
        valid_time = TS_RE.match(cp["time"]) and datetime.datetime.strptime(cp["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        valid_time = False
    if not valid_time:
        raise ValueError("the checkpoint's vellum-time is not a time as Vellum writes it")
    rest = ext[1:]
    if rest and rest[0].startswith("vellum-prev "):
        cp["prev"] = rest[0][len("vellum-prev "):]
        if not HASH_RE.match(cp["prev"]):
            raise ValueError("the checkpoint's vellum-prev is malformed")
        rest = rest[1:]
    for line in rest:
        if line.startswith("vellum-"):
            raise ValueError("an unknown, repeated or misplaced vellum- line: " + line.split(" ")[0])
    return cp


# --- Record versions: the projection, rebuilt from the events -------------------------------

GENERIC = {"record.created", "record.modified", "record.deleted"}


def split_pointer(path):
    """The reference tokens of an RFC 6901 JSON pointer."""
    if not path.startswith("/"):
        raise ValueError(f"change path {path!r} is not a JSON pointer")
    tokens = []
    for raw in path[1:].split("/"):
        if re.search(r"~(?![01])", raw):
            raise ValueError(f"change path {path!r} has a bad escape")
        tokens.append(raw.replace("~1", "/").replace("~0", "~"))
    return tokens


def apply_changes(changes, doc):
    """Applies field-level changes {path, old?, new?} (docs/formats/event.md) to `doc`, checking
    that each old value (or its absence) is what the previous version holds."""
    for c in changes:
        if not isinstance(c, dict) or not isinstance(c.get("path"), str):
            raise ValueError("a change is not an object with a string path")
        if set(c) - {"path", "old", "new"} or ("old" not in c and "new" not in c):
            raise ValueError(f"the change of {c['path']} has unknown fields, or neither old nor new")
        tokens = split_pointer(c["path"])
        parent = doc
        for t in tokens[:-1]:
            parent = parent.get(t)
            if not isinstance(parent, dict):
                raise ValueError(f"change path {c['path']} crosses a value that is not an object")
        leaf = tokens[-1]
        if (leaf in parent) != ("old" in c):
            raise ValueError(f"the change of {c['path']} does not match the previous version")
        if leaf in parent and canonical(parent[leaf]) != canonical(c["old"]):
            raise ValueError(f"the old value of {c['path']} does not match the previous version")
        if "new" in c:
            parent[leaf] = c["new"]
        else:
            del parent[leaf]


def ts_micros(ts):
    d = datetime.datetime.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(d.timetuple()) * 1_000_000 + int(ts[20:26])


class Records:
    """Every record's latest version as the events make it (RecordsProjector's rules, as
    event.md states them): a version follows the one before; version 1 creates; an event with
    no content hash is a tombstone, after which nothing follows; each version's content is the
    previous one with the event's changes applied, and its SHA-256 is the event's record hash."""

    def __init__(self):
        self.latest = {}  # (type, id) -> (version, deleted, canonical content or None)

    def apply(self, e):
        """The record_versions row the event makes, or None; ValueError when it cannot be made."""
        ref = e["record"]
        if ref is None:
            if e["type"] in GENERIC:
                raise ValueError("a record event that names no record")
            return None
        if not isinstance(ref, dict) or set(ref) != {"hash", "id", "type", "version"}:
            raise ValueError("record is not {hash, id, type, version}")
        key, version, hash_ = (ref["type"], ref["id"]), ref["version"], ref["hash"]
        if not isinstance(ref["type"], str) or not isinstance(ref["id"], str) or \
                not isinstance(version, int) or isinstance(version, bool) or version < 1 or \
                (hash_ is not None and (not isinstance(hash_, str) or not HASH_RE.match(hash_))):
            raise ValueError("record has a field of the wrong type")
        if e["type"] in GENERIC:
            deleted, created = e["type"] == "record.deleted", e["type"] == "record.created"
        else:
            deleted = hash_ is None
            created = not deleted and version == 1
        latest = self.latest.get(key)
        if created:
            if latest is not None:
                raise ValueError("the record already exists")
            if version != 1:
                raise ValueError("a new record must be version 1")
            doc = {}
        else:
            if latest is None:
                raise ValueError("the record does not exist")
            if latest[1]:
                raise ValueError("the record was deleted")
            if version != latest[0] + 1:
                raise ValueError(f"version does not follow version {latest[0]}")
            doc = None if deleted else json.loads(latest[2])
        if deleted:
            if hash_ is not None or e["changes"]:
                raise ValueError("a tombstone has a content hash or changes")
            content = None
        else:
            apply_changes(e["changes"], doc)
            content = canonical(doc)
            if hash_ != "sha256:" + hashlib.sha256(content.encode()).hexdigest():
                raise ValueError("the content hash does not match the changes")
        self.latest[key] = (version, deleted, content)
        return (ref["type"], ref["id"], version, e["seq"], ts_micros(e["ts"]), 1 if deleted else 0, content,
                None if deleted else bytes.fromhex(hash_[len("sha256:"):]))


# records.db's schema exactly as docs/formats/records-db.md publishes it. SQLite keeps each
# statement in sqlite_schema without its final ";"; the index of meta's primary key has none.
RECORDS_DB_STATEMENTS = """\
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
CREATE TABLE events (
  seq            INTEGER PRIMARY KEY,
  ts             INTEGER NOT NULL,
  type           TEXT NOT NULL,
  actor          TEXT NOT NULL,
  record_type    TEXT,
  record_id      TEXT,
  record_version INTEGER,
  leaf_hash      BLOB NOT NULL
) STRICT;
CREATE INDEX events_by_actor ON events(actor);
CREATE INDEX events_by_type ON events(type);
CREATE TABLE record_versions (
  record_type  TEXT NOT NULL,
  record_id    TEXT NOT NULL,
  version      INTEGER NOT NULL,
  seq          INTEGER PRIMARY KEY,
  ts           INTEGER NOT NULL,
  deleted      INTEGER NOT NULL,
  content      TEXT,
  content_hash BLOB
) STRICT;
CREATE UNIQUE INDEX record_versions_by_record
  ON record_versions(record_type, record_id, version);
"""
RECORDS_DB_SCHEMA = {"sqlite_autoindex_meta_1": ("index", None)}  # name -> (type, statement)
for _statement in RECORDS_DB_STATEMENTS.split(";\n")[:-1]:
    _kind, _name = re.match(r"CREATE (?:UNIQUE )?(TABLE|INDEX) (\w+)", _statement).groups()
    RECORDS_DB_SCHEMA[_name] = (_kind.lower(), _statement)


class RecordsDb:
    """records.db's rows, read in seq order beside the events (SQLite, read-only)."""

    def __init__(self, path):
        uri = "file:" + path + ("?mode=ro" if os.path.exists(path + "-wal") else "?immutable=1")
        self.db = sqlite3.connect(uri, uri=True)
        # A changed table, index or trigger could hide rows from the comparison below.
        have = {name: (kind, sql) for name, kind, sql in self.db.execute("SELECT name, type, sql FROM sqlite_schema")}
        want = RECORDS_DB_SCHEMA
        self.schema_differences = (
            [f"{kind} {name} is missing" for name, (kind, _) in want.items() if name not in have] +
            [f"{have[name][0]} {name} is not defined as Vellum defines it"
             for name in want if name in have and have[name] != want[name]] +
            [f"{kind} {name} was added" for name, (kind, _) in have.items() if name not in want])
        self.structure_damage = [line for (line,) in self.db.execute("PRAGMA quick_check(20)") if line != "ok"]
        # meta holds the schema version records-db.md describes (2), the applied count and, after a
        # recovery that ended before its system.recovered event, that recovery's note: nothing else.
        meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        groups = (("recovery_first_seq", "recovery_last_seq"), ("recovery_lines_removed", "recovery_bytes_removed"),
                  ("recovery_cut_events", "recovery_cut_lines", "recovery_cut_bytes"))
        note_keys = {k for g in groups for k in g}
        if meta.get("schema_version") != 2 or set(meta) - note_keys != {"schema_version", "applied_count"}:
            self.schema_differences.append(
                f"meta holds {sorted(meta.items())}, not schema_version 2, applied_count and a recovery note alone")
        self.recovery_note = None  # {key: value}, or the reason it is malformed
        note = {k: v for k, v in meta.items() if k in note_keys}
        if note:
            g = [all(k in note for k in grp) for grp in groups]
            whole = all(all(k in note for k in grp) or not any(k in note for k in grp) for grp in groups)
            ok = (whole and (g[0] or g[2]) and all(isinstance(v, int) and v >= 0 for v in note.values()) and
                  (not g[0] or note["recovery_first_seq"] <= note["recovery_last_seq"]) and
                  (not g[2] or (note["recovery_cut_events"] > 0 and
                                note["recovery_cut_lines"] <= note["recovery_cut_events"] and
                                note["recovery_cut_lines"] + note["recovery_cut_bytes"] > 0)))
            self.recovery_note = note if ok else f"malformed ({sorted(note.items())})"
        self.applied = self.db.execute("SELECT value FROM meta WHERE key='applied_count'").fetchone()[0]
        self.events = self.db.execute("SELECT seq, ts, type, actor, record_type, record_id, record_version, "
                                      "leaf_hash FROM events ORDER BY seq")
        self.versions = self.db.execute("SELECT record_type, record_id, version, seq, ts, deleted, content, "
                                        "content_hash FROM record_versions ORDER BY seq")
        self.next_event, self.next_version = self.events.fetchone(), self.versions.fetchone()

    def take(self, table, seq):
        """The row of `table` for event `seq`, and the rows before it that no event made."""
        skipped = []
        row = self.next_event if table == "events" else self.next_version
        cursor = self.events if table == "events" else self.versions
        seq_at = 0 if table == "events" else 3
        while row is not None and row[seq_at] < seq:
            skipped.append(row[seq_at])
            row = cursor.fetchone()
        found = row if row is not None and row[seq_at] == seq else None
        if found is not None:
            row = cursor.fetchone()
        if table == "events":
            self.next_event = row
        else:
            self.next_version = row
        return found, skipped


# --- The ledger -------------------------------------------------------------------------------

class Verifier:
    """The checks of one data directory, in the order `run` makes them; what they find is in
    `problems` (the ledger is not verified) and `notes` (what a crash leaves, what is unsigned)."""

    def __init__(self, data_dir, key, witnesses, witness_key=None, require_signed=False):
        self.dir = data_dir
        self.witness_key = witness_key  # None: the ledger's key
        self.require_signed = require_signed
        self.ledger = os.path.join(data_dir, "ledger")
        self.key = key  # None: the key the genesis event names
        self.key_from_genesis = key is None
        self.witnesses = witnesses
        self.problems, self.notes = [], []
        self.events = 0
        self.checkpoints = []  # the stored checkpoints that opened ({size, root, time, prev}), in size order
        self.witnessed = []    # the witnessed checkpoints that opened
        self.roots = {}        # tree size -> root, for every size a checkpoint names
        self.records = Records()
        self.record_versions = 0
        self.tree_files = TreeFiles(os.path.join(self.ledger, "tree"))
        # A whole data directory (vellum.toml beside ledger/) must have records.db and
        # keys/ledger.pub; a copy of the ledger/ folder alone is checked without them.
        self.whole_directory = os.path.isfile(os.path.join(data_dir, "vellum.toml"))
        self.tree_reported = False
        self.records_db = None  # RecordsDb, when the data directory has records.db
        self.last_recovered = None  # seq of the last applied system.recovered event

    def problem(self, area, message, seq=None, where=""):
        self.problems.append(Problem(area, message, seq, where))

    def run(self):
        self.check_events()
        self.check_checkpoints()
        self.check_witnesses()
        self.check_unsigned_tail()

    # What vouches for the events after the latest checkpoint: records.db, which applied them
    # when they were acknowledged, and nothing else (as `vellum verify` sees it).
    def check_unsigned_tail(self):
        signed = max((cp["size"] for cp in self.checkpoints), default=0)
        db = self.records_db
        if db is not None and db.applied < self.events:
            if max(db.applied, signed) < self.events:
                start = max(db.applied, signed)
                self.problem("projection", f"events {start}..{self.events - 1} are neither applied to records.db "
                             "nor signed by a checkpoint: nothing vouches for them", seq=start, where="records.db")
            if db.applied < signed:
                self.notes.append(f"records.db has applied {db.applied} of the {self.events} events: the rest "
                                  "came after its last commit (a crash); opening the ledger applies them")
        if signed < self.events:
            message = (f"events {signed}..{self.events - 1} after the latest checkpoint (tree size {signed}) are "
                       "covered by no signature yet")
            if self.require_signed:
                self.problem("checkpoint", message, seq=signed)
            else:
                self.notes.append(message)

    # Segments: <first seq>.jsonl, in order; every line an event.
    def check_events(self):
        seg_dir = os.path.join(self.ledger, "segments")
        try:
            entries = os.listdir(seg_dir)
        except OSError as e:
            raise Problem("files", f"cannot read the segments: {e.strerror}", where=seg_dir) from None
        names = sorted(n for n in entries if n.endswith(".jsonl") and NAME_RE.match(n[:-len(".jsonl")]))
        for n in sorted(set(entries) - set(names)):
            # Vellum opens no ledger with anything else there (a file it does not know could be
            # a segment moved aside).
            self.problem("files", "a file that is not a segment is among the segments", where="ledger/segments/" + n)
        if not names:
            self.problem("files", "the ledger has no segment", where="ledger/segments")
            return
        wanted = self.sizes_wanted()
        self.open_records_db()
        tree, prev_leaf, last_ts, expected = Tree(self.compare_tree_node), None, None, 0
        self.tree = tree
        if 0 in wanted:
            self.roots[0] = tree.root()
        # Past every applied and every signed event, a line that is not JSON at all is what a
        # write cut short by a crash leaves, not an event (as `vellum verify` reads it): a note,
        # and the end of the events.
        applied = self.records_db.applied if self.records_db is not None else 0
        torn_from = max([applied] + [size for size in wanted])
        torn = False
        for index, name in enumerate(names):
            if torn:
                break
            rel = "ledger/segments/" + name
            stem = name[:-len(".jsonl")]
            if not NAME_RE.match(stem):
                self.problem("files", "a segment name is not a 20-digit sequence number", where=rel)
                continue
            if int(stem) != expected:
                self.problem("chain", f"the segment should begin at seq {expected}", seq=int(stem), where=rel)
            with open(os.path.join(seg_dir, name), "rb") as f:
                data = f.read()
            offset = 0
            while offset < len(data):
                end = data.find(b"\n", offset)
                where = f"{rel}:{offset}"
                if end < 0:
                    if index == len(names) - 1:
                        self.notes.append(f"{where}: an incomplete last line ({len(data) - offset} bytes), left by "
                                          "a crash during a write; it is not an event (opening the ledger removes it)")
                    else:
                        self.problem("format", "a segment that is not the last ends without a newline", where=where)
                    break
                line = data[offset:end]
                if expected >= torn_from and not_json_at_all(line):
                    self.notes.append(f"{where}: the lines from here on are not JSON: what a write cut short by a "
                                      "crash leaves, never acknowledged (records.db has not applied them, no "
                                      "checkpoint signs them); opening the ledger removes them")
                    torn = True
                    break
                offset = end + 1
                leaf = leaf_hash(line)
                try:
                    event = parse_canonical(line)
                    seq = self.check_fields(event)
                except ValueError as e:
                    self.problem("format", str(e), seq=expected, where=where)
                    seq = expected
                    event = None
                if seq != expected:
                    self.problem("chain", f"seq {seq} where {expected} was expected", seq=seq, where=where)
                if event is not None:
                    want_prev = None if prev_leaf is None else "sha256:" + prev_leaf.hex()
                    if prev_leaf is None:
                        self.check_genesis(event, where)
                    elif event["prev"] != want_prev:
                        self.problem("chain", "prev is not the leaf hash of the line before", seq=seq, where=where)
                    if last_ts is not None and event["ts"] < last_ts:
                        self.problem("chain", f"time goes backwards ({event['ts']} after {last_ts})",
                                     seq=seq, where=where)
                    last_ts = event["ts"]
                self.replay(event, seq, leaf, where)
                expected = seq + 1
                prev_leaf = leaf
                tree.append(leaf)
                if tree.size in wanted:
                    self.roots[tree.size] = tree.root()
        self.events = tree.size
        self.finish_records_db()
        # tree/synced: the size whose tree entries were made durable, never more than the events.
        if self.tree_files.synced_problem:
            self.problem("tree", self.tree_files.synced_problem, where="ledger/tree/synced")
        elif self.tree_files.synced > tree.size:
            self.problem("tree", f"says the tree was made durable for {self.tree_files.synced} events but the "
                         f"ledger holds {tree.size}: events were removed", where="ledger/tree/synced")
        # Stored hashes beyond what the events make mean events were removed.
        for level in sorted(self.tree_files.levels):
            have, expect = self.tree_files.count(level), tree.size >> level
            if have > expect:
                self.problem("tree", f"holds {have} hashes but the ledger's {tree.size} events make {expect}",
                             where=f"ledger/tree/level-{level:02d}.hash")

    # Each complete subtree against the level files. The first mismatch locates the damage (every
    # node above it differs too); past the durable size (tree/synced) it is what a crash leaves,
    # which the next open recomputes: a note.
    def compare_tree_node(self, level, index, h):
        if self.tree_reported:
            return
        wrong = self.tree_files.compare(level, index, h)
        if not wrong:
            return
        self.tree_reported = True
        completing = self.tree.size - 1  # the leaf whose append completed this node
        if completing >= self.tree_files.synced:
            self.notes.append(f"{wrong}, past the tree size made durable ({self.tree_files.synced}): what a crash "
                              "leaves there; opening the ledger recomputes it from the events")
        else:
            self.problem("tree", wrong + " (and every tree node above it)", seq=completing, where="ledger/tree")

    def open_records_db(self):
        path = os.path.join(self.dir, "records.db")
        # records.db's writes are not synced while Vellum runs; a mark beside it names the boot
        # (records-db.md, "Writes not yet synced"). Marked in another boot, a power cut or system
        # crash may have taken any of its pages: it is not compared, and the next open rebuilds it.
        unsynced = self.unsynced_records_db(path)
        if unsynced:
            self.problem("projection", unsynced, where="records.db")
            return
        if not os.path.isfile(path):
            if self.whole_directory:
                self.problem("projection", "the data directory has no records.db", where="records.db")
            else:
                self.notes.append("no records.db: the projection was not compared with the events")
            return
        try:
            self.records_db = RecordsDb(path)
        except (sqlite3.Error, TypeError) as e:
            self.problem("projection", f"records.db cannot be read: {e}", where="records.db")
            return
        for difference in self.records_db.schema_differences:
            self.problem("projection", "its schema was changed: " + difference, where="records.db")
        # SQLite's own check of every page (a zeroed index page reads as nothing missing here,
        # and fails the next write); the rows themselves are compared below.
        for line in self.records_db.structure_damage:
            self.problem("projection", "is damaged (rebuild it from the ledger with `vellum rebuild-records`): "
                         "SQLite's structure check: " + line, where="records.db")

    def unsynced_records_db(self, path):
        if os.path.exists(os.path.join(self.dir, "records-rebuilt-at-open.json")):
            return ("records.db is being rebuilt from the ledger after a power cut or system crash left it with "
                    "writes not on disk; the next command that opens the data directory finishes it")
        try:
            with open(path + "-unsynced", "rb") as f:
                marked = f.read().decode("utf-8", "replace").rstrip("\r\n")
        except FileNotFoundError:
            return None
        try:
            with open("/proc/sys/kernel/random/boot_id", "rb") as f:
                boot = f.read().decode("ascii", "replace").strip()
        except OSError:
            boot = ""
        if boot and marked == boot:
            return None
        return (f"records.db was left with changes not yet on stable storage when the system stopped (boot "
                f"{marked}): some may be lost, so it is not compared; the next command that opens the data "
                "directory rebuilds it from the ledger")

    # The record version the event makes (the ledger's own consistency: each version's hash follows
    # from the changes), then records.db's rows for it, when records.db has applied it.
    def replay(self, event, seq, leaf, where):
        row = None
        if event is not None:
            try:
                row = self.records.apply(event)
            except ValueError as e:
                self.problem("record", str(e), seq=seq, where=where)
            self.record_versions += row is not None
        db = self.records_db
        if db is None or seq >= db.applied:
            return
        try:
            stored_event, skipped = db.take("events", seq)
            stored_version, skipped_versions = db.take("versions", seq)
        except sqlite3.Error as e:
            self.problem("projection", f"records.db cannot be read: {e}", where="records.db")
            self.records_db = None
            return
        for s in skipped + skipped_versions:
            self.problem("projection", "records.db holds a row that no event made", seq=s, where="records.db")
        if event is None:
            return  # the line itself is named above
        if event["type"] == "system.recovered":
            self.last_recovered = seq
        ref = event["record"] if isinstance(event["record"], dict) else {}
        want = (seq, ts_micros(event["ts"]), event["type"], event["actor"], ref.get("type"), ref.get("id"),
                ref.get("version"), leaf)
        if stored_event is None:
            self.problem("projection", "records.db's event index lacks this event", seq=seq, where="records.db")
        elif tuple(stored_event) != want:
            self.problem("projection", "records.db's row for this event differs from the event", seq=seq,
                         where="records.db")
        if row is not None and stored_version is None:
            self.problem("projection", "records.db lacks the record version this event makes", seq=seq,
                         where="records.db")
        elif stored_version is not None and tuple(stored_version) != row:
            self.problem("projection", "records.db's record version differs from the one the events make",
                         seq=seq, where="records.db")

    def finish_records_db(self):
        db = self.records_db
        if db is None:
            return
        try:
            for table in ("events", "versions"):
                row, rest = db.take(table, 2**63 - 1)
                for s in rest:
                    self.problem("projection", "records.db holds a row that no event made", seq=s,
                                 where="records.db")
        except sqlite3.Error as e:
            self.problem("projection", f"records.db cannot be read: {e}", where="records.db")
        if db.applied > self.events:
            self.problem("projection", f"records.db says it applied {db.applied} events; the ledger has "
                         f"{self.events}", where="records.db")
        self.check_recovery_note(db)

    # The note of what a recovery did that no system.recovered event records yet (records-db.md): a crash
    # right after the recovery's commit leaves it; the next open records it.
    def check_recovery_note(self, db):
        note = db.recovery_note
        if note is None:
            return
        if isinstance(note, str):
            self.problem("projection", f"its recovery note is {note}", where="records.db")
            return
        # The first seq a system.recovered event recording the note can have.
        recorded_from = max(note.get("recovery_last_seq", -1) + 1,
                            note.get("recovery_cut_events", 0) - note.get("recovery_cut_lines", 0))
        if recorded_from > min(db.applied, self.events):
            self.problem("projection", f"its recovery note names events up to {recorded_from - 1}, which it has not "
                         "applied", where="records.db")
        elif self.last_recovered is not None and self.last_recovered >= recorded_from:
            self.problem("projection", "it holds a recovery note that the system.recovered event after it would "
                         "have removed", seq=self.last_recovered, where="records.db")
        else:
            self.notes.append(f"records.db notes that a recovery did something no system.recovered event records "
                              f"yet ({', '.join(f'{k} = {v}' for k, v in sorted(note.items()))}); the next open "
                              "records it")

    def check_fields(self, e):
        if not isinstance(e, dict):
            raise ValueError("the line is not a JSON object")
        missing, extra = EVENT_FIELDS - e.keys(), e.keys() - EVENT_FIELDS
        if missing or extra:
            raise ValueError("fields " + ", ".join(
                [f"missing {k}" for k in sorted(missing)] + [f"unknown {k}" for k in sorted(extra)]))
        if not isinstance(e["seq"], int) or isinstance(e["seq"], bool) or e["seq"] < 0:
            raise ValueError("seq is not an integer >= 0")
        if not isinstance(e["ts"], str) or not TS_RE.match(e["ts"]):
            raise ValueError("ts is not YYYY-MM-DDTHH:MM:SS.ffffffZ")
        if not isinstance(e["id"], str) or not EVENT_ID_RE.match(e["id"]):
            raise ValueError("id is not 32 lower-case hex digits")
        if e["prev"] is not None and (not isinstance(e["prev"], str) or not HASH_RE.match(e["prev"])):
            raise ValueError("prev is not sha256:<64 hex digits>")
        for k in ("type", "actor", "actor_name"):
            if not isinstance(e[k], str) or not e[k]:
                raise ValueError(k + " is not a non-empty string")
        if not isinstance(e["changes"], list) or not isinstance(e["data"], dict):
            raise ValueError("changes is not an array or data not an object")
        for k in ("session", "client", "reason", "guideline"):
            if e[k] is not None and not isinstance(e[k], str):
                raise ValueError(k + " is not a string or null")
        for k in ("actor", "guideline"):
            if e[k] is not None and not ID_RE.match(e[k]):
                raise ValueError(k + " is not an id (1 to 128 of A-Z a-z 0-9 . _ : @ -, not starting with punctuation)")
        ref = e["record"]
        if isinstance(ref, dict):
            for k in ("type", "id"):
                if isinstance(ref.get(k), str) and not ID_RE.match(ref[k]):
                    raise ValueError(f"record {k} is not an id (1 to 128 of A-Z a-z 0-9 . _ : @ -, not starting with punctuation)")
        if e["source"] is not None and not isinstance(e["source"], dict):
            raise ValueError("source is not an object or null")
        return e["seq"]

    def check_genesis(self, e, where):
        if e["seq"] != 0 or e["type"] != "ledger.genesis" or e["prev"] is not None:
            self.problem("chain", "the first event is not the genesis event", seq=e["seq"], where=where)
            return
        named = e["data"].get("public_key")
        if self.key is None:
            try:
                self.key = VerifierKey(named if isinstance(named, str) else "")
            except ValueError as err:
                self.problem("keys", f"the genesis event names no usable key: {err}", seq=0, where=where)
        elif named != self.key.text:
            self.problem("keys", "the genesis event names another key than the one given", seq=0, where=where)

    # Every size a stored or witnessed checkpoint names, read before the events (unverified:
    # only to know at which sizes to keep the root; each note is checked afterwards).
    def sizes_wanted(self):
        sizes = set()
        for text in self.stored_notes() + [t for _, t in self.witness_notes()]:
            lines = text.split("\n")
            if len(lines) > 1 and SIZE_RE.match(lines[1]):
                sizes.add(int(lines[1]))
        return sizes

    def stored_notes(self):
        if not hasattr(self, "_stored"):
            cp_dir = os.path.join(self.ledger, "checkpoints")
            entries = os.listdir(cp_dir) if os.path.isdir(cp_dir) else []
            self._stored_names = sorted(n for n in entries if n.endswith(".note") and NAME_RE.match(n[:-5]))
            for n in sorted(set(entries) - set(self._stored_names)):
                if ".tmp." not in n:  # a write's temporary file, left by a crash, is not a checkpoint
                    self.problem("files", "a file that is not a checkpoint is among the checkpoints",
                                 where="ledger/checkpoints/" + n)
            self._stored_bytes = []
            for n in self._stored_names:
                with open(os.path.join(cp_dir, n), "rb") as f:
                    self._stored_bytes.append(f.read())
            # Undecodable bytes become U+FFFD: such a note then fails its signature check.
            self._stored = [b.decode("utf-8", "replace") for b in self._stored_bytes]
        return self._stored

    def witness_notes(self):
        if not hasattr(self, "_witnessed"):
            self._witnessed = []
            for path in self.witnesses:
                with open(path, "rb") as f:
                    text = f.read().decode("utf-8", "replace")
                try:
                    self._witnessed += [(path, n) for n in split_notes(text)]
                except ValueError as e:
                    self.problem("witness", str(e), where=path)
        return self._witnessed

    def check_root(self, area, cp, where):
        if cp["size"] > self.events:
            self.problem(area, f"signs {cp['size']} events but the ledger has {self.events}: "
                         "events were removed", where=where)
        elif self.roots.get(cp["size"]) != cp["root"]:
            self.problem(area, f"its root is not the root of the ledger's first {cp['size']} events",
                         where=where)

    def check_checkpoints(self):
        if self.key is None:
            return  # no key to check them with (named above)
        names, previous = self._stored_names, None
        if not names:
            self.problem("checkpoint", "the ledger has no signed checkpoint", where="ledger/checkpoints")
        for name, text, raw in zip(names, self.stored_notes(), self._stored_bytes):
            where = "ledger/checkpoints/" + name
            try:
                cp = open_checkpoint(text, self.key)
            except ValueError as e:
                self.problem("checkpoint", str(e), where=where)
                previous = None
                continue
            if name != f"{cp['size']:020d}.note":
                self.problem("checkpoint", f"the file name does not match its size {cp['size']}", where=where)
            self.check_root("checkpoint", cp, where)
            if previous is not None:
                want = "sha256:" + hashlib.sha256(previous[0]).hexdigest()
                if cp["prev"] != want:
                    self.problem("checkpoint", "vellum-prev is not the hash of the checkpoint before",
                                 where=where)
                if cp["time"] and previous[1]["time"] and cp["time"] < previous[1]["time"]:
                    self.problem("checkpoint", "its time is earlier than the checkpoint before", where=where)
            elif name == names[0] and cp["prev"] is not None:
                self.problem("checkpoint", "the first checkpoint has a vellum-prev: one before it is missing",
                             where=where)
            self.checkpoints.append(cp)
            previous = (raw, cp)

    def check_witnesses(self):
        if self.key is None:
            return
        for index, (path, text) in enumerate(self.witness_notes()):
            where = f"{path} (note {index + 1})"
            try:
                cp = open_checkpoint(text, self.witness_key or self.key)
            except ValueError as e:
                self.problem("witness", str(e), where=where)
                continue
            self.check_root("witness", cp, where)
            self.witnessed.append(cp)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Check a Vellum ledger offline, from its published formats alone.")
    parser.add_argument("data", help="the data directory (holding ledger/ and keys/ledger.pub)")
    parser.add_argument("--key", help="the ledger's verifier key (<origin>+<id>+<base64>), from a source "
                        "you trust; default: the key the genesis event names, compared with keys/ledger.pub")
    parser.add_argument("--witness", action="append", default=[], metavar="FILE",
                        help="a witness file of checkpoints the ledger must extend (repeatable)")
    parser.add_argument("--witness-key", metavar="VKEY",
                        help="the key the witness files' checkpoints are signed with; default: the ledger's")
    parser.add_argument("--require-signed", action="store_true",
                        help="events after the latest checkpoint are a problem, not a note")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)
    if Ed25519PublicKey is None:
        print("offline_verify: the Python package 'cryptography' is needed (Debian: python3-cryptography)",
              file=sys.stderr)
        return 2
    if not os.path.isdir(os.path.join(args.data, "ledger")):
        print(f"offline_verify: {args.data} holds no ledger/ folder", file=sys.stderr)
        return 2
    for w in args.witness:
        if not os.path.isfile(w):
            print(f"offline_verify: no witness file {w}", file=sys.stderr)
            return 2
    keys = {}
    for option, text in (("--key", args.key), ("--witness-key", args.witness_key)):
        if text is not None:
            try:
                keys[option] = VerifierKey(text)
            except ValueError as e:
                print(f"offline_verify: {option}: {e}", file=sys.stderr)
                return 2
    v = Verifier(args.data, keys.get("--key"), args.witness, keys.get("--witness-key"), args.require_signed)
    try:
        v.run()
    except Problem as p:
        v.problems.append(p)
    except (OSError, sqlite3.Error, ValueError, KeyError, TypeError, IndexError) as e:
        # What the checks above did not foresee still fails the verification, never passes it.
        v.problem("files", f"the check stopped: {type(e).__name__}: {e}")
    pub = os.path.join(args.data, "keys", "ledger.pub")
    if v.key is not None and os.path.isfile(pub):
        with open(pub, encoding="utf-8", errors="replace") as f:
            # The key, then line ends only (as Vellum reads it): spaces around it are not the key.
            if f.read().rstrip("\r\n") != v.key.text:
                v.problem("keys", "keys/ledger.pub is not the ledger's key", where="keys/ledger.pub")
    elif v.whole_directory and not os.path.isfile(pub):
        v.problem("keys", "the data directory has no keys/ledger.pub", where="keys/ledger.pub")
    if v.key_from_genesis and v.key is not None:
        v.notes.append("the checkpoints were checked with the key the genesis event names; give --key from a "
                       "source you trust, or --witness, to rule out a ledger rewritten under a new key")
    latest = max((cp["size"] for cp in v.checkpoints), default=None)
    if args.format == "json":
        print(json.dumps({"ok": not v.problems, "events": v.events, "checkpoints": len(v.checkpoints),
                          "latest_checkpoint_size": latest, "witnessed_checkpoints": len(v.witnessed),
                          "record_versions": v.record_versions,
                          "records_db_applied": v.records_db.applied if v.records_db else None,
                          "key": v.key.text if v.key else None,
                          "problems": [p.as_dict() for p in v.problems], "notes": v.notes}, indent=2))
    else:
        for p in v.problems:
            at = " ".join(x for x in (f"seq {p.seq}" if p.seq is not None else "", p.where) if x)
            print(f"PROBLEM [{p.area}] {at}: {p.message}")
        for n in v.notes:
            print("note: " + n)
        status = "VERIFIED" if not v.problems else f"FAILED: {len(v.problems)} problem(s)"
        print(f"{status}: {v.events} events, {v.record_versions} record versions, {len(v.checkpoints)} checkpoints "
              f"(latest signs {latest} events), {len(v.witnessed)} witnessed checkpoints"
              + (", records.db compared" if v.records_db else ""))
    return 0 if not v.problems else 1


if __name__ == "__main__":
    sys.exit(main())
