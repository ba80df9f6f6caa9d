"""The ledger's use cases: open a log, record events, sign checkpoints, prove, export, verify.

`open_log` and `record` run inside the caller's unit of work, so an event is recorded in the same
transaction as the fact it records (an alliance created, a member joined, a version signed, a day
closed). Order lines live in the fact store, a different database: their import is recorded right
after the lines are stored, in its own transaction (docs/ledger.md says what that means).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from alliance.core.clock import Clock
from alliance.core.errors import InvalidInput, NotFound
from alliance.ledger import keys
from alliance.ledger.events import LEDGER_OPENED, canonical_event
from alliance.ledger.merkle import EMPTY_ROOT, ProofError, consistency_plan, inclusion_plan, perfect_nodes, prove, range_hash
from alliance.ledger.note import Checkpoint, Signer, Verifier, cosign, key_id, sign
from alliance.ledger.verify import VerifyReport, verify_log
from alliance.store.database import Store
from alliance.store.ledger_repository import NODE_STRIDE, StoredCheckpoint
from alliance.store.unit_of_work import UnitOfWork

ORIGIN_PREFIX = "alliance.local/ledger"


class LedgerMissing(NotFound):
    code = "ledger_missing"
    title = "No ledger"


def origin_of(alliance_code: str) -> str:
    return f"{ORIGIN_PREFIX}/{alliance_code}"


# -- inside other use cases' transactions -----------------------------------------------------------
def open_log(uow: UnitOfWork, alliance_id: int, alliance_code: str, passphrase: str, at: datetime) -> None:
    """Create the alliance's key (sealed) and its empty log."""
    name = origin_of(alliance_code)
    private = Ed25519PrivateKey.generate()
    uow.ledger.add_key(alliance_id, name, private.public_key().public_bytes_raw(), keys.seal(private, name, passphrase), at)


def record(uow: UnitOfWork, alliance_id: int, alliance_code: str, event_type: str, actor: str, at: datetime,
           payload: dict[str, Any]) -> int:
    """Append one event to the alliance's log; returns its index."""
    return record_many(uow, alliance_id, alliance_code, actor, at, [(event_type, payload)])


def record_many(uow: UnitOfWork, alliance_id: int, alliance_code: str, actor: str, at: datetime,
                events: list[tuple[str, dict[str, Any]]]) -> int:
    """Append several events of one transaction at once; returns the index of the first.

    An alliance founded before the ledger existed gets its log here, opened by a first entry
    that says so (its earlier history is in the database, not in the log)."""
    if uow.ledger.head(alliance_id) is None:
        if uow.ledger_passphrase is None:
            raise LedgerMissing(f"alliance {alliance_code!r} has no ledger and no passphrase is configured to open one")
        open_log(uow, alliance_id, alliance_code, uow.ledger_passphrase(), at)
        uow.ledger.append(alliance_id, [(LEDGER_OPENED, canonical_event(
            LEDGER_OPENED, alliance_code, actor, at, {"reason": "the alliance was founded before its ledger"}))])
    return uow.ledger.append(alliance_id, [(kind, canonical_event(kind, alliance_code, actor, at, payload))
                                           for kind, payload in events])


def digest(data: Any) -> str:
    """SHA-256 (hex) of a JSON-able value in a stable form: what entries say about bulky facts."""
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                                     default=str).encode()).hexdigest()


# -- reading, signing, proving ----------------------------------------------------------------------
@dataclass(frozen=True)
class LogInfo:
    alliance_id: int
    code: str
    origin: str
    verifier: Verifier
    size: int
    frontier: list[bytes]

    @property
    def root(self) -> bytes:
        return range_hash(self.frontier) if self.frontier else EMPTY_ROOT


def _info(uow: UnitOfWork, alliance_code: str) -> LogInfo:
    alliance = uow.alliances.require(alliance_code)
    key = uow.ledger.key(alliance.id)
    head = uow.ledger.head(alliance.id)
    if key is None or head is None:
        raise LedgerMissing(f"alliance {alliance_code!r} has no ledger yet (founded before it existed): it opens "
                            "with the alliance's next recorded change")
    public = Ed25519PublicKey.from_public_bytes(key.public_key)
    verifier = Verifier(key.name, key_id(key.name, key.public_key), public)
    return LogInfo(alliance.id, alliance.code, key.name, verifier, head[0], head[1])


def public_key(store: Store, alliance_code: str) -> str:
    with store.unit_of_work() as uow:
        return str(_info(uow, alliance_code).verifier)


