"""The shared warehouse (共享云仓) in the browser, for a coordinator and the members: the warehouses with
their space and idle rate; a new warehouse with its price lines; a warehouse's page with its
occupancy over the coming weeks (booked against capacity per day, the viewer's own bookings apart),
the booking form and, when the warehouse is full, the answer: the first full day, the offer to join
the waitlist and other members' storage space from the resource map; check-in and check-out for the
owner; and a month's invoice, each line explaining itself (the owner and the coordinator see every
line, a member its own).

The rules are `alliance.operations.warehouse.service`'s: who may book for whom, who checks in, who
bills, what a member sees of the others (their totals per day, never their bookings or lines). These
pages read the form, name each wrong field beside it (422, nothing stored) and put the engine's
numbers into words in the page's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.money import Money, MoneyError, minor_digits
from alliance.core.settings import get_settings
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.operations.warehouse import service
from alliance.operations.warehouse.model import (OverCapacity, Period, PriceLine, Status, Terms, Unit,
                                                 WarehouseDraft)
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.web import charts
from alliance.web.forms import FormView, PostedForm
from alliance.web.i18n import N_, get_environment, request_locale
from alliance.web.render import gettext_for, render, say_for
from alliance.web.viewer import PageViewer, Viewer
from alliance.web.warehouse_words import (PERIOD_FIELDS, PRIORITY_TEXT, STATUS_LABELS, UNIT_CHOICES, month_share_words,
                                          price_texts, stay_words, unit_text)

router = APIRouter(include_in_schema=False)

IDLE_DAYS = 28  # the idle rate shown: the last four weeks
WEEK_CHOICES = (2, 4, 8, 12)
DEFAULT_WEEKS = 4
SAVED = {"warehouse": N_("The warehouse is saved."), "booked": N_("Booked."),
         "waitlisted": N_("The booking is on the waitlist; it is made as soon as space frees up."),
         "checked_in": N_("Checked in."), "checked_out": N_("Checked out."),
         "cancelled": N_("The booking is cancelled; the waitlist was offered the space."),
         "billed": N_("The month is billed: the lines go into the next settlement run.")}
NOT_VALID = N_("Nothing was saved: correct the fields marked below.")
NO_PRICE = N_("Fill in at least one price.")
NOT_AN_AMOUNT = N_("Enter an amount such as 60 or 12.50.")
NOT_A_PERCENT = N_("Enter a percentage such as 20 or 12.5.")
NOT_A_MONTH = N_("Enter a month as YYYY-MM.")
CHOOSE_MEMBER = N_("Choose a member.")
CHOOSE_UNIT = N_("Choose a unit.")
REFUSED = N_("Not done: %(why)s")


def _locale(request: Request) -> str:
    return request_locale(request, get_settings().default_locale).locale


def _money(request: Request, currency: str) -> Any:
    fmt = get_environment(_locale(request)).filters["money"]
    return lambda minor: fmt(minor, currency)


# -- the list -----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class WarehouseView:
    """A warehouse as the pages show it."""

    number: int
    name: str
    owner: str
    owner_name: str
    location: str
    capacity: int
    unit: str
    unit_text: str
    prices: list[Any]
    free_days: int
    surcharge_after: int | None
    surcharge_percent: Decimal
    active: bool
    idle: float | None


def _view(request: Request, w: Any, names: Mapping[str, str], currency: str, idle: Any = None) -> WarehouseView:
    _ = gettext_for(request)
    terms: Terms = w.terms
    return WarehouseView(
        w.number, w.name, w.owner, names.get(w.owner, w.owner), w.location, w.capacity, w.unit.value,
        unit_text(_, w.unit), price_texts(_, _money(request, currency), terms.lines), terms.free_days,
        terms.surcharge_after if terms.surcharge_percent > 0 else None, terms.surcharge_percent, w.active,
        None if idle is None else float(idle))


def _names(store: Store, code: str) -> dict[str, str]:
    return {m.code: m.legal_name for m in registry.list_members(store, code, include_left=True)}


@router.get("/alliances/{code}/warehouses", response_class=HTMLResponse)
def warehouses_page(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> HTMLResponse:
    """Every warehouse of the alliance with its capacity, prices and idle rate over the last four weeks."""
    alliance = registry.get_alliance(store, code)
    today = local_today(clock, alliance.timezone)
    names = _names(store, code)
    start = today - timedelta(days=IDLE_DAYS)
    rows = []
    for w in service.warehouses(store, code, viewer.principal):
        idle = service.idle_rate(store, code, viewer.principal, w.number, start, today - timedelta(days=1))
        rows.append(_view(request, w, names, alliance.currency, idle.rate))
    return render(request, "warehouse/list.html", alliance=alliance, section="warehouses", rows=rows,
                  idle_days=IDLE_DAYS, may_manage=service.may_create(viewer.principal, code),
                  saved=SAVED.get(request.query_params.get("saved", "")))


# -- a new warehouse -----------------------------------------------------------------------------------------

def _member_options(store: Store, code: str, _: Any, only: str | None = None) -> list[tuple[str, str]]:
    members = [m for m in registry.list_members(store, code) if only is None or m.code == only]
    choose = [] if only else [("", _("Choose…"))]
    return choose + [(m.code, f"{m.legal_name} ({m.code})") for m in members]


def _new_page(request: Request, store: Store, code: str, *, status: int = 200, form: FormView | None = None) -> HTMLResponse:
    _ = gettext_for(request)
    alliance = registry.get_alliance(store, code)
    return render(request, "warehouse/new.html", status=status, alliance=alliance, section="warehouses",
                  form=form or FormView({"unit": Unit.PALLET.value, "free_days": "0"}),
                  member_options=_member_options(store, code, _),
                  unit_options=[(u.value, _(text)) for u, text in UNIT_CHOICES.items()],
                  period_fields=[(p.value, _(text)) for p, text in PERIOD_FIELDS.items()])


@router.get("/alliances/{code}/warehouses/new", response_class=HTMLResponse)
def new_warehouse_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return _new_page(request, store, code)


def read_warehouse(form: PostedForm, currency: str, members: Sequence[str]) -> WarehouseDraft | None:
    """The posted warehouse, or None with every wrong field noted on `form`."""
    name = form.text("name", 200)
    location = form.text("location", 200, required=False)
    owner = form.pick("owner", {m: m for m in members}, CHOOSE_MEMBER)
    capacity = form.whole("capacity", 1, 10**9)
    unit = form.choice("unit", Unit, CHOOSE_UNIT)
    lines = []
    for period in Period:
        text = form.values.get(f"price_{period.value}", "").strip()
        if not text:
            continue
        try:
            price = Money.parse(text, currency)
        except MoneyError:
            form.fail(f"price_{period.value}", NOT_AN_AMOUNT)
            continue
        lines.append(PriceLine(period, price.minor))
    if not lines and not any(form.values.get(f"price_{p.value}", "").strip() for p in Period):
        form.fail("price_day", NO_PRICE)
    free_days = form.whole("free_days", 0, 3650) if form.values.get("free_days", "").strip() else 0
    after_text = form.values.get("surcharge_after", "").strip()
    percent_text = form.values.get("surcharge_percent", "").strip().rstrip("%").strip()
    after = form.whole("surcharge_after", 0, 3660) if after_text else 0
    percent = Decimal(0)
    if percent_text:
        try:
            percent = Decimal(percent_text)
            if not percent.is_finite():
                raise ArithmeticError
        except (ArithmeticError, ValueError):
            form.fail("surcharge_percent", NOT_A_PERCENT)
    if not form.ok or owner is None or capacity is None or unit is None or free_days is None or after is None:
        return None
    return WarehouseDraft(name, owner, location, capacity, unit, Terms(tuple(lines), free_days, after, percent))


PROBLEM_FIELDS = {"price_lines": "price_day", "period": "price_day", "price": "price_day"}


def problem_errors(say: Any, exc: InvalidInput, fields: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """A refusal's problems beside their fields (a price line's beside its period's price); the rest as lines."""
    errors: dict[str, str] = {}
    lines: list[str] = []
    for p in exc.problems:
        name = PROBLEM_FIELDS.get(p.field, p.field)
        where = str(p.where)
        for period in Period:
            if p.field in ("price", "period") and f"price line" in where:
                name = name  # the line's number is its order among the filled periods; the first price field is marked
        if name in fields:
            errors.setdefault(name, say(p.reason))
        else:
            lines.append(say(p.text()))
    if not exc.problems:
        lines.append(say(exc.message))
    return errors, lines


