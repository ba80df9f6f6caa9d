"""Settlement use cases that touch the stores: ingesting order lines, settling and closing days."""

from __future__ import annotations

import hashlib
import logging
import time as time_module

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger import statement_commitment
from alliance.ledger.keys import LedgerKeyLocked
from alliance.core.clock import Clock, local_today
from alliance.core.decimals import parse_decimal
from alliance.core.limits import FIRST_INSTANT
from alliance.core.text import check_text
from alliance.core.errors import AllianceError, AllianceNotFound, Conflict, InvalidInput, NotFound, Problem
from alliance.core.money import Money
from alliance.core.messages import Message
from alliance.notify.notice import Audience, EventKind, Notice
from alliance.notify.outbox import publish
from alliance.registry.model import Alliance
from alliance.store.unit_of_work import UnitOfWork
from alliance.registry.lifecycle import Write, allows, check_writable
from alliance.settlement.engine import DayContext, SettlementInputMissing, settle_totals  # noqa: F401 (callers catch service.SettlementInputMissing)
from alliance.settlement.journal import Entry, FxEntry, JournalEntry, PayoutEntry
from alliance.settlement.payout_service import journal_payouts
from alliance.settlement.fx.conversion import convert
from alliance.settlement.as_signed import AgreementNotAsSigned
from alliance.settlement.bookings import BOOKINGS, BookingContext
from alliance.settlement.service_corrections import CorrectionAlreadyBooked
from alliance.settlement.schedule import due_days, next_day
from alliance.settlement.unshared import UnsharedDay, unshared_reason
from alliance.sharing.agreement import Agreement, load_agreement_text
from alliance.sharing.rules import spec
from alliance.sharing.versions import AgreementVersion, DepartedParty, departed_parties, in_force
from alliance.store.database import Store, on_duplicate
from alliance.store.stores import Stores
from alliance.settlement.facts import Adjusting, IngestReport
from alliance.settlement.totals import replay_totals, rule_totals
from alliance.settlement.run_rates import (converted_sales, ingest_rates, over_converted, read_span,
                                           run_rates)
from alliance.ledger.coverage import conversions_digest
from alliance.store.fx_repository import FxRepository
from alliance.store.settlement_repository import SettlementFailure, StoredConversion, StoredRun, StoredStatementLine


def import_order_lines(stores: Stores, alliance_code: str, path: Path, fmt: str | None,
                       clock: Clock, *, all_or_nothing: bool = True, shown_as: str | None = None,
                       actor: str = "platform") -> IngestReport:
    """Check a file of order lines against the alliance and store the accepted ones.

    `actor` is who the ledger names as importing: the user or API key of the request, or the
    operator of the CLI (`platform` only for imports nobody in particular made, such as tests).

    `shown_as` names the file in messages and in the ledger (an upload's own name; never the
    server's temporary path).

    Sellers, product owners and attributed members must be members of the alliance (past members
    included: a line may predate a departure); any ISO 4217 currency (settlement converts); business days
    are counted in the alliance's time zone.
    """
    store, facts = stores.records, stores.facts
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        # Here, not only in the ledger: the lines go to the fact store before their entry is written.
        check_writable(alliance.code, alliance.status, Write.ORDERS)
        members = sorted(set(uow.members.existing_keys(alliance.id).values()))
    # Lines in other currencies whose day's rate is already in the register are stored converted.
    report = facts.ingest(alliance.code, alliance.currency, alliance.timezone, members, path, fmt,
                          all_or_nothing=all_or_nothing, now=clock.now(), shown_as=shown_as,
                          rates=ingest_rates(store, alliance.id, alliance.currency))
    if report.inserted:
        # The lines are in the fact store, a different database: the ledger records the file right
        # after, by its digest and counts (never its content).
        sha256 = hashlib.sha256()
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                sha256.update(chunk)
        # The lines are stored whatever happens next, so the entry must be written: a concurrent
        # writer of the same log (another import, a run) may take its next index first (SQLite
        # has no row lock to wait on), and the entry is then simply appended again after it.
        for attempt in range(5):
            try:
                with store.unit_of_work() as uow:
                    ledger.record(uow, alliance.id, alliance.code, events.ORDERS_IMPORTED, actor, clock.now(), {
                        "file": str(shown_as or path.name), "sha256": sha256.hexdigest(), "inserted": report.inserted,
                        "duplicates": report.duplicates, "rejected": report.rejected_count,
                        "conflicts": report.conflict_count})
                    uow.commit()
                break
            except Conflict:
                if attempt == 4:
                    raise
                time_module.sleep(0.05 * (attempt + 1))
    return report


logger = logging.getLogger("alliance.settlement")

# Who the ledger names for imports until users and API keys exist (issue 7).
PLATFORM = "platform"


@dataclass(frozen=True, slots=True)
class SettlementResult:
    day: date
    lines: int
    late_lines: int
    agreements: list[dict[str, Any]]
    net: dict[str, Money]  # per account, over the day's rules and adjustments
    # Parties of the day's versions that had left by the day: still paid, as signed (see `departed_parties`).
    departed: list[DepartedParty] = field(default_factory=list)
    unshared_reason: str | None = None  # why the day's lines were shared with nobody (see `unshared`)
    # The rulings' corrections booked on the day: (correction id, "dispute 3, ruling proposal 12").
    corrections: list[tuple[int, str]] = field(default_factory=list)


