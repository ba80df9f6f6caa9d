"""Disputes between members: open one, answer it, withdraw it, read it and its neutral data report,
and move it up the escalation ladder when its level's clock runs out.

Who may do what (the edges map routes to `access.policy` actions; this service decides per dispute):
- opening is the claimant member's own act (`ACT_FOR_MEMBER` for the claimant: its member admins,
  or an account it gave a power of attorney); answering is a respondent's, withdrawing the claimant's;
- a dispute is read by its parties' people, the coordinator, auditors and the platform admin; to
  anyone else of the alliance it does not exist (404), as another member's data.

On opening, the neutral data report is built at once (`neutral_report`), kept as canonical JSON and
its SHA-256 recorded in the ledger with the claim (`dispute.opened`), in the same transaction as
the dispute's row: verification recomputes the digest from the kept text (`ledger.coverage`).
A refused opening stores nothing and records nothing.

A ruling is a later part (issue 19): the arbitration body's accepted proposal will set `ruling_ref`
and the status `ruled`, and its correcting adjustment entries are booked by settlement.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal, Role
from alliance.core.clock import Clock
from alliance.registry.lifecycle import ALLOWED, Write
from alliance.core.errors import AllianceError, Conflict, InvalidInput, NotFound
from alliance.core.messages import Message, joined
from alliance.core.money import Money
from alliance.governance.dispute_notices import tell_parties
from alliance.notify.notice import EventKind
from alliance.governance import escalation, neutral_report
from alliance.governance.escalation import DEFAULT_LADDER, Ladder, Position, ladder_from
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.coverage import dispute_claim_sha256, text_digest
from alliance.settlement.engine import COLLECTED
from alliance.sharing.agreement import load_agreement_text
from alliance.sharing.rules import spec
from alliance.store.database import Store
from alliance.store.dispute_repository import DisputeRepository, StoredDispute, StoredEvidence
from alliance.store.governance_repository import GovernanceRepository
from alliance.store.unit_of_work import UnitOfWork
from alliance.store.stores import Stores

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024  # as due diligence's (screening.service)
MAX_EVIDENCE_FILES = 10
MAX_DAYS = 31
MAX_STATEMENT = 20_000
READ_ALL = frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.AUDITOR})
# Who the ledger says acted, for a party's act: every role of the alliance reads the entries, and
# the account's name would say which member is in a dispute. The dispute's row keeps the account.
PARTY = "a party to the dispute"


class DisputeNotFound(NotFound):
    code = "dispute_not_found"
    title = Message("Dispute not found")


class DisputeClosed(Conflict):
    code = "dispute_closed"
    title = Message("Dispute already resolved")


@dataclass(frozen=True)
class Claim:
    """What a claimant brings: the parties, what it concerns, the amount and the statement."""

    claimant: str
    respondents: Sequence[str]
    agreement: str
    version: int
    rule: str
    days: Sequence[date]
    amount: str                       # a decimal in the alliance's currency ("1200.50")
    statement: str
    evidence: Sequence[tuple[str, bytes]] = field(default_factory=tuple)  # (file name, content)


@dataclass(frozen=True)
class DisputeView:
    """A dispute as its readers see it, with where it stands on the ladder now."""

    alliance: str
    timezone: str
    stored: StoredDispute
    ladder: Ladder
    position: Position
    evidence: list[StoredEvidence]

    @property
    def number(self) -> int:
        return self.stored.number

    @property
    def amount(self) -> Money:
        return Money(self.stored.amount_minor, self.stored.currency)

    @property
    def parties(self) -> list[str]:
        return [self.stored.claimant, *self.stored.respondents]

    @property
    def level(self) -> escalation.Level:
        return self.ladder.levels[self.position.level]

    def as_json(self) -> dict[str, Any]:
        s = self.stored
        return {
            "number": s.number, "alliance": self.alliance, "claimant": s.claimant, "respondents": s.respondents,
            "agreement": s.agreement, "version": s.version, "rule": s.rule_id, "days": s.days,
            "amount": self.amount.amount_text(), "currency": s.currency, "statement": s.statement,
            "status": s.status, "opened_by": s.opened_by, "opened_at": events.utc_text(s.opened_at),
            "response_due": events.utc_text(s.response_due), "ruling_due": events.utc_text(s.ruling_due),
            "answer": s.answer, "answered_at": None if s.answered_at is None else events.utc_text(s.answered_at),
            "closed_at": None if s.closed_at is None else events.utc_text(s.closed_at),
            "level": {"index": self.position.level, "key": self.level.key, "name": self.level.name,
                      "since": events.utc_text(self.position.since),
                      "due": None if self.position.due is None else events.utc_text(self.position.due)},
            "ladder": self.ladder.as_json(), "report_sha256": s.report_sha256, "ruling_ref": s.ruling_ref,
            "appeal_until": None if s.appeal_until is None else events.utc_text(s.appeal_until),
            "evidence": [{"party": e.party, "name": e.name, "sha256": e.sha256, "size": e.size} for e in self.evidence],
        }


# -- the ladder ---------------------------------------------------------------------------------------
def _ladder(repo: DisputeRepository, alliance_id: int) -> Ladder:
    stored = repo.ladder(alliance_id)
    return DEFAULT_LADDER if stored is None else ladder_from(stored)


def ladder_of(store: Store, alliance_code: str) -> Ladder:
    """The alliance's escalation ladder (the default one until a coordinator sets its own)."""
    with store.unit_of_work() as uow:
        return _ladder(DisputeRepository(uow.connection), uow.alliances.require(alliance_code).id)


