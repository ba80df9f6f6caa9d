"""Rows <-> the ledger: keys, the head (size and frontier), entries, perfect-subtree nodes, checkpoints.

Appending never rereads the log: the head row keeps the frontier (the hashes of the perfect
subtrees that cover the log, at most one per bit of its size), so a new leaf costs its entry row,
the node rows it completes (one on average) and the head update. Proofs read only the perfect
subtrees they need, in one query. On PostgreSQL the head row is locked (SELECT ... FOR UPDATE), so
concurrent writers of one alliance's log take turns; SQLite serialises writers itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from alliance.ledger.merkle import HASH_SIZE, leaf_hash, node_hash
from alliance.store.tables import ledger_checkpoints, ledger_entries, ledger_heads, ledger_keys, ledger_nodes


@dataclass(frozen=True, slots=True)
class StoredKey:
    name: str
    public_key: bytes
    private_key_sealed: str


@dataclass(frozen=True, slots=True)
class StoredEntry:
    index: int
    event_type: str
    leaf: bytes
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    tree_size: int
    note: str
    created_at: datetime


def _bytes(value: object) -> bytes:
    """A stored hash or leaf as bytes, even if someone rewrote it as text (verification must say so, not crash)."""
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)  # type: ignore[call-overload, no-any-return]


def _split_frontier(raw: bytes) -> list[bytes]:
    return [raw[i:i + HASH_SIZE] for i in range(0, len(raw), HASH_SIZE)]


class LedgerRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- keys and head --------------------------------------------------------------------------
    def add_key(self, alliance_id: int, name: str, public_key: bytes, sealed: str, at: datetime) -> None:
        self._c.execute(insert(ledger_keys).values(alliance_id=alliance_id, name=name, public_key=public_key,
                                                   private_key_pem=sealed, created_at=at))
        self._c.execute(insert(ledger_heads).values(alliance_id=alliance_id, size=0, frontier=b""))

    def key(self, alliance_id: int) -> StoredKey | None:
        row = self._c.execute(select(ledger_keys.c.name, ledger_keys.c.public_key, ledger_keys.c.private_key_pem)
                              .where(ledger_keys.c.alliance_id == alliance_id)).first()
        return None if row is None else StoredKey(row[0], bytes(row[1]), row[2])

    def head(self, alliance_id: int, *, lock: bool = False) -> tuple[int, list[bytes]] | None:
        query = select(ledger_heads.c.size, ledger_heads.c.frontier).where(ledger_heads.c.alliance_id == alliance_id)
        row = self._c.execute(query.with_for_update() if lock else query).first()
        return None if row is None else (int(row[0]), _split_frontier(bytes(row[1])))

    # -- appending ------------------------------------------------------------------------------
    def append(self, alliance_id: int, events: Sequence[tuple[str, bytes]]) -> int:
        """Append (event type, canonical leaf bytes) entries; return the index of the first."""
        head = self.head(alliance_id, lock=True)
        if head is None:
            raise LookupError(f"alliance {alliance_id} has no ledger")
        size, frontier = head
        first = size
        entries, nodes = [], []
        for event_type, leaf in events:
            h = leaf_hash(leaf)
            entries.append({"alliance_id": alliance_id, "idx": size, "event_type": event_type, "leaf": leaf,
                            "leaf_hash": h})
            # Leaf `size` completes one perfect subtree per trailing one bit of its index.
            level, index = 0, size
            while index & 1:
                h = node_hash(frontier.pop(), h)
                level, index = level + 1, index >> 1
                nodes.append({"alliance_id": alliance_id, "level": level, "idx": index, "hash": h})
            frontier.append(h)
            size += 1
        if entries:
            self._c.execute(insert(ledger_entries), entries)
        if nodes:
            self._c.execute(insert(ledger_nodes), nodes)
        self._c.execute(update(ledger_heads).where(ledger_heads.c.alliance_id == alliance_id)
                        .values(size=size, frontier=b"".join(frontier)))
        return first

    # -- reading --------------------------------------------------------------------------------
    def nodes(self, alliance_id: int, wanted: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Perfect subtree hashes by (level, index); level 0 are the leaf hashes."""
        found: dict[tuple[int, int], bytes] = {}
        leaves = sorted({i for level, i in wanted if level == 0})
        inner = sorted({(level, i) for level, i in wanted if level > 0})
        if leaves:
            rows = self._c.execute(select(ledger_entries.c.idx, ledger_entries.c.leaf_hash).where(
                ledger_entries.c.alliance_id == alliance_id, ledger_entries.c.idx.in_(leaves)))
            found.update({(0, int(i)): _bytes(h) for i, h in rows})
        if inner:
            rows = self._c.execute(select(ledger_nodes.c.level, ledger_nodes.c.idx, ledger_nodes.c.hash).where(
                ledger_nodes.c.alliance_id == alliance_id,
                or_(*(and_(ledger_nodes.c.level == level, ledger_nodes.c.idx == i) for level, i in inner))))
            found.update({(int(level), int(i)): _bytes(h) for level, i, h in rows})
        return found

    def entries(self, alliance_id: int, start: int = 0, stop: int | None = None, batch: int = 10_000) -> Iterator[StoredEntry]:
        """The entries from `start`, in index order, read in batches."""
        at = start
        while stop is None or at < stop:
            query = (select(ledger_entries.c.idx, ledger_entries.c.event_type, ledger_entries.c.leaf,
                            ledger_entries.c.leaf_hash)
                     .where(ledger_entries.c.alliance_id == alliance_id, ledger_entries.c.idx >= at)
                     .order_by(ledger_entries.c.idx).limit(batch if stop is None else min(batch, stop - at)))
            rows = self._c.execute(query).all()
            if not rows:
                return
            for i, kind, leaf, h in rows:
                yield StoredEntry(int(i), kind, _bytes(leaf), _bytes(h))
            at = int(rows[-1][0]) + 1

    def entry_count(self, alliance_id: int) -> int:
        return int(self._c.execute(select(func.count()).select_from(ledger_entries)
                                   .where(ledger_entries.c.alliance_id == alliance_id)).scalar_one())

    def all_nodes(self, alliance_id: int) -> Iterator[tuple[int, int, bytes]]:
        rows = self._c.execute(select(ledger_nodes.c.level, ledger_nodes.c.idx, ledger_nodes.c.hash)
                               .where(ledger_nodes.c.alliance_id == alliance_id)
                               .order_by(ledger_nodes.c.level, ledger_nodes.c.idx))
        for level, i, h in rows:
            yield int(level), int(i), _bytes(h)

    # -- checkpoints ----------------------------------------------------------------------------
    def add_checkpoint(self, alliance_id: int, tree_size: int, note: str, at: datetime) -> None:
        self._c.execute(insert(ledger_checkpoints).values(alliance_id=alliance_id, tree_size=tree_size, note=note,
                                                          created_at=at))

    def replace_checkpoint_note(self, alliance_id: int, tree_size: int, note: str) -> None:
        self._c.execute(update(ledger_checkpoints).where(ledger_checkpoints.c.alliance_id == alliance_id,
                                                         ledger_checkpoints.c.tree_size == tree_size).values(note=note))

    def checkpoint(self, alliance_id: int, tree_size: int | None = None) -> StoredCheckpoint | None:
        """The checkpoint of `tree_size`, or the latest."""
        query = select(ledger_checkpoints.c.tree_size, ledger_checkpoints.c.note, ledger_checkpoints.c.created_at).where(
            ledger_checkpoints.c.alliance_id == alliance_id)
        if tree_size is not None:
            query = query.where(ledger_checkpoints.c.tree_size == tree_size)
        row = self._c.execute(query.order_by(ledger_checkpoints.c.tree_size.desc()).limit(1)).first()
        return None if row is None else StoredCheckpoint(int(row[0]), row[1], row[2])

    def checkpoints(self, alliance_id: int) -> list[StoredCheckpoint]:
        rows = self._c.execute(select(ledger_checkpoints.c.tree_size, ledger_checkpoints.c.note,
                                      ledger_checkpoints.c.created_at)
                               .where(ledger_checkpoints.c.alliance_id == alliance_id)
                               .order_by(ledger_checkpoints.c.tree_size))
        return [StoredCheckpoint(int(s), n, at) for s, n, at in rows]
