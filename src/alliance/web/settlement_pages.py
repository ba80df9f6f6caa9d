"""Settlement in the browser: the month's calendar and trend, a day's statements, a member's
statement with downloads, the journal, settling a day and importing order lines.

Member roles see only their own member's figures: every list of accounts goes through
`Viewer.sees_member` (that is, `access.policy.authorize`) before it reaches a template.
"""

from __future__ import annotations

import calendar
import io
import json
import re
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from alliance.access.policy import Action
from alliance.edge.deps import ClockDep, Code, StoreDep, opened_stores
from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceError, InvalidInput, MemberNotFound, NotFound
from alliance.core.money import minor_digits
from alliance.core.messages import Message
from alliance.registry import service as registry
from alliance.registry.spreadsheets import write_table
from alliance.operations.charges import SOURCES
from alliance.settlement import service
from alliance.settlement.journal import beancount, to_csv
from alliance.settlement.corrections import parse_reference
from alliance.settlement.service_corrections import list_corrections
from alliance.settlement.unshared import UnsharedDay
from alliance.settlement.window import SettlementWindow, settlement_window
from alliance.store.facts import FactStoreError
from alliance.store.database import Store
from alliance.web import charts
from alliance.web.errors import EXPLANATIONS
from alliance.web.i18n import N_
from alliance.web.notices import departed_in_force
from alliance.web.render import is_htmx, render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)
Month = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


def _month_bounds(month: str | None, today: date) -> tuple[date, date]:
    first = date(int(month[:4]), int(month[5:7]), 1) if month else today.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _visible_accounts(viewer: Viewer, code: str, accounts: set[str], members: set[str]) -> list[str]:
    """Accounts the viewer may see: every one for alliance roles; a member role its own member only
    (non-member accounts, such as a growth fund, belong to the alliance, not to a member)."""
    return sorted(a for a in accounts if viewer.sees_member(code, a) and (a in members or viewer.principal.member is None))


def _decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_digits(currency))


@router.get("/alliances/{code}/settlement", response_class=HTMLResponse)
def settlement_calendar(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer,
                        month: Month = None, settled: Annotated[str | None, Query(max_length=10)] = None,
                        member: Annotated[str | None, Query(max_length=32)] = None) -> HTMLResponse:
    return _calendar(request, code, store, clock, viewer, month, settled, member=member or None)


def _calendar(request: Request, code: str, store: Store, clock: Clock, viewer: Viewer, month: str | None,
              settled: str | None, *, member: str | None = None, settle_error: str | None = None,
              day_asked: str | None = None, status: int = 200, unshared: UnsharedDay | None = None) -> HTMLResponse:
    """The month's calendar; with `settle_error` (or `unshared`, the question whether to close a day
    with nothing shared), after a settle form posted without htmx."""
    context = _calendar_context(request, code, store, clock, viewer, month, member)
    # Rulings' corrections the viewer may read (a member's people: their member's transfers only).
    corrections = list_corrections(store, code, viewer.principal)
    return render(request, "settlement/calendar.html", status=status, section="settlement", settled=settled,
                  settle_error=settle_error, day_asked=day_asked, unshared=unshared, month=month,
                  corrections=corrections, **context)


def _calendar_context(request: Request, code: str, store: Store, clock: Clock, viewer: Viewer, month: str | None,
                      member: str | None = None) -> dict[str, Any]:
    """What the calendar card and the settle form's day field show (also after a run, out of band)."""
    alliance = registry.get_alliance(store, code)
    today = local_today(clock, alliance.timezone)
    first, last = _month_bounds(month, today)
    try:
        with opened_stores(request) as stores:
            window = settlement_window(stores, code, clock)
    except FactStoreError:  # another process holds the order lines: the calendar still shows
        window = SettlementWindow(None, today - timedelta(days=1))
    period = service.period_totals(store, code, first, last)
    members = {m.code: m for m in registry.list_members(store, code, include_left=True)}
    accounts = {a for nets in period.nets.values() for a in nets}
    visible = _visible_accounts(viewer, code, accounts, set(members))
    if member is not None:  # one member's days (from its profile page), if the viewer may see them
        if member not in members or not viewer.sees_member(code, member):
            raise MemberNotFound(code, member)
        visible = [a for a in visible if a == member]
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    # A day before the first one the alliance can settle never will be: not "open" forever.
    states = {d: ("settled" if d in period.runs else "failed" if d in period.failures
                  else "never" if window.first is not None and d < window.first else "open" if d < today
                  else "future") for d in days}
    trend = charts.lines(
        [d.isoformat()[5:] for d in days],
        {(members[a].legal_name if a in members else a): [
            _decimal(period.nets[d][a], period.currency) if d in period.nets and a in period.nets[d] else None
            for d in days] for a in visible},
        unit=period.currency,
    )
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    following = (last + timedelta(days=1)).strftime("%Y-%m")
    return dict(alliance=alliance, first=first, last=last, weeks=weeks, states=states, runs=period.runs,
                failures=period.failures, today=today, trend=trend, has_trend=bool(visible and period.runs),
                previous=previous, following=following, yesterday=today - timedelta(days=1),
                next_day=window.next, first_day=window.first,
                may_settle=viewer.may(Action.MANAGE_ALLIANCE, code), may_import=viewer.may(Action.IMPORT_ORDERS, code),
                may_journal=viewer.may(Action.READ_FINANCE, code),
                departed=departed_in_force(store, code, today, viewer), names={c: m.legal_name for c, m in members.items()},
                only=members[member] if member else None)