def set_ladder(store: Store, alliance_code: str, data: dict[str, Any], principal: Principal, clock: Clock) -> Ladder:
    """Set the alliance's ladder (coordinator); disputes already open keep the ladder they opened under."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    ladder = ladder_from(data)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        # Each level's body must be one of this alliance's (another alliance's id names nothing here).
        bodies = {b.id: b.name for b in GovernanceRepository(uow.connection).bodies(alliance.id)}
        problems = escalation.body_problems(ladder, bodies, alliance.code)
        if problems:
            raise InvalidInput(joined(problems))
        DisputeRepository(uow.connection).set_ladder(alliance.id, ladder.as_json(), principal.actor, clock.now())
        uow.commit()
    return ladder


# -- opening ------------------------------------------------------------------------------------------
def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_claim(uow: UnitOfWork, alliance_id: int, alliance_code: str, currency: str,
                 claim: Claim) -> tuple[Money, Any]:
    """Every problem of a claim at once (InvalidInput); the amount and the rule when there is none."""
    problems: list[Message] = []
    amount: Money | None = None
    try:
        amount = Money.parse(claim.amount, currency)
        if amount.minor <= 0:
            problems.append(Message("amount: the amount claimed must be more than zero, not {amount}",
                                    amount=claim.amount))
    except InvalidInput as exc:
        problems.append(Message("amount: {reason}", reason=exc.message))
    current = {m.code for m in uow.members.of_alliance(alliance_id, alliance_code, currency)}
    if claim.claimant not in current:
        problems.append(Message("claimant: {member!r} is not a member of the alliance", member=claim.claimant))
    if not claim.respondents:
        problems.append(Message("respondents: name at least one member the claim is against"))
    for respondent in claim.respondents:
        if respondent == claim.claimant:
            problems.append(Message("respondents: {member!r} is the claimant; a member cannot claim against itself",
                                    member=respondent))
        elif respondent not in current:
            problems.append(Message("respondents: {member!r} is not a member of the alliance", member=respondent))
    if len(set(claim.respondents)) != len(claim.respondents):
        problems.append(Message("respondents: a member is named twice"))
    if not claim.days:
        problems.append(Message("days: name at least one settled day the claim concerns"))
    elif len(set(claim.days)) > MAX_DAYS:
        problems.append(Message("days: a dispute concerns at most {max_days} days", max_days=MAX_DAYS))
    for day in sorted(set(claim.days)):
        if uow.settlement.run(alliance_id, day) is None:
            problems.append(Message("days: {day} is not a settled day", day=day.isoformat()))
    rule = None
    version = next((v for v in uow.sharing.versions(alliance_id, claim.agreement) if v.version == claim.version), None)
    if version is None:
        problems.append(Message("agreement: {agreement!r} has no version {version}",
                                agreement=claim.agreement, version=claim.version))
    else:
        rule = next((r for r in load_agreement_text(version.document).rules if r.id == claim.rule), None)
        if rule is None:
            problems.append(Message("rule: version {version} of {agreement!r} has no rule {rule!r}",
                                    version=claim.version, agreement=claim.agreement, rule=claim.rule))
    if not claim.statement.strip():
        problems.append(Message("statement: say what the claim is"))
    elif len(claim.statement) > MAX_STATEMENT:
        problems.append(Message("statement: at most {max_chars} characters", max_chars=MAX_STATEMENT))
    if len(claim.evidence) > MAX_EVIDENCE_FILES:
        problems.append(Message("evidence: at most {max_files} files", max_files=MAX_EVIDENCE_FILES))
    for name, content in claim.evidence:
        if len(content) > MAX_EVIDENCE_BYTES:
            problems.append(Message("evidence file {name!r} is {size} bytes; the limit is {limit}",
                                    name=name, size=len(content), limit=MAX_EVIDENCE_BYTES))
    if problems:
        raise InvalidInput(joined(problems))
    assert amount is not None and version is not None and rule is not None
    return amount, (version, rule)


def _rule_json(version: Any, rule_id: str) -> dict[str, Any] | None:
    """The rule as the version's canonical content states it."""
    try:
        content = json.loads(version.canonical)
    except (TypeError, ValueError):
        return None
    return next((r for r in content.get("rules", []) if isinstance(r, dict) and r.get("id") == rule_id), None)


