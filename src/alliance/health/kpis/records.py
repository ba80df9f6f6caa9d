"""The scorecard's writes: catalogue versions, entered values, pledges and deliveries, and the
quarterly review on a meeting's agenda. One unit of work each; every refusal leaves the store as
it was.

Reading the catalogue and its history is every role of the alliance (`READ_DIRECTORY`); editing
it, entering values and recording pledges and deliveries is the coordinator's (`MANAGE_ALLIANCE`).
A member's accounts read the entered values and pledges of their own member and the alliance's,
never another member's. Catalogue versions, entered values and deliveries are append-only rows (a
correction is a new row that wins). Each catalogue version is also a ledger entry in the same
transaction (`health.kpi_catalogue_changed`: its number and its definitions' SHA-256), so `alliance
ledger verify` catches a version rewritten behind the log's back. Entered values are not: every
role of the alliance reads every ledger entry, a member's value is that member's data, and a
digest of a small number without a salt would not hide it. Pledges and deliveries are not either:
the coordinator's bookkeeping of what members promised, corrected by new deliveries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.core.decimals import parse_decimal
from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.core.money import Money, MoneyError
from alliance.health.kpis import loader
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.coverage import value_digest
from alliance.health.kpis.catalogue import DEFAULT, Catalogue, check_catalogue, edited, from_document
from alliance.health.kpis.errors import CatalogueInvalid, KpiValueInvalid, PledgeInvalid, PledgeNotFound
from alliance.health.kpis.indicators import INDICATORS
from alliance.health.kpis.periods import parse_period
from alliance.health.kpis.pledges import DEFAULT_UNITS, Pledge, PledgeKind
from alliance.registry.lifecycle import Write, check_writable
from alliance.registry.model import Alliance
from alliance.store.database import Store
from alliance.store.kpis_repository import StoredValue
from alliance.store.unit_of_work import UnitOfWork

EVIDENCE_LIMIT = 2000
DESCRIPTION_LIMIT = 1000
UNIT_LIMIT = 32


@dataclass(frozen=True, slots=True)
class CatalogueVersion:
    version: int
    catalogue: Catalogue
    note: str
    changed_by: str
    changed_at: datetime | None      # None: the default catalogue


def _writable(uow: UnitOfWork, alliance_code: str, write: Write) -> Alliance:
    alliance = uow.alliances.require(alliance_code)
    uow.alliances.lock(alliance.id)  # two edits at once are made one after the other
    check_writable(alliance.code, alliance.status, write)
    return alliance


# -- the catalogue --------------------------------------------------------------------------------------

def catalogue(store: Store, alliance_code: str, principal: Principal) -> Catalogue:
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        return loader.current_catalogue(uow, uow.alliances.require(alliance_code).id)


def catalogue_history(store: Store, alliance_code: str, principal: Principal) -> list[CatalogueVersion]:
    """Every version, the latest first, ending with the default catalogue (version 0)."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        stored = loader.repo(uow).catalogues(uow.alliances.require(alliance_code).id)
    return [*(CatalogueVersion(s.version, Catalogue(s.version, from_document(s.definitions)), s.note, s.changed_by,
                               s.changed_at) for s in stored),
            CatalogueVersion(0, DEFAULT, "", "", None)]


def _store_catalogue(uow: UnitOfWork, alliance: Alliance, current: Catalogue, definitions: Sequence[Any],
                     principal: Principal, clock: Clock, note: str) -> Catalogue:
    if tuple(definitions) == current.definitions:
        return current  # nothing changed: no new version
    version = current.version + 1
    documents = [d.document() for d in definitions]
    now = clock.now()
    # In the same transaction: the ledger says which catalogue each version was (its definitions' digest).
    ledger.record(uow, alliance.id, alliance.code, events.KPI_CATALOGUE_CHANGED, principal.actor, now,
                  {"version": version, "sha256": value_digest(documents), "note": note.strip()[:500]})
    loader.repo(uow).add_catalogue(alliance.id, version, documents, note.strip(), principal.actor, now)
    uow.commit()
    return Catalogue(version, tuple(definitions))


