"""Verify a whole log: every entry, every stored hash, every checkpoint, in one pass.

Pure: it takes the entries in order, what the store claims about them (leaf hashes, perfect
subtree hashes) when there is a store, and the checkpoints with the verifier key. It recomputes
each leaf hash from the entry's bytes (which must be canonical JSON), keeps the frontier of the
tree as it grows, compares every perfect subtree it completes with the stored one, and at each
checkpoint's size compares the recomputed root with the signed one. Checkpoints that all match
the same recomputed history are mutually consistent by construction.

Checking that every entry is canonical JSON (RFC 8785) costs about 7 us an entry, several times
the hashing; an export's verification does it when asked (`--strict`), a store's always.

The first mismatch is reported with what it is (an entry, a node, a checkpoint) and where; an
entry edited together with every hash above it is caught by the first checkpoint signed after it,
which is then named with the range of entries it covers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hashlib import sha256

from alliance.core.errors import AllianceError
from alliance.core.messages import Message

from alliance.ledger.events import is_canonical
from alliance.ledger.merkle import EMPTY_ROOT, range_hash
from alliance.ledger.note import Checkpoint, NoteInvalid, Verifier, open_checkpoint


@dataclass(frozen=True)
class Mismatch:
    what: str   # "entry", "node", "checkpoint" or "log" (an identifier)
    where: str  # "entry 41", "node level 3 index 5", "checkpoint of size 120" (Messages: said in the user's language)
    why: str

    def __str__(self) -> str:
        return self.text()

    def text(self) -> Message:
        """"where: why" as one message, in any language."""
        return Message("{where}: {reason}", where=self.where, reason=self.why)


def _entry(index: int) -> Message:
    return Message("entry {index}", index=index)


def _checkpoint(size: int) -> Message:
    return Message("checkpoint of size {size}", size=size)


class LedgerDamaged(AllianceError):
    """The stored log no longer agrees with itself (its head, its nodes): nothing more is appended
    or signed on top of it until an operator restores it."""

    code = "ledger_damaged"
    title = Message("Ledger failed its integrity check")
    status = 503
    exit_code = 3


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    checkpoints: int
    root: bytes
    first_mismatch: Mismatch | None
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.first_mismatch is None


def verify_log(entries: Iterable[tuple[int, bytes, bytes | None]], checkpoint_notes: Mapping[int, str],
               verifier: Verifier, origin: str, *, stored_nodes: Mapping[tuple[int, int], bytes] | None = None,
               node_stride: int = 1, expected_size: int | None = None, check_canonical: bool = True) -> VerifyReport:
    """`entries`: (index, leaf bytes, stored leaf hash or None) in index order; `stored_nodes`: the
    perfect subtrees a store keeps (those whose level is a multiple of `node_stride`)."""
    checkpoints: dict[int, Checkpoint] = {}
    for size, note in sorted(checkpoint_notes.items()):
        try:
            checkpoint = open_checkpoint(note, verifier, origin)
        except NoteInvalid as exc:
            return VerifyReport(0, 0, b"", Mismatch("checkpoint", _checkpoint(size), exc.message))
        if checkpoint.size != size:
            return VerifyReport(0, 0, b"", Mismatch("checkpoint", _checkpoint(size), Message(
                "its signed text says size {signed}", signed=checkpoint.size)))
        checkpoints[size] = checkpoint
    pending = sorted(checkpoints)
    frontier: list[bytes] = []
    count = 0
    previous_checked = 0

    def check_checkpoints(size: int) -> Mismatch | None:
        nonlocal previous_checked
        while pending and pending[0] == size:
            checkpoint = checkpoints[pending.pop(0)]
            root = range_hash(frontier) if frontier else EMPTY_ROOT
            if root != checkpoint.root:
                return Mismatch("checkpoint", _checkpoint(size), Message(
                    "signs a root the entries do not give: an entry in [{first}, {end}) was changed, removed, "
                    "added or moved", first=previous_checked, end=size))
            previous_checked = size
        return None

    if (found := check_checkpoints(0)) is not None:
        return VerifyReport(0, len(checkpoints), EMPTY_ROOT, found)
    for index, leaf, stored in entries:
        if expected_size is not None and index >= expected_size:
            return VerifyReport(count, len(checkpoints), b"", Mismatch("entry", _entry(index), Message(
                "is beyond the log's head ({size} entries): added outside the log", size=expected_size)))
        if index != count:
            return VerifyReport(count, len(checkpoints), b"", Mismatch(
                "entry", _entry(count),
                Message("missing: the next stored entry is {index}", index=index) if index > count
                else Message("out of order: entry {index} comes after entry {previous}", index=index,
                             previous=count - 1)))
        if check_canonical and not is_canonical(leaf):
            return VerifyReport(count, len(checkpoints), b"", Mismatch("entry", _entry(index),
                                                                       Message("is not canonical JSON (RFC 8785)")))
        h = sha256(b"\x00" + leaf).digest()
        if stored is not None and stored != h:
            return VerifyReport(count, len(checkpoints), b"", Mismatch(
                "entry", _entry(index), Message("its content does not hash to its stored leaf hash")))
        level, i = 0, index
        while i & 1:
            h = sha256(b"\x01" + frontier.pop() + h).digest()
            level, i = level + 1, i >> 1
            if stored_nodes is not None and level % node_stride == 0 and stored_nodes.get((level, i)) != h:
                return VerifyReport(count, len(checkpoints), b"", Mismatch(
                    "node", Message("node level {level} index {index}", level=level, index=i),
                    Message("stored hash differs from the one recomputed from entries {first}..{last}",
                            first=i << level, last=((i + 1) << level) - 1)))
        frontier.append(h)
        count += 1
        if pending and pending[0] == count and (found := check_checkpoints(count)) is not None:
            return VerifyReport(count, len(checkpoints), b"", found)
    if pending:
        return VerifyReport(count, len(checkpoints), b"", Mismatch(
            "checkpoint", _checkpoint(pending[0]),
            Message("signs {size} entries but the log has {count}", size=pending[0], count=count)))
    if expected_size is not None and expected_size != count:
        return VerifyReport(count, len(checkpoints), b"", Mismatch(
            "log", _entry(count), Message("the log's head says {size} entries, {count} are stored",
                                          size=expected_size, count=count)))
    return VerifyReport(count, len(checkpoints), range_hash(frontier) if frontier else EMPTY_ROOT, None)