@router.post("/alliances/{code}/settlement", response_class=HTMLResponse)
async def settle_day(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    """Settle one business day. Runs in a worker thread: the server keeps answering other pages."""
    form = await request.form()
    text = str(form.get("day", "")).strip()
    allow_unshared = form.get("allow_unshared") in ("1", "on", "true")
    month = str(form.get("month", ""))
    month = month if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month) else None

    def refreshed() -> dict[str, Any]:
        # The calendar card and the day field of the page the form is on, swapped in out of band:
        # the day just closed (or just failed) shows as such, and the field offers the next day.
        return {**_calendar_context(request, code, store, clock, viewer, month), "refresh": True, "month": month}

    async def refused(status: int, error: str | None, error_code: str = "",
                      unshared: UnsharedDay | None = None) -> HTMLResponse:
        if is_htmx(request):
            return render(request, "fragments/settle_result.html", status=status, error=error, result=None,
                          explanation=EXPLANATIONS.get(error_code), unshared=unshared,
                          **await run_in_threadpool(refreshed))
        # A plain form post (no script): the whole calendar again, the error (or the question) beside the form.
        return await run_in_threadpool(lambda: _calendar(
            request, code, store, clock, viewer, month, None, settle_error=error, day_asked=text[:10],
            status=status, unshared=unshared))

    try:
        day = date.fromisoformat(text)
    except ValueError:
        return await refused(422, N_("Enter the business day as YYYY-MM-DD."))

    def run() -> service.SettlementResult:
        with opened_stores(request) as stores:
            return service.settle(stores, code, day, viewer.principal.actor, clock, allow_unshared=allow_unshared)

    try:
        result = await run_in_threadpool(run)
    except UnsharedDay as exc:
        # Not an error: a question. The day stays open until the coordinator confirms.
        return await refused(exc.status, None, exc.code, unshared=exc)
    except AllianceError as exc:
        return await refused(exc.status, exc.message, exc.code)
    target = f"/alliances/{code}/settlement/{result.day.isoformat()}"
    if is_htmx(request):
        return render(request, "fragments/settle_result.html", error=None, result=result, target=target,
                      **await run_in_threadpool(refreshed))
    return RedirectResponse(target, status_code=303)