def settle(stores: Stores, alliance_code: str, day: date | None, actor: str, clock: Clock, *,
           allow_unshared: bool = False) -> SettlementResult:
    """Settle one business day (default yesterday, T+1) and close it; a closed day is never redone.

    A day with order lines but no agreement in force is refused (`UnsharedDay`, nothing saved, no
    failure recorded) unless `allow_unshared` confirms it is to close with nothing shared; the run
    then keeps the reason (see `alliance.settlement.unshared`).

    Days close in order (see `next_day`), so a month's volume is counted in one order and every
    cumulative rule (tiers, growth targets) pays each unit of it once. Every agreement version in
    force on the day settles the day's order lines. Lines of closed days that arrived after the
    runs before saw the store (late lines, late refunds) are settled now as adjustments, under the
    version in force on their own day, on top of what their month had accounted, and reference
    that day. The run reads the fact store in one snapshot and keeps its watermark; it is saved
    with its statement lines in one transaction, after the postings were checked to balance. Two
    runs of the same day at once end with exactly one saved (a unique key on alliance and day).
    """
    store, facts = stores.records, stores.facts
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        # Before the run and before any failure is recorded: a dissolved alliance's calendar stays as it was.
        check_writable(alliance.code, alliance.status, Write.SETTLEMENT)
        today = local_today(clock, alliance.timezone)
        day = day or today - timedelta(days=1)
        if day >= today:
            raise InvalidInput(Message("{day} is not over yet in {timezone} (today is {today}); settle past days "
                                       "only", day=day, timezone=alliance.timezone, today=today))
        # One read: on PostgreSQL each statement sees what committed before it, so a run of the same
        # day saved between two reads would make this day look out of order rather than closed.
        closed_days = set(uow.settlement.closed(alliance.id))
        if day in closed_days:
            raise DayClosed(Message("{day} is already settled for {alliance!r}; a closed day is never rewritten",
                                    day=day, alliance=alliance.code))
        seen_before = uow.settlement.watermark(alliance.id)
        codes = uow.sharing.codes(alliance.id)
        versions = {code: uow.sharing.versions(alliance.id, code) for code in codes}
        recorded = ledger.recorded_agreements(uow, alliance.id)
        metrics = uow.settlement.metrics(alliance.id)
        departures = uow.members.departures(alliance.id)
    latest = max(closed_days, default=None)
    gaps = legacy_gaps(closed_days)
    try:
        first_line_day = facts.first_day(alliance.code)
        earliest = earliest_day(alliance, first_line_day)
    except Exception as exc:
        _record_failure(store, alliance_code, day, actor, clock, exc)
        raise
    if day < earliest:
        raise InvalidInput(Message("{day} is before {alliance!r} was founded and before its first order line "
                                   "({earliest}): there is nothing to settle",
                                   day=day, alliance=alliance.code, earliest=earliest))
    _check_order(alliance.code, day, latest, first_due(first_line_day, versions) if latest is None else None, gaps)

    try:
        statement: list[dict[str, Any]] = []
        applied: list[dict[str, Any]] = []
        net: dict[str, int] = {}
        # What was scheduled for the next run to book (a milestone's tranche, a ruling's correction, a
        # fund's release: settlement.bookings), each as the ledger recorded it.
        with store.unit_of_work() as uow:
            pending = [(kind, kind.pending(uow, alliance.id, alliance.code)) for kind in BOOKINGS]
        with facts.snapshot():
            if latest is None:  # an earlier day's lines may have landed since the check: look again
                _check_order(alliance.code, day, latest, first_due(facts.first_day(alliance.code), versions), gaps)
            watermark = facts.watermark(alliance.code)
            lines_today = facts.count(alliance.code, day)
            adjusting = Adjusting(latest, seen_before, tuple(g for g in gaps if g != day)) if latest is not None else None
            late = facts.late_days(alliance.code, adjusting) if adjusting else {}
            # Every line the run reads lies in the months of its days; each foreign one's rate, or
            # the day stops here (RateMissing), before anything is computed (settlement.run_rates).
            rates = run_rates(store, facts, alliance.id, alliance.code, alliance.currency,
                              *read_span(day, list(late), adjusting), watermark, in_snapshot=True)

            def apply(version: AgreementVersion, on: date, late_of: Adjusting | None) -> None:
                # Only terms the parties signed are applied: the stored version is checked against
                # its own digest and what the ledger recorded of it and of every signature.
                why = recorded.mismatch(version)
                if why is not None:
                    raise AgreementNotAsSigned(version.agreement_code, version.version, why)
                agreement = load_agreement_text(version.document)
                if agreement.currency != alliance.currency:
                    raise InvalidInput(Message("agreement {agreement!r} v{version} is in {currency}, the "
                                               "alliance settles in {alliance_currency}",
                                               agreement=version.agreement_code, version=version.version,
                                               currency=agreement.currency, alliance_currency=alliance.currency))
                # The rules' totals come from the fact store in SQL (late lines: those the runs
                # before did not see); the money arithmetic is the reference engine's.
                totals = rule_totals(facts, alliance.code, agreement.rules, on, adjusting=late_of, seen_by=watermark,
                                     conversion=rates.conversion)
                outcome = settle_totals(agreement, on, totals, period_context(agreement, on, metrics),
                                        adjustment=late_of is not None)
                for rule in outcome.outcomes:
                    for line in rule.lines:
                        statement.append({
                            "account": line.account, "agreement": version.agreement_code, "version": version.version,
                            "rule_id": line.rule_id, "kind": line.kind.value, "base_minor": line.base.minor,
                            "rate": line.rate[:200], "amount_minor": line.amount.minor,
                            "adjustment_of": None if late_of is None else on,
                        })
                        net[line.account] = net.get(line.account, 0) + line.amount.minor

            for code, history in versions.items():
                version = in_force(history, day)
                if version is not None:
                    applied.append({"agreement": code, "version": version.version, "sha256": version.sha256})
                    apply(version, day, None)
                for late_day in late:
                    late_version = in_force(history, late_day)
                    if late_version is not None:
                        apply(late_version, late_day, adjusting)
            # What was converted, by day, seller and currency, at which rate: kept with the run and
            # shown on each seller's statement (the day's lines, and the late lines it settles).
            conversions = converted_sales(facts, alliance.code, day, late, adjusting, watermark, rates)
            # Booked after the rules' lines, kind by kind in the order of BOOKINGS; each item's lines sum
            # to zero. In the snapshot: a kind that reads order lines sees what the rules saw.
            context = BookingContext(day, versions, recorded, facts, alliance.code, alliance.currency, watermark)
            for kind, items in pending:
                for item in items:
                    for line in kind.lines(item, context):
                        statement.append(line)
                        net[line["account"]] = net.get(line["account"], 0) + line["amount_minor"]
        # Never skipped: the run's postings balance, or nothing is saved.
        if sum(net.values()) != 0:
            raise AssertionError(f"settlement of {day} does not balance: {sum(net.values())}")
        # Import bounds every line and day so that this cannot happen (alliance.core.limits); lines
        # stored before it did can still overflow the statement's 64-bit columns: say so, and how out.
        if any(max(abs(l["base_minor"]), abs(l["amount_minor"])) >= 2**63 for l in statement):
            raise DayUnsettleable(Message("{day}: a statement amount is beyond what a statement holds (64-bit "
                                          "minor units): {alliance!r} holds lines stored before import bounded them; "
                                          "list them with `alliance orders check`, set them aside, then settle "
                                          "again (docs/settlement.md)", day=day, alliance=alliance.code))

    except Exception as exc:
        # The day stays open; the attempt is kept so the calendar can say it failed, and why.
        _record_failure(store, alliance_code, day, actor, clock, exc)
        raise

    # Asked before anything is saved, and not a failure: the day stays open until someone confirms.
    reason = unshared_reason(lines_today, applied)
    if reason is not None and not allow_unshared:
        raise UnsharedDay(alliance_code, day, lines_today)

    closed = DayClosed(Message("{day} is already settled for {alliance!r}; a closed day is never rewritten",
                               day=day, alliance=alliance_code))
    salts = statement_commitment.new_salts(statement_commitment.accounts_of(statement))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        if uow.settlement.run(alliance.id, day) is not None:
            raise closed
        # the other run of the same day saved first (the unique key)
        with on_duplicate(closed):
            uow.settlement.add(alliance.id, {
                "day": day, "currency": alliance.currency, "lines": lines_today,
                "late_lines": sum(late.values()), "agreements": applied,
                "closed_at": clock.now(), "actor": actor,
                "watermark_us": watermark if watermark is not None else seen_before, "unshared_reason": reason,
                "member_salts": salts,
            }, statement, conversions)
        # Booked in the run's own transaction, each once: a run of another day that booked one first
        # (committed, or holding its row) leaves fewer pending here, and this run saves nothing.
        for kind, items in pending:
            if kind.mark_booked(uow, alliance.id, items, day) != len(items):
                raise CorrectionAlreadyBooked(Message("another settlement run booked {what} first; {day} stays open: "
                                                      "settle it again", what=kind.raced, day=day))
        booked = [found for kind, items in pending for item in items if (found := kind.listed(item)) is not None]
        root = statement_commitment.members_root(day.isoformat(), statement, salts)
        ledger.record_many(uow, alliance.id, alliance.code, actor, clock.now(), [(events.DAY_SETTLED, {
            "day": day.isoformat(), "lines": lines_today, "late_lines": sum(late.values()), "agreements": applied,
            "statements_sha256": ledger.digest(statement),
            "journal_sha256": ledger.digest({a: m for a, m in sorted(net.items()) if m}),
            **({"unshared_reason": reason} if reason else {}),
            **({"conversions_sha256": conversions_digest([c.as_json() for c in conversions])} if conversions else {}),
            **({"members_root": root} if root else {}),
        }), *(found for kind, items in pending for item in items
              if (found := kind.booked_event(item, day)) is not None)])
        publish(uow, Notice(EventKind.SETTLEMENT_CLOSED, alliance.id, Audience.MEMBERS,
                            Message("Settlement day {day} closed", day=day),
                            Message("{lines} order lines settled; each member's statement is ready.", lines=lines_today),
                            link=f"/alliances/{alliance.code}/settlement/{day.isoformat()}", key=f"day-{day}"),
                clock.now())
        uow.commit()
    # A closed day is a fact members check: sign a checkpoint covering it (the day stays closed even
    # if the key cannot be opened here; `alliance ledger checkpoint` signs later).
    try:
        ledger.checkpoint(store, alliance.code, clock)
    except LedgerKeyLocked:
        pass
    day_versions = [v for history in versions.values() if (v := in_force(history, day)) is not None]
    return SettlementResult(day, lines_today, sum(late.values()), applied,
                            {a: Money(m, alliance.currency) for a, m in sorted(net.items()) if m},
                            departed_parties(day_versions, departures, day), reason, booked)