def edit_kpi(store: Store, alliance_code: str, principal: Principal, code: str, changes: Mapping[str, Any],
             clock: Clock, *, note: str = "") -> Catalogue:
    """Change one KPI's definition (or add a KPI with a new code): a new catalogue version.
    CatalogueInvalid names the KPI and every problem; nothing is stored then."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code, Write.DETAILS)
        current = loader.current_catalogue(uow, alliance.id)
        definitions = edited(current, code.strip(), changes, INDICATORS)
        return _store_catalogue(uow, alliance, current, definitions, principal, clock, note)


def remove_kpi(store: Store, alliance_code: str, principal: Principal, code: str, clock: Clock, *,
               note: str = "") -> Catalogue:
    """Take a KPI out of the catalogue: a new version (its entered values stay, unread)."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code, Write.DETAILS)
        current = loader.current_catalogue(uow, alliance.id)
        rows = [d.document() for d in current.definitions if d.code != code]
        if len(rows) == len(current.definitions):
            reason = Message("the catalogue has no KPI {code!r}", code=code)
            raise CatalogueInvalid(reason, [Problem(Message("KPI {code}", code=code), "code", reason)])
        return _store_catalogue(uow, alliance, current, check_catalogue(rows, INDICATORS), principal, clock, note)


def replace_catalogue(store: Store, alliance_code: str, principal: Principal, rows: Sequence[Mapping[str, Any]],
                      clock: Clock, *, note: str = "") -> Catalogue:
    """The whole catalogue at once (the API's PUT, a file on the CLI): a new version."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    definitions = check_catalogue(list(rows), INDICATORS)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code, Write.DETAILS)
        current = loader.current_catalogue(uow, alliance.id)
        return _store_catalogue(uow, alliance, current, definitions, principal, clock, note)


# -- entered values -------------------------------------------------------------------------------------

def enter_value(store: Store, alliance_code: str, principal: Principal, kpi: str, period: str, value: object,
                clock: Clock, *, member: str | None = None, evidence: str = "") -> StoredValue:
    """Record an entered KPI's value for a period (and a member, or the alliance as a whole), with
    who entered it and its evidence (text or a link). Append-only: a later entry for the same KPI,
    period and member is the correction that counts. KpiValueInvalid (every problem at once) for an
    unknown or computed KPI, a period that does not parse, a value that is not a number, an unknown
    member, evidence too long; nothing is stored then."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    where = Message("KPI {code}", code=kpi)
    problems: list[Problem] = []
    parsed_period = None
    try:
        parsed_period = parse_period(period)
    except InvalidInput as exc:
        problems.append(Problem(where, "period", exc.message))
    number: Decimal | None = None
    if isinstance(value, float) or not isinstance(value, (str, int, Decimal)):
        problems.append(Problem(where, "value", Message("{value!r} is not a number", value=str(value)[:40])))
    else:
        try:
            number = parse_decimal(str(value), "value")
        except InvalidInput as exc:
            problems.append(Problem(where, "value", exc.message))
    evidence = (evidence or "").strip()
    if len(evidence) > EVIDENCE_LIMIT:
        problems.append(Problem(where, "evidence", Message("at most {limit} characters", limit=EVIDENCE_LIMIT)))
    member = (member or "").strip() or None
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code, Write.METRICS)
        definition = loader.current_catalogue(uow, alliance.id).by_code().get(kpi)
        if definition is None:
            problems.insert(0, Problem(where, "kpi", Message("the catalogue has no KPI {code!r}", code=kpi)))
        elif not definition.entered:
            problems.insert(0, Problem(where, "kpi", Message(
                "{code} is computed from the platform's data ({source}); only entered KPIs take values",
                code=kpi, source=definition.source)))
        if member is not None and uow.members.get(alliance.id, alliance.code, alliance.currency, member) is None:
            problems.append(Problem(where, "member", Message("no member {member!r} in this alliance", member=member)))
        if problems or parsed_period is None or number is None:
            raise KpiValueInvalid(Message("the value was not stored: {problems}",
                                          problems="; ".join(str(p) for p in problems)), problems)
        repo = loader.repo(uow)
        now = clock.now()
        value_id = repo.add_value(alliance.id, kpi_code=kpi, period=parsed_period.label,
                                  period_start=parsed_period.start, period_end=parsed_period.end, member_code=member,
                                  value=number, evidence=evidence, entered_by=principal.actor, entered_at=now)
        uow.commit()
        return next(v for v in repo.values(alliance.id, kpis=[kpi]) if v.id == value_id)