@router.get("/alliances/{code}/settlement/{day}", response_class=HTMLResponse)
def settled_day(request: Request, code: Code, day: date, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    totals = service.day_totals(store, code, day)
    if totals is None:
        raise NotFound(Message("{day} has not been settled for {alliance!r}", day=day.isoformat(), alliance=code))
    members = {m.code: m for m in registry.list_members(store, code, include_left=True)}
    visible = _visible_accounts(viewer, code, set(totals.accounts), set(members))
    rows = [(a, members.get(a), totals.accounts[a][0], totals.accounts[a][1]) for a in visible]
    option = charts.bars([members[a].legal_name if a in members else a for a in visible],
                         {day.isoformat(): [_decimal(totals.accounts[a][0], totals.currency) for a in visible]},
                         horizontal=True, unit=totals.currency, mark_zero=True)
    return render(request, "settlement/day.html", alliance=alliance, section="settlement", day=day, totals=totals,
                  rows=rows, chart=option, member_view=viewer.principal.member is not None,
                  departed=totals.departed if viewer.may(Action.READ_RECORDS, code) else [],
                  names={c: m.legal_name for c, m in members.items()})


@router.get("/alliances/{code}/settlement/{day}/members/{member}", response_class=HTMLResponse)
def member_statement(request: Request, code: Code, day: date, member: Code, store: StoreDep,
                     viewer: PageViewer) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    s = service.statement(store, code, member, day)
    try:
        company = registry.get_member(store, code, member).legal_name
    except AllianceError:
        company = member  # a non-member account, e.g. a growth fund
    # A ruling's correcting entries name it as "dispute 3, ruling proposal 12": said in the page's language.
    rulings = {l.correction_of: parse_reference(l.correction_of) for l in s.lines if l.correction_of}
    return render(request, "settlement/statement.html", alliance=alliance, section="settlement", day=day,
                  statement=s, member=member, company=company, rulings=rulings, charge_kinds=SOURCES)


@router.get("/alliances/{code}/settlement/{day}/members/{member}/download")
def download_statement(code: Code, day: date, member: Code, store: StoreDep, viewer: PageViewer,
                       format: Annotated[str, Query(pattern="^(csv|xlsx|json)$")] = "csv") -> Response:
    document = service.statement_document(code, member, service.statement(store, code, member, day))
    rows = service.statement_rows(document)
    name = f"statement-{code}-{member}-{day.isoformat()}"
    if format == "json":
        body = json.dumps(document, ensure_ascii=False, indent=2).encode()
        media = "application/json"
    else:
        buffer = io.BytesIO()
        write_table(buffer, format, service.STATEMENT_HEADER, rows)
        body = buffer.getvalue()
        media = "text/csv; charset=utf-8" if format == "csv" else \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'})


@router.get("/alliances/{code}/journal")
def download_journal(code: Code, store: StoreDep, viewer: PageViewer, first: Annotated[date, Query(alias="from")],
                     last: Annotated[date, Query(alias="to")],
                     format: Annotated[str, Query(pattern="^(beancount|csv)$")] = "beancount") -> Response:
    currency, entries = service.journal(store, code, first, last)
    text = beancount(code, currency, entries) if format == "beancount" else to_csv(entries)
    suffix = "beancount" if format == "beancount" else "csv"
    media = "text/plain; charset=utf-8" if format == "beancount" else "text/csv; charset=utf-8"
    name = f"journal-{code}-{first.isoformat()}-{last.isoformat()}.{suffix}"
    # The CSV opens in Excel: a BOM tells it UTF-8 (agreement and member codes may be Chinese), as
    # for statements; Beancount files stay plain UTF-8 for bean-check.
    body = text.encode("utf-8-sig") if format == "csv" else text.encode()
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/alliances/{code}/orders/import", response_class=HTMLResponse)
def orders_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    return render(request, "settlement/orders.html", alliance=alliance, section="settlement", report=None,
                  error=None)


ORDER_SUFFIXES = {".csv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".parquet": "parquet", ".jsonl": "jsonl",
                  ".ndjson": "jsonl"}


@router.post("/alliances/{code}/orders/import", response_class=HTMLResponse)
async def import_orders(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    """Store a file of order lines (all or nothing unless the user keeps the good lines)."""
    alliance = registry.get_alliance(store, code)
    form = await request.form()
    upload = form.get("file")
    template = "fragments/orders_result.html" if is_htmx(request) else "settlement/orders.html"
    if not isinstance(upload, UploadFile) or not upload.filename:
        return render(request, template, status=422, alliance=alliance, section="settlement", report=None,
                      error=N_("Choose a file of order lines (.csv, .xlsx, .parquet or .jsonl)."))
    fmt = ORDER_SUFFIXES.get(Path(upload.filename).suffix.lower())
    if fmt is None:
        return render(request, template, status=422, alliance=alliance, section="settlement", report=None,
                      error=N_("Order lines come as .csv, .xlsx, .parquet or .jsonl files."))
    keep_good = form.get("keep_good") == "on"

    def ingest() -> service.IngestReport:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload.{fmt}"  # the user's file name only in messages (shown_as)
            with path.open("wb") as out:
                upload.file.seek(0)
                while chunk := upload.file.read(1 << 20):
                    out.write(chunk)
            with opened_stores(request) as stores:
                return service.import_order_lines(stores, code, path, fmt, clock, all_or_nothing=not keep_good,
                                                  shown_as=Path(upload.filename or "orders").name[:200],
                                                  actor=viewer.principal.actor)

    try:
        report = await run_in_threadpool(ingest)
    except InvalidInput as exc:
        return render(request, template, status=422, alliance=alliance, section="settlement", report=None,
                      error=exc.message)
    status = 200 if report.kept and not report.rejected_count and not report.conflict_count else 422
    return render(request, template, status=status, alliance=alliance, section="settlement", report=report, error=None,
                  filename=upload.filename)

