"""The member's data archive, built from both stores: `build_member_archive` writes one ZIP file
holding everything of the member's own with the ledger proofs that let anyone verify it offline
(`archive_format` is the layout and the verifier; docs/exit.md, "The member's archive").

Who may have a member's archive is the edges' decision, made as for the member's statements
(`access.policy`, READ_MEMBER_DATA: its own accounts, a departed member's included, the coordinator,
the auditor, the platform admin; another member's accounts are answered 404). This module
takes only the member's own rows: its record and its people, the agreements it is party to, its
statements and journal postings, the order lines it sold, its shared views, its ballots and proxies,
its IP, payouts and disputes, and the log entries that concern it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from pathlib import Path
from typing import Any

from alliance import __version__
from alliance.core.clock import Clock
from alliance.core.errors import MemberNotFound
from alliance.core.messages import Message
from alliance.exits import archive_format as fmt
from alliance.exits.archive_format import ArchiveVerdict, Progress, verify_member_archive
from alliance.exits.archive_readme import readme
from alliance.ledger import events, keys
from alliance.ledger import service as ledger
from alliance.ledger import statement_commitment
from alliance.ledger.coverage import statement_digests
from alliance.ledger.note import Checkpoint, Signer
from alliance.settlement import service as settlement
from alliance.store.facts import member_lines
from alliance.store.recorded_rows import read_rows
from alliance.store.stores import Stores
from alliance.store.unit_of_work import UnitOfWork

__all__ = ["ArchiveSummary", "ArchiveVerdict", "build_member_archive", "verify_member_archive"]



@dataclasses.dataclass(frozen=True, slots=True)
class ArchiveSummary:
    """What was written: the file, its size and SHA-256, the manifest's digest, what it holds."""

    path: Path
    size: int
    sha256: str
    manifest_sha256: str
    files: int
    order_lines: int
    statement_days: int
    entries: int
    checkpoint_size: int
    seconds: float


