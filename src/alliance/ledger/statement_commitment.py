"""Each member's part of a settled day, committed one by one: salted leaves in a Merkle tree. Pure.

A day's `settlement.day_closed` entry digests the whole statement (`statements_sha256`), which only
someone holding every member's lines can recompute. A member that leaves takes its own lines only
(exits/archive_format.py), so that digest alone cannot prove them offline. The entry therefore also
records `members_root`: the root of an RFC 9162 Merkle tree (ledger/merkle.py) with one leaf per
account in the statement, in sorted order, each leaf the canonical JSON of

    {"account": ..., "day": "YYYY-MM-DD", "lines_sha256": <digest of that account's lines>, "salt": ...}

The member's archive carries its salt and the leaf's inclusion path, so a verifier recomputes the
leaf from the member's own lines and checks it against the root in the signed log: the member's
lines are proven to be the ones settled that day, with nothing but the archive.

Why salted: the path hands the verifier its siblings' hashes. Unsalted, the leaf of another member
would be a hash of that member's code and lines, against which anyone could test guesses of its
day (a small shop's day is often one or two orders). A 128-bit random salt per account and day,
stored with the run and given only to that account, makes a sibling hash say nothing.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alliance.ledger.digests import value_digest
from alliance.ledger.merkle import inclusion_proof, leaf_hash, root_hash, verify_inclusion

SALT_BYTES = 16


def new_salts(accounts: Iterable[str]) -> dict[str, str]:
    """A fresh random salt (hex) for every account."""
    return {account: secrets.token_hex(SALT_BYTES) for account in sorted(set(accounts))}


def accounts_of(statement: Sequence[Mapping[str, Any]]) -> list[str]:
    return sorted({str(line["account"]) for line in statement})


def lines_of(statement: Sequence[Mapping[str, Any]], account: str) -> list[Mapping[str, Any]]:
    """An account's lines of a statement, in the statement's order (the order they are digested in)."""
    return [line for line in statement if line["account"] == account]


def leaf(day: str, account: str, lines: Sequence[Mapping[str, Any]], salt: str) -> bytes:
    """The leaf hash of an account's lines of a day."""
    data = {"account": account, "day": day, "lines_sha256": value_digest(list(lines)), "salt": salt}
    return leaf_hash(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8"))


def _leaves(day: str, statement: Sequence[Mapping[str, Any]], salts: Mapping[str, str]) -> list[bytes]:
    return [leaf(day, a, lines_of(statement, a), salts.get(a, "")) for a in accounts_of(statement)]


def members_root(day: str, statement: Sequence[Mapping[str, Any]], salts: Mapping[str, str] | None) -> str | None:
    """The hex root a day's entry records; None for a day with no lines or settled before salts were kept."""
    if not statement or not salts:
        return None
    return root_hash(_leaves(day, statement, salts)).hex()


@dataclass(frozen=True, slots=True)
class MemberProof:
    """What a member's archive carries to prove its lines of one day against the day's `members_root`."""

    salt: str
    index: int
    size: int
    path: tuple[str, ...]  # hex sibling hashes, leaf to root

    def as_json(self) -> dict[str, Any]:
        return {"salt": self.salt, "index": self.index, "size": self.size, "path": list(self.path)}

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> MemberProof:
        return cls(str(data["salt"]), int(data["index"]), int(data["size"]), tuple(str(h) for h in data["path"]))


def prove(day: str, statement: Sequence[Mapping[str, Any]], salts: Mapping[str, str], account: str) -> MemberProof | None:
    """The proof of `account`'s lines of the day (None: it has none, or the day kept no salts)."""
    accounts = accounts_of(statement)
    if account not in accounts or not salts:
        return None
    index = accounts.index(account)
    path = inclusion_proof(index, _leaves(day, statement, salts))
    return MemberProof(salts[account], index, len(accounts), tuple(h.hex() for h in path))


def verify(day: str, account: str, lines: Sequence[Mapping[str, Any]], proof: MemberProof, root: str) -> bool:
    """Are `lines` exactly `account`'s lines of the day whose entry recorded `root`?"""
    try:
        path = [bytes.fromhex(h) for h in proof.path]
        expected = bytes.fromhex(root)
    except ValueError:
        return False
    return verify_inclusion(proof.index, proof.size, leaf(day, account, lines, proof.salt), path, expected)
