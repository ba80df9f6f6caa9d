"""Journey metrics with the stores: compute a month's metrics from the shared customer events,
record them as period metrics (with where each value came from), verify them later, and read
their history (docs/journey-metrics.md).

The counting is one DuckDB query over the month's events (`FactStore.journey_counts`): no customer
key leaves the fact store, only counts and digests do. A recorded value is never rewritten, as
with every period metric (`settlement.service.record_metrics`): the settlements of the month used it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from alliance.core.clock import Clock, local_today
from alliance.core.errors import Conflict, InvalidInput, Problem
from alliance.core.messages import Message
from alliance.datashare.journeys.metrics import METRICS, JourneyMetric, MonthCounts, values
from alliance.registry.lifecycle import Write, check_writable
from alliance.registry.model import Alliance, Member
from alliance.store.database import on_duplicate
from alliance.store.journeys_repository import MetricSource
from alliance.store.stores import Stores
from alliance.store.unit_of_work import UnitOfWork


class JourneyPeriodOpen(Conflict):
    """The month has not ended yet in the alliance's time zone: its events are not all in."""

    code = "journey_period_open"
    title = Message("The month has not ended")


class JourneyAlreadyRecorded(Conflict):
    """Some of the month's journey metrics are recorded with other values: never rewritten."""

    code = "journey_already_recorded"
    title = Message("Journey metrics already recorded")

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems: list[Problem] = list(problems or [])


class JourneyNoEvents(Conflict):
    """No customer event of the month was counted: zeros recorded for every member would steer
    every dynamic split by nothing (equal targets), so nothing is recorded."""

    code = "journey_no_events"
    title = Message("No customer events in the month")


@dataclass(frozen=True)
class MemberJourney:
    """One member's month: its counts, the metric values they give, and what is recorded."""

    member: str
    counts: Mapping[str, int]
    values: Mapping[str, Decimal]
    recorded: Mapping[str, Decimal | None]  # metric -> recorded value (None: not recorded)


@dataclass(frozen=True)
class JourneyReport:
    """An alliance's journey metrics for one month (YYYY-MM)."""

    alliance: str
    period: str
    members: list[MemberJourney]
    alliance_values: Mapping[str, Decimal]  # the alliance as a whole: shown, never recorded
    events: int  # events counted
    recorded_at: datetime | None  # when the month's journey metrics were (last) recorded
    can_record: bool  # the month has ended and some value is not recorded yet
    alliance_counts: Mapping[str, int] | None = None
    digest: str = ""


@dataclass(frozen=True)
class Difference:
    """One finding of `verify`: a recorded value whose inputs or value changed since, or whose trace
    no longer agrees with it (`trace_ok` False: the trace's value is not the recorded one, its counts
    are not what the same events give, or the recorded value was removed; `recorded` is then the
    value the trace says was recorded)."""

    member: str
    metric: str
    recorded: Decimal
    now: Decimal
    events_changed: bool  # the events it was measured on (the member's; for the cross-member rate also
    # whether its buyers bought elsewhere) differ from those counted when it was recorded
    trace_ok: bool = True
    counted: bool = True  # False: the member is no longer counted in the month (a departure dated before
    # it); the recorded value measured nothing any more (`now` is 0)


@dataclass(frozen=True)
class Verification:
    report: JourneyReport
    differences: list[Difference]
    checked: int  # recorded values compared

    @property
    def ok(self) -> bool:
        return not self.differences