def _line(line: Any) -> dict[str, Any]:
    return {"account": line.account, "agreement": line.agreement, "version": line.version, "rule_id": line.rule_id,
            "kind": line.kind, "base_minor": line.base_minor, "rate": line.rate, "amount_minor": line.amount_minor,
            "adjustment_of": None if line.adjustment_of is None else line.adjustment_of.isoformat()}


def _report(stores: Stores, alliance_code: str, claim: Claim, days: list[date], version: Any,
            rule: Any, currency: str) -> dict[str, Any]:
    """The neutral data report of a checked claim, from what the platform recorded."""
    from alliance.settlement.disputes import contribution_report

    store = stores.records
    parties = {claim.claimant, *claim.respondents}
    with store.unit_of_work() as uow:
        alliance_id = uow.alliances.require(alliance_code).id
        day_entries: dict[str, tuple[int, dict[str, Any]]] = {}
        for e in uow.ledger.entries_of(alliance_id, [events.DAY_SETTLED]):
            payload = json.loads(e.leaf).get("payload") or {}
            day_entries[str(payload.get("day"))] = (e.index, payload)
        lines = {}
        for day in days:
            run = uow.settlement.run(alliance_id, day)
            assert run is not None  # checked
            lines[day] = [_line(x) for x in uow.settlement.lines(alliance_id, run.id)
                          if x.account in parties and x.agreement == claim.agreement]
    records = []
    notes: list[str] = []
    for day in days:
        index, payload = day_entries.get(day.isoformat(), (-1, {}))
        proof = ledger.inclusion(store, alliance_code, index) if index >= 0 else {}
        if index < 0:
            notes.append(Message("No ledger entry records the day {day} (settled before the alliance's ledger).",
                                 day=day.isoformat()))
        records.append(neutral_report.DayRecord(day.isoformat(), lines[day], index,
                                                payload.get("statements_sha256"), proof))
    recomputed = None
    if spec(rule.kind).game_value(rule.params) is not None:  # a contribution rule: its game is recomputed
        explained = contribution_report(stores, alliance_code, claim.agreement, claim.rule, days[0], days[-1])
        recomputed = explained.as_json()
    else:
        notes.append(Message("The rule is not a contribution rule: no contribution algorithm recomputes it; the "
                             "settled lines are the figures."))
    return neutral_report.build(
        dispute={"claimant": claim.claimant, "respondents": list(claim.respondents), "agreement": claim.agreement,
                 "version": claim.version, "rule": claim.rule, "days": [d.isoformat() for d in days]},
        currency=currency, rule=_rule_json(version, claim.rule), days=records, recomputed=recomputed,
        collected=COLLECTED, notes=notes)


