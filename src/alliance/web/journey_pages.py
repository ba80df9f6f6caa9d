"""Customer-journey metrics (客户旅程指标) in the browser, in the data-sharing section: for a month, each
member's repurchase rate, cross-member purchase rate, referral coefficient and user assets with the
counts each is measured from (numerator and denominator: anyone can trace a value), the alliance's
row, whether each value is recorded as a period metric (and whether the recorded one differs); the
formulas in the reader's language; a chart of the recorded values over the months, one metric at a
time; and the coordinator's button that records the month's values as period metrics.

The figures and the rules are `alliance.datashare.journeys`'s: a month not yet ended, a period that
is not YYYY-MM, or a recording that would change a recorded value is refused by the service, and the
page shows the refusal (nothing changes). Reading is every role of the alliance's (aggregate counts
only; no customer key leaves the fact store); recording is the coordinator's (`MANAGE_ALLIANCE`, as
recording period metrics from a file is). Another alliance's accounts get 404 (`access.policy`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from alliance.access.policy import Action
from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceError
from alliance.datashare.journeys import service
from alliance.datashare.journeys.metrics import METRICS, JourneyMetric
from alliance.edge.deps import ClockDep, Code, StoresDep
from alliance.registry import service as registry
from alliance.store.stores import Stores
from alliance.web import charts
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, is_htmx, render, say_for
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)

# What each count the fact store returns is, as the page names it beside a value (numerator and
# denominator of a rate; the count itself of user assets).
COUNT_LABELS: Mapping[str, str] = {
    "buyers": N_("Buyers"),
    "repeat_buyers": N_("Repeat buyers"),
    "cross_buyers": N_("Cross-member buyers"),
    "referrals": N_("Referral events"),
    "customers": N_("Active customers"),
    "events": N_("Events"),
}
ALL_RECORDED = N_("Every value of this month is recorded as a period metric already; a recorded value is never "
                  "changed.")
NO_EVENTS = N_("No customer events were shared for this month: there is nothing to record. Import the month's "
               "events first.")
MONTHS_OFFERED = 24  # the month picker lists this many ended months back from the last one
PERIOD_TEXT = 40  # a period from the URL or the picker is cut here before the service reads it


def _base(request: Request, code: str) -> str:
    return f"{request.scope.get('root_path', '')}/alliances/{code}/sharing/journeys"


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def last_ended_month(today: date) -> str:
    """The month before `today`'s (the last one that has ended in the alliance's time zone)."""
    return _month(today.replace(day=1) - timedelta(days=1))


def _months_back(today: date, count: int) -> list[str]:
    """The `count` ended months before `today`, the latest first."""
    months: list[str] = []
    day = today.replace(day=1)
    for _ in range(count):
        day = (day - timedelta(days=1)).replace(day=1)
        months.append(_month(day))
    return months


@dataclass(frozen=True, slots=True)
class Cell:
    """One metric of one member (or of the alliance) as the table shows it."""

    value: Decimal
    numerator: int | None
    denominator: int | None
    recorded: Decimal | None
    events_changed: bool = False  # the member's events changed since the value was recorded (verify)
    trace_ok: bool = True  # the value's trace agrees with it (verify); if not, the value is not vouched for

    @property
    def state(self) -> str:
        """Whether the value is recorded as a period metric: `no`; `yes` (as computed now); `changed`
        (the same value, though the member's events changed since); `differs` (another value)."""
        if self.recorded is None:
            return "no"
        if self.recorded != self.value or not self.trace_ok:
            return "differs"
        return "changed" if self.events_changed else "yes"


def _cell(metric: JourneyMetric, counts: Mapping[str, int] | None, value: Decimal, recorded: Decimal | None = None,
          found: service.Difference | None = None) -> Cell:
    numerator = metric.numerator(counts) if counts else None
    denominator = metric.denominator(counts) if counts else None
    return Cell(value, numerator, denominator, recorded, found is not None and found.events_changed,
                found is None or found.trace_ok)


def _tables(checked: service.Verification, companies: Mapping[str, str]) -> list[dict[str, Any]]:
    """Per metric: its rows (one per member, then the alliance's, never recorded) for the template."""
    report = checked.report
    found = {(d.member, d.metric): d for d in checked.differences}
    tables = []
    for name, metric in METRICS.items():
        rows = [{"member": m.member, "company": companies.get(m.member, m.member),
                 "cell": _cell(metric, m.counts, m.values[name], m.recorded.get(name), found.get((m.member, name)))}
                for m in report.members if name in m.values]
        whole = (None if report.alliance_counts is None  # the month as recorded: the alliance row is not
                 else _cell(metric, report.alliance_counts, report.alliance_values[name]))
        tables.append({"metric": metric, "rows": rows, "alliance": whole,
                       "numerator_label": COUNT_LABELS.get(metric.measure.numerator, metric.measure.numerator),
                       "denominator_label": (COUNT_LABELS.get(metric.measure.denominator, metric.measure.denominator)
                                             if metric.measure.denominator else None)})
    return tables


def _history_chart(request: Request, stores: Stores, code: str, clock: Clock, chosen: str) -> dict[str, Any] | None:
    """The recorded values of one metric over the months, a line per member (None: nothing recorded)."""
    recorded = service.history(stores, code, clock)
    periods = sorted(p for p, by_metric in recorded.items() if by_metric.get(chosen))
    if not periods:
        return None
    members = sorted({m for p in periods for m in recorded[p][chosen]})
    series = {m: [recorded[p][chosen].get(m) for p in periods] for m in members}
    gettext = gettext_for(request)
    return charts.lines(periods, series, unit=gettext(METRICS[chosen].title))


def _chosen(request: Request) -> str:
    """The metric the chart shows (`?metric=`; the first one by default)."""
    chosen = request.query_params.get("metric", "")[:40]
    return chosen if chosen in METRICS else next(iter(METRICS))


def _page(request: Request, stores: Stores, code: str, period: str, viewer: Viewer, clock: Clock, *,
          status: int = 200, checked: service.Verification | None = None, refused: str = "",
          refused_lines: Sequence[str] = ()) -> HTMLResponse:
    alliance = registry.get_alliance(stores.records, code)
    # The coordinator, the auditor and the platform see the month recounted (verify: what is recorded,
    # and whether the events changed since); a member's accounts see the month as recorded only
    # (`service.recorded`: a live recount would let a member probe whether a customer it knows bought
    # elsewhere).
    live = viewer.may(Action.READ_FINANCE, code)
    checked = checked or (service.verify if live else service.recorded)(stores, code, period, clock)
    report = checked.report
    companies = {m.code: m.legal_name for m in registry.list_members(stores.records, code, include_left=True)}
    chosen = _chosen(request)
    months = _months_back(local_today(clock, alliance.timezone), MONTHS_OFFERED)
    if report.period not in months:
        months = sorted({*months, report.period}, reverse=True)
    return render(request, "sharing/journeys.html", status=status, alliance=alliance, section="sharing",
                  report=report, period=report.period, tables=_tables(checked, companies), metrics=METRICS,
                  chosen=chosen, option=_history_chart(request, stores, code, clock, chosen), months=months,
                  journeys_base=_base(request, code), refused=refused, refused_lines=list(refused_lines),
                  recorded_now=request.query_params.get("recorded") == "1",
                  may_record=viewer.may(Action.MANAGE_ALLIANCE, code), import_member=viewer.own_member(code),
                  live=live)


@router.get("/alliances/{code}/sharing/journeys", response_class=HTMLResponse, response_model=None)
def journeys_page(request: Request, code: Code, stores: StoresDep, viewer: PageViewer, clock: ClockDep) -> Response:
    """The last ended month's metrics; the month picker (a plain GET form) goes to the month's own page."""
    picked = (request.query_params.get("period") or "").strip()[:PERIOD_TEXT]
    if picked:
        return RedirectResponse(f"{_base(request, code)}/{quote(picked, safe='')}", status_code=303)
    alliance = registry.get_alliance(stores.records, code)
    return _page(request, stores, code, last_ended_month(local_today(clock, alliance.timezone)), viewer, clock)


@router.get("/alliances/{code}/sharing/journeys/{period}", response_class=HTMLResponse)
def month_page(request: Request, code: Code, period: str, stores: StoresDep, viewer: PageViewer,
               clock: ClockDep) -> HTMLResponse:
    """One month's metrics (a period that is not an ended month YYYY-MM is the service's error page).

    A chart tab asks with htmx for the chart alone: it is drawn from the recorded values only, so
    switching metric never counts the month's events again."""
    period = period[:PERIOD_TEXT]
    if is_htmx(request):
        first, _last = service.month(period)
        alliance = registry.get_alliance(stores.records, code)
        chosen = _chosen(request)
        return render(request, "sharing/_journey_history.html", alliance=alliance, metrics=METRICS, chosen=chosen,
                      period=_month(first), journeys_base=_base(request, code),
                      option=_history_chart(request, stores, code, clock, chosen))
    return _page(request, stores, code, period, viewer, clock)


@router.post("/alliances/{code}/sharing/journeys/{period}", response_class=HTMLResponse, response_model=None)
def record_month(request: Request, code: Code, period: str, stores: StoresDep, viewer: PageViewer,
                 clock: ClockDep) -> Response:
    """Record the month's values as period metrics; a refusal shows the page again with it (nothing changes)."""
    period = period[:PERIOD_TEXT]
    say = say_for(request)
    # Recording a month whose every value is recorded already would change nothing: said as a
    # refusal (a second click, an old tab), not as a second success.
    checked = service.verify(stores, code, period, clock)
    # The page offers no recording for these (an old tab, a second click): zeros recorded for a
    # month nobody shared events of would steer every dynamic split by nothing.
    nothing = ALL_RECORDED if not checked.report.can_record else NO_EVENTS if checked.report.events == 0 else None
    if nothing is not None:
        return _page(request, stores, code, period, viewer, clock, status=409, checked=checked,
                     refused=gettext_for(request)(nothing))
    try:
        service.record(stores, code, period, viewer.principal.account, clock)
    except AllianceError as exc:
        return _page(request, stores, code, period, viewer, clock, status=exc.status, refused=say(exc.message),
                     refused_lines=[say(p.text()) for p in getattr(exc, "problems", ())])
    return RedirectResponse(f"{_base(request, code)}/{quote(period, safe='')}?recorded=1", status_code=303)