def settle_through(stores: Stores, alliance_code: str, last: date, actor: str,
                   clock: Clock, *, allow_unshared: bool = False) -> Iterator[SettlementResult]:
    """Settle every open day from the next one (see `next_day`) through `last`, in order, yielding
    each run as it closes. The first run that fails raises its error; the days before it stay closed.
    `allow_unshared` confirms every day of the catch-up that would close with nothing shared.
    """
    store, facts = stores.records, stores.facts
    while True:
        with store.unit_of_work() as uow:
            alliance_id = uow.alliances.require(alliance_code).id
            latest = max(uow.settlement.closed(alliance_id), default=None)
            # Where a first run starts matters only before any day closed (it reads every version).
            versions = {} if latest is not None else {
                code: uow.sharing.versions(alliance_id, code) for code in uow.sharing.codes(alliance_id)}
        first_line_day = facts.first_day(alliance_code)
        if not _settleable(first_line_day):
            yield settle(stores, alliance_code, last, actor, clock)  # fails: day_unsettleable, recorded
            return
        day = next_day(latest, first_due(first_line_day, versions) if latest is None else None, last)
        if day > last or (latest is not None and latest >= last):
            return
        yield settle(stores, alliance_code, day, actor, clock, allow_unshared=allow_unshared)


def first_due(first_line_day: date | None, versions: Mapping[str, Sequence[AgreementVersion]]) -> date | None:
    """Where an alliance's first run starts: its first day holding order lines, or the first day a
    signed version shares a cost (`cost_share`), if earlier: the only thing owed without a line."""
    costs = [owed
             for history in versions.values() for v in history if v.fully_signed
             for rule in load_agreement_text(v.document).rules
             if (owed := spec(rule.kind).settles_on(rule.params)) is not None and in_force(list(history), owed) == v]
    return min([d for d in (first_line_day, min(costs, default=None)) if d is not None], default=None)