def plain(value: Any) -> Any:
    """A stored value as JSON: dates ISO, money exact (Decimal and Fraction as text), enums by value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (Decimal, Fraction)):
        return str(value)
    return value


def _tell(progress: Progress | None, step: str, done: int = 1, total: int = 1) -> None:
    if progress is not None:
        progress(step, done, total)


def build_member_archive(stores: Stores, alliance_code: str, member_code: str, out: Path, *,
                         progress: Progress | None = None, clock: Clock) -> ArchiveSummary:
    """Write the member's archive to `out` (via a temporary name beside it, so a failed export never
    leaves a half archive under the name asked for). Raises MemberNotFound for a member the alliance
    never had, LedgerMissing / LedgerKeyLocked when the log cannot be proven or signed."""
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=".archive-") as folder, \
                zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
            writer = fmt.ArchiveWriter(archive)
            built = _Build(stores, alliance_code, member_code, writer, progress, clock, Path(folder))
            manifest = built.run()
            _tell(progress, "packing", 0, 1)
            manifest_sha256 = writer.finish(manifest, fmt.sign_with(built.signer))
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    _tell(progress, "packing", 1, 1)
    digest, size = _file_digest(out)
    return ArchiveSummary(out, size, digest, manifest_sha256, len(writer.files) + 2, manifest["order_lines"],
                          len(manifest["statement_days"]), manifest["ledger"]["entries"],
                          manifest["ledger"]["checkpoint_size"], time.perf_counter() - started)


def _file_digest(path: Path) -> tuple[str, int]:
    with path.open("rb") as f:
        return fmt.sha256_of(f)


@dataclasses.dataclass
class _Build:
    stores: Stores
    alliance: str
    member: str
    writer: fmt.ArchiveWriter
    progress: Progress | None
    clock: Clock
    folder: Path
    signer: Signer | None = None

    def run(self) -> dict[str, Any]:
        store = self.stores.records
        with store.unit_of_work() as uow:
            alliance = uow.alliances.require(self.alliance)
            member = uow.members.get(alliance.id, alliance.code, alliance.currency, self.member)
            if member is None:
                raise MemberNotFound(self.alliance, self.member)
            key = uow.ledger.key(alliance.id)
            if key is None:
                raise ledger.LedgerMissing(Message("alliance {alliance_code!r} has no ledger: its archive cannot be "
                                                   "proven", alliance_code=self.alliance))
            self.signer = Signer(key.name, keys.unseal(key.private_key_sealed, key.name, store.ledger_passphrase))
            rows = read_rows(uow.connection, alliance.id)
            _tell(self.progress, "registry", 0)
            record = next(m for m in rows.members if m["code"] == self.member)
            self.writer.add_json(fmt.MEMBER, {"record": record, "member": plain(member),
                                              "people": self._people(uow, alliance.id)})
            _tell(self.progress, "registry")
            versions = self._agreements(rows)
            days = self._statements(rows, alliance.currency)
            votes = self._governance(uow, alliance.id)
            self._datashare(uow, alliance.id)
            assets = self._ip(uow, alliance.id, rows)
            self._payouts(uow, alliance.id, rows)
            disputes = self._disputes(uow, alliance.id)
        self._journal()
        order_lines = self._order_lines()
        datasets = self._datasets()
        checkpoint = ledger.checkpoint(store, self.alliance, self.clock)
        size = Checkpoint.parse(checkpoint[: checkpoint.rfind("\n\n") + 1]).size
        wanted = _Wanted(self.member, {v: None for v in versions}, set(days), votes, assets, disputes)
        entries, complete = self._proofs(size, wanted, days)
        self.writer.add(fmt.CHECKPOINT, checkpoint.encode("utf-8"))
        self.writer.add(fmt.KEY, (ledger.public_key(store, self.alliance) + "\n").encode("utf-8"))
        self.writer.add(fmt.README, readme(self.alliance, self.member).encode("utf-8"))
        return {"format": fmt.FORMAT, "version": fmt.VERSION, "alliance": self.alliance,
                "alliance_name": alliance.name, "member": self.member, "member_name": member.legal_name,
                "currency": alliance.currency, "created_at": self.clock.now().isoformat(),
                "platform_version": __version__, "order_lines": order_lines, "datasets": datasets,
                "statement_days": days,
                "settled_days_without_lines": sorted({r["day"] for r in rows.runs} - set(days)),
                "ledger": {"origin": ledger.origin_of(self.alliance), "checkpoint_size": size, "entries": entries,
                           "complete": complete}}

    # -- the parts -------------------------------------------------------------------------------
    def _people(self, uow: UnitOfWork, alliance_id: int) -> dict[str, Any]:
        """The member's accounts and API keys: who they are, never a password or key hash."""
        grants = uow.sessions.all_grants()
        users = {u.username: u for u in uow.access.users()}
        accounts = []
        for username, held in sorted(grants.items()):
            own = [g for g in held if g.alliance == self.alliance and g.member == self.member]
            user = users.get(username)
            if own and user is not None:
                accounts.append({"username": username, "display_name": user.display_name,
                                 "roles": sorted(g.role for g in own), "created_at": plain(user.created_at),
                                 "disabled_at": plain(user.disabled_at)})
        api_keys = [{"prefix": k.prefix, "name": k.name, "role": k.role, "created_by": k.created_by,
                     "created_at": plain(k.created_at), "expires_at": plain(k.expires_at),
                     "last_used_at": plain(k.last_used_at), "revoked_at": plain(k.revoked_at), "scopes": k.scopes}
                    for k in uow.access.keys(alliance_id) if k.member == self.member]
        return {"accounts": accounts, "api_keys": api_keys}

    def _agreements(self, rows: Any) -> list[tuple[str, int]]:
        _tell(self.progress, "agreements", 0)
        mine = [v for v in rows.versions if self.member in v["parties"]]
        listed = []
        for v in mine:
            name = f"agreements/{v['agreement']}-v{v['version']}.yaml"
            self.writer.add(name, v["document"].encode("utf-8"))
            listed.append({"agreement": v["agreement"], "version": v["version"], "sha256": v["sha256"],
                           "effective_from": v["effective_from"], "parties": v["parties"], "file": name,
                           "signatures": [s for s in rows.signatures
                                          if (s["agreement"], s["version"]) == (v["agreement"], v["version"])]})
        self.writer.add_json(fmt.VERSIONS, listed)
        _tell(self.progress, "agreements")
        return [(v["agreement"], v["version"]) for v in mine]

    def _statements(self, rows: Any, currency: str) -> dict[str, dict[str, Any]]:
        """Each settled day with lines of the member's account: its statement (the document members
        download, and the lines as the day's entry digested them) and the day's digests."""
        days: dict[str, dict[str, Any]] = {}
        runs = [r for r in rows.runs if any(line["account"] == self.member for line in r["statement"])]
        for done, run in enumerate(runs):
            day = run["day"]
            lines = [_line_json(line) for line in run["statement"] if line["account"] == self.member]
            statement = settlement.statement(self.stores.records, self.alliance, self.member, date.fromisoformat(day))
            document = settlement.statement_document(self.alliance, self.member, statement)
            self.writer.add_json(fmt.statement_json_name(day), {**document, "recorded_lines": lines})
            self.writer.add(fmt.statement_csv_name(day), _csv([settlement.STATEMENT_HEADER,
                                                               *settlement.statement_rows(document)]))
            days[day] = {"entry": None, "statements_sha256": statement_digests(run["statement"])[0],
                         "member_lines": len(lines), "day_lines": len(run["statement"]),
                         "member_lines_sha256": fmt.member_lines_digest(lines)}
            proof = statement_commitment.prove(day, run["statement"], run.get("member_salts") or {}, self.member)
            if proof is not None:  # the member's salt and path to the day's members_root
                days[day]["commitment"] = proof.as_json()
            _tell(self.progress, "statements", done + 1, len(runs))
        return days

    def _journal(self) -> None:
        """The journal's postings of the member's account (settlement.journal), and its payouts."""
        from alliance.settlement.journal import JournalEntry, PayoutEntry

        _tell(self.progress, "journal", 0)
        with self.stores.records.unit_of_work() as uow:
            alliance = uow.alliances.require(self.alliance)
            closed = sorted(uow.settlement.closed(alliance.id))
            paid, _total = uow.payouts.page(alliance.id, self.member, 1_000_000, 0)
        rows: list[list[str]] = [fmt.JOURNAL_HEADER]
        if closed:
            # Through the last payout too: the journal books a payout on its payout day (after the days it pays).
            last = max([closed[-1], *(p.payout.payout_day for p in paid)])
            _currency, entries = settlement.journal(self.stores.records, self.alliance, closed[0], last)
            for e in entries:
                if isinstance(e, JournalEntry):
                    rows += [[e.day.isoformat(), e.agreement, str(e.version), e.rule_id, e.kind,
                              e.adjustment_of.isoformat() if e.adjustment_of else "", code, money.amount_text(),
                              money.currency, e.correction_of or ""] for code, money in e.postings if code == self.member]
                elif isinstance(e, PayoutEntry) and e.payout.member == self.member:
                    p = e.payout
                    rows.append([p.payout_day.isoformat(), "", "", "", "payout", "", p.member,
                                 p.owed.amount_text(), p.owed.currency, f"payout {e.number}"])
        self.writer.add(fmt.JOURNAL, _csv(rows))
        _tell(self.progress, "journal")

    def _order_lines(self) -> int:
        target = self.folder / "order_lines.parquet"
        total = member_lines.count(self.stores.facts, self.alliance, self.member)
        _tell(self.progress, "order lines", 0, total)
        member_lines.export(self.stores.facts, self.alliance, self.member, target,
                            None if self.progress is None else lambda rows: _tell(self.progress, "order lines", rows, total),
                            total)
        self.writer.add_file(fmt.ORDER_LINES, target)
        target.unlink()
        return total

    def _datasets(self) -> dict[str, int]:
        """The datasets beyond sales the member shared, as it stored them: kind -> rows (not in the ledger,
        so they are not proven by it; their SHA-256 is in the manifest like every file's)."""
        _tell(self.progress, "datasets", 0)
        found = member_lines.export_datasets(self.stores.facts, self.alliance, self.member, self.folder)
        for name, (path, _rows) in found.items():
            self.writer.add_file(fmt.dataset_name(name), path)
            path.unlink()
        return {name: rows for name, (_path, rows) in found.items()}

    def _datashare(self, uow: UnitOfWork, alliance_id: int) -> None:
        _tell(self.progress, "shared views", 0)
        views = [v for v in uow.datashare.views(alliance_id) if v.member == self.member]
        log: list[list[str]] = [fmt.ACCESS_LOG_HEADER]
        for v in views:
            offset = 0
            while True:
                page = uow.datashare.accesses(alliance_id, v.id, 1000, offset)
                log += [[str(v.id), v.name, a.accessed_by, a.accessed_at.isoformat(), a.kind,
                         json.dumps(plain(a.query), ensure_ascii=False, sort_keys=True), str(a.returned)] for a in page]
                if len(page) < 1000:
                    break
                offset += 1000
        self.writer.add_json(fmt.VIEWS, [plain(v) for v in views])
        self.writer.add(fmt.ACCESS_LOG, _csv(log))
        _tell(self.progress, "shared views")

    def _governance(self, uow: UnitOfWork, alliance_id: int) -> set[tuple[int, str]]:
        """Its ballots (with the salt that lets it show its digest is its vote) and its proxies."""
        from alliance.store.proposal_repository import ProposalRepository

        _tell(self.progress, "governance", 0)
        repo = ProposalRepository(uow.connection)
        proposals, _total = repo.listing(alliance_id, limit=1_000_000)
        ballots, proxies, digests = [], [], set()
        found = repo.ballots_of(alliance_id, [p.id for p in proposals])
        for p in sorted(proposals, key=lambda p: p.number):
            for b in found.get(p.id, []):
                if b.voter == self.member:
                    ballots.append({"proposal": p.number, "title": p.title, "voter": b.voter, "choice": str(b.choice),
                                    "sequence": b.id, "by": b.by, "cast_by": b.cast_by,
                                    "cast_at": b.cast_at.isoformat(), "salt": b.salt})
                    digests.add((p.number, b.digest(p.number)))
            proxies += [{"proposal": p.number, **plain(x)} for x in repo.proxies(alliance_id, p.id)
                        if self.member in (x.giver, x.holder)]
        self.writer.add_json(fmt.VOTES, {"ballots": ballots, "proxies": proxies})
        _tell(self.progress, "governance")
        return digests

    def _ip(self, uow: UnitOfWork, alliance_id: int, rows: Any) -> set[int]:
        from alliance.ip.model import version_fields
        from alliance.store.ip_repository import IpRepository

        _tell(self.progress, "ip", 0)
        mine = [a for a in IpRepository(uow.connection).register(alliance_id)
                if any(v.owner == self.member or any(s.member == self.member for s in v.contributors)
                       for v in a.versions)]
        numbers = {a.asset for a in mine}
        # `recorded`: the versions as their ledger entries digested them (store.recorded_rows), which
        # the verifier compares with the entries (`ledger.coverage`).
        self.writer.add_json(fmt.IP, {"assets": [{"asset": a.asset, "versions": [version_fields(a, v)
                                                                                 for v in a.versions]} for a in mine],
                                      "recorded": [v for v in rows.ip_versions if v["asset"] in numbers]})
        _tell(self.progress, "ip")
        return {a.asset for a in mine}

    def _payouts(self, uow: UnitOfWork, alliance_id: int, rows: Any) -> None:
        _tell(self.progress, "payouts", 0)
        paid, _total = uow.payouts.page(alliance_id, self.member, 1_000_000, 0)
        self.writer.add_json(fmt.PAYOUTS, {
            "payouts": [plain(p) for p in paid],
            "currency_choices": [plain(c) for c in uow.payouts.choices(alliance_id, self.member)],
            # As the ledger's entries digested them (store.recorded_rows): what the verifier compares.
            "recorded": [plain(p) for p in rows.payouts if p["member"] == self.member],
            "recorded_currency_choices": [c for c in rows.payout_currencies if c["member"] == self.member]})
        _tell(self.progress, "payouts")

    def _disputes(self, uow: UnitOfWork, alliance_id: int) -> set[int]:
        from alliance.store.dispute_repository import DisputeRepository

        _tell(self.progress, "disputes", 0)
        repo = DisputeRepository(uow.connection)
        mine = [d for d in repo.of_alliance(alliance_id) if self.member == d.claimant or self.member in d.respondents]
        self.writer.add_json(fmt.DISPUTES, [{**plain(d), "evidence": [plain(e) for e in repo.evidence(alliance_id, d.id)]}
                                            for d in mine])
        _tell(self.progress, "disputes")
        return {d.number for d in mine}

    def _proofs(self, size: int, wanted: _Wanted, days: dict[str, dict[str, Any]]) -> tuple[int, bool]:
        """ledger/entries.jsonl: every entry of the first `size` that concerns the member, each with its
        inclusion proof in the tree of `size` (the signed checkpoint's). Notes each day's entry."""
        store = self.stores.records
        with store.unit_of_work() as uow:
            alliance_id = uow.alliances.require(self.alliance).id
            found = [(e.index, e.leaf) for e in uow.ledger.entries(alliance_id, 0, size)
                     if wanted.concerns(e.event_type, json.loads(e.leaf).get("payload") or {})]
            first = next(uow.ledger.entries(alliance_id, 0, 1), None)
        complete = first is None or first.event_type != events.LEDGER_OPENED
        proven = []
        for done, (index, leaf) in enumerate(found):
            proof = ledger.inclusion(store, self.alliance, index, size)
            proven.append((index, leaf, [bytes.fromhex(p) for p in proof["proof"]]))
            payload = json.loads(leaf).get("payload") or {}
            if json.loads(leaf).get("type") == events.DAY_SETTLED and payload.get("day") in days:
                days[payload["day"]]["entry"] = index
            _tell(self.progress, "ledger proofs", done + 1, len(found))
        self.writer.add(fmt.ENTRIES, fmt.entry_lines(proven))
        return len(proven), complete