def open_dispute(stores: Stores, alliance_code: str, claim: Claim, principal: Principal,
                 clock: Clock) -> DisputeView:
    """Open a dispute for the claimant, build and keep its neutral data report, and record both in
    the ledger. Refused (nothing stored, nothing recorded): an account not acting for the claimant
    (403/404), any problem of the claim (InvalidInput, every problem at once)."""
    store = stores.records
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        # The claimant's own act: a power of attorney for signing does not reach it.
        authorize(principal, Action.ACT_FOR_MEMBER, alliance_code, claim.claimant)
        amount, (version, rule) = _check_claim(uow, alliance.id, alliance_code, alliance.currency, claim)
        ladder = _ladder(DisputeRepository(uow.connection), alliance.id)
    days = sorted(set(claim.days))
    # Built between the two transactions: reading the fact store and proofs takes a while.
    kept = neutral_report.encode(_report(stores, alliance_code, claim, days, version, rule, alliance.currency))
    report_sha256 = neutral_report.digest(kept)
    now = clock.now()
    response_due, ruling_due = escalation.deadlines(ladder, now, alliance.timezone)
    evidence = [StoredEvidence(claim.claimant, name[:255], _sha256(content), len(content), principal.actor, now)
                for name, content in claim.evidence]
    with store.unit_of_work() as uow:
        repo = DisputeRepository(uow.connection)
        number = repo.next_number(alliance.id)
        values = {
            "number": number, "claimant": claim.claimant, "respondents": list(claim.respondents),
            "agreement": claim.agreement, "version": claim.version, "rule_id": claim.rule,
            "days": [d.isoformat() for d in days], "amount_minor": amount.minor, "currency": amount.currency,
            "statement": claim.statement, "status": "open", "level": 0, "level_since": now,
            "ladder": ladder.as_json(), "opened_by": principal.actor, "opened_at": now, "response_due": response_due,
            "ruling_due": ruling_due, "report": kept, "report_sha256": report_sha256,
        }
        dispute_id = repo.add(alliance.id, values)
        for (name, content), item in zip(claim.evidence, evidence):
            uow.screening.store_evidence(alliance.id, item.sha256, content)
            repo.add_evidence(alliance.id, dispute_id, item)
        # The entry is read by every role of the alliance: the claim goes in as its digest only.
        claim_sha256 = dispute_claim_sha256({
            "claimant": claim.claimant, "respondents": list(claim.respondents), "agreement": claim.agreement,
            "version": claim.version, "rule": claim.rule, "days": [d.isoformat() for d in days],
            "amount": amount.amount_text(), "currency": amount.currency, "statement": claim.statement})
        ledger.record(uow, alliance.id, alliance_code, events.DISPUTE_OPENED, PARTY, now, {
            "number": number, "claim_sha256": claim_sha256, "report_sha256": report_sha256,
            "evidence": [e.sha256 for e in evidence], "status": "open", "level": 0,
        })
        tell_parties(uow, alliance.id, alliance_code, number, [claim.claimant, *claim.respondents],
                     EventKind.DISPUTE_OPENED, now)
        uow.commit()
    return show(store, alliance_code, number, principal, clock)


# -- reading ------------------------------------------------------------------------------------------
def _visible(principal: Principal, dispute: StoredDispute) -> bool:
    return principal.role in READ_ALL or principal.member in (dispute.claimant, *dispute.respondents)


def _load(uow: UnitOfWork, alliance_code: str, number: int, principal: Principal,
          clock: Clock) -> tuple[Any, DisputeRepository, DisputeView]:
    authorize(principal, Action.READ_RECORDS, alliance_code)
    alliance = uow.alliances.require(alliance_code)
    repo = DisputeRepository(uow.connection)
    stored = repo.get(alliance.id, number)
    if stored is None or not _visible(principal, stored):
        raise DisputeNotFound(Message("alliance {alliance!r} has no dispute {number}", alliance=alliance_code,
                                      number=number))
    return alliance, repo, _view(alliance, stored, repo.evidence(alliance.id, stored.id), clock)


def _view(alliance: Any, stored: StoredDispute, evidence: list[StoredEvidence], clock: Clock) -> DisputeView:
    ladder = ladder_from(stored.ladder)
    where = escalation.position(ladder, stored.status, stored.level, stored.level_since, clock.now(), alliance.timezone)
    return DisputeView(alliance.code, alliance.timezone, stored, ladder, where, evidence)


def show(store: Store, alliance_code: str, number: int, principal: Principal, clock: Clock) -> DisputeView:
    """One dispute, if the principal is a party's or reads all (else DisputeNotFound)."""
    with store.unit_of_work() as uow:
        return _load(uow, alliance_code, number, principal, clock)[2]