def legacy_gaps(closed: set[date]) -> tuple[date, ...]:
    """Days left open between closed days by versions before days closed in order (2026-11): each
    may still be settled once, out of order, as it would have been then. None arise any more."""
    if not closed:
        return ()
    first, last = min(closed), max(closed)
    return tuple(first + timedelta(days=i) for i in range((last - first).days) if first + timedelta(days=i) not in closed)


def _check_order(code: str, day: date, latest: date | None, first: date | None, gaps: tuple[date, ...]) -> None:
    """Refuse any day but the next (see `next_day`), or a day a version before 2026-11 left open."""
    if day in gaps:
        return
    expected = next_day(latest, first, day)
    if day < expected:
        raise DayOutOfOrder(Message("{day} comes before {latest}, the last day {alliance!r} closed: days close in "
                                    "order, and its lines are settled as adjustments by the next run",
                                    day=day, latest=latest, alliance=code))
    if day > expected:
        if latest:
            raise DayOutOfOrder(Message("{alliance!r} settles {expected} first: days close in order (the last "
                                        "closed day is {latest})", alliance=code, expected=expected, latest=latest))
        raise DayOutOfOrder(Message("{alliance!r} settles {expected} first: days close in order (its first day "
                                    "with order lines or a shared cost)", alliance=code, expected=expected))


def earliest_day(alliance: Alliance, first_line_day: date | None) -> date:
    """The first day an alliance may settle: its founding day in its time zone, or its first order
    line's day when its lines go back further (history imported when it was founded).

    A first line outside the years import accepts (stored before it checked them; one before year 1
    has no Python date at all) is a DayUnsettleable naming the way out, never a TypeError."""
    if not _settleable(first_line_day):
        raise DayUnsettleable(Message("{alliance!r} holds order lines dated {day}, outside the years 2000 "
                                      "to 2099 that import accepts (stored before it checked them): list them with "
                                      "`alliance orders check`, set them aside, then settle again "
                                      "(docs/settlement.md)", alliance=alliance.code, day=first_line_day))
    founded = alliance.created_at.astimezone(ZoneInfo(alliance.timezone)).date()
    return min(founded, first_line_day) if first_line_day is not None else founded


def _settleable(first_line_day: date | None) -> bool:
    """Whether an alliance's first line day lies where import accepts lines (the day before 2000-01-01
    UTC, east of it, included); one before year 1 comes from DuckDB as text, not a date."""
    return first_line_day is None or (isinstance(first_line_day, date)
                                      and FIRST_INSTANT.date() - timedelta(days=1) <= first_line_day)


class DayUnsettleable(InvalidInput):
    """The alliance's stored lines cannot be settled (stored before import bounded them)."""

    code = "day_unsettleable"
    title = Message("Day cannot be settled")


def unsettleable_lines(stores: Stores, alliance_code: str, limit: int = 200) -> list[tuple[str, str, Message]]:
    """The alliance's stored lines no run can settle: those that break the import bounds, and the
    lines of an open day that carries too much once converted into the settlement currency
    (`run_rates.over_converted`); (line_id, business day, why), at most `limit`."""
    with stores.records.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        closed = set(uow.settlement.closed(alliance.id))
    found = stores.facts.unsettleable(alliance.code, limit)
    if len(found) >= limit:
        return found
    # (A day Python cannot hold, year 1, comes as text: its lines are listed above, as outside the years.)
    held = [d for d in stores.facts.currency_days(alliance.code, date.min, date.max, None) if isinstance(d.day, date)]
    keys = [(d.day, d.currency) for d in held if d.currency != alliance.currency]
    with stores.records.unit_of_work() as uow:
        rates = FxRepository(uow.connection).known(alliance.id, keys)
    over = [day for day in over_converted(held, rates, alliance.currency) if day not in closed]
    why = Message("its business day carries more than the day limit once converted")
    listed = {line_id for line_id, _, _ in found}
    found += [(line_id, day.isoformat(), why) for line_id, day in stores.facts.lines_of_days(
        alliance.code, over, limit - len(found)) if line_id not in listed]
    return found


