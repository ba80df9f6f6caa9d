"""The ledger's use cases: open a log, record events, sign checkpoints, prove, export, verify.

`open_log` and `record` run inside the caller's unit of work, so an event is recorded in the same
transaction as the fact it records (an alliance created, a member joined, a version signed, a day
closed). Order lines live in the fact store, a different database: their import is recorded right
after the lines are stored, in its own transaction (docs/ledger.md says what that means).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from alliance.core.clock import Clock
from alliance.core.errors import InvalidInput, NotFound
from alliance.core.messages import Message
from alliance.ledger import keys
from alliance.ledger import events
from alliance.ledger.coverage import RecordedAgreements, Claims, compare as coverage_compare, value_digest
from alliance.ledger.events import LEDGER_OPENED, canonical_event
from alliance.ledger.keys import LedgerKeyLocked
from alliance.ledger.merkle import EMPTY_ROOT, ProofError, consistency_plan, inclusion_plan, perfect_nodes, prove, range_hash
from alliance.ledger.note import Checkpoint, Signer, Verifier, cosign, key_id, sign
from alliance.ledger.verify import LedgerDamaged, Mismatch, VerifyReport, verify_log
from alliance.registry import lifecycle
from alliance.sharing.versions import AgreementVersion
from alliance.store.database import Store
from alliance.store.recorded_rows import kept_files, read_rows
from alliance.store.ledger_repository import NODE_STRIDE, StoredCheckpoint, StoredKey
from alliance.store.unit_of_work import UnitOfWork

ORIGIN_PREFIX = "alliance.local/ledger"


class LedgerMissing(NotFound):
    code = "ledger_missing"
    title = Message("No ledger")


def origin_of(alliance_code: str) -> str:
    return f"{ORIGIN_PREFIX}/{alliance_code}"


# -- inside other use cases' transactions -----------------------------------------------------------
def open_log(uow: UnitOfWork, alliance_id: int, alliance_code: str, passphrase: str, at: datetime) -> None:
    """Create the alliance's key (sealed) and its empty log."""
    name = origin_of(alliance_code)
    private = Ed25519PrivateKey.generate()
    sealed = keys.seal(private, name, passphrase)
    uow.ledger.add_key(alliance_id, name, private.public_key().public_bytes_raw(), sealed, at)
    _UNSEALED[(name, sealed, _passphrase_id(passphrase))] = private


def record(uow: UnitOfWork, alliance_id: int, alliance_code: str, event_type: str, actor: str, at: datetime,
           payload: dict[str, Any]) -> int:
    """Append one event to the alliance's log; returns its index."""
    return record_many(uow, alliance_id, alliance_code, actor, at, [(event_type, payload)])


def record_many(uow: UnitOfWork, alliance_id: int, alliance_code: str, actor: str, at: datetime,
                events: list[tuple[str, dict[str, Any]]]) -> int:
    """Append several events of one transaction at once; returns the index of the first.

    An alliance founded before the ledger existed gets its log here, opened by a first entry
    that says so (its earlier history is in the database, not in the log).

    Every write to an alliance records what it wrote here, so this is where the alliance's
    lifecycle is enforced (registry/lifecycle.py): an event of a kind its state does not accept
    raises AllianceNotWritable before anything is appended, and the caller's transaction, which
    holds the write itself, is rolled back."""
    status = uow.alliances.status_of(alliance_id)
    if status is not None:
        for kind, _payload in events:
            write = lifecycle.write_of(kind)
            if write is not None:
                lifecycle.check_writable(alliance_code, status, write)
    if uow.ledger.head(alliance_id) is None:
        if uow.ledger_passphrase is None:
            raise LedgerMissing(Message("alliance {alliance_code!r} has no ledger and no passphrase is configured "
                                        "to open one", alliance_code=alliance_code))
        open_log(uow, alliance_id, alliance_code, uow.ledger_passphrase(), at)
        uow.ledger.append(alliance_id, [(LEDGER_OPENED, canonical_event(
            LEDGER_OPENED, alliance_code, actor, at, {"reason": "the alliance was founded before its ledger"}))])
    first = uow.ledger.append(alliance_id, [(kind, canonical_event(kind, alliance_code, actor, at, payload))
                                            for kind, payload in events])
    # Every write batch is covered by a signed checkpoint at once, in the same transaction: entries
    # after the last checkpoint could otherwise be changed or truncated unnoticed.
    if uow.ledger_passphrase is not None:
        try:
            _sign_head(uow, alliance_id, uow.ledger_passphrase(), at, frontier_checked=True)
        except LedgerKeyLocked:
            pass  # the fact is recorded all the same; verification reports the entries no checkpoint covers
    return first