WAREHOUSE_FIELDS = ("name", "owner", "location", "capacity", "unit", "price_day", "price_week", "price_month",
                    "free_days", "surcharge_after", "surcharge_percent")


@router.post("/alliances/{code}/warehouses/new", response_class=HTMLResponse)
async def create_warehouse(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    posted = await PostedForm.read(request)

    def work() -> Response:
        alliance = registry.get_alliance(store, code)
        members = [m.code for m in registry.list_members(store, code)]
        draft = read_warehouse(posted, alliance.currency, members)
        if draft is None:
            view = posted.view(request, [gettext_for(request)(NOT_VALID)])
            return _new_page(request, store, code, status=422, form=view)
        try:
            number = service.create_warehouse(store, code, viewer.principal, draft, clock)
        except InvalidInput as exc:
            errors, lines = problem_errors(say_for(request), exc, WAREHOUSE_FIELDS)
            return _new_page(request, store, code, status=422,
                             form=FormView(posted.values, errors, lines or [gettext_for(request)(NOT_VALID)]))
        return RedirectResponse(f"/alliances/{code}/warehouses/{number}?saved=warehouse", status_code=303)

    return await run_in_threadpool(work)


# -- a warehouse: occupancy, booking, check-in and check-out ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class Suggestion:
    member: str
    name: str
    description: str
    capacity: Decimal | None
    unit: str
    region: str


@dataclass(frozen=True, slots=True)
class Overflow:
    """The answer to a booking that does not fit."""

    first_full_day: date
    free: int
    asked: int
    suggestions: Sequence[Suggestion]


@dataclass(frozen=True, slots=True)
class BookingRow:
    id: int
    member: str
    member_name: str
    quantity: int
    starts_on: date
    ends_on: date
    priority: int
    status: str
    status_text: str
    checked_in_on: date | None
    checked_out_on: date | None
    actual_quantity: int | None
    may_check_in: bool
    may_check_out: bool
    may_cancel: bool
    default_in: str
    default_out: str


def _week_count(text: str) -> int:
    return int(text) if text.isdigit() and int(text) in WEEK_CHOICES else DEFAULT_WEEKS


def _from_day(text: str, today: date) -> date:
    try:
        found = date.fromisoformat(text.strip()[:10])
    except ValueError:
        return today
    return found if abs((found - today).days) <= 3660 else today


def occupancy_option(_: Any, days: Sequence[date], capacity: int, total: Sequence[int], own: Sequence[int] | None,
                     unit: str, labels: Sequence[str]) -> dict[str, Any]:
    """Stacked bars of the space booked per day (the viewer's own apart when given) and the capacity as a line."""
    series: dict[str, Sequence[Decimal | float | None]] = {}
    if own is None:
        series[_("Booked")] = [float(t) for t in total]
    else:
        series[_("Booked by others")] = [float(t - o) for t, o in zip(total, own, strict=True)]
        series[_("Your bookings")] = [float(o) for o in own]
    option = charts.bars(list(labels), series, stack=True, unit=unit)
    option["series"].append({"type": "line", "name": _("Capacity"), "step": "middle", "showSymbol": False,
                             "data": [capacity] * len(days), "lineStyle": {"type": "dashed"}})
    option["legend"] = {"top": 0}
    option["xAxis"]["axisLabel"] = {"interval": "auto"}
    return option
