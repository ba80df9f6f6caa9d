"""A member's data archive: its layout, its manifest and digests, writing it, and verifying it
offline. Pure: no database, no fact store; reading an archive needs only this package's pure
modules (the ledger's Merkle proofs and signed notes, and the coverage digests).

One ZIP file (docs/exit.md, "The member's archive"). ZIP rather than tar: a leaving member's counsel
opens it with what Windows or macOS has built in, and a reader can go straight to one file (the
manifest first) without reading the whole archive; Parquet, already compressed, is stored as it is,
the text files are deflated.

    README.md                     what every file holds, its columns (Chinese and English)
    manifest.json                 alliance, member, when, platform version; every file's SHA-256 and size;
                                  each settled day's digests; the ledger checkpoint it was proven against
    manifest.sig                  a signed note (c2sp.org/signed-note) by the alliance's ledger key over
                                  the manifest's SHA-256: every file is bound to that key
    registry/member.json          the member's record; people/accounts of the member (no password or key hashes)
    agreements/<code>-v<n>.yaml   every version of an agreement it is party to, as signed
    agreements/versions.json      those versions with their digests and every party's signature
    statements/<day>.json|.csv    its statement of every settled day (+ the lines as the ledger digested them)
    journal/postings.csv          the settlement journal's postings of its account, and its payouts
    orders/order_lines.parquet    the order lines it sold
    datashare/views.json, datashare/access_log.csv   its shared views and who read them
    governance/votes.json         its ballots (with their salts) and the proxies it gave or held
    ip/register.json              IP register assets it owns or contributed to
    payouts/payouts.json          its payouts and payout-currency choices
    disputes/disputes.json        disputes it is party to
    ledger/checkpoint.note        the alliance log's signed checkpoint
    ledger/verifier-key.txt       the alliance's ledger public key (note verifier key)
    ledger/entries.jsonl          every log entry that concerns the member, with its inclusion proof

What the verifier proves, and how far (docs/exit.md): the manifest is signed by the alliance's key
(pinned with `trusted_key`, else only self-consistent); every file has the manifest's digest; every
entry is in the signed log; the member's record, agreement versions (recomputed from their YAML) and
signatures are what the entries recorded (`ledger.coverage`, the same comparison the platform's own
verification makes), and so are its payouts, payout currencies and IP versions; each statement's
lines hash to the digest the signed manifest gives, beside the
day's recorded statements digest; a day whose statement holds only this member's lines is recomputed
in full against its `settlement.day_closed` entry (`coverage.statement_digests`). A day shared with
other members is proven through the entry's `members_root` (ledger/statement_commitment.py): the
archive carries the member's salt and its leaf's inclusion path, and the member's own lines
recompute the leaf. Only days settled before entries recorded that root, and shared with others,
rest on the alliance's signature of the manifest (made at export): for those it attests that these
were the member's lines in the statement the entry recorded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.ledger import events, statement_commitment
from alliance.ledger.coverage import Rows, ballot_digest, claims_of, compare, statement_digests, value_digest
from alliance.ledger.merkle import leaf_hash, verify_inclusion
from alliance.ledger.note import NoteInvalid, Verifier, open_checkpoint, open_note, sign

FORMAT = "alliance.member-archive"
VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
README = "README.md"
MEMBER = "registry/member.json"
VERSIONS = "agreements/versions.json"
JOURNAL = "journal/postings.csv"
ORDER_LINES = "orders/order_lines.parquet"
DATASETS = "datasets/"  # datasets/<kind>.parquet: inventory, customer events, catalogue the member shared
VIEWS = "datashare/views.json"
ACCESS_LOG = "datashare/access_log.csv"
VOTES = "governance/votes.json"
IP = "ip/register.json"
PAYOUTS = "payouts/payouts.json"
DISPUTES = "disputes/disputes.json"
CHECKPOINT = "ledger/checkpoint.note"
KEY = "ledger/verifier-key.txt"
ENTRIES = "ledger/entries.jsonl"
SIGNED_SUFFIX = "/member-archive"  # the signed note's first line: the log's origin and this suffix
CHUNK = 1 << 20

# What a verifier compares field by field with the entries (ledger.coverage's own kinds).
COMPARED_EVENTS = frozenset({events.MEMBER_JOINED, events.MEMBER_LEFT, events.AGREEMENT_VERSION,
                             events.AGREEMENT_SIGNED, events.PAYOUT_RECORDED, events.PAYOUT_CURRENCY_SET,
                             events.IP_REGISTERED, events.IP_CHANGED})
# Which file holds the objects of each compared kind (coverage's kind names), to name it.
KIND_FILES = {"member": MEMBER, "agreement version": VERSIONS, "signature": VERSIONS, "payout": PAYOUTS,
              "payout currency choice": PAYOUTS, "IP register version": IP}
JOURNAL_HEADER = ["day", "agreement", "version", "rule", "kind", "adjustment_of", "account", "amount", "currency",
                  "correction_of"]
ACCESS_LOG_HEADER = ["view", "view_name", "accessed_by", "accessed_at", "kind", "query", "returned"]

# Told of progress: (step, done, total). Steps: see `STEPS`; the order-line step counts rows.
Progress = Callable[[str, int, int], None]
STEPS = ("registry", "agreements", "statements", "journal", "order lines", "shared views", "governance", "ip",
         "payouts", "disputes", "ledger proofs", "packing")


class ArchiveUnreadable(InvalidInput):
    """The file is not a member archive this version can read at all (not a ZIP, no manifest)."""

    code = "archive_unreadable"
    title = Message("Member archive unreadable")


def statement_csv_name(day: str) -> str:
    return f"statements/{day}.csv"


def statement_json_name(day: str) -> str:
    return f"statements/{day}.json"


def dataset_name(kind: str) -> str:
    return f"{DATASETS}{kind}.parquet"


def signed_text(origin: str, alliance: str, member: str, manifest_sha256: str) -> str:
    """The text the alliance's key signs: what archive, of whom, with which manifest."""
    return f"{origin}{SIGNED_SUFFIX}\n{alliance}\n{member}\n{manifest_sha256}\n"