def recorded_agreements(uow: UnitOfWork, alliance_id: int) -> RecordedAgreements:
    """What the alliance's log recorded of its agreement versions and signatures."""
    return RecordedAgreements.of(
        (e.index, e.event_type, json.loads(e.leaf).get("payload") or {})
        for e in uow.ledger.entries_of(alliance_id, [LEDGER_OPENED, events.AGREEMENT_VERSION, events.AGREEMENT_SIGNED]))


def payloads_by_key(uow: UnitOfWork, alliance_id: int, event_types: Sequence[str], key: str) -> dict[int, dict[str, Any]]:
    """What the log recorded of objects numbered by `key` (a charge, a release, a correction, a
    milestone): each object's payloads of `event_types`, merged in log order (a later entry adds to an
    earlier one), by the object's id. What a run checks a pending booking against."""
    recorded: dict[int, dict[str, Any]] = {}
    for e in uow.ledger.entries_of(alliance_id, list(event_types)):
        payload = json.loads(e.leaf).get("payload") or {}
        if isinstance(payload.get(key), int) and not isinstance(payload.get(key), bool):
            recorded.setdefault(payload[key], {}).update(payload)
    return recorded


def version_mismatch(store: Store, alliance_code: str, version: AgreementVersion) -> Message | None:
    """Why a stored agreement version is not what its parties signed (its content against its own
    digest and the ledger, its signatures against the ledger), in words; None when it is."""
    with store.unit_of_work() as uow:
        return recorded_agreements(uow, uow.alliances.require(alliance_code).id).mismatch(version)


digest = value_digest  # what entries say about bulky facts (the one definition is in `coverage`)

# Unsealing a key runs scrypt (tens of milliseconds): a process keeps the keys it opened.
_UNSEALED: dict[tuple[str, str, str], Ed25519PrivateKey] = {}


def _passphrase_id(passphrase: str) -> str:
    return hashlib.sha256(passphrase.encode()).hexdigest()


def _signer(key: StoredKey, passphrase: str) -> Signer:
    cache = (key.name, key.private_key_sealed, _passphrase_id(passphrase))
    private = _UNSEALED.get(cache)
    if private is None:
        private = _UNSEALED[cache] = keys.unseal(key.private_key_sealed, key.name, passphrase)
    return Signer(key.name, private)


PREVIOUS = "previous "  # the checkpoint extension line naming the size of the checkpoint signed before


def _sign_head(uow: UnitOfWork, alliance_id: int, passphrase: str, at: datetime, *,
               frontier_checked: bool = False) -> StoredCheckpoint | None:
    """Sign a checkpoint of the log as it now stands (its frontier checked first, unless this
    transaction just appended after checking it), chained to the checkpoint before it; None when
    the latest checkpoint already covers the whole log."""
    appended = uow.ledger.appended
    if frontier_checked and appended is not None and appended[0] == alliance_id:
        head: tuple[int, list[bytes]] | None = (appended[1], appended[2])
    else:
        head = uow.ledger.checked_head(alliance_id, lock=True)
    signing = uow.ledger.signing(alliance_id)
    if signing is None or head is None:
        return None
    key, latest = signing
    size, frontier = head
    if latest is not None and latest >= size:
        return None
    extensions = (f"{PREVIOUS}{latest}",) if latest is not None else ()
    root = range_hash(frontier) if frontier else EMPTY_ROOT
    note = sign(Checkpoint(key.name, size, root, extensions).text(), [_signer(key, passphrase)])
    uow.ledger.add_checkpoint(alliance_id, size, note, at)
    return StoredCheckpoint(size, note, at)


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
        raise LedgerMissing(Message("alliance {alliance_code!r} has no ledger yet (founded before it existed): it "
                                    "opens with the alliance's next recorded change", alliance_code=alliance_code))
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
        signed = _sign_head(uow, info.alliance_id, store.ledger_passphrase, clock.now())
        if signed is not None:
            uow.commit()
        latest = uow.ledger.checkpoint(info.alliance_id)
        assert latest is not None
        note = latest.note
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
    public_key: str = ""  # the verifier key, for members to keep outside the platform


def status(store: Store, alliance_code: str) -> LogStatus:
    with store.unit_of_work() as uow:
        info = _info(uow, alliance_code)
        return LogStatus(info.size, uow.ledger.checkpoint(info.alliance_id), str(info.verifier))