def set_aside_order_lines(stores: Stores, alliance_code: str, line_ids: Sequence[str], reason: str,
                          actor: str, clock: Clock) -> int:
    """The coordinator's way out of a day no run can settle: move the named lines, each one that
    breaks the import bounds (see `unsettleable_lines`) and none of a closed day, out of settlement.

    They are kept in the fact store (`order_lines_set_aside`, with when and why) and the ledger
    records which and why; a corrected line can then be imported again under a new line_id.
    """
    store, facts = stores.records, stores.facts
    reason = check_text(reason, Message("the reason"), 500)
    wanted = sorted({l.strip() for l in line_ids if l.strip()})
    if not wanted:
        raise InvalidInput(Message("name the lines to set aside (their line_id)"))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        check_writable(alliance.code, alliance.status, Write.SETTLEMENT)  # the fact store is written first
        closed = {d.isoformat() for d in uow.settlement.closed(alliance.id)}
    found = {line_id: (day, why) for line_id, day, why in unsettleable_lines(stores, alliance.code, limit=1_000_000)}
    problems = [Problem(Message("line {line_id}", line_id=l), "",
                        Message("settles as it is: only lines that break the import bounds, or of a day too large "
                                "once converted, are set aside"))
                for l in wanted if l not in found]
    problems += [Problem(Message("line {line_id}", line_id=l), "",
                         Message("its day {day} is closed, and a closed day is never rewritten", day=found[l][0]))
                 for l in wanted if l in found and found[l][0] in closed]
    if problems:
        raise InvalidInput(Message("{count} line(s) cannot be set aside; nothing was", count=len(problems)), problems)
    moved = facts.set_aside(alliance.code, wanted, reason, clock.now())
    with store.unit_of_work() as uow:
        ledger.record(uow, alliance.id, alliance.code, events.ORDERS_SET_ASIDE, actor, clock.now(),
                      {"lines": wanted, "reason": reason, "why": {l: found[l][1] for l in wanted}})
        uow.commit()
    return moved


class DayOutOfOrder(Conflict):
    code = "day_out_of_order"
    title = Message("Days are settled in order")


def _record_failure_once(store: Store, alliance_code: str, day: date, actor: str, clock: Clock, reason: str) -> None:
    """Record why a day was left open, unless its latest attempt already says so (the scheduler
    tries every minute: one line in the calendar, not one a minute)."""
    with store.unit_of_work() as uow:
        alliance_id = uow.alliances.require(alliance_code).id
        latest = uow.settlement.failures_between(alliance_id, day, day).get(day)
        if latest is None or latest.reason != reason:
            uow.settlement.add_failure(alliance_id, day, clock.now(), actor, reason)
            _publish_failure(uow, alliance_id, alliance_code, day, reason, clock)
            uow.commit()


def _publish_failure(uow: UnitOfWork, alliance_id: int, alliance_code: str, day: date, reason: str,
                     clock: Clock) -> None:
    publish(uow, Notice(EventKind.SETTLEMENT_FAILED, alliance_id, Audience.COORDINATORS,
                        Message("Settlement day {day} failed", day=day),
                        Message("Day {day} stays open: {reason}", day=day, reason=reason),
                        link=f"/alliances/{alliance_code}/settlement", key=f"day-{day}"), clock.now())


def _record_failure(store: Store, alliance_code: str, day: date, actor: str, clock: Clock, exc: Exception) -> None:
    reason = exc.message if isinstance(exc, AllianceError) else f"unexpected error ({type(exc).__name__}); see the server log"
    try:
        with store.unit_of_work() as uow:
            alliance_id = uow.alliances.require(alliance_code).id
            uow.settlement.add_failure(alliance_id, day, clock.now(), actor, reason)
            _publish_failure(uow, alliance_id, alliance_code, day, reason, clock)
            uow.commit()
    except Exception:  # noqa: BLE001 - recording must never hide the failure being reported
        logger.exception("could not record the failed settlement of %s %s", alliance_code, day)


class DayClosed(Conflict):
    code = "day_closed"
    title = Message("Day already settled")


@dataclass(frozen=True, slots=True)
class Statement:
    day: date
    account: str
    currency: str
    lines: list[StoredStatementLine]
    # The account's sales in other currencies, as the run converted them (settlement.fx).
    conversions: list[StoredConversion] = field(default_factory=list)

    @property
    def total(self) -> Money:
        return Money(sum(l.amount_minor for l in self.lines), self.currency)


STATEMENT_HEADER = ["agreement", "version", "rule", "kind", "base", "rate", "amount", "adjustment_of", "correction_of"]


def statement_document(alliance_code: str, account: str, s: Statement) -> dict[str, Any]:
    """A statement as the API, the CLI and the web's download all give it, one shape everywhere:
    amounts as exact decimal strings in the statement's currency, `version` a number, `adjustment_of`
    an ISO date or null, `correction_of` the ruling a correcting entry books ("dispute 3, ruling
    proposal 12") or null (docs/settlement.md, "Statements")."""
    def money(minor: int) -> str:
        return Money(minor, s.currency).amount_text()

    return {
        "alliance": alliance_code, "member": account, "day": s.day.isoformat(), "currency": s.currency,
        "total": s.total.amount_text(),
        "lines": [{"agreement": l.agreement, "version": l.version, "rule": l.rule_id, "kind": l.kind,
                   "base": money(l.base_minor), "rate": l.rate, "amount": money(l.amount_minor),
                   "adjustment_of": l.adjustment_of.isoformat() if l.adjustment_of else None,
                   "correction_of": l.correction_of} for l in s.lines],
        # Sales in other currencies: as sold and as converted, at the rate of their business day.
        "conversions": [{"day": c.business_day.isoformat(), "currency": c.currency, "rate": c.rate,
                         "source": c.source, "lines": c.lines,
                         "original": Money(c.original_minor, c.currency).amount_text(),
                         "converted": money(c.converted_minor), "adjustment": c.adjustment}
                        for c in s.conversions],
    }


