#!/usr/bin/env python3
"""Checks a Vellum proof bundle offline, from its published format alone (AT-9).

The same checks as `vellum verify-proof`, written from docs/formats/proof-bundle.md,
checkpoint.md and event.md (and RFC 9162 §2.1.3.2 and §2.1.4.2), not from Vellum's
code: an inspector holding a bundle and the ledger's verifier key, and nothing
else, can see that an event is in the signed ledger (inclusion) or that a later
checkpoint extends an earlier one unchanged (consistency).

    offline_verify_proof.py BUNDLE.json --key VKEY      (BUNDLE "-" reads stdin)

Exit status: 0 valid, 1 a signature or the proof fails, 2 the bundle or the key is
malformed. Needs offline_verify.py beside it and the `cryptography` package.
"""

import argparse
import base64
import binascii
import json
import sys

import offline_verify as ov

INCLUSION_FIELDS = {"type", "version", "seq", "event", "leaf_hash", "tree_size", "proof", "checkpoint"}
CONSISTENCY_FIELDS = {"type", "version", "old_checkpoint", "new_checkpoint", "proof"}


class Malformed(Exception):
    pass


class Invalid(Exception):
    pass


def hash_of(text, what):
    try:
        raw = base64.b64decode(text, validate=True) if isinstance(text, str) else b""
    except binascii.Error:
        raw = b""
    if len(raw) != 32 or base64.b64encode(raw).decode() != text:
        raise Malformed(f"{what} is not the base64 of 32 bytes")
    return raw


def count(v, what):
    if not isinstance(v, int) or isinstance(v, bool) or v < 0 or v >= 2**64:
        raise Malformed(f"{what} is not an integer from 0 to 2^64-1")
    return v


def checkpoint(note, key, what):
    if not isinstance(note, str):
        raise Malformed(f"{what} is not a string")
    try:
        return ov.open_checkpoint(note, key)
    except ValueError as e:
        raise Invalid(f"{what}: {e}") from None


def shift_until_odd_or_zero(fn, sn):
    """RFC 9162's "right-shift both fn and sn equally until either LSB(fn) is set or fn is 0"."""
    while not (fn & 1) and fn != 0:
        fn >>= 1
        sn >>= 1
    return fn, sn