def witness(store: Store, alliance_code: str, tree_size: int, signer: Signer) -> str:
    """A member's co-signature added to the checkpoint of `tree_size` (after checking it)."""
    from alliance.ledger.note import open_checkpoint

    with store.unit_of_work() as uow:
        info = _info(uow, alliance_code)
        stored = uow.ledger.checkpoint(info.alliance_id, tree_size)
        if stored is None:
            raise NotFound(Message("no checkpoint of size {tree_size} for {alliance_code!r}",
                                   tree_size=tree_size, alliance_code=alliance_code))
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
        raise LedgerMissing(Message("alliance {alliance_code!r} has no ledger", alliance_code=alliance_code))
    return alliance.id, head[0]


def _size(code: str, log_size: int, size: int | None) -> int:
    if size is None:
        return log_size
    if not 0 <= size <= log_size:
        raise InvalidInput(Message("the log of {alliance!r} has {log_size} entries; no tree of size {size}",
                                   alliance=code, log_size=log_size, size=size))
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
        except ProofError:
            raise InvalidInput(Message("leaf {index} is not in a tree of {size}", index=index, size=n)) from None
        proof, (root,), found = _fetch(uow, alliance_id, plan, [n], [index])
        return {"leaf_index": index, "tree_size": n, "leaf_hash": found[(0, index)].hex(), "root_hash": root.hex(),
                "proof": [p.hex() for p in proof]}


def consistency(store: Store, alliance_code: str, first: int, second: int | None = None) -> dict[str, Any]:
    with store.unit_of_work() as uow:
        alliance_id, log_size = _head(uow, alliance_code)
        m = _size(alliance_code, log_size, second)
        if not 0 <= first <= m:
            raise InvalidInput(Message("the first tree size ({first}) must be between 0 and the second ({second})",
                                       first=first, second=m))
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


def verify_store(store: Store, alliance_code: str, trusted_keys: Sequence[str] | None = None) -> VerifyReport:
    """Recompute the alliance's whole log and everything it vouches for, and name the first thing
    that differs (see docs/ledger.md, "Verification"):

    - the verifier key stored with the log is one of `trusted_keys` (kept outside the database:
      `ALLIANCE_LEDGER_TRUSTED_KEYS`, or given), which then verify the checkpoints; without any, the
      report warns that the database's own key was trusted;
    - every entry, its type column, every stored subtree, the head's size and frontier, every
      checkpoint's signature and root, the chain of checkpoints (none deleted), and a checkpoint
      covering the last entry;
    - every object the entries record, recomputed from its stored rows (`coverage`), and every kept
      evidence file against its recorded SHA-256.
    """
    with store.unit_of_work() as uow:
        info = _info(uow, alliance_code)
        pinned = [k for k in (_parse_key(t) for t in (trusted_keys or ())) if k is not None and k.name == info.origin]
        warnings: tuple[Message, ...] = ()
        verifier = info.verifier
        if pinned:
            if str(info.verifier) not in {str(k) for k in pinned}:
                return VerifyReport(0, 0, b"", Mismatch(
                    "key", Message("the verifier key"), Message(
                        "the key stored with the log ({key}) is not the pinned one: the log and its checkpoints "
                        "were re-signed with another key", key=str(info.verifier))))
        else:
            warnings = (Message("the verifier key was read from the database itself, so a rewrite of the whole "
                                "database re-signed with a new key would pass: pin the published key "
                                "(`alliance ledger public-key`) in ALLIANCE_LEDGER_TRUSTED_KEYS or give it to the "
                                "check"),)
        nodes = {(level, i): h for level, i, h in uow.ledger.all_nodes(info.alliance_id)}
        stored_checkpoints = uow.ledger.checkpoints(info.alliance_id)
        notes = {c.tree_size: c.note for c in stored_checkpoints}
        claims = Claims()
        typed: list[Mismatch] = []

        def read() -> Iterator[tuple[int, bytes, bytes | None]]:
            for e in uow.ledger.entries(info.alliance_id):
                yield e.index, e.leaf, e.leaf_hash
                # Only reached for entries the log check accepted (their bytes are canonical JSON).
                entry = json.loads(e.leaf)
                if not isinstance(entry, dict):
                    entry = {}
                if entry.get("type") != e.event_type and not typed:
                    typed.append(Mismatch("entry", Message("entry {index}", index=e.index),
                                          Message("its stored type {stored!r} is not the entry's own {own!r}",
                                                  stored=e.event_type, own=entry.get("type"))))
                claims.add(e.index, str(entry.get("type")), entry.get("payload") or {})

        report = verify_log(read(), notes, verifier, info.origin, stored_nodes=nodes, node_stride=NODE_STRIDE,
                            expected_size=info.size)
        found = report.first_mismatch or (typed[0] if typed else None)
        found = found or _frontier_mismatch(uow, info) or _chain_mismatch(stored_checkpoints, info.size)
        found = found or coverage_compare(claims, read_rows(uow.connection, info.alliance_id))
        found = found or _kept_file_mismatch(uow, info.alliance_id)
        return VerifyReport(report.entries, report.checkpoints, report.root, found, warnings)