def member_lines_digest(lines: Sequence[Mapping[str, Any]]) -> str:
    """The digest of a member's statement lines of one day, in the form the day's entry digests the
    whole statement (`coverage.statement_digests`): the same function over the member's part."""
    return value_digest(list(lines))


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode("utf-8") + b"\n"


# -- writing ----------------------------------------------------------------------------------------
@dataclass
class ArchiveWriter:
    """Adds files to the ZIP, keeping each one's SHA-256 and size for the manifest."""

    zip: zipfile.ZipFile
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, name: str, data: bytes) -> None:
        self.zip.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
        self.files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    def add_json(self, name: str, value: Any) -> None:
        self.add(name, canonical_json(value))

    def add_file(self, name: str, path: Path, *, stored: bool = True) -> None:
        """Copy a file in (stored as it is: for Parquet, already compressed), hashing it on the way."""
        sha, size = hashlib.sha256(), 0
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        with path.open("rb") as source, self.zip.open(info, "w", force_zip64=True) as target:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                sha.update(chunk)
                target.write(chunk)
                size += len(chunk)
        self.files[name] = {"sha256": sha.hexdigest(), "size": size}

    def finish(self, manifest: dict[str, Any], sign_text: Callable[[str], str]) -> str:
        """Write the manifest (with every file added so far) and its signature; its SHA-256."""
        manifest = {**manifest, "files": dict(sorted(self.files.items()))}
        data = canonical_json(manifest)
        self.zip.writestr(MANIFEST, data, compress_type=zipfile.ZIP_DEFLATED)
        digest = hashlib.sha256(data).hexdigest()
        note = sign_text(signed_text(manifest["ledger"]["origin"], manifest["alliance"], manifest["member"], digest))
        self.zip.writestr(SIGNATURE, note.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
        return digest


def sign_with(signer: Any) -> Callable[[str], str]:
    """`ArchiveWriter.finish`'s signing function for a `ledger.note.Signer`."""
    return lambda text: sign(text, [signer])


# -- verifying --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArchiveProblem:
    where: str  # the file or entry
    what: Message

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass(frozen=True)
class ArchiveVerdict:
    """What the offline verification found: `ok` when no problem; what was checked, and how far."""

    path: str
    alliance: str | None = None
    member: str | None = None
    created_at: str | None = None
    files: int = 0
    entries: int = 0
    checkpoint_size: int | None = None
    order_lines: int | None = None
    days_recomputed: tuple[str, ...] = ()  # days whose statements digest was recomputed in full
    days_attested: tuple[str, ...] = ()    # days shared with other members: lines as the signed manifest gives
    problems: tuple[ArchiveProblem, ...] = ()
    warnings: tuple[Message, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def sha256_of(stream: BinaryIO) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        sha.update(chunk)
        size += len(chunk)
    return sha.hexdigest(), size


@dataclass
class _Check:
    """One verification's state: the open archive and the problems found so far."""

    zip: zipfile.ZipFile
    problems: list[ArchiveProblem] = field(default_factory=list)
    readable: set[str] = field(default_factory=set)  # files present with their manifest digest

    def problem(self, where: str, what: Message) -> None:
        self.problems.append(ArchiveProblem(where, what))

    def read(self, name: str) -> bytes | None:
        try:
            return self.zip.read(name)
        except KeyError:
            return None

    def json(self, name: str) -> Any:
        """A file's JSON, if the file was found intact (its problems are reported already)."""
        if name not in self.readable:
            return None
        try:
            return json.loads(self.zip.read(name))
        except ValueError:
            self.problem(name, Message("is not valid JSON"))
            return None


def verify_member_archive(path: Path | str, trusted_key: str | None = None) -> ArchiveVerdict:
    """Verify a member archive with nothing but the file (and, best, the alliance's published key).

    Raises ArchiveUnreadable when the file is no ZIP or has no manifest; every other problem (a file
    changed, missing or added, a signature or proof that fails, a statement that is not what was
    recorded) is named in the verdict's `problems`."""
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ArchiveUnreadable(Message("{path}: not a member archive (not a readable ZIP file)",
                                        path=path.name)) from None
    with archive:
        check = _Check(archive)
        raw = check.read(MANIFEST)
        if raw is None:
            raise ArchiveUnreadable(Message("{path}: not a member archive ({file} is missing)", path=path.name,
                                            file=MANIFEST))
        try:
            manifest = json.loads(raw)
        except ValueError:
            raise ArchiveUnreadable(Message("{path}: its {file} is not JSON", path=path.name, file=MANIFEST)) from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise ArchiveUnreadable(Message("{path}: not a member archive of format {format} version {version}",
                                            path=path.name, format=FORMAT, version=VERSION))
        warnings: list[Message] = []
        verifier = _key(check, trusted_key, warnings)
        if verifier is not None:
            _signature(check, verifier, manifest, raw)
        _files(check, manifest)
        entries, checkpoint_size = _entries(check, verifier, manifest) if verifier is not None else ({}, None)
        recomputed, attested = _statements(check, manifest, entries)
        _records(check, manifest, entries)
        _ballots(check, entries)
        return ArchiveVerdict(
            str(path), manifest.get("alliance"), manifest.get("member"), manifest.get("created_at"),
            len(manifest.get("files") or {}), len(entries), checkpoint_size, manifest.get("order_lines"),
            tuple(recomputed), tuple(attested), tuple(check.problems), tuple(warnings))


def _key(check: _Check, trusted_key: str | None, warnings: list[Message]) -> Verifier | None:
    text = check.read(KEY)
    if text is None:
        check.problem(KEY, Message("is missing: nothing in the archive can be checked against the alliance's key"))
        return None
    try:
        own = Verifier.parse(text.decode("utf-8"))
    except (NoteInvalid, UnicodeDecodeError):
        check.problem(KEY, Message("is not a verifier key"))
        return None
    if trusted_key is None:
        warnings.append(Message("no trusted key given: the archive was checked against the key it carries, which "
                                "proves it is consistent, not that the alliance made it; give the alliance's "
                                "published key (`alliance ledger public-key`) with --trusted-key"))
        return own
    try:
        trusted = Verifier.parse(trusted_key)
    except NoteInvalid:
        check.problem("--trusted-key", Message("is not a verifier key"))
        return None
    if str(trusted) != str(own):
        check.problem(KEY, Message("is not the trusted key {key}: the archive was signed with another key",
                                   key=str(trusted)))
    return trusted


def _signature(check: _Check, verifier: Verifier, manifest: Mapping[str, Any], raw: bytes) -> None:
    note = check.read(SIGNATURE)
    if note is None:
        check.problem(SIGNATURE, Message("is missing: the manifest is signed by nobody"))
        return
    try:
        text, _names = open_note(note.decode("utf-8"), [verifier])
    except (NoteInvalid, UnicodeDecodeError):
        check.problem(SIGNATURE, Message("does not verify with the alliance's key"))
        return
    ledger = manifest.get("ledger") or {}
    expected = signed_text(str(ledger.get("origin")), str(manifest.get("alliance")), str(manifest.get("member")),
                           hashlib.sha256(raw).hexdigest())
    if text != expected:
        check.problem(MANIFEST, Message("is not the manifest the alliance's key signed (it was changed, or the "
                                        "signature is of another archive)"))


def _files(check: _Check, manifest: Mapping[str, Any]) -> None:
    listed = manifest.get("files") or {}
    present = {i.filename for i in check.zip.infolist() if not i.is_dir()}
    for name in sorted(set(listed) - present):
        check.problem(name, Message("is missing from the archive (the manifest lists it)"))
    for name in sorted(present - set(listed) - {MANIFEST, SIGNATURE}):
        check.problem(name, Message("is in the archive but not in the manifest (added)"))
    for name in sorted(set(listed) & present):
        try:
            with check.zip.open(name) as stream:
                digest, size = sha256_of(stream)
        except zipfile.BadZipFile:
            check.problem(name, Message("cannot be read (damaged)"))
            continue
        wanted = listed[name]
        if digest != wanted.get("sha256") or size != wanted.get("size"):
            check.problem(name, Message("differs from the manifest (SHA-256 {found}, the manifest says {wanted})",
                                        found=digest, wanted=wanted.get("sha256")))
        else:
            check.readable.add(name)


def _entries(check: _Check, verifier: Verifier, manifest: Mapping[str, Any]) -> tuple[dict[int, dict[str, Any]], int | None]:
    """The archived log entries whose inclusion proofs verify against the signed checkpoint, by index."""
    note = check.read(CHECKPOINT)
    if note is None:
        check.problem(CHECKPOINT, Message("is missing"))
        return {}, None
    try:
        checkpoint = open_checkpoint(note.decode("utf-8"), verifier, verifier.name)
    except (NoteInvalid, UnicodeDecodeError):
        check.problem(CHECKPOINT, Message("is not a checkpoint signed by the alliance's key"))
        return {}, None
    recorded = (manifest.get("ledger") or {}).get("checkpoint_size")
    if recorded != checkpoint.size:
        check.problem(CHECKPOINT, Message("is of size {size}, the manifest says {recorded}", size=checkpoint.size,
                                          recorded=recorded))
    raw = check.read(ENTRIES)
    if raw is None:
        check.problem(ENTRIES, Message("is missing"))
        return {}, checkpoint.size
    proven: dict[int, dict[str, Any]] = {}
    for number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), start=1):
        where = f"{ENTRIES}:{number}"
        try:
            item = json.loads(line)
            index, leaf, proof = int(item["index"]), str(item["entry"]).encode("utf-8"), item["proof"]
            hashes = [bytes.fromhex(p) for p in proof]
            entry = json.loads(leaf)
        except (ValueError, KeyError, TypeError):
            check.problem(where, Message("is not an entry with its proof"))
            continue
        if not verify_inclusion(index, checkpoint.size, leaf_hash(leaf), hashes, checkpoint.root):
            check.problem(where, Message("entry {index}: its inclusion proof does not verify against the signed "
                                         "checkpoint (the entry or its proof was altered)", index=index))
            continue
        if entry.get("alliance") != manifest.get("alliance"):
            check.problem(where, Message("entry {index} is of another alliance", index=index))
            continue
        proven[index] = entry
    return proven, checkpoint.size


