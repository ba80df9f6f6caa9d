"""Merkle tree hashing, inclusion and consistency proofs exactly as RFC 9162 section 2.1.

Pure and standalone: anyone can check a proof with this module alone (or with any RFC 6962 / 9162
implementation: Go's transparency-dev/merkle, Trillian, Sigstore's verifiers). SHA-256 with
domain separation: a leaf hashes as SHA-256(0x00 || data), an interior node as
SHA-256(0x01 || left || right), the empty tree as SHA-256().

Proofs are built from the hashes of *perfect* subtrees (2^level leaves starting at a multiple of
2^level), which is what a store keeps so that proving never rehashes the whole log: every range
the RFC's recursion asks for splits into at most log2(n) perfect subtrees (`perfect_nodes`).
`inclusion_proof(index, leaves)` and friends work on a list of leaf hashes; the `*_plan` functions
say which perfect subtrees a proof needs, so a store can fetch them in one query.

Written here rather than taken from a library: no maintained Python package implements RFC 9162's
proofs (the candidates are unmaintained or RFC 6962 only without consistency proofs), and the
algorithms are short; they are tested against the RFC 6962 / 9162 known-answer vectors and
exhaustively for every tree size up to a few hundred.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]  # (level, index): the perfect subtree of leaves [index * 2^level, (index + 1) * 2^level)


class ProofError(ValueError):
    """A proof was asked for positions the tree does not have."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH of the leaves given as leaf hashes (not data): a stack fold, O(n), no recursion."""
    if not leaves:
        return EMPTY_ROOT
    # The stack holds perfect subtrees of decreasing size; appending leaf i merges as many as
    # i has trailing one bits, then the right edge is folded from the right.
    stack: list[bytes] = []
    for i, h in enumerate(leaves):
        stack.append(h)
        size = i + 1
        while size % 2 == 0:
            right = stack.pop()
            stack[-1] = node_hash(stack[-1], right)
            size //= 2
    result = stack[-1]
    for left in reversed(stack[:-1]):
        result = node_hash(left, result)
    return result


def perfect_nodes(lo: int, hi: int) -> list[Node]:
    """The perfect subtrees that make up the range [lo, hi) of the RFC's recursion, left to right."""
    nodes = []
    while hi - lo > 0:
        n = hi - lo
        size = n if n & (n - 1) == 0 else _split(n)
        level = size.bit_length() - 1
        assert lo % size == 0, "ranges of the RFC recursion start at multiples of their subtree size"
        nodes.append((level, lo >> level))
        lo += size
    return nodes


def range_hash(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from the hashes of its perfect subtrees (in the order `perfect_nodes` gives)."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_plan(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose MTH make up PATH(index, D[size]), in proof order (RFC 9162 2.1.3.1)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    ranges: list[tuple[int, int]] = []
    lo, hi, m = 0, size, index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m = lo + k, m - k
    return list(reversed(ranges))


def consistency_plan(first: int, second: int) -> list[tuple[int, int]]:
    """The ranges whose MTH make up PROOF(first, D[second]), in proof order (RFC 9162 2.1.4.1)."""
    if not 0 < first <= second:
        raise ProofError(f"no consistency proof from {first} to {second}")
    ranges: list[tuple[int, int]] = []
    lo, hi, m, whole = 0, second, first, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        ranges.append((lo, hi))
    return list(reversed(ranges))


def prove(plan: Sequence[tuple[int, int]], node: Callable[[int, int], bytes]) -> list[bytes]:
    """Turn a plan into hashes with a function giving perfect subtree hashes by (level, index)."""
    return [range_hash([node(level, i) for level, i in perfect_nodes(lo, hi)]) for lo, hi in plan]


class _Levels:
    """Every perfect subtree hash of a list of leaf hashes (for proofs over an in-memory list)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.levels = [list(leaves)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])

    def __call__(self, level: int, index: int) -> bytes:
        return self.levels[level][index]


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) for the leaf hashes `leaves`."""
    return prove(inclusion_plan(index, len(leaves)), _Levels(leaves))


def consistency_proof(first: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(first, D[n]) for the leaf hashes `leaves` (n = len(leaves))."""
    return prove(consistency_plan(first, len(leaves)), _Levels(leaves))


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 2.1.3.2: does `proof` show leaf hash `leaf` at `index` in the tree of `size` with `root`?"""
    if not 0 <= index < size or any(len(p) != HASH_SIZE for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes) -> bool:
    """RFC 9162 2.1.4.2: does `proof` show the tree of `first` leaves is a prefix of the one of `second`?"""
    if any(len(p) != HASH_SIZE for p in proof) or first < 0 or second < first:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof  # the empty tree is a prefix of every tree
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