def statement_rows(document: dict[str, Any]) -> list[list[str]]:
    """A statement document's lines as text cells under STATEMENT_HEADER (for CSV, XLSX, tables)."""
    return [["" if line[k] is None else str(line[k]) for k in STATEMENT_HEADER] for line in document["lines"]]


def statement(store: Store, alliance_code: str, account: str, day: date) -> Statement:
    """One account's statement for a settled day: every line with its rule, base, rate and amount."""
    with store.unit_of_work() as uow:
        # Only the id is needed (the run knows its currency): the hot path of a member's system.
        alliance_id = uow.alliances.id_of(alliance_code)
        if alliance_id is None:
            raise AllianceNotFound(alliance_code)
        run = uow.settlement.run(alliance_id, day)
        if run is None:
            raise NotFound(Message("{day} has not been settled for {alliance!r}", day=day, alliance=alliance_code))
        lines = uow.settlement.lines(alliance_id, run.id, account)
        # An empty statement is a real answer only for a member or an account (a fund) that exists.
        conversions = uow.settlement.conversions(alliance_id, run.id, account)
        if not lines and not conversions and account not in uow.members.existing_keys(alliance_id).values() \
                and not uow.settlement.has_account(alliance_id, account):
            raise NotFound(Message("{alliance!r} has no member or account {account!r}",
                                   alliance=alliance_code, account=account))
        return Statement(day, account, run.currency, lines, conversions)


@dataclass(frozen=True, slots=True)
class DayTotals:
    """A closed day at a glance: each account's net amount (+ receives, - pays) and line count."""

    day: date
    currency: str
    closed_at: datetime
    actor: str
    order_lines: int
    late_lines: int
    accounts: dict[str, tuple[int, int]]  # account -> (net minor units, statement lines)
    departed: list[DepartedParty] = field(default_factory=list)  # parties paid after they had left
    unshared_reason: str | None = None  # why the day's order lines were shared with nobody
    unshared_confirmed: bool = False  # whoever closed it confirmed that (runs before 2026-12 were not asked)

    @property
    def settled_minor(self) -> int:
        """What changed hands: the sum of what the receiving accounts receive."""
        return sum(net for net, _ in self.accounts.values() if net > 0)


@dataclass(frozen=True, slots=True)
class PeriodTotals:
    """Closed days between two dates: each day's accounts' net amounts."""

    currency: str
    runs: dict[date, StoredRun]
    nets: dict[date, dict[str, int]]  # day -> account -> net minor units
    failures: dict[date, SettlementFailure]  # open days whose latest attempt failed


def period_totals(store: Store, alliance_code: str, first: date, last: date) -> PeriodTotals:
    """Which days in [first, last] are closed, and each account's net amount on each."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        runs = {r.day: r for r in uow.settlement.runs_between(alliance.id, first, last)}
        nets: dict[date, dict[str, int]] = {}
        for day, account, net, _count in uow.settlement.account_totals(alliance.id, first, last):
            nets.setdefault(day, {})[account] = net
        failures = {d: f for d, f in uow.settlement.failures_between(alliance.id, first, last).items() if d not in runs}
    return PeriodTotals(alliance.currency, runs, nets, failures)


def day_totals(store: Store, alliance_code: str, day: date) -> DayTotals | None:
    """A closed day's accounts at a glance (None if the day is not settled)."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        run = uow.settlement.run(alliance.id, day)
        if run is None:
            return None
        accounts = {account: (net, count) for _d, account, net, count in uow.settlement.account_totals(alliance.id, day, day)}
        applied = [v for a in run.agreements for v in uow.sharing.versions(alliance.id, a["agreement"])
                   if v.version == a["version"]]
        departed = departed_parties(applied, uow.members.departures(alliance.id), day)
    # Runs before 2026-12 kept no reason: theirs is what their lines and agreements say.
    reason = run.unshared_reason or unshared_reason(run.lines, run.agreements)
    return DayTotals(day, run.currency, run.closed_at, run.actor, run.lines, run.late_lines, accounts, departed, reason,
                     run.unshared_reason is not None)


def fx_entries(day: date, currency: str, conversions: Sequence[StoredConversion]) -> list[FxEntry]:
    """A run's conversions as journal transactions: one per business day and foreign currency."""
    grouped: dict[tuple[date, str], list[StoredConversion]] = {}
    for c in conversions:
        grouped.setdefault((c.business_day, c.currency), []).append(c)
    entries = []
    for (business_day, code), rows in sorted(grouped.items()):
        original = sum(r.original_minor for r in rows)
        rate = Decimal(rows[0].rate)
        entries.append(FxEntry(day, business_day, Money(original, code),
                               Money(sum(r.converted_minor for r in rows), currency),
                               Money(convert(original, code, currency, rate).minor, currency), rows[0].rate,
                               rows[0].source))
    return entries


