"""The scorecard's reads: a period's scorecard of a member or the alliance with its trend, the
dashboard, and what the warning rules read (`series`, `bands`). One unit of work each.

The alliance's scorecard and dashboard are `READ_DIRECTORY` (every role of the alliance: the
figures are the alliance's aggregates); a member's scorecard is that member's data
(`READ_MEMBER_DATA` with the member: the coordinator, an auditor and the member's own accounts;
another member's account is answered 404). `series` and `bands` take no principal: the warning
rules' evaluator runs in the scheduler, and says what fired through its own pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock, local_today
from alliance.core.errors import MemberNotFound
from alliance.core.messages import Message
from alliance.health.kpis.errors import PeriodInvalid
from alliance.health.kpis import loader
from alliance.health.kpis.catalogue import Catalogue, Dimension, KpiDefinition
from alliance.health.kpis.indicators.base import Window
from alliance.health.kpis.periods import Granularity, Period, between, containing, parse_period
from alliance.health.kpis.scorecard import scorecards
from alliance.health.kpis.scoring import Scores
from alliance.registry.model import Alliance
from alliance.store.database import Store
from alliance.store.unit_of_work import UnitOfWork

TREND_QUARTERS = 4
SERIES_GRANULARITIES = ("week", "month", "quarter")
MOST_PERIODS = 520  # ten years of weeks  # the scorecard's trend: this period and the ones before it


@dataclass(frozen=True, slots=True)
class TrendPoint:
    period: Period
    overall: Fraction | None
    dimensions: dict[Dimension, Fraction | None]


@dataclass(frozen=True, slots=True)
class Scorecard:
    alliance: str
    member: str | None                # None: the alliance as a whole
    period: Period
    catalogue: Catalogue              # the version used (its number is on every scorecard)
    scores: Scores
    trend: tuple[TrendPoint, ...]     # the earliest first, ending with `period`
    as_of: date


@dataclass(frozen=True, slots=True)
class Dashboard:
    alliance: Scorecard
    members: tuple[str, ...]          # the members whose scorecards the viewer may open


def window_of(period: Period, today: date) -> Window:
    return Window(period.start, period.end, period.previous().start, min(period.end, today), period.weeks)


def _periods(period: Period, count: int) -> list[Period]:
    found = [period]
    while len(found) < count:
        found.insert(0, found[0].previous())
    return found


def _compute(uow: UnitOfWork, alliance: Alliance, catalogue: Catalogue, periods: Sequence[Period],
             today: date, include: Sequence[str] = ()) -> dict[Period, dict[str | None, Scores]]:
    """Each period's scores of every member active in it and of the alliance (key None), from one
    load of every row of the whole range. Every member is always scored: the alliance's figures
    (a mean per member, the members' entered values) need them all."""
    first = periods[0].previous().start
    end = max(p.end for p in periods)
    data = loader.load(uow, alliance, first, end, [])
    entered = loader.entered_values(uow, alliance.id, until=end)
    out: dict[Period, dict[str | None, Scores]] = {}
    for period in periods:
        active = loader.active_members(uow, alliance, period.start, period.end)
        active += [m for m in include if m not in active]  # asked for by name (a member who has left)
        out[period] = scorecards(catalogue, replace(data, members=tuple(active)), window_of(period, today), entered)
    return out


def _scorecard(uow: UnitOfWork, alliance: Alliance, period: Period, today: date, member: str | None) -> Scorecard:
    catalogue = loader.current_catalogue(uow, alliance.id)
    periods = _periods(period, TREND_QUARTERS)
    computed = _compute(uow, alliance, catalogue, periods, today, [member] if member else [])
    trend = tuple(TrendPoint(p, computed[p][member].overall, dict(computed[p][member].dimensions))
                  for p in periods if member in computed[p])
    return Scorecard(alliance.code, member, period, catalogue, computed[period][member], trend, min(period.end, today))


def current_quarter(store: Store, alliance_code: str, clock: Clock) -> Period:
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
    return containing(Granularity.QUARTER, local_today(clock, alliance.timezone))


def scorecard(store: Store, alliance_code: str, principal: Principal, clock: Clock, *, period: str | Period | None = None,
              member: str | None = None) -> Scorecard:
    """The scorecard of `member` (None: the alliance) for `period` (default: this quarter), with the
    trend over the periods before it. Raises PeriodInvalid, MemberNotFound, and the policy's refusals."""
    if member is None:
        authorize(principal, Action.READ_DIRECTORY, alliance_code)
    else:
        authorize(principal, Action.READ_MEMBER_DATA, alliance_code, member)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        today = local_today(clock, alliance.timezone)
        chosen = period if isinstance(period, Period) else (
            parse_period(period) if period else containing(Granularity.QUARTER, today))
        if member is not None and uow.members.get(alliance.id, alliance.code, alliance.currency, member) is None:
            raise MemberNotFound(alliance_code, member)
        return _scorecard(uow, alliance, chosen, today, member)


def dashboard(store: Store, alliance_code: str, principal: Principal, clock: Clock, *,
              period: str | Period | None = None) -> Dashboard:
    """The alliance's scorecard, and the members whose own scorecards the viewer may open (every
    member for the coordinator, an auditor or a platform admin; a member's account: its own)."""
    card = scorecard(store, alliance_code, principal, clock, period=period)
    if principal.member is not None:
        members: tuple[str, ...] = (principal.member,)
    else:
        with store.unit_of_work() as uow:
            alliance = uow.alliances.require(alliance_code)
            members = tuple(loader.active_members(uow, alliance, card.period.start, card.period.end))
    return Dashboard(card, members)


def member_scorecards(store: Store, alliance_code: str, principal: Principal, clock: Clock, *,
                      period: str | Period | None = None) -> tuple[Period, Catalogue, dict[str | None, Scores]]:
    """Every active member's scores of the period and the alliance's, at once (the coordinator's table)."""
    authorize(principal, Action.READ_FINANCE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        today = local_today(clock, alliance.timezone)
        chosen = period if isinstance(period, Period) else (
            parse_period(period) if period else containing(Granularity.QUARTER, today))
        catalogue = loader.current_catalogue(uow, alliance.id)
        return chosen, catalogue, _compute(uow, alliance, catalogue, [chosen], today)[chosen]


# -- what the warning rules read ----------------------------------------------------------------------

def series(store: Store, alliance_code: str, kpi_codes: Sequence[str], *, granularity: str, since: date, until: date,
           members: Sequence[str] | None = None) -> dict[tuple[str, str | None], list[tuple[date, Decimal | None]]]:
    """Each KPI's value per period of `granularity` ("week", "month" or "quarter") for every period
    from the one holding `since` while it starts before `until`: key (kpi, member), member None for
    the alliance as a whole; each list is (period start, value), None where there is no value.
    Entered values forward-fill until the next entry. `members` None: every member active in the
    range. Unknown KPI codes give lists of None (a rule naming a KPI the coordinator removed
    reads no value rather than failing the scheduler). Raises PeriodInvalid for another granularity."""
    if granularity not in SERIES_GRANULARITIES:
        raise PeriodInvalid(Message("{granularity!r} is not week, month or quarter", granularity=str(granularity)))
    periods = between(granularity, since, until)
    if len(periods) > MOST_PERIODS:
        raise PeriodInvalid(Message("a series holds at most {most} periods; {count} asked for",
                                    most=MOST_PERIODS, count=len(periods)))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        catalogue = loader.current_catalogue(uow, alliance.id)
        if members is None and periods:
            chosen: Sequence[str] = loader.active_members(uow, alliance, periods[0].start, periods[-1].end)
        else:
            chosen = list(members or [])
        # What is known is what happened before `until` (a pledge due later is not yet late).
        computed = _compute(uow, alliance, catalogue, periods, until, chosen) if periods else {}
    wanted = catalogue.by_code()
    out: dict[tuple[str, str | None], list[tuple[date, Decimal | None]]] = {}
    for code in kpi_codes:
        for member in (None, *chosen):
            points: list[tuple[date, Decimal | None]] = []
            for period in periods:
                value = None
                scores = computed[period].get(member)
                if code in wanted and scores is not None:
                    value = next(r.value for r in scores.rows if r.kpi.code == code)
                points.append((period.start, value))
            out[(code, member)] = points
    return out


def bands(store: Store, alliance_code: str) -> dict[str, KpiDefinition]:
    """The current catalogue by KPI code (each definition's `amber`/`green` thresholds and direction:
    `scoring.classify(value, definition)` says whether a value is red)."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return loader.current_catalogue(uow, alliance.id).by_code()


__all__ = ["Dashboard", "Scorecard", "TrendPoint", "bands", "current_quarter", "dashboard",
           "member_scorecards", "scorecard", "series"]