_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def month(period: str) -> tuple[date, date]:
    """The first and last day of a YYYY-MM month; InvalidInput otherwise."""
    found = _PERIOD.fullmatch(period.strip()) if isinstance(period, str) else None
    if found is None or not 2000 <= int(found.group(1)) <= 2099:
        raise InvalidInput(Message("{value!r} is not a month (YYYY-MM, years 2000 to 2099)", value=str(period)[:20]))
    first = date(int(found.group(1)), int(found.group(2)), 1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def counted_members(members: Sequence[Member], first: date, last: date) -> list[str]:
    """The members whose membership overlaps the month: a member that joined or left during it is
    measured on the events of the whole month (its events are the record of that month)."""
    return sorted(m.code for m in members
                  if m.joined_on <= last and (m.left_on is None or m.left_on > first))


def _load(uow: UnitOfWork, alliance_code: str, period: str) -> tuple[Alliance, date, date, list[str]]:
    alliance = uow.alliances.require(alliance_code)
    first, last = month(period)
    members = uow.members.of_alliance(alliance.id, alliance.code, alliance.currency, include_left=True)
    return alliance, first, last, counted_members(members, first, last)


def _check_ended(alliance: Alliance, period: str, last: date, clock: Clock) -> None:
    if local_today(clock, alliance.timezone) <= last:
        raise JourneyPeriodOpen(Message("{period} has not ended yet in the alliance's time zone ({timezone}); its "
                                        "journey metrics can be computed from {day}",
                                        period=period, timezone=alliance.timezone,
                                        day=(last + timedelta(days=1)).isoformat()))


def _report(alliance: Alliance, period: str, counts: MonthCounts, recorded: Mapping[str, Mapping[str, Decimal]],
            recorded_at: datetime | None) -> JourneyReport:
    members = [MemberJourney(member, dict(c), values(c), {name: recorded.get(name, {}).get(member)
                                                           for name in METRICS})
               for member, c in sorted(counts.members.items())]
    missing = any(v is None for m in members for v in m.recorded.values())
    return JourneyReport(alliance.code, period, members, values(counts.alliance), counts.alliance["events"],
                         recorded_at, missing, dict(counts.alliance), counts.digest)


def _count(stores: Stores, alliance: Alliance, first: date, last: date, members: list[str]) -> MonthCounts:
    return stores.facts.journey_counts(alliance.code, first, last, members)


def compute(stores: Stores, alliance_code: str, period: str, clock: Clock) -> JourneyReport:
    """The month's journey metrics per member and for the alliance, and what is recorded of them.

    Refused (JourneyPeriodOpen) for a month that has not ended in the alliance's time zone."""
    return _compute(stores, alliance_code, period, clock)[0]


def _compute(stores: Stores, alliance_code: str, period: str, clock: Clock) -> tuple[JourneyReport, MonthCounts]:
    from alliance.store.journeys_repository import JourneyRepository

    with stores.records.unit_of_work() as uow:
        alliance, first, last, members = _load(uow, alliance_code, period)
        period = f"{first.year:04d}-{first.month:02d}"
        _check_ended(alliance, period, last, clock)
        recorded = uow.settlement.metrics(alliance.id).get(period, {})
        recorded_at = JourneyRepository(uow.connection).recorded_at(alliance.id, period)
    counts = _count(stores, alliance, first, last, members)
    return _report(alliance, period, counts, recorded, recorded_at), counts


def record(stores: Stores, alliance_code: str, period: str, actor: str, clock: Clock) -> JourneyReport:
    """Record the month's four metrics for every member as period metrics, each with its trace
    (counts, events counted, input digests, when and by whom).

    A value already recorded is never rewritten: identical values are left as they are (recording
    twice is a no-op), values not yet recorded are added, and if any recorded value differs from
    the computed one nothing is recorded and the error names each (`verify` says why). A month with
    no events counted is refused (JourneyNoEvents): its zeros would be no measurement."""
    from alliance.store.journeys_repository import JourneyRepository

    with stores.records.unit_of_work() as uow:
        alliance, first, last, members = _load(uow, alliance_code, period)
        period = f"{first.year:04d}-{first.month:02d}"
        check_writable(alliance.code, alliance.status, Write.METRICS)  # metrics are not in the ledger
        _check_ended(alliance, period, last, clock)
    counts = _count(stores, alliance, first, last, members)
    if counts.alliance["events"] == 0:
        raise JourneyNoEvents(Message("no customer events of {period} were shared by the members; nothing was "
                                      "recorded (import the month's events first)", period=period))
    with stores.records.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        check_writable(alliance.code, alliance.status, Write.METRICS)
        recorded = uow.settlement.metrics(alliance.id).get(period, {})
        traced = JourneyRepository(uow.connection).sources(alliance.id, period)
        now = clock.now()
        problems: list[Problem] = []
        metric_rows: list[dict[str, object]] = []
        sources: list[dict[str, object]] = []
        for member, c in sorted(counts.members.items()):
            for name, metric in METRICS.items():
                value = metric.value(c)
                earlier = recorded.get(name, {}).get(member)
                if earlier is not None:
                    if earlier != value:
                        problems.append(Problem(Message("{member}/{metric}", member=member, metric=name), "value",
                                                Message("recorded {recorded}, computed now {value}",
                                                        recorded=str(earlier), value=str(value))))
                    continue
                if (member, name) in traced:  # recorded once, the value since removed: not recorded anew
                    problems.append(Problem(Message("{member}/{metric}", member=member, metric=name), "value",
                                            Message("recorded {recorded} earlier, that value has been removed",
                                                    recorded=str(traced[(member, name)].value))))
                    continue
                metric_rows.append({"period": period, "metric": name, "member_code": member, "value": value,
                                    "recorded_at": now})
                sources.append({"period": period, "member_code": member, "metric": name, "value": value,
                                "numerator": metric.numerator(c), "denominator": metric.denominator(c),
                                "events": c["events"], "member_digest": counts.inputs(member, metric),
                                "month_digest": counts.digest, "computed_at": now, "recorded_by": actor})
        if problems:
            raise JourneyAlreadyRecorded(Message("{count} journey metric(s) of {period} are recorded with other "
                                                 "values ({names}); a period's metrics are not rewritten, nothing "
                                                 "was recorded", count=len(problems), period=period,
                                                 names=", ".join(str(p.where) for p in problems[:10])), problems)
        if metric_rows:
            # Two recordings at once: the second finds the first's rows (the unique key) and records nothing.
            with on_duplicate(JourneyAlreadyRecorded(Message("{period}'s journey metrics were recorded at the same "
                                                             "moment by someone else; nothing was recorded",
                                                             period=period))):
                uow.settlement.add_metrics(alliance.id, metric_rows)
                JourneyRepository(uow.connection).add(alliance.id, sources)
                uow.commit()
        recorded = uow.settlement.metrics(alliance.id).get(period, {}) if metric_rows else recorded
        recorded_at = JourneyRepository(uow.connection).recorded_at(alliance.id, period)
    return _report(alliance, period, counts, recorded, recorded_at)


def verify(stores: Stores, alliance_code: str, period: str, clock: Clock) -> Verification:
    """Recount the month and compare with what was recorded: for each recorded journey metric whose
    value would differ now, or whose member's events changed since, one Difference."""
    from alliance.store.journeys_repository import JourneyRepository

    report, counts = _compute(stores, alliance_code, period, clock)
    with stores.records.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        traces = JourneyRepository(uow.connection).sources(alliance.id, report.period)
        recorded = uow.settlement.metrics(alliance.id).get(report.period, {})
    differences: list[Difference] = []
    checked = 0
    for m in report.members:
        for name, earlier in m.recorded.items():
            trace = traces.get((m.member, name))
            if earlier is None and trace is None:
                continue
            checked += 1
            changed = trace is not None and trace.member_digest != counts.inputs(m.member, METRICS[name])
            trace_ok = trace is None or _trace_agrees(trace, earlier, m.counts, changed)
            if changed or not trace_ok or earlier != m.values[name]:
                shown = earlier if earlier is not None else trace.value if trace is not None else m.values[name]
                differences.append(Difference(m.member, name, shown, m.values[name], changed, trace_ok))
    counted = {m.member for m in report.members}
    for (member, name), trace in sorted(traces.items()):
        if member not in counted and name in METRICS:  # recorded from its events, no longer a member then
            checked += 1
            earlier = recorded.get(name, {}).get(member)
            differences.append(Difference(member, name, trace.value if earlier is None else earlier, Decimal(0),
                                          True, earlier == trace.value, counted=False))
    return Verification(report, differences, checked)


def recorded(stores: Stores, alliance_code: str, period: str, clock: Clock) -> Verification:
    """The month as recorded, without a recount: what member accounts see.

    A live recount answers "what would the figures be now": a member holds the alliance's pseudonym
    key, so it could share a made-up purchase of a customer it knows and watch the cross-member
    count move, learning whether that person bought at another member. The recorded values and the
    counts in their traces are fixed when the coordinator records the month, so reading them tells
    nothing new. Members without a recorded value are left out; the alliance row is not recorded, so
    it is absent (`alliance_counts` None)."""
    from alliance.store.journeys_repository import JourneyRepository

    with stores.records.unit_of_work() as uow:
        alliance, first, _last, _members = _load(uow, alliance_code, period)
        period = f"{first.year:04d}-{first.month:02d}"
        values_now = uow.settlement.metrics(alliance.id).get(period, {})
        repository = JourneyRepository(uow.connection)
        traces = repository.sources(alliance.id, period)
        recorded_at = repository.recorded_at(alliance.id, period)
    members: list[MemberJourney] = []
    events = 0
    for member in sorted({m for (m, name) in traces if name in METRICS}):
        counts: dict[str, int] = {}
        shown: dict[str, Decimal] = {}
        for name, metric in METRICS.items():
            trace = traces.get((member, name))
            if trace is None:
                continue
            counts[metric.measure.numerator] = trace.numerator
            if metric.measure.denominator is not None and trace.denominator is not None:
                counts[metric.measure.denominator] = trace.denominator
            counts["events"] = trace.events
            shown[name] = _places(metric, trace.value)
        events += counts.get("events", 0)
        now = {name: values_now.get(name, {}).get(member) for name in shown}
        members.append(MemberJourney(member, counts, shown,
                                     {name: None if v is None else _places(METRICS[name], v) for name, v in now.items()}))
    report = JourneyReport(alliance.code, period, members, {}, events, recorded_at, False, None, "")
    return Verification(report, [], 0)


def _places(metric: JourneyMetric, value: Decimal) -> Decimal:
    """A stored value written with its metric's places (the store keeps 0.5 for 0.5000)."""
    return value.quantize(Decimal(1).scaleb(-metric.places))


def _trace_agrees(trace: MetricSource, recorded: Decimal | None, counts: Mapping[str, int], changed: bool) -> bool:
    """Whether a trace still tells how its recorded value was measured: the value recorded is the
    trace's, and (the member's events being those counted then) its counts are what they give now.
    A trace or value altered in the records, or a recorded value removed, fails this."""
    if recorded is None or trace.value != recorded:
        return False
    if changed:
        return True  # other events now: their counts are not comparable, `events_changed` says so
    metric = METRICS[trace.metric]
    return (trace.numerator, trace.denominator, trace.events) == (
        metric.numerator(counts), metric.denominator(counts), counts["events"])


def history(stores: Stores, alliance_code: str, clock: Clock) -> dict[str, dict[str, dict[str, Decimal]]]:
    """period -> metric -> member -> recorded value, for the journey metrics only (a chart's data),
    periods in order."""
    with stores.records.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        recorded = uow.settlement.metrics(alliance.id)
    return {period: {name: dict(sorted(found[name].items())) for name in METRICS if name in found}
            for period, found in sorted(recorded.items()) if any(name in found for name in METRICS)}


def report_document(report: JourneyReport) -> dict[str, object]:
    """The report as JSON-ready data (values as decimal strings), for the API and `--json`."""
    def text(values: Mapping[str, Decimal | None]) -> dict[str, str | None]:
        return {k: None if v is None else str(v) for k, v in values.items()}

    return {"alliance": report.alliance, "period": report.period, "events": report.events,
            "recorded_at": None if report.recorded_at is None else report.recorded_at.isoformat(),
            "can_record": report.can_record, "digest": report.digest,
            "members": [{"member": m.member, "counts": dict(m.counts), "values": text(m.values),
                         "recorded": text(m.recorded)} for m in report.members],
            "alliance_counts": dict(report.alliance_counts or {}), "alliance_values": text(report.alliance_values)}


def verification_document(found: Verification) -> dict[str, object]:
    return {"period": found.report.period, "ok": found.ok, "checked": found.checked,
            "differences": [{"member": d.member, "metric": d.metric, "recorded": str(d.recorded), "now": str(d.now),
                             "events_changed": d.events_changed, "trace_ok": d.trace_ok, "counted": d.counted}
                            for d in found.differences]}