def list_disputes(store: Store, alliance_code: str, principal: Principal, clock: Clock) -> list[DisputeView]:
    """The disputes the principal may read: all of them for the coordinator, auditors and the
    platform admin; those its member is a party to for a member's people."""
    authorize(principal, Action.READ_RECORDS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = DisputeRepository(uow.connection)
        return [_view(alliance, d, repo.evidence(alliance.id, d.id), clock)
                for d in repo.of_alliance(alliance.id) if _visible(principal, d)]


def report(store: Store, alliance_code: str, number: int, principal: Principal, clock: Clock) -> dict[str, Any]:
    """The kept neutral data report, as it was built at the opening."""
    view = show(store, alliance_code, number, principal, clock)
    return json.loads(view.stored.report)


def evidence_file(store: Store, alliance_code: str, number: int, sha256: str, principal: Principal,
                  clock: Clock) -> tuple[str, bytes]:
    """(name, content) of one evidence file of a dispute the principal may read."""
    with store.unit_of_work() as uow:
        alliance, _, view = _load(uow, alliance_code, number, principal, clock)
        item = next((e for e in view.evidence if e.sha256 == sha256), None)
        content = None if item is None else uow.screening.evidence(alliance.id, sha256)
        if item is None or content is None:
            raise DisputeNotFound(Message("dispute {number} has no evidence file {sha256}", number=number,
                                          sha256=sha256))
        return item.name, bytes(content)


# -- the parties' acts --------------------------------------------------------------------------------
def _running(view: DisputeView) -> None:
    if view.stored.status not in escalation.RUNNING:
        raise DisputeClosed(Message("dispute {number} is {status}: it can no longer change", number=view.number,
                                    status=view.stored.status))


def _acts_for(principal: Principal, alliance_code: str, member: str) -> None:
    # A party's own act: only its own accounts (a power of attorney for signing does not reach it).
    authorize(principal, Action.ACT_FOR_MEMBER, alliance_code, member)


def answer(store: Store, alliance_code: str, number: int, respondent: str, text: str, principal: Principal,
           clock: Clock, evidence: Sequence[tuple[str, bytes]] = ()) -> DisputeView:
    """A respondent's answer (and its evidence); the dispute is then `answered` (or stays `escalated`)."""
    with store.unit_of_work() as uow:
        alliance, repo, view = _load(uow, alliance_code, number, principal, clock)
        if respondent not in view.stored.respondents:
            raise InvalidInput(Message("respondent: {member!r} is not a respondent of dispute {number}",
                                       member=respondent, number=number))
        _acts_for(principal, alliance_code, respondent)
        _running(view)
        problems = []
        if not text.strip():
            problems.append(Message("answer: say what the answer is"))
        elif len(text) > MAX_STATEMENT:
            problems.append(Message("answer: at most {max_chars} characters", max_chars=MAX_STATEMENT))
        if len(view.evidence) + len(evidence) > MAX_EVIDENCE_FILES * 2:
            problems.append(Message("evidence: at most {max_files} files", max_files=MAX_EVIDENCE_FILES))
        for name, content in evidence:
            if len(content) > MAX_EVIDENCE_BYTES:
                problems.append(Message("evidence file {name!r} is {size} bytes; the limit is {limit}",
                                        name=name, size=len(content), limit=MAX_EVIDENCE_BYTES))
        if problems:
            raise InvalidInput(joined(problems))
        now = clock.now()
        status = "escalated" if view.position.level > 0 else "answered"
        added = [StoredEvidence(respondent, name[:255], _sha256(content), len(content), principal.actor, now)
                 for name, content in evidence]
        for (_, content), item in zip(evidence, added):
            uow.screening.store_evidence(alliance.id, item.sha256, content)
            repo.add_evidence(alliance.id, view.stored.id, item)
        _persist_position(uow, alliance, repo, view, "scheduler", now)
        repo.update(alliance.id, number, answer=text, answered_by=principal.actor, answered_at=now, status=status)
        ledger.record(uow, alliance.id, alliance_code, events.DISPUTE_ANSWERED, PARTY, now, {
            "number": number, "answer_sha256": _sha256(text.encode("utf-8")),
            "evidence": [e.sha256 for e in added], "status": status})
        uow.commit()
    return show(store, alliance_code, number, principal, clock)


def withdraw(store: Store, alliance_code: str, number: int, principal: Principal, clock: Clock) -> DisputeView:
    """The claimant withdraws its claim; the dispute is closed as `withdrawn`."""
    with store.unit_of_work() as uow:
        alliance, repo, view = _load(uow, alliance_code, number, principal, clock)
        _acts_for(principal, alliance_code, view.stored.claimant)
        _running(view)
        now = clock.now()
        repo.update(alliance.id, number, status="withdrawn", closed_at=now)
        ledger.record(uow, alliance.id, alliance_code, events.DISPUTE_WITHDRAWN, PARTY, now,
                      {"number": number, "status": "withdrawn"})
        uow.commit()
    return show(store, alliance_code, number, principal, clock)


def appeal(store: Store, alliance_code: str, number: int, member: str, reason: str, principal: Principal,
           clock: Clock) -> DisputeView:
    """A party appeals a ruling within its appeal window: the dispute goes up one level of its ladder
    (it runs again, `escalated`) and the ruling there may award a correction of the correction. The
    ruling's corrections already booked stay: closed days are never rewritten."""
    from alliance.core.text import check_text

    reason = check_text(reason, Message("the reason"), MAX_STATEMENT, multiline=True)
    with store.unit_of_work() as uow:
        alliance, repo, view = _load(uow, alliance_code, number, principal, clock)
        if member not in (view.stored.claimant, *view.stored.respondents):
            raise DisputeNotFound(Message("{member} is not a party to dispute {number}", member=member, number=number))
        _acts_for(principal, alliance_code, member)
        now = clock.now()
        until = view.stored.appeal_until
        if view.stored.status != "ruled" or until is None or now >= until:
            raise DisputeClosed(Message("dispute {number} cannot be appealed: only a ruling within its appeal window "
                                        "can", number=number))
        level = min(view.stored.level + 1, len(view.ladder.levels) - 1)
        repo.update(alliance.id, number, status="escalated", level=level, level_since=now, appeal_until=None,
                    closed_at=None)
        ledger.record(uow, alliance.id, alliance_code, events.DISPUTE_APPEALED, PARTY, now, {
            "number": number, "status": "escalated", "level": level, "ruling": view.stored.ruling_ref,
            "reason_sha256": text_digest(reason)})
        uow.commit()
    return show(store, alliance_code, number, principal, clock)


# -- the clock ----------------------------------------------------------------------------------------
def _persist_position(uow: UnitOfWork, alliance: Any, repo: DisputeRepository, view: DisputeView, actor: str,
                      now: datetime) -> None:
    """Store and record each move the clock made since the dispute was last written."""
    for level, since in view.position.moves:
        repo.update(alliance.id, view.number, level=level, level_since=since, status="escalated")
        ledger.record(uow, alliance.id, alliance.code, events.DISPUTE_ESCALATED, actor, now, {
            "number": view.number, "level": level, "level_key": view.ladder.levels[level].key,
            "since": events.utc_text(since), "status": "escalated"})


@dataclass(frozen=True)
class Escalated:
    alliance: str
    number: int
    level: int
    since: datetime


def escalate_due(store: Store, clock: Clock, actor: str = "scheduler") -> list[Escalated]:
    """Move every unresolved dispute whose level's clock ran out up the ladder (each move recorded
    in the ledger with the instant it was due). Run by the platform's scheduler every minute; one
    alliance's failure does not stop the others."""
    with store.unit_of_work() as uow:
        due = [(aid, d.number) for aid, d in DisputeRepository(uow.connection).running()]
        codes = {a.id: a for a in uow.alliances.all()}
    moved: list[Escalated] = []
    for aid, number in due:
        alliance = codes.get(aid)
        if alliance is None or Write.VOTE not in ALLOWED[alliance.status]:
            continue  # a dissolved alliance's disputes stand where they were
        try:
            with store.unit_of_work() as uow:
                repo = DisputeRepository(uow.connection)
                stored = repo.get(aid, number)
                if stored is None:
                    continue
                view = _view(alliance, stored, [], clock)
                if not view.position.moves:
                    continue
                _persist_position(uow, alliance, repo, view, actor, clock.now())
                uow.commit()
                moved += [Escalated(alliance.code, number, level, since) for level, since in view.position.moves]
        except AllianceError:
            continue  # e.g. a ledger that cannot be opened: tried again at the next tick
    return moved
