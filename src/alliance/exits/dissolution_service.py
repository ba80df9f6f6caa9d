"""Dissolving an alliance (docs/exit.md, "Dissolution"): a thin service over the pure judges
(`exits.dissolution`: the winding-up order and the blockers; `exits.funds`: balances and shares).

- `wind_up`: the alliance and its sub-alliances, children first, become `dissolving` and every
  current member of each gets an exit case with the trigger `dissolution` (ending on the last
  trading day). Started by an accepted `dissolve` proposal (governance.effects.change_status) or by
  the coordinator naming the decision. Idempotent: a second run opens nothing twice.
- `share_out_funds`: each declared fund's balance is scheduled to be paid out by the exit clause's
  rule (`settlement.fund_release_service`); the next settlement run books it.
- `status` / `finish`: what still stands between each alliance and `dissolved`; `finish` makes the
  alliance `dissolved` (read-only) and signs a final checkpoint of its ledger.
- `build_alliance_archive`: one ZIP with every member's archive and the ledger's export.

The dissolution of a sub-alliance never touches its parent: only the alliances of the order below
(and including) the one named are changed.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceError, Conflict, InvalidInput
from alliance.core.messages import Message
from alliance.core.money import Money
from alliance.exits import funds as fundlib
from alliance.exits import service as exits
from alliance.exits.dissolution import Blocker, WindingUp, blockers, winding_up_order
from alliance.exits.errors import ExitCaseOpen
from alliance.exits.model import Trigger
from alliance.governance.escalation import RUNNING
from alliance.ledger import service as ledger
from alliance.ledger.keys import LedgerKeyLocked
from alliance.registry import service as registry
from alliance.registry.model import Alliance, AllianceStatus
from alliance.settlement.fund_release_service import schedule_fund_release
from alliance.sharing.agreement import load_agreement_text
from alliance.sharing.clauses.base import ClauseKind
from alliance.sharing.clauses.exit import FundsOnDissolution
from alliance.store.database import Store
from alliance.store.dispute_repository import DisputeRepository
from alliance.store.fund_release_repository import FundReleaseRepository
from alliance.store.scope import ALL, request_scope
from alliance.store.settlement_repository import SettlementRepository
from alliance.store.stores import Stores
from alliance.store.unit_of_work import UnitOfWork

MAX_DECISION = 200
# The case's reference and the status change's `decided_by` name the decision; the fund release's cause:
CAUSE = "dissolution of {code}"


class NotDissolving(Conflict):
    code = "dissolution_not_started"
    title = Message("The alliance is not being dissolved")


class DissolutionBlocked(Conflict):
    """`finish` refused: the blockers are listed in the message, one per line (nothing changed)."""

    code = "dissolution_blocked"
    title = Message("The alliance cannot be dissolved yet")

    def __init__(self, message: Message, found: list[Blocker]) -> None:
        super().__init__(message)
        self.blockers = found


@dataclass(frozen=True, slots=True)
class WoundUp:
    """What `wind_up` did, per alliance of the order (children first)."""

    alliance: str
    became_dissolving: bool
    opened: list[tuple[str, int]] = field(default_factory=list)   # (member, case number)
    skipped: list[tuple[str, int]] = field(default_factory=list)  # members with an open case already


@dataclass(frozen=True, slots=True)
class ScheduledRelease:
    alliance: str
    fund: str
    rule: str
    balance_minor: int
    parts: dict[str, int]
    release: int | None       # None: nothing to release (skipped)
    note: str = ""


@dataclass(frozen=True, slots=True)
class AllianceState:
    alliance: str
    status: str
    facts: WindingUp
    blockers: list[Blocker]

    def as_json(self) -> dict[str, Any]:
        """The state as the API and `alliance dissolution status --format json` give it."""
        f = self.facts
        return {"alliance": self.alliance, "status": self.status, "last_trading_day": f.last_trading_day.isoformat(),
                "open_exit_cases": list(f.open_exit_cases), "unnamed_exit_cases": f.unnamed_exit_cases,
                "last_settled_day": None if f.last_settled_day is None else f.last_settled_day.isoformat(),
                "unsettled_days": [d.isoformat() for d in f.unsettled_days],
                "undistributed_funds": dict(f.undistributed_funds), "open_disputes": list(f.open_disputes),
                "open_sub_alliances": list(f.open_sub_alliances),
                "blockers": [{"kind": b.kind.value, "what": str(b.what)} for b in self.blockers]}


@dataclass(frozen=True, slots=True)
class Finished:
    alliance: str
    checkpoint: str | None     # the final signed checkpoint (None: the ledger key is locked)
    note: str = ""


@contextmanager
def _scope_of(code: str) -> Iterator[None]:
    """Work on `code`'s rows: a request confined to the parent (row-level security, store.scope) is
    confined to the sub-alliance instead while the dissolution works on it, one alliance at a time.
    The caller was authorised on the parent, whose dissolution covers its sub-alliances (issue 23)."""
    narrowed = request_scope.get()
    if narrowed is None or narrowed in (ALL, code):
        yield
        return
    token = request_scope.set(code)
    try:
        yield
    finally:
        request_scope.reset(token)


# -- the order -----------------------------------------------------------------------------------------
def _order(uow: UnitOfWork, code: str) -> tuple[list[str], dict[str, Alliance]]:
    every = {a.code: a for a in uow.alliances.all()}
    if code not in every:
        uow.alliances.require(code)  # AllianceNotFound
    dissolved = frozenset(c for c, a in every.items() if a.status is AllianceStatus.DISSOLVED)
    order = winding_up_order(code, {c: a.parent_code for c, a in every.items()}, dissolved)
    return order, every


def _check_decision(decided_by: str) -> str:
    text = (decided_by or "").strip()
    if not text:
        raise InvalidInput(Message("name the decision that dissolves the alliance (e.g. \"proposal 12\")"))
    if len(text) > MAX_DECISION:
        raise InvalidInput(Message("a decision's name is at most {most} characters", most=MAX_DECISION))
    return text


# -- starting ------------------------------------------------------------------------------------------
def wind_up(store: Store, alliance_code: str, clock: Clock, *, decided_by: str, principal: Principal | None = None,
            actor: str | None = None, last_trading_day: date | None = None) -> list[WoundUp]:
    """Start the dissolution of `alliance_code` and its sub-alliances (children first): each not yet
    dissolving becomes so (`decided_by` recorded with the change), and each current member gets an
    exit case (trigger dissolution) ending on `last_trading_day` (default: the alliance's today).
    `principal` (the coordinator, CHANGE_ALLIANCE) for a command; `actor` alone when an accepted
    proposal calls it (the proposal authorised it). Members with an open case already are skipped
    and listed. Refused, nothing changed: an unknown alliance, another alliance's coordinator, no
    decision named, a state that cannot become dissolving (AllianceNotWritable / TransitionRefused)."""

    if principal is not None:
        authorize(principal, Action.CHANGE_ALLIANCE, alliance_code)
        actor = principal.actor
    assert actor is not None, "wind_up needs a principal or, for a decided proposal, the actor"
    decision = _check_decision(decided_by)
    with store.unit_of_work() as uow:
        order, every = _order(uow, alliance_code)
    if not order:
        raise NotDissolving(Message("{alliance} is dissolved already", alliance=alliance_code))
    done: list[WoundUp] = []
    for code in order:  # children first: a sub-alliance's final settlement feeds its parent's
        with _scope_of(code):
            done.append(_wind_up_one(store, every[code], alliance_code, decision, actor, clock, last_trading_day))
    return done


def _wind_up_one(store: Store, alliance: Alliance, root: str, decision: str, actor: str, clock: Clock,
                 last_trading_day: date | None) -> WoundUp:
    code = alliance.code
    changed = alliance.status is not AllianceStatus.DISSOLVING
    if changed:
        registry.change_status(store, code, AllianceStatus.DISSOLVING, actor, clock, decided_by=decision,
                               reason=f"dissolution of {root}")
    last = last_trading_day or local_today(clock, alliance.timezone)
    opened: list[tuple[str, int]] = []
    skipped: list[tuple[str, int]] = []
    with store.unit_of_work() as uow:
        members = uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)
        existing = {m.code: uow.exits.open_number(alliance.id, m.code) for m in members}
    for member in members:
        number = existing[member.code]
        if number is not None:
            skipped.append((member.code, number))
            continue
        try:
            case = exits._open(store, code, member.code, Trigger.DISSOLUTION, max(last, member.joined_on), clock,
                               actor, None, None, decision, None)
        except ExitCaseOpen:  # opened meanwhile (a second wind_up at the same time): skipped as above
            with store.unit_of_work() as uow:
                skipped.append((member.code, uow.exits.open_number(alliance.id, member.code) or 0))
            continue
        opened.append((member.code, case.number))
    return WoundUp(code, changed, opened, skipped)


# -- funds ---------------------------------------------------------------------------------------------
def _funds(uow: UnitOfWork, alliance: Alliance) -> dict[str, tuple[str, Any]]:
    """fund account -> (agreement declaring it, its exit clause's params or None): latest versions."""
    found: dict[str, tuple[str, Any]] = {}
    for code in sorted(uow.sharing.codes(alliance.id)):
        stored = uow.sharing.versions(alliance.id, code)
        if not stored:
            continue
        text = load_agreement_text(stored[-1].document)
        clause = text.clause(ClauseKind.EXIT)
        for account in text.accounts:
            found.setdefault(account, (code, None if clause is None else clause.params))
    return found


def _fund_balances(uow: UnitOfWork, alliance: Alliance, funds: list[str],
                   members: list[str]) -> dict[str, fundlib.FundBalance]:
    postings = [fundlib.Posting(*p) for p in SettlementRepository(uow.connection).postings(alliance.id)]
    return {b.account: b for b in fundlib.balances(postings, funds, members, alliance.currency)}


def share_out_funds(store: Store, alliance_code: str, clock: Clock, *, principal: Principal) -> list[ScheduledRelease]:
    """Schedule, in one unit of work, the release of every fund the alliance's agreements declare, by
    the rule of the declaring agreement's exit clause (default paid_in). A fund already released
    (nothing left beyond its pending releases) is skipped. Refused, nothing stored: not dissolving,
    a fund that cannot be shared out (FundNotDistributable naming it)."""
    authorize(principal, Action.CHANGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        if alliance.status is not AllianceStatus.DISSOLVING:
            raise NotDissolving(Message("{alliance} is {status}: its funds are shared out while it is dissolving",
                                        alliance=alliance_code, status=alliance.status.value))
        declared = _funds(uow, alliance)
        every = uow.members.of_alliance(alliance.id, alliance.code, alliance.currency, include_left=True)
        current = [m.code for m in every if m.left_on is None]
        codes = [m.code for m in every]
        found = _fund_balances(uow, alliance, sorted(declared), codes)
        releases = FundReleaseRepository(uow.connection)
        pending = releases.pending(alliance.id)
        done: list[ScheduledRelease] = []
        for fund in sorted(declared):
            agreement, exit_terms = declared[fund]
            rule = FundsOnDissolution.PAID_IN if exit_terms is None else exit_terms.funds
            shares = {} if exit_terms is None else dict(exit_terms.fund_shares)
            balance = found[fund]
            held = balance.balance.minor - sum(r.total_minor for r in pending if r.fund == fund)
            if held == 0:  # nothing held, or every cent already released (booked or pending)
                done.append(ScheduledRelease(alliance.code, fund, rule.value, 0, {}, None,
                                             "nothing left to share out"))
                continue
            if held != balance.balance.minor:
                raise Conflict(Message("fund {fund!r} has a release pending: the next settlement run books it "
                                       "before the rest is shared out", fund=fund))
            split = fundlib.distribute(balance, rule, current, shares)
            parts = [(m, money.minor) for m, money in sorted(split.parts.items()) if money.minor > 0]
            number = schedule_fund_release(uow, alliance, fund=fund, cause=CAUSE.format(code=alliance.code),
                                           parts=parts, receivers=codes, actor=principal.actor, clock=clock)
            done.append(ScheduledRelease(alliance.code, fund, rule.value, balance.balance.minor, dict(parts), number))
        uow.commit()
    return done


# -- status and finishing ------------------------------------------------------------------------------
def _facts(uow: UnitOfWork, alliance: Alliance, every: dict[str, Alliance]) -> WindingUp:
    cases = uow.exits.cases(alliance.id, None)
    dissolution_cases = [c for c in cases if c.trigger is Trigger.DISSOLUTION]
    last = max((c.end_date for c in dissolution_cases), default=None)
    open_cases = sorted({c.member for c in cases if c.status == "open"})
    closed = uow.settlement.closed(alliance.id)
    unsettled: list[date] = []
    if closed and last is not None:
        day = min(closed)
        while day <= last:
            if day not in closed:
                unsettled.append(day)
            day += timedelta(days=1)
    declared = _funds(uow, alliance)
    releases = FundReleaseRepository(uow.connection)
    pending = {r.fund for r in releases.pending(alliance.id)}
    undistributed: dict[str, str] = {}
    for fund in sorted(declared):
        held = releases.account_balance(alliance.id, fund)
        if held != 0 or fund in pending:
            amount = Money(held, alliance.currency).amount_text()
            # A Message: the page says the note in the reader's language, the API and the CLI in English.
            undistributed[fund] = Message("{amount} (release pending: booked by the next settlement run)",
                                          amount=amount) if fund in pending else amount
    disputes = [d.number for d in DisputeRepository(uow.connection).of_alliance(alliance.id) if d.status in RUNNING]
    subs = [c for c in alliance.sub_alliance_codes if every[c].status is not AllianceStatus.DISSOLVED]
    # Before any dissolution case (an alliance wound up with no members), the latest closed day stands in.
    fallback = max(closed) if closed else alliance.created_at.date()
    return WindingUp(alliance.code, last or fallback, open_cases,
                     max(closed) if closed else None, unsettled, undistributed, disputes, subs)


def status(store: Store, alliance_code: str, *, principal: Principal | None = None) -> list[AllianceState]:
    """For `alliance_code` and each sub-alliance not dissolved, children first: its state, the facts
    and what still stands between it and `dissolved`. Members read it (their own alliance's); of a
    sub-alliance, only whoever may change the parent (its coordinator, who winds the subs up) sees
    which members' exit cases are open, others see how many (`WindingUp.unnamed`)."""
    names_subs = True
    if principal is not None:
        authorize(principal, Action.READ_DIRECTORY, alliance_code)
        try:
            authorize(principal, Action.CHANGE_ALLIANCE, alliance_code)
        except AllianceError:
            names_subs = False
    with store.unit_of_work() as uow:
        order, every = _order(uow, alliance_code)
        if not order:  # dissolved: the alliance alone, nothing left
            alliance = every[alliance_code]
            return [AllianceState(alliance.code, alliance.status.value, _facts(uow, alliance, every), [])]
    found = []
    for code in order:
        with _scope_of(code), store.unit_of_work() as uow:
            facts = _facts(uow, every[code], every)
        if code != alliance_code and not names_subs:
            facts = facts.unnamed()
        found.append(AllianceState(code, every[code].status.value, facts, blockers(facts)))
    return found


def finish(store: Store, alliance_code: str, clock: Clock, *, principal: Principal) -> Finished:
    """Make a dissolving alliance `dissolved` and sign its ledger's final checkpoint. Refused, nothing
    changed: not dissolving (or dissolved already: NotDissolving), anything still open
    (DissolutionBlocked listing every blocker). The parent is never touched."""
    authorize(principal, Action.CHANGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        if alliance.status is not AllianceStatus.DISSOLVING:
            raise NotDissolving(Message("{alliance} is {status}, not dissolving: there is nothing to finish",
                                        alliance=alliance_code, status=alliance.status.value))
        every = {a.code: a for a in uow.alliances.all()}
        found = blockers(_facts(uow, alliance, every))
    if found:
        # One line per blocker, each said in the reader's language (a Message's parameters are translated).
        listed = Message("- {item}", item=found[0].what)
        for b in found[1:]:
            listed = Message("{first}\n- {item}", first=listed, item=b.what)
        raise DissolutionBlocked(Message("{alliance} cannot be dissolved yet:\n{blockers}", alliance=alliance_code,
                                         blockers=listed), found)
    with store.unit_of_work() as uow:
        decided = next((c.decided_by for c in uow.alliances.changes(alliance.id)
                        if c.field == "status" and c.new_value == AllianceStatus.DISSOLVING.value), None)
    registry.change_status(store, alliance_code, AllianceStatus.DISSOLVED, principal.actor, clock,
                           decided_by=decided or principal.actor, reason="dissolution finished")
    try:
        head = ledger.checkpoint(store, alliance_code, clock)
    except LedgerKeyLocked:
        return Finished(alliance_code, None, "the alliance is dissolved, but the ledger key is locked: no final "
                                             "checkpoint was signed; run `alliance ledger checkpoint` once it opens")
    return Finished(alliance_code, head)


# -- the archive ---------------------------------------------------------------------------------------
def build_alliance_archive(stores: Stores, alliance_code: str, out: Path, clock: Clock, *,
                           principal: Principal) -> dict[str, Any]:
    """One ZIP holding each member's archive (exits.archive_service, members that left included)
    under members/<code>.zip and the ledger's export under ledger/. The coordinator's."""
    from alliance.exits.archive_service import build_member_archive

    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with stores.records.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        members = [m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency,
                                                            include_left=True)]
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=".dissolution-") as folder, \
                zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
            base = Path(folder)
            for code in members:
                path = base / f"{code}.zip"
                build_member_archive(stores, alliance_code, code, path, clock=clock)
                archive.write(path, f"members/{code}.zip")
            entries, checkpoints = ledger.export(stores.records, alliance_code, base / "ledger")
            for item in sorted((base / "ledger").rglob("*")):
                if item.is_file():
                    archive.write(item, f"ledger/{item.relative_to(base / 'ledger').as_posix()}")
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return {"alliance": alliance_code, "members": members, "ledger_entries": entries, "checkpoints": checkpoints,
            "path": str(out)}