def journal(store: Store, alliance_code: str, first: date, last: date) -> tuple[str, list[Entry]]:
    """The closed days' postings between two dates as journal entries (and the alliance's currency)."""
    if last < first:
        raise InvalidInput(Message("the period ends ({last}) before it begins ({first})", last=last, first=first))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        entries: list[Entry] = []
        for run in uow.settlement.runs_between(alliance.id, first, last):
            # A ruling's correction is a transaction of its own, naming the ruling (`correction_of`).
            grouped: dict[tuple[str, int, str, str, date | None, str | None], dict[str, int]] = {}
            for line in uow.settlement.lines(alliance.id, run.id):
                key = (line.agreement, line.version, line.rule_id, line.kind, line.adjustment_of, line.correction_of)
                accounts = grouped.setdefault(key, {})
                accounts[line.account] = accounts.get(line.account, 0) + line.amount_minor
            for (agreement, version, rule_id, kind, adjustment_of, correction_of), accounts in grouped.items():
                postings = tuple((a, Money(m, run.currency)) for a, m in sorted(accounts.items()) if m)
                if postings:
                    entries.append(JournalEntry(run.day, agreement, version, rule_id, kind, adjustment_of, postings,
                                                correction_of))
            entries += fx_entries(run.day, run.currency, uow.settlement.conversions(alliance.id, run.id))
    # Payouts paid in the period (settlement.payouts): each clears a member's claim.
    entries += [PayoutEntry(number, payout) for number, payout in journal_payouts(store, alliance_code, first, last)]
    return alliance.currency, entries


@dataclass(frozen=True, slots=True)
class Scenario:
    """One candidate agreement replayed over stored lines: each party's total, and its expectation."""

    name: str
    agreement: str
    totals: dict[str, Money]
    expectations: dict[str, Money]
    flagged: dict[str, str]  # party -> why its outcome is off its expectation


TOLERANCE = Decimal("0.05")  # the domain page's ±5%


def simulate(stores: Stores, alliance_code: str, documents: Sequence[tuple[str, str]],
             first: date, last: date) -> list[Scenario]:
    """沙盘推演: replay the stored lines of [first, last] under candidate agreements; write nothing.

    Each document is checked like a proposal (parties must be members; dates are not checked, so
    history can be replayed). A party whose total is more than 5% away from the expectation the
    document declares for it is flagged; a party with an expectation of 0 is flagged for any
    non-zero outcome.
    """
    store, facts = stores.records, stores.facts
    if last < first:
        raise InvalidInput(Message("the period ends ({last}) before it begins ({first})", last=last, first=first))
    if (last - first).days > 366:
        raise InvalidInput(Message("simulate at most a year at a time"))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        members = sorted(set(uow.members.existing_keys(alliance.id).values()))
        metrics = uow.settlement.metrics(alliance.id)
    agreements = [(name, load_agreement_text(text, name, members=members)) for name, text in documents]
    for name, agreement in agreements:
        if agreement.currency != alliance.currency:
            raise InvalidInput(Message("{name}: currency {currency} differs from the alliance's {alliance_currency}",
                                       name=name, currency=agreement.currency, alliance_currency=alliance.currency))
    scenarios = []
    for name, agreement in agreements:
        totals: dict[str, int] = {p: 0 for p in agreement.parties}
        # One snapshot: the running sums of a replay (`replay_totals`) all come from the same lines.
        with facts.snapshot():
            # Lines in other currencies count converted, as a run would count them (RateMissing otherwise).
            rates = run_rates(store, facts, alliance.id, alliance.code, alliance.currency, first.replace(day=1), last,
                              None, in_snapshot=True)
            for day, day_totals in replay_totals(facts, alliance.code, agreement.rules, first, last, rates.conversion):
                outcome = settle_totals(agreement, day, day_totals, period_context(agreement, day, metrics))
                for account, money in outcome.net().items():
                    totals[account] = totals.get(account, 0) + money.minor
        money_totals = {a: Money(m, alliance.currency) for a, m in sorted(totals.items())}
        flagged = {}
        for party, expected in agreement.expectations.items():
            actual = money_totals.get(party, Money(0, alliance.currency))
            if expected.minor == 0:
                off = actual.minor != 0
            else:
                off = abs(Decimal(actual.minor - expected.minor)) > TOLERANCE * abs(Decimal(expected.minor))
            if off:
                flagged[party] = Message("{actual} vs expected {expected} (beyond ±5%)",
                                         actual=actual.amount_text(), expected=expected.amount_text())
        scenarios.append(Scenario(name, agreement.code, money_totals, dict(agreement.expectations), flagged))
    return scenarios


@dataclass(frozen=True, slots=True)
class ScheduledRun:
    alliance: str
    day: date
    result: SettlementResult | None
    error: str | None
    waiting: bool = False  # left open: it would close with nothing shared, which only a person confirms