def checkpoint(store: Store, alliance_code: str, clock: Clock) -> str:
    """The latest signed checkpoint; a new one is signed first if the log grew since."""
    with store.unit_of_work() as uow:
        info = _info(uow, alliance_code)
        latest = uow.ledger.checkpoint(info.alliance_id)
        if latest is not None and latest.tree_size == info.size:
            return latest.note
        key = uow.ledger.key(info.alliance_id)
        assert key is not None
        signer = Signer(key.name, keys.unseal(key.private_key_sealed, key.name, store.ledger_passphrase))
        note = sign(Checkpoint(info.origin, info.size, info.root).text(), [signer])
        uow.ledger.add_checkpoint(info.alliance_id, info.size, note, clock.now())
        uow.commit()
    if store.kind == "sqlite":
        # Everything a checkpoint signs must be on disk before anyone sees it: a WAL checkpoint
        # first syncs the WAL, holding every commit so far (see the SQLite settings in store.database).
        with store.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    return note


@dataclass(frozen=True, slots=True)
class LogStatus:
    """How far an alliance's log has grown, and its latest signed checkpoint (None before the first)."""

    size: int
    checkpoint: StoredCheckpoint | None


def status(store: Store, alliance_code: str) -> LogStatus:
    with store.unit_of_work() as uow:
        info = _info(uow, alliance_code)
        return LogStatus(info.size, uow.ledger.checkpoint(info.alliance_id))


def witness(store: Store, alliance_code: str, tree_size: int, signer: Signer) -> str:
    """A member's co-signature added to the checkpoint of `tree_size` (after checking it)."""
    from alliance.ledger.note import open_checkpoint

    with store.unit_of_work() as uow:
        info = _info(uow, alliance_code)
        stored = uow.ledger.checkpoint(info.alliance_id, tree_size)
        if stored is None:
            raise NotFound(f"no checkpoint of size {tree_size} for {alliance_code!r}")
        open_checkpoint(stored.note, info.verifier, info.origin)
        note = cosign(stored.note, signer)
        uow.ledger.replace_checkpoint_note(info.alliance_id, tree_size, note)
        uow.commit()
        return note


def _head(uow: UnitOfWork, alliance_code: str) -> tuple[int, int]:
    """(alliance id, log size): all a proof needs to know about the log."""
    alliance = uow.alliances.require(alliance_code)
    head = uow.ledger.head(alliance.id)
    if head is None:
        raise LedgerMissing(f"alliance {alliance_code!r} has no ledger")
    return alliance.id, head[0]


def _size(code: str, log_size: int, size: int | None) -> int:
    if size is None:
        return log_size
    if not 0 <= size <= log_size:
        raise InvalidInput(f"the log of {code!r} has {log_size} entries; no tree of size {size}")
    return size


def _fetch(uow: UnitOfWork, alliance_id: int, ranges: list[tuple[int, int]], roots: list[int],
           leaves: list[int] = ()) -> tuple[list[bytes], list[bytes], dict[tuple[int, int], bytes]]:
    """In one round of queries: the proof hashes of `ranges`, the roots of the trees of `roots`
    entries, and the given leaf hashes."""
    wanted = [n for lo, hi in ranges for n in perfect_nodes(lo, hi)]
    wanted += [n for size in roots for n in perfect_nodes(0, size)] + [(0, i) for i in leaves]
    found = uow.ledger.nodes(alliance_id, wanted)
    proof = prove(ranges, lambda level, i: found[(level, i)])
    root_hashes = [range_hash([found[n] for n in perfect_nodes(0, size)]) if size else EMPTY_ROOT for size in roots]
    return proof, root_hashes, found


def inclusion(store: Store, alliance_code: str, index: int, size: int | None = None) -> dict[str, Any]:
    with store.unit_of_work() as uow:
        alliance_id, log_size = _head(uow, alliance_code)
        n = _size(alliance_code, log_size, size)
        try:
            plan = inclusion_plan(index, n)
        except ProofError as exc:
            raise InvalidInput(str(exc)) from None
        proof, (root,), found = _fetch(uow, alliance_id, plan, [n], [index])
        return {"leaf_index": index, "tree_size": n, "leaf_hash": found[(0, index)].hex(), "root_hash": root.hex(),
                "proof": [p.hex() for p in proof]}


def consistency(store: Store, alliance_code: str, first: int, second: int | None = None) -> dict[str, Any]:
    with store.unit_of_work() as uow:
        alliance_id, log_size = _head(uow, alliance_code)
        m = _size(alliance_code, log_size, second)
        if not 0 <= first <= m:
            raise InvalidInput(f"--from {first} must be between 0 and --to {m}")
        plan = [] if first == 0 else consistency_plan(first, m)
        proof, (first_root, second_root), _ = _fetch(uow, alliance_id, plan, [first, m])
        return {"from": first, "to": m, "from_root": first_root.hex(), "to_root": second_root.hex(),
                "proof": [p.hex() for p in proof]}