def value_history(store: Store, alliance_code: str, principal: Principal, *, kpi: str | None = None,
                  member: str | None = None) -> list[StoredValue]:
    """Every entered value, the latest first (a member's accounts: their own and the alliance's)."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    if member is not None:
        authorize(principal, Action.READ_MEMBER_DATA, alliance_code, member)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        own = principal.member
        found = loader.repo(uow).values(alliance.id, kpis=[kpi] if kpi else None, member=own,
                                        only_member=own is not None)
    if member is not None:
        found = [v for v in found if v.member == member]
    return list(reversed(found))


# -- pledges and deliveries -------------------------------------------------------------------------------

def _amount(kind: PledgeKind, text: object, unit: str, currency: str, where: str,
            problems: list[Problem]) -> tuple[Decimal | None, int | None, str]:
    """(quantity, minor units, unit) of an amount: money exact in the alliance's currency."""
    if isinstance(text, float) or not isinstance(text, (str, int, Decimal)):
        problems.append(Problem(where, "amount", Message("{value!r} is not a number", value=str(text)[:40])))
        return None, None, unit
    if kind is PledgeKind.MONEY:
        try:
            money = Money.parse(str(text), currency)
        except MoneyError as exc:
            problems.append(Problem(where, "amount", exc.message))
            return None, None, currency
        if money.minor <= 0:
            problems.append(Problem(where, "amount", Message("an amount above zero")))
        return None, money.minor, currency
    try:
        quantity = parse_decimal(str(text), "amount")
    except InvalidInput as exc:
        problems.append(Problem(where, "amount", exc.message))
        return None, None, unit
    if quantity <= 0:
        problems.append(Problem(where, "amount", Message("an amount above zero")))
    return quantity, None, unit