@dataclasses.dataclass(frozen=True)
class _Wanted:
    """Which log entries concern the member."""

    member: str
    versions: Mapping[tuple[str, int], None]
    days: set[str]
    ballots: set[tuple[int, str]]
    assets: set[int]
    disputes: set[int]

    def concerns(self, event_type: str, payload: Mapping[str, Any]) -> bool:
        if event_type.startswith("alliance.") or event_type == events.LEDGER_OPENED:
            return True  # the alliance's founding and lifecycle: the context of everything else
        if event_type == events.DAY_SETTLED:
            return payload.get("day") in self.days
        if event_type in (events.AGREEMENT_VERSION, events.AGREEMENT_SIGNED):
            return (str(payload.get("agreement")), int(payload.get("version") or 0)) in self.versions
        if event_type == events.PROPOSAL_BALLOT:
            return (payload.get("number"), payload.get("ballot")) in self.ballots
        if event_type in (events.IP_REGISTERED, events.IP_CHANGED):
            return payload.get("asset") in self.assets
        if event_type.startswith("dispute."):
            return payload.get("number") in self.disputes
        # Entries naming the member in a field (member.joined/left, payouts, proxies, powers of attorney).
        return any(value == self.member or (isinstance(value, list) and self.member in value)
                   for value in payload.values())


def _line_json(line: Mapping[str, Any]) -> dict[str, Any]:
    """A recorded statement line as JSON, digesting as the stored one does (dates as ISO text)."""
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in line.items()}


def _csv(rows: Sequence[Sequence[Any]]) -> bytes:
    import csv
    import io

    from alliance.core.cells import defused_row

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(rows[0])
    for row in rows[1:]:
        writer.writerow(defused_row(["" if c is None else str(c) for c in row]))
    # With a byte-order mark: Excel on a Chinese Windows then reads UTF-8, not GBK.
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