def settle_due(stores: Stores, settle_at: time, actor: str, clock: Clock) -> list[ScheduledRun]:
    """Settle every day due (see `schedule.due_days`) for every alliance with an agreement, in order.

    One alliance's failure (say, a missing period metric) is reported, stops that alliance's
    catch-up (the days after it cannot close before it) and does not stop the others.

    A day with order lines but no agreement in force is never closed here: nobody is there to
    confirm that it shares nothing (see `alliance.settlement.unshared`). It is left open and
    reported, its attempt recorded once (the calendar says why it waits), and the alliance's
    catch-up stops at it until a coordinator settles it by hand.
    """
    store, facts = stores.records, stores.facts
    with store.unit_of_work() as uow:
        candidates = [(a, max(uow.settlement.closed(a.id), default=None),
                       {code: uow.sharing.versions(a.id, code) for code in uow.sharing.codes(a.id)})
                      for a in uow.alliances.all() if allows(a.status, Write.SETTLEMENT) and uow.sharing.codes(a.id)]
    runs = []
    for alliance, latest, versions in candidates:
        first_line_day = facts.first_day(alliance.code)
        if not _settleable(first_line_day):  # one alliance's stored lines must not stop the others
            yesterday = local_today(clock, alliance.timezone) - timedelta(days=1)
            try:
                settle(stores, alliance.code, yesterday, actor, clock)  # fails: day_unsettleable, recorded
            except AllianceError as exc:
                runs.append(ScheduledRun(alliance.code, yesterday, None, exc.message))
            continue
        earliest = earliest_day(alliance, first_line_day)
        first = first_due(first_line_day, versions) if latest is None else None
        for day in due_days(clock.now(), alliance.timezone, settle_at, latest, first):
            if day < earliest:
                continue
            try:
                runs.append(ScheduledRun(alliance.code, day, settle(stores, alliance.code, day, actor, clock), None))
            except UnsharedDay as exc:
                waiting = (f"left open by the scheduler: {exc.lines} order line(s) and no agreement in force; "
                           "closing it shares nothing, so a coordinator must settle it by hand and confirm that")
                _record_failure_once(store, alliance.code, day, actor, clock, waiting)
                runs.append(ScheduledRun(alliance.code, day, None, exc.message, waiting=True))
                break
            except AllianceError as exc:
                runs.append(ScheduledRun(alliance.code, day, None, exc.message))
                break
            except Exception as exc:  # noqa: BLE001 - one alliance's defect must not stop the others' settlement
                logger.exception("settling %s %s failed unexpectedly", alliance.code, day)
                runs.append(ScheduledRun(alliance.code, day, None, f"unexpected error ({type(exc).__name__})"))
                break
    return runs


METRIC_COLUMNS = ("period", "metric", "member", "value")


def record_metrics(store: Store, alliance_code: str, header: Sequence[str], rows: Sequence[Sequence[str]],
                   clock: Clock, header_row: int = 1) -> int:
    """Record period metrics from a table (period YYYY-MM, metric, member, value): all rows or none.

    A value once recorded is never changed: a period's figures are what its settlements used.
    """
    names = [h.strip().lower() for h in header]
    missing = [c for c in METRIC_COLUMNS if c not in names]
    if missing or len(names) != len(set(names)) or set(names) - set(METRIC_COLUMNS):
        raise InvalidInput(Message("the columns must be exactly {columns}", columns=", ".join(METRIC_COLUMNS)))
    position = {c: names.index(c) for c in METRIC_COLUMNS}
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        check_writable(alliance.code, alliance.status, Write.METRICS)  # metrics are not in the ledger
        members = set(uow.members.existing_keys(alliance.id).values())
        recorded = uow.settlement.metrics(alliance.id)
        problems: list[Problem] = []
        values: list[dict[str, Any]] = []
        seen: set[tuple[str, str, str]] = set()
        for number, row in enumerate(rows, start=header_row + 1):
            cell = {c: (row[i].strip() if i < len(row) else "") for c, i in position.items()}
            where = Message("row {row}", row=number)
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", cell["period"]):
                problems.append(Problem(where, "period", Message("{value!r} is not a month (YYYY-MM)",
                                                                 value=cell["period"])))
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", cell["metric"]):
                problems.append(Problem(where, "metric", Message("{value!r} is not a metric name",
                                                                 value=cell["metric"])))
            if cell["member"] not in members:
                problems.append(Problem(where, "member", Message("{value!r} is not a member", value=cell["member"])))
            try:
                value = parse_decimal(cell["value"], Message("value"))
            except InvalidInput as exc:
                problems.append(Problem(where, "value", exc.message))
                continue
            key = (cell["period"], cell["metric"], cell["member"])
            if key in seen:
                problems.append(Problem(where, "", Message("{key} repeats an earlier row", key="/".join(key))))
            elif cell["member"] in recorded.get(key[0], {}).get(key[1], {}):
                problems.append(Problem(where, "", Message("{key} is already recorded; a period's metrics are not "
                                                           "rewritten", key="/".join(key))))
            seen.add(key)
            values.append({"period": key[0], "metric": key[1], "member_code": key[2], "value": value,
                           "recorded_at": clock.now()})
        if problems:
            raise InvalidInput(Message("{count} bad row(s); nothing was recorded",
                                       count=len({p.where for p in problems})), problems)
        uow.settlement.add_metrics(alliance.id, values)
        uow.commit()
    return len(values)


def period_context(agreement: Agreement, day: date, metrics: dict[str, dict[str, dict[str, Decimal]]]) -> DayContext:
    """The day's inputs: the month's metrics, and each dynamic rule's shares for the month
    (`period_shares` of its kind; see `sharing.rules.dynamic`).

    Dynamic shares are replayed from the agreement's first month: each month's shares are
    `reweight(previous month's shares, previous month's metrics)`. So nothing but the metrics is
    stored, and a month's shares can always be recomputed.
    """
    period = f"{day.year:04d}-{day.month:02d}"
    shares: dict[str, dict[str, Fraction]] = {}
    for rule in agreement.rules:
        current = spec(rule.kind).period_shares(rule.id, rule.params, agreement.effective_from, day, metrics)
        if current is not None:
            shares[rule.id] = current
    return DayContext(metrics=metrics.get(period, {}), dynamic_shares=shares)