def add_pledge(store: Store, alliance_code: str, principal: Principal, *, member: str, kind: str, amount: object,
               due_on: date, clock: Clock, unit: str = "", description: str = "") -> Pledge:
    """Record a member's pledge (PledgeInvalid with every problem; nothing stored then)."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    where = Message("pledge")
    problems: list[Problem] = []
    try:
        pledge_kind = PledgeKind(str(kind).strip().lower().replace("-", "_"))
    except ValueError:
        pledge_kind = None
        problems.append(Problem(where, "kind", Message("{kind!r} is not one of {kinds}", kind=str(kind)[:40],
                                                       kinds=", ".join(k.value for k in PledgeKind))))
    description = (description or "").strip()
    if len(description) > DESCRIPTION_LIMIT:
        problems.append(Problem(where, "description", Message("at most {limit} characters", limit=DESCRIPTION_LIMIT)))
    unit = (unit or "").strip()
    if len(unit) > UNIT_LIMIT:
        problems.append(Problem(where, "unit", Message("at most {limit} characters", limit=UNIT_LIMIT)))
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code, Write.METRICS)
        if uow.members.get(alliance.id, alliance.code, alliance.currency, member) is None:
            problems.append(Problem(where, "member", Message("no member {member!r} in this alliance", member=member)))
        quantity, minor, unit = (None, None, unit) if pledge_kind is None else _amount(
            pledge_kind, amount, unit or DEFAULT_UNITS.get(pledge_kind, ""), alliance.currency, where, problems)
        if problems:
            raise PledgeInvalid(Message("the pledge was not stored: {problems}",
                                        problems="; ".join(str(p) for p in problems)), problems)
        assert pledge_kind is not None
        repo = loader.repo(uow)
        number = repo.next_pledge_number(alliance.id)
        repo.add_pledge(alliance.id, number=number, member_code=member, kind=pledge_kind.value, quantity=quantity,
                        amount_minor=minor, unit=unit, due_on=due_on, description=description,
                        pledged_by=principal.actor, pledged_at=clock.now())
        uow.commit()
        return _pledge(uow, alliance.id, number)


def _pledge(uow: UnitOfWork, alliance_id: int, number: int) -> Pledge:
    found = loader.repo(uow).pledges(alliance_id, number=number)
    if not found:
        raise PledgeNotFound(number)
    return loader.pledge_of(*found[0])


def deliver(store: Store, alliance_code: str, principal: Principal, number: int, *, amount: object,
            delivered_on: date, clock: Clock, note: str = "") -> Pledge:
    """Record a delivery against pledge `number` (PledgeInvalid; PledgeNotFound for another alliance's)."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    where = Message("delivery")
    problems: list[Problem] = []
    note = (note or "").strip()
    if len(note) > DESCRIPTION_LIMIT:
        problems.append(Problem(where, "note", Message("at most {limit} characters", limit=DESCRIPTION_LIMIT)))
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code, Write.METRICS)
        pledge = _pledge(uow, alliance.id, number)
        stored = loader.repo(uow).pledges(alliance.id, number=number)[0][0]
        quantity, minor, _unit = _amount(pledge.kind, amount, pledge.unit, alliance.currency, where, problems)
        if problems:
            raise PledgeInvalid(Message("the delivery was not stored: {problems}",
                                        problems="; ".join(str(p) for p in problems)), problems)
        loader.repo(uow).add_delivery(alliance.id, pledge_id=stored.id, quantity=quantity, amount_minor=minor,
                                      delivered_on=delivered_on, note=note, recorded_by=principal.actor,
                                      recorded_at=clock.now())
        uow.commit()
        return _pledge(uow, alliance.id, number)


def list_pledges(store: Store, alliance_code: str, principal: Principal, *, member: str | None = None) -> list[Pledge]:
    """The alliance's pledges (a member's accounts: their own member's only)."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    if member is not None:
        authorize(principal, Action.READ_MEMBER_DATA, alliance_code, member)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return loader.pledges(uow, alliance.id, member or principal.member)


# -- the quarterly review --------------------------------------------------------------------------------

REVIEW_MINUTES = 30


def review_link(alliance_code: str, period_label: str) -> str:
    return f"/alliances/{alliance_code}/health?period={period_label}"


def schedule_review(store: Store, alliance_code: str, principal: Principal, meeting_id: int, clock: Clock, *,
                    period: str | None = None) -> Any:
    """Put "quarterly health review" on a governance meeting's agenda, linked to the scorecard of
    `period` (default: the quarter before the meeting's, as a review looks back; the API and the
    pages pass the one chosen). The meeting's own rules apply (governance.service_meetings)."""
    from alliance.governance import service_meetings
    from alliance.health.kpis.service import current_quarter

    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    chosen = parse_period(period) if period else current_quarter(store, alliance_code, clock).previous()
    title = f"季度健康度评审 / Quarterly health review {chosen.label}: {review_link(alliance_code, chosen.label)}"
    return service_meetings.add_agenda_item(store, alliance_code, principal, meeting_id, title=title,
                                            time_box=REVIEW_MINUTES)


def alliance_today(store: Store, alliance_code: str, clock: Clock) -> date:
    """Today in the alliance's time zone: the day pledges are judged as of."""
    from alliance.core.clock import local_today

    with store.unit_of_work() as uow:
        return local_today(clock, uow.alliances.require(alliance_code).timezone)