def _statements(check: _Check, manifest: Mapping[str, Any],
                entries: Mapping[int, Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    recomputed, attested = [], []
    days = manifest.get("statement_days") or {}
    for day, claim in sorted(days.items()):
        name = statement_json_name(day)
        document = check.json(name)
        if document is None:
            continue  # missing or changed: reported with the files
        lines = document.get("recorded_lines") or []
        if member_lines_digest(lines) != claim.get("member_lines_sha256"):
            check.problem(name, Message("its lines do not hash to the digest the signed manifest gives for "
                                        "{day}", day=day))
            continue
        if sum(int(line["amount_minor"]) for line in lines) != _total_minor(document):
            check.problem(name, Message("its total is not the sum of its recorded lines"))
        index = claim.get("entry")
        if index is None:
            continue  # settled before the alliance's ledger: nothing recorded it
        entry = entries.get(index)
        if entry is None:
            check.problem(name, Message("the ledger entry {index} that recorded {day} is not among the proven "
                                        "entries", index=index, day=day))
            continue
        payload = entry.get("payload") or {}
        if entry.get("type") != events.DAY_SETTLED or payload.get("day") != day:
            check.problem(name, Message("entry {index} does not record the settlement of {day}", index=index, day=day))
        elif payload.get("statements_sha256") != claim.get("statements_sha256"):
            check.problem(name, Message("the day's statements digest in the manifest is not the one entry {index} "
                                        "recorded", index=index))
        elif payload.get("members_root"):
            # The member's own leaf of the day's per-member commitment, up to the root the entry recorded.
            if _proves(day, str(manifest.get("member")), lines, claim.get("commitment"), payload["members_root"]):
                recomputed.append(day)
            else:
                check.problem(name, Message("its lines are not the member's lines entry {index} committed to for "
                                            "{day} (members_root), or the archive lacks their proof",
                                            index=index, day=day))
        elif claim.get("member_lines") == claim.get("day_lines"):
            # The whole day's statement is this member's: recomputed exactly as the platform does.
            if statement_digests(lines)[0] != payload.get("statements_sha256"):
                check.problem(name, Message("its lines are not the statement entry {index} recorded for {day}",
                                            index=index, day=day))
            else:
                recomputed.append(day)
        else:
            attested.append(day)  # settled before days were committed member by member
    return recomputed, attested


def _proves(day: str, member: str, lines: Sequence[Mapping[str, Any]], commitment: Any, root: str) -> bool:
    try:
        proof = statement_commitment.MemberProof.of(commitment)
    except (KeyError, TypeError, ValueError):
        return False
    return statement_commitment.verify(day, member, lines, proof, root)


def _total_minor(document: Mapping[str, Any]) -> int:
    from alliance.core.money import Money

    return Money.parse(str(document.get("total", "0")), str(document.get("currency"))).minor


def _records(check: _Check, manifest: Mapping[str, Any], entries: Mapping[int, Mapping[str, Any]]) -> None:
    """The member's record, its agreement versions and their signatures, its payouts and payout
    currencies, its IP versions, against what the entries recorded: `coverage.compare`, the
    platform's own check, over the archive's part."""
    member = check.json(MEMBER)
    versions = check.json(VERSIONS)
    if member is None or versions is None:
        return
    payouts = check.json(PAYOUTS) or {}
    ip = check.json(IP) or {}
    documents = {}
    for v in versions:
        text = check.read(v["file"]) if v.get("file") in check.readable else None
        documents[(v["agreement"], v["version"])] = text.decode("utf-8") if text is not None else ""
    rows = Rows(members=[member["record"]],
                versions=[{**{k: v[k] for k in ("agreement", "version", "sha256", "effective_from", "parties")},
                           "document": documents[(v["agreement"], v["version"])]} for v in versions],
                signatures=[s for v in versions for s in v["signatures"]],
                payouts=list(payouts.get("recorded", [])),
                payout_currencies=list(payouts.get("recorded_currency_choices", [])),
                ip_versions=list(ip.get("recorded", [])))
    claims = claims_of((index, str(e.get("type")), e.get("payload") or {}) for index, e in sorted(entries.items())
                       if e.get("type") in COMPARED_EVENTS)
    claims.complete = bool((manifest.get("ledger") or {}).get("complete"))
    mismatch = compare(claims, rows)
    if mismatch is not None:
        check.problem(KIND_FILES.get(mismatch.what, MEMBER), mismatch.text())


def _ballots(check: _Check, entries: Mapping[int, Mapping[str, Any]]) -> None:
    votes = check.json(VOTES)
    if votes is None:
        return
    recorded = {(p.get("number"), p.get("ballot")) for e in entries.values() if e.get("type") == events.PROPOSAL_BALLOT
                for p in [e.get("payload") or {}]}
    for b in votes.get("ballots", []):
        digest = ballot_digest(b["proposal"], b["voter"], b["choice"], b["sequence"], b["by"], b["salt"])
        if (b["proposal"], digest) not in recorded:
            check.problem(VOTES, Message("the ballot on proposal {number} is not the one its entry recorded",
                                         number=b["proposal"]))


def entry_lines(entries: Iterable[tuple[int, bytes, Sequence[bytes]]]) -> bytes:
    """ledger/entries.jsonl: each entry's exact text with its index and inclusion proof."""
    return b"".join(json.dumps({"index": i, "entry": leaf.decode("utf-8"), "proof": [p.hex() for p in proof]},
                               ensure_ascii=False).encode("utf-8") + b"\n" for i, leaf, proof in entries)


def root_text(root: bytes) -> str:
    return base64.b64encode(root).decode()