def inclusion_root(index, size, leaf, proof):
    """RFC 9162 §2.1.3.2: the root that `proof` gives for leaf `index` of a tree of `size`."""
    if index >= size:
        raise Invalid(f"seq {index} is not below the tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise Invalid("the proof has more hashes than the tree needs")
        if fn & 1 or fn == sn:
            r = ov.node_hash(p, r)
            fn, sn = shift_until_odd_or_zero(fn, sn)
        else:
            r = ov.node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Invalid("the proof has fewer hashes than the tree needs")
    return r


def check_consistency(size1, size2, root1, root2, proof):
    """RFC 9162 §2.1.4.2: whether `proof` shows the tree (size2, root2) extends (size1, root1)."""
    if size1 > size2:
        raise Invalid(f"the old checkpoint's size {size1} is larger than the new one's {size2}")
    if size1 == size2:
        if proof or root1 != root2:
            raise Invalid("two checkpoints of one size with different roots, or a proof between them")
        return
    if size1 == 0:
        if proof:
            raise Invalid("a proof from the empty tree must be empty")
        return  # every tree extends the empty one
    if not proof:
        raise Invalid("the proof is empty")
    if size1 & (size1 - 1) == 0:  # a power of two: the old root is the first subtree
        proof = [root1] + proof
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise Invalid("the proof has more hashes than the trees need")
        if fn & 1 or fn == sn:
            fr, sr = ov.node_hash(c, fr), ov.node_hash(c, sr)
            fn, sn = shift_until_odd_or_zero(fn, sn)
        else:
            sr = ov.node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != root1 or sr != root2:
        raise Invalid("the proof does not lead from the old root to the new one")


def check(bundle, key):
    """A sentence saying what the valid bundle proves; Malformed or Invalid otherwise."""
    if not isinstance(bundle, dict):
        raise Malformed("the bundle is not a JSON object")
    kind = bundle.get("type")
    fields = {"vellum.inclusion_proof": INCLUSION_FIELDS, "vellum.consistency_proof": CONSISTENCY_FIELDS}.get(kind)
    if fields is None:
        raise Malformed(f"unknown bundle type {kind!r}")
    if set(bundle) != fields:
        raise Malformed("fields " + ", ".join(sorted(set(bundle) ^ fields)) + " missing or unknown")
    if type(bundle["version"]) is not int or bundle["version"] != 1:  # not 1.0, not true
        raise Malformed("not a version 1 bundle")
    if not isinstance(bundle["proof"], list):
        raise Malformed("proof is not an array")
    proof = [hash_of(p, "a proof hash") for p in bundle["proof"]]
    for note in ("checkpoint", "old_checkpoint", "new_checkpoint"):
        if note in fields and not isinstance(bundle[note], str):
            raise Malformed(f"{note} is not a string")
    if kind == "vellum.inclusion_proof":
        seq, size = count(bundle["seq"], "seq"), count(bundle["tree_size"], "tree_size")
        if not isinstance(bundle["event"], str):
            raise Malformed("event is not a string")
        leaf = hash_of(bundle["leaf_hash"], "leaf_hash")
        # The bundle's form is checked above; what it holds is evidence, so an event line that
        # is not a canonical event (edited, say) fails the proof rather than the bundle's form.
        line = bundle["event"].encode("utf-8", "surrogatepass")
        try:
            event = ov.parse_canonical(line)
        except ValueError as e:
            raise Invalid(f"event: {e}") from None
        cp = checkpoint(bundle["checkpoint"], key, "checkpoint")
        if not isinstance(event, dict) or event.get("seq") != seq:
            raise Invalid(f"the bundle says seq {seq} but the event says {event.get('seq') if isinstance(event, dict) else None}")
        if size != cp["size"]:
            raise Invalid(f"tree_size {size} is not the signed checkpoint's size {cp['size']}")
        if leaf != ov.leaf_hash(line):
            raise Invalid("leaf_hash is not the hash of the event")
        if inclusion_root(seq, size, leaf, proof) != cp["root"]:
            raise Invalid("the computed root differs from the signed checkpoint's")
        return f"event {seq} ({event.get('type')}) is in the ledger of {size} events that {key.name} signed"
    old = checkpoint(bundle["old_checkpoint"], key, "old_checkpoint")
    new = checkpoint(bundle["new_checkpoint"], key, "new_checkpoint")
    check_consistency(old["size"], new["size"], old["root"], new["root"], proof)
    return f"the ledger of {new['size']} events extends the one of {old['size']} unchanged"


def no_lone_surrogates(value):
    """Malformed when a string of the bundle holds a \\uD800-\\uDFFF escape that pairs with
    nothing: JSON text is Unicode, and such a string is none (I-JSON, RFC 7493 §2.1)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                raise Malformed("the bundle is not JSON: a string holds a lone surrogate") from None


def main(argv=None):
    parser = argparse.ArgumentParser(description="Check a Vellum proof bundle offline.")
    parser.add_argument("bundle", help="the bundle file, or - for stdin")
    parser.add_argument("--key", required=True, help="the ledger's verifier key (<origin>+<id>+<base64>)")
    args = parser.parse_args(argv)
    if ov.Ed25519PublicKey is None:
        print("offline_verify_proof: the Python package 'cryptography' is needed (Debian: python3-cryptography)",
              file=sys.stderr)
        return 2
    try:
        key = ov.VerifierKey(args.key)
    except ValueError as e:
        print(f"offline_verify_proof: --key: {e}", file=sys.stderr)
        return 2
    try:
        raw = sys.stdin.buffer.read() if args.bundle == "-" else open(args.bundle, "rb").read()
    except OSError as e:
        print(f"offline_verify_proof: cannot read {args.bundle}: {e.strerror}", file=sys.stderr)
        return 2
    try:
        try:
            bundle = json.loads(raw.decode("utf-8"), object_pairs_hook=ov._no_duplicates,
                                parse_constant=ov._no_constants)
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise Malformed(f"the bundle is not JSON: {e}") from None
        no_lone_surrogates(bundle)
        print("VALID: " + check(bundle, key))
        return 0
    except Malformed as e:
        print(f"offline_verify_proof: malformed bundle: {e}", file=sys.stderr)
        return 2
    except Invalid as e:
        print(f"INVALID: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
