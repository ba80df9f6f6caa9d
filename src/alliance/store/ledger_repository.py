"""Rows <-> the ledger: keys, the head (size and frontier), entries, perfect-subtree nodes, checkpoints.

Appending never rereads the log: the head row keeps the frontier (the hashes of the perfect
subtrees that cover the log, at most one per bit of its size), so a new leaf costs its entry row,
the head update and, one leaf in sixteen, a node row: only every fourth level of perfect subtrees
is stored (levels 4, 8, 12, ...; level 0 is the leaf hash in the entry), so the store holds about
1/15 of a node per leaf instead of one, and a subtree of an unstored level is computed from at
most eight stored ones below it. Proofs read only what they need, in two queries. On PostgreSQL the head row is locked (SELECT ... FOR UPDATE), so
concurrent writers of one alliance's log take turns; SQLite serialises writers itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import hashlib

from sqlalchemy import Connection, func, insert, select, update

from alliance.core.messages import Message
from alliance.ledger.merkle import HASH_SIZE, node_hash, perfect_nodes
from alliance.ledger.verify import LedgerDamaged
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


# Perfect subtrees are stored at the levels that are multiples of this (and level 0, the leaves).
NODE_STRIDE = 4


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
        # (alliance id, size, frontier) as this transaction's last append left the head: signing
        # right after needs no second read.
        self.appended: tuple[int, int, list[bytes]] | None = None

    # -- keys and head --------------------------------------------------------------------------
    def add_key(self, alliance_id: int, name: str, public_key: bytes, sealed: str, at: datetime) -> None:
        self._c.execute(insert(ledger_keys).values(alliance_id=alliance_id, name=name, public_key=public_key,
                                                   private_key_pem=sealed, created_at=at))
        self._c.execute(insert(ledger_heads).values(alliance_id=alliance_id, size=0, frontier=b""))

    def key(self, alliance_id: int) -> StoredKey | None:
        row = self._c.execute(select(ledger_keys.c.name, ledger_keys.c.public_key, ledger_keys.c.private_key_pem)
                              .where(ledger_keys.c.alliance_id == alliance_id)).first()
        return None if row is None else StoredKey(row[0], bytes(row[1]), row[2])

    def _sql(self, text: str) -> str:
        """Plain SQL written with `?` in the driver's parameter style (the append path skips
        SQLAlchemy's expression compilation, which costs more than the statements themselves)."""
        return text if self._c.dialect.paramstyle == "qmark" else text.replace("?", "%s")

    def head(self, alliance_id: int, *, lock: bool = False) -> tuple[int, list[bytes]] | None:
        lock_clause = " FOR UPDATE" if lock and self._c.dialect.name == "postgresql" else ""
        row = self._c.exec_driver_sql(self._sql(f"SELECT size, frontier FROM ledger_heads WHERE alliance_id = ?{lock_clause}"),
                                      (alliance_id,)).first()
        return None if row is None else (int(row[0]), _split_frontier(_bytes(row[1])))

    def checked_head(self, alliance_id: int, *, lock: bool = False) -> tuple[int, list[bytes]] | None:
        """The head, after checking its frontier against the stored subtrees it stands for.

        Everything appended or signed builds on the frontier: a damaged one would extend a history
        the entries do not give and sign a root the platform's own verifier rejects. Checking costs
        two small queries (at most eight stored subtrees per bit of the size)."""
        head = self.head(alliance_id, lock=lock)
        if head is None or head[0] == 0:
            if head is not None and head[1]:
                raise LedgerDamaged(Message("the ledger of alliance {alliance_id} is empty but its head holds "
                                            "hashes", alliance_id=alliance_id))
            return head
        size, frontier = head
        wanted = perfect_nodes(0, size)
        stored = self.nodes(alliance_id, wanted)
        if [stored.get(n) for n in wanted] != frontier:
            raise LedgerDamaged(
                Message("the ledger's head (its size and frontier) does not match its stored entries and subtrees: "
                        "nothing is recorded or signed until an operator restores the database (`alliance ledger "
                        "verify` names what differs)"))
        return head

    # -- appending ------------------------------------------------------------------------------
    def append(self, alliance_id: int, events: Sequence[tuple[str, bytes]]) -> int:
        """Append (event type, canonical leaf bytes) entries; return the index of the first."""
        head = self.checked_head(alliance_id, lock=True)
        if head is None:
            raise LookupError(f"alliance {alliance_id} has no ledger")
        size, frontier = head
        first = size
        entries: list[tuple[int, int, str, bytes, bytes]] = []
        nodes: list[tuple[int, int, int, bytes]] = []
        sha256 = hashlib.sha256
        for event_type, leaf in events:
            h = sha256(b"\x00" + leaf).digest()
            entries.append((alliance_id, size, event_type, leaf, h))
            # Leaf `size` completes one perfect subtree per trailing one bit of its index.
            level, index = 0, size
            while index & 1:
                h = sha256(b"\x01" + frontier.pop() + h).digest()
                level, index = level + 1, index >> 1
                if level % NODE_STRIDE == 0:
                    nodes.append((alliance_id, level, index, h))
            frontier.append(h)
            size += 1
        # Straight to the driver's executemany: at thousands of rows a batch, building a dict per
        # row for SQLAlchemy costs more than the inserts themselves.
        if entries:
            self._c.exec_driver_sql(self._sql(
                "INSERT INTO ledger_entries (alliance_id, idx, event_type, leaf, leaf_hash) VALUES (?, ?, ?, ?, ?)"), entries)
        if nodes:
            self._c.exec_driver_sql(self._sql("INSERT INTO ledger_nodes (alliance_id, level, idx, hash) VALUES (?, ?, ?, ?)"),
                                    nodes)
        self._c.exec_driver_sql(self._sql("UPDATE ledger_heads SET size = ?, frontier = ? WHERE alliance_id = ?"),
                                (size, b"".join(frontier), alliance_id))
        self.appended = (alliance_id, size, list(frontier))
        return first

    def signing(self, alliance_id: int) -> tuple[StoredKey, int | None] | None:
        """The key and the latest checkpoint's size, in one query (signing runs with every write)."""
        row = self._c.exec_driver_sql(self._sql(
            "SELECT name, public_key, private_key_pem, (SELECT max(tree_size) FROM ledger_checkpoints "
            "WHERE alliance_id = ?) FROM ledger_keys WHERE alliance_id = ?"), (alliance_id, alliance_id)).first()
        if row is None:
            return None
        return StoredKey(row[0], _bytes(row[1]), row[2]), None if row[3] is None else int(row[3])

    # -- reading --------------------------------------------------------------------------------
    def nodes(self, alliance_id: int, wanted: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Perfect subtree hashes by (level, index); level 0 are the leaf hashes."""
        # Each wanted subtree is 2^r stored subtrees of the stored level r below it.
        base: dict[tuple[int, int], tuple[int, int, int]] = {}
        for level, i in set(wanted):
            r = level % NODE_STRIDE
            base[(level, i)] = (level - r, i << r, r)
        stored = self._stored({(b, j) for b, first, r in base.values() for j in range(first, first + (1 << r))}
                              if base else set(), alliance_id)
        found: dict[tuple[int, int], bytes] = {}
        for key, (b, first, r) in base.items():
            layer = [stored.get((b, j)) for j in range(first, first + (1 << r))]
            if any(h is None for h in layer):
                continue  # not stored (beyond the log): the caller's lookup fails loudly
            hashes = [h for h in layer if h is not None]
            while len(hashes) > 1:
                hashes = [node_hash(hashes[k], hashes[k + 1]) for k in range(0, len(hashes), 2)]
            found[key] = hashes[0]
        return found

    def _stored(self, wanted: set[tuple[int, int]], alliance_id: int) -> dict[tuple[int, int], bytes]:
        found: dict[tuple[int, int], bytes] = {}
        leaves = sorted({i for level, i in wanted if level == 0})
        inner = {(level, i) for level, i in wanted if level > 0}
        if leaves:
            rows = self._c.exec_driver_sql(self._sql(
                f"SELECT idx, leaf_hash FROM ledger_entries WHERE alliance_id = ? AND idx IN ({', '.join('?' * len(leaves))})"),
                (alliance_id, *leaves))
            found.update({(0, int(i)): _bytes(h) for i, h in rows})
        if inner:
            # Two IN lists on the primary key: index lookups for each pair of the product, where
            # an OR of pairs would scan the table.
            levels, indexes = sorted({lv for lv, _ in inner}), sorted({i for _, i in inner})
            rows = self._c.exec_driver_sql(self._sql(
                f"SELECT level, idx, hash FROM ledger_nodes WHERE alliance_id = ? AND level IN ({', '.join('?' * len(levels))})"
                f" AND idx IN ({', '.join('?' * len(indexes))})"), (alliance_id, *levels, *indexes))
            found.update({(int(level), int(i)): _bytes(h) for level, i, h in rows if (int(level), int(i)) in inner})
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

    def entries_of(self, alliance_id: int, event_types: Sequence[str]) -> Iterator[StoredEntry]:
        """The entries of the given types, in index order (by the stored type column: verification
        checks that column against each entry's own type)."""
        rows = self._c.execute(select(ledger_entries.c.idx, ledger_entries.c.event_type, ledger_entries.c.leaf,
                                      ledger_entries.c.leaf_hash)
                               .where(ledger_entries.c.alliance_id == alliance_id,
                                      ledger_entries.c.event_type.in_(list(event_types)))
                               .order_by(ledger_entries.c.idx))
        for i, kind, leaf, h in rows:
            yield StoredEntry(int(i), kind, _bytes(leaf), _bytes(h))

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