def _parse_key(text: str) -> Verifier | None:
    text = text.strip()
    if not text or text.startswith("#"):
        return None
    return Verifier.parse(text)


def trusted_keys_from(path: Path | None) -> list[str]:
    """The verifier keys pinned in a file (one a line, # comments), kept outside the database."""
    if path is None:
        return []
    try:
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except FileNotFoundError:
        raise InvalidInput(Message("{path}: no such file of trusted ledger keys (ALLIANCE_LEDGER_TRUSTED_KEYS)",
                                   path=path)) from None


def _frontier_mismatch(uow: UnitOfWork, info: LogInfo) -> Mismatch | None:
    try:
        uow.ledger.checked_head(info.alliance_id)
    except LedgerDamaged as exc:
        return Mismatch("log", Message("the log's head"), exc.message)
    return None


def _chain_mismatch(stored: Sequence[StoredCheckpoint], size: int) -> Mismatch | None:
    """Each checkpoint names the one signed before it: a deleted checkpoint breaks the chain. The last
    must cover every entry (one is signed with every write)."""
    sizes = {c.tree_size for c in stored}
    for c in stored:
        text = c.note[: c.note.rfind("\n\n") + 1]
        for line in Checkpoint.parse(text).extensions:
            if line.startswith(PREVIOUS) and line[len(PREVIOUS):].isdigit() and int(line[len(PREVIOUS):]) not in sizes:
                return Mismatch("checkpoint", Message("checkpoint of size {size}", size=line[len(PREVIOUS):]),
                                Message("is missing (deleted): the checkpoint of size {later} was signed after it",
                                        later=c.tree_size))
    latest = max(sizes, default=0)
    if latest < size:
        return Mismatch("checkpoint", Message("entries {first}..{last}", first=latest, last=size - 1),
                        Message("are covered by no signed checkpoint: the latest checkpoint was deleted, or signing "
                                "failed (`alliance ledger checkpoint` signs one once the entries are checked)"))
    return None


def _kept_file_mismatch(uow: UnitOfWork, alliance_id: int) -> Mismatch | None:
    for file_id, recorded, size, content in kept_files(uow.connection, alliance_id):
        if hashlib.sha256(content).hexdigest() != recorded or len(content) != size:
            return Mismatch("kept file", Message("evidence file {file}", file=file_id),
                            Message("its content no longer has its recorded SHA-256 {sha256} and size {size}",
                                    sha256=recorded, size=size))
    return None


def verify_export(folder: Path, verifier_key: str | None = None, extra_checkpoint: str | None = None, *,
                  strict: bool = False) -> VerifyReport:
    """Verify an export offline. The verifier key should come from where the alliance published it
    (`verifier_key`); without it the export's own copy is used, which proves only self-consistency."""
    try:
        key_text = verifier_key or (folder / KEY_FILE).read_text(encoding="utf-8")
        lines = (folder / ENTRIES_FILE).read_bytes().split(b"\n")
    except FileNotFoundError as exc:
        raise InvalidInput(Message("{folder}: not a ledger export ({filename} is missing)",
                                   folder=folder, filename=exc.filename)) from None
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
        return VerifyReport(0, 0, b"", Mismatch("checkpoint", Message("the given checkpoint"), exc.message))
    now = consistency(store, alliance_code, kept.size)
    proof = [bytes.fromhex(p) for p in now["proof"]]
    if not verify_consistency(kept.size, now["to"], proof, kept.root, bytes.fromhex(now["to_root"])):
        return VerifyReport(0, 0, b"", Mismatch(
            "checkpoint", Message("the given checkpoint of size {size}", size=kept.size),
            Message("is not consistent with the stored log: history was rewritten")))
    return VerifyReport(now["to"], 1, bytes.fromhex(now["to_root"]), None)