def entries(store: Store, alliance_code: str, start: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    with store.unit_of_work() as uow:
        info = _info(uow, alliance_code)
        return [{"index": e.index, "type": e.event_type, "leaf_hash": e.leaf_hash.hex(), "entry": json.loads(e.leaf)}
                for e in uow.ledger.entries(info.alliance_id, start, min(info.size, start + limit))]


# -- export and verification ------------------------------------------------------------------------
ENTRIES_FILE = "entries.jsonl"
KEY_FILE = "verifier-key.txt"
CHECKPOINTS = "checkpoints"


def export(store: Store, alliance_code: str, out: Path) -> tuple[int, int]:
    """Write the log to `out`: entries.jsonl (line i = entry i's exact bytes), the checkpoints, the
    verifier key. Returns (entries, checkpoints)."""
    (out / CHECKPOINTS).mkdir(parents=True, exist_ok=True)
    with store.unit_of_work() as uow:
        info = _info(uow, alliance_code)
        count = 0
        with (out / ENTRIES_FILE).open("wb") as f:
            for entry in uow.ledger.entries(info.alliance_id, 0, info.size):
                f.write(entry.leaf + b"\n")
                count += 1
        stored = uow.ledger.checkpoints(info.alliance_id)
        for c in stored:
            (out / CHECKPOINTS / f"{c.tree_size}.note").write_text(c.note, encoding="utf-8")
        (out / KEY_FILE).write_text(str(info.verifier) + "\n", encoding="utf-8")
    return count, len(stored)


def verify_store(store: Store, alliance_code: str) -> VerifyReport:
    """Recompute the alliance's whole log from its stored entries and check every stored hash and
    every checkpoint against the alliance's key."""
    with store.unit_of_work() as uow:
        info = _info(uow, alliance_code)
        nodes = {(level, i): h for level, i, h in uow.ledger.all_nodes(info.alliance_id)}
        notes = {c.tree_size: c.note for c in uow.ledger.checkpoints(info.alliance_id)}
        rows = ((e.index, e.leaf, e.leaf_hash) for e in uow.ledger.entries(info.alliance_id))
        return verify_log(rows, notes, info.verifier, info.origin, stored_nodes=nodes, node_stride=NODE_STRIDE,
                          expected_size=info.size)


def verify_export(folder: Path, verifier_key: str | None = None, extra_checkpoint: str | None = None, *,
                  strict: bool = False) -> VerifyReport:
    """Verify an export offline. The verifier key should come from where the alliance published it
    (`verifier_key`); without it the export's own copy is used, which proves only self-consistency."""
    try:
        key_text = verifier_key or (folder / KEY_FILE).read_text(encoding="utf-8")
        lines = (folder / ENTRIES_FILE).read_bytes().split(b"\n")
    except FileNotFoundError as exc:
        raise InvalidInput(f"{folder}: not a ledger export ({exc.filename} is missing)") from None
    verifier = Verifier.parse(key_text)
    if lines and lines[-1] == b"":
        lines.pop()
    notes: dict[int, str] = {}
    paths = sorted((folder / CHECKPOINTS).glob("*.note")) if (folder / CHECKPOINTS).is_dir() else []
    texts = [p.read_text(encoding="utf-8") for p in paths] + ([extra_checkpoint] if extra_checkpoint else [])
    for text in texts:
        size = Checkpoint.parse(text[: text.rfind("\n\n") + 1] if "\n\n" in text else text).size
        notes[size] = text
    return verify_log(((i, leaf, None) for i, leaf in enumerate(lines)), notes, verifier, verifier.name,
                      check_canonical=strict)


def check_kept(store: Store, alliance_code: str, note: str) -> VerifyReport:
    """A checkpoint kept from earlier (by a member or auditor) must be signed by the alliance's key
    and consistent with the stored log now: a consistency proof from its size to the log's."""
    from alliance.ledger.merkle import verify_consistency
    from alliance.ledger.note import NoteInvalid, open_checkpoint
    from alliance.ledger.verify import Mismatch

    verifier = Verifier.parse(public_key(store, alliance_code))
    try:
        kept = open_checkpoint(note, verifier, verifier.name)
    except NoteInvalid as exc:
        return VerifyReport(0, 0, b"", Mismatch("checkpoint", "the given checkpoint", exc.message))
    now = consistency(store, alliance_code, kept.size)
    proof = [bytes.fromhex(p) for p in now["proof"]]
    if not verify_consistency(kept.size, now["to"], proof, kept.root, bytes.fromhex(now["to_root"])):
        return VerifyReport(0, 0, b"", Mismatch("checkpoint", f"the given checkpoint of size {kept.size}",
                                                "is not consistent with the stored log: history was rewritten"))
    return VerifyReport(now["to"], 1, bytes.fromhex(now["to_root"]), None)
