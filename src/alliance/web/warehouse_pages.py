"""The shared warehouse (共享云仓) in the browser, for a coordinator and the members: the warehouses with
their space and idle rate; a new warehouse with its price lines; a warehouse's page with its
occupancy over the coming weeks (booked against capacity per day, the viewer's own bookings apart),
the booking form and, when the warehouse is full, the answer: the first full day, the offer to join
the waitlist and other members' storage space from the resource map; check-in and check-out for the
owner; and a month's invoice, each line explaining itself (the owner and the coordinator see every
line, a member its own).

The rules are `alliance.operations.warehouse.service`'s: who may book for whom, who checks in, who
bills, what a member sees of the others (the free space per day, never their bookings or lines).
These pages read the form, name each wrong field beside it (422, nothing stored) and put the
engine's numbers into words in the page's language (`web.warehouse_words`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.messages import Message
from alliance.core.money import Money, MoneyError
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.operations.warehouse import service
from alliance.operations.warehouse.model import OverCapacity, Period, PriceLine, Status, Terms, Unit, WarehouseDraft
from alliance.operations.warehouse.pricing import CostTable, stay_price
from alliance.operations.warehouse.views import BookingView, InvoiceView, WarehouseView
from alliance.registry import service as registry
from alliance.registry.model import Alliance
from alliance.store.database import Store
from alliance.web.forms import CHOOSE, FormView, PostedForm
from alliance.core.settings import get_settings
from alliance.web.i18n import N_, get_environment, request_locale
from alliance.web.render import gettext_for, render, say_for
from alliance.edge.routes import PAGES
from alliance.web.viewer import PageViewer, Viewer
from alliance.web.warehouse_words import (
    PERIOD_FIELDS, PRIORITY_TEXT, STATUS_LABELS, UNIT_CHOICES, billed_price, occupancy_option, price_texts, stay_words,
    unit_text,
)

router = APIRouter(include_in_schema=False)

IDLE_WEEKS = 4  # the idle rate shown: the last four weeks
WEEK_CHOICES = (2, 4, 8, 12)
DEFAULT_WEEKS = 4
OCCUPYING = (Status.BOOKED, Status.CHECKED_IN, Status.CHECKED_OUT)
SAVED = {"warehouse": N_("The warehouse is saved."), "booked": N_("Booked."),
         "waitlisted": N_("The booking is on the waitlist; it is made as soon as space frees up."),
         "checked_in": N_("Checked in."), "checked_out": N_("Checked out."),
         "cancelled": N_("The booking is cancelled; the waitlist was offered the space."),
         "billed": N_("The month is billed: its lines go into the next settlement run.")}
NOT_VALID = N_("Nothing was saved: correct the fields marked below.")
NO_PRICE = N_("Fill in at least one price.")
NOT_AN_AMOUNT = N_("Enter an amount such as 60 or 12.50.")
NOT_A_PERCENT = N_("Enter a percentage such as 20 or 12.5.")
CHOOSE_MEMBER = N_("Choose a member.")
CHOOSE_UNIT = N_("Choose a unit.")
FORM_FIELDS = {"warehouse": ("name", "owner", "location", "capacity", "unit", "price_day", "price_week",
                             "price_month", "free_days", "surcharge_after", "surcharge_percent"),
               "booking": ("member", "quantity", "starts_on", "ends_on", "priority")}
# A problem's field as the service names it -> the form's field (price lines: beside the first price).
RENAMED = {"price_lines": "price_day", "period": "price_day", "price": "price_day"}


# -- shared pieces ------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Shown:
    """A warehouse as the pages show it: the service's view, its owner's name, its words."""

    view: WarehouseView
    owner_name: str
    unit_text: str
    prices: list[Any]
    terms: Terms

    def __getattr__(self, name: str) -> Any:  # number, name, capacity ... from the service's view
        return getattr(self.view, name)

    @property
    def surcharge(self) -> bool:
        return self.view.surcharge_percent > 0


def money_for(request: Request, currency: str) -> Callable[[int], str]:
    """Minor units as the page's language writes money (the templates' `money` filter)."""
    fmt = get_environment(request_locale(request, get_settings().default_locale).locale).filters["money"]
    return lambda minor: fmt(minor, currency)


def terms_of(w: WarehouseView) -> Terms:
    return Terms(tuple(PriceLine(p.period, p.price_minor) for p in w.price_lines), w.free_days, w.surcharge_after,
                 w.surcharge_percent)


def shown(request: Request, w: WarehouseView, names: dict[str, str]) -> Shown:
    _ = gettext_for(request)
    return Shown(w, names.get(w.owner, w.owner), unit_text(_, w.unit), price_texts(_, money_for(request, w.currency),
                                                                                   w.price_lines), terms_of(w))


def member_names(store: Store, code: str) -> dict[str, str]:
    return {m.code: m.legal_name for m in registry.list_members(store, code, include_left=True)}


def refusal_lines(say: Callable[[object], str], exc: InvalidInput, fields: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """A refusal's problems beside their form fields; those of no field as lines above the form."""
    errors: dict[str, str] = {}
    lines: list[str] = []
    for p in exc.problems:
        name = RENAMED.get(p.field, p.field)
        if name in fields:
            errors.setdefault(name, say(p.reason))
        else:
            lines.append(say(p.text()))
    if not exc.problems:
        lines.append(say(exc.message))
    return errors, lines


def may_post(viewer: Viewer, page: str, code: str) -> bool:
    """Whether the viewer may post to the page `page` (a path template of PAGES): forms show only
    when they would work (the service decides again)."""
    action = PAGES[("POST", page)]
    return action is None or viewer.may(action, code)


def redirect(code: str, path: str, saved: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/alliances/{code}/warehouses{path}?saved={saved}" + (f"#{anchor}" if anchor else ""),
                            status_code=303)


def counted_days(rates: Sequence[Any], capacity: int) -> int:
    """The days the idle rates count (those since the warehouse was added)."""
    return sum(r.capacity_unit_days for r in rates) // capacity if capacity else 0


def idle_share(rates: Sequence[Any]) -> Decimal | None:
    """The idle share over the weeks given (capacity unit-days not used / capacity unit-days)."""
    capacity = sum(r.capacity_unit_days for r in rates)
    if not capacity:
        return None
    used = sum(min(r.used_unit_days, r.capacity_unit_days) for r in rates)
    return Decimal(capacity - used) / Decimal(capacity)


# -- the list -----------------------------------------------------------------------------------------------

@router.get("/alliances/{code}/warehouses", response_class=HTMLResponse)
def warehouses_page(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> HTMLResponse:
    """Every warehouse of the alliance with its capacity, prices, free space today and idle rate."""
    alliance = registry.get_alliance(store, code)
    names = member_names(store, code)
    rows = []
    for w in service.warehouses(store, code, viewer.principal, clock):
        rates = service.idle_rates(store, code, viewer.principal, w.number, clock, weeks=IDLE_WEEKS)
        rows.append((shown(request, w, names), idle_share(rates), counted_days(rates, w.capacity)))
    return render(request, "warehouse/list.html", alliance=alliance, section="warehouses", rows=rows,
                  idle_days=7 * IDLE_WEEKS, may_create=viewer.may_open("/alliances/{code}/warehouses/new", code),
                  saved=SAVED.get(request.query_params.get("saved", "")))


# -- a new warehouse -----------------------------------------------------------------------------------------

def owner_options(store: Store, code: str, viewer: Viewer, say: Callable[[str], str]) -> list[tuple[str, str]]:
    """The members a warehouse may be created for: the coordinator any, a member's admin its own."""
    own = viewer.principal.member
    members = [m for m in registry.list_members(store, code) if own is None or m.code == own]
    return ([] if own else [("", say(CHOOSE))]) + [(m.code, f"{m.legal_name} ({m.code})") for m in members]


def _new_page(request: Request, store: Store, viewer: Viewer, code: str, *, status: int = 200,
              form: FormView | None = None) -> HTMLResponse:
    _ = gettext_for(request)
    alliance = registry.get_alliance(store, code)
    return render(request, "warehouse/new.html", status=status, alliance=alliance, section="warehouses",
                  form=form or FormView({"unit": Unit.PALLET.value, "free_days": "0",
                                         "owner": viewer.principal.member or ""}),
                  member_options=owner_options(store, code, viewer, _),
                  unit_options=[(u.value, _(text)) for u, text in UNIT_CHOICES.items()],
                  period_fields=[(p.value, _(text)) for p, text in PERIOD_FIELDS.items()])


@router.get("/alliances/{code}/warehouses/new", response_class=HTMLResponse)
def new_warehouse_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return _new_page(request, store, viewer, code)


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
        if text:
            try:
                lines.append(PriceLine(period, Money.parse(text, currency).minor))
            except MoneyError:
                form.fail(f"price_{period.value}", NOT_AN_AMOUNT)
    if not any(form.values.get(f"price_{p.value}", "").strip() for p in Period):
        form.fail("price_day", NO_PRICE)
    free_days = form.whole("free_days", 0, 3650) if form.values.get("free_days", "").strip() else 0
    after = form.whole("surcharge_after", 0, 3660) if form.values.get("surcharge_after", "").strip() else 0
    percent = Decimal(0)
    percent_text = form.values.get("surcharge_percent", "").strip().rstrip("%").strip()
    if percent_text:
        try:
            percent = Decimal(percent_text)
        except InvalidOperation:
            form.fail("surcharge_percent", NOT_A_PERCENT)
        else:
            if not percent.is_finite() or len(percent_text) > 12:
                form.fail("surcharge_percent", NOT_A_PERCENT)
    if not form.ok or owner is None or capacity is None or unit is None or free_days is None or after is None:
        return None
    return WarehouseDraft(name, owner, location, capacity, unit, Terms(tuple(lines), free_days, after, percent))


@router.post("/alliances/{code}/warehouses/new", response_class=HTMLResponse)
async def create_warehouse(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    """Save a new warehouse and open its page; every wrong field is named beside it (422, nothing stored)."""
    posted = await PostedForm.read(request)

    def work() -> Response:
        _ = gettext_for(request)
        alliance = registry.get_alliance(store, code)
        members = [m.code for m in registry.list_members(store, code)]
        draft = read_warehouse(posted, alliance.currency, members)
        if draft is None:
            return _new_page(request, store, viewer, code, status=422, form=posted.view(request, [_(NOT_VALID)]))
        try:
            created = service.create_warehouse(store, code, viewer.principal, draft, clock)
        except InvalidInput as exc:
            errors, lines = refusal_lines(say_for(request), exc, FORM_FIELDS["warehouse"])
            return _new_page(request, store, viewer, code, status=422,
                             form=FormView(posted.values, errors, lines or [_(NOT_VALID)]))
        return redirect(code, f"/{created.number}", "warehouse")

    return await run_in_threadpool(work)


# -- a warehouse: occupancy, booking, check-in and check-out ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class Overflow:
    """The answer to a booking that does not fit: the first full day, what was free on it, the
    quantity asked and other members' storage space."""

    first_full_day: date
    free: int
    asked: int
    suggestions: Sequence[Any]


@dataclass(frozen=True, slots=True)
class Row:
    """A booking in the table, with what the viewer may do to it and its price in words."""

    booking: BookingView
    member_name: str
    status_text: str
    estimate: str
    may_check_in: bool
    may_check_out: bool
    may_cancel: bool

    def __getattr__(self, name: str) -> Any:
        return getattr(self.booking, name)


def stay_of(b: BookingView) -> tuple[date, date]:
    """The days a booking holds (and is billed for): actual days once checked in, else the booked span."""
    start = b.checked_in_on or b.starts_on
    return start, b.checked_out_on or max(b.ends_on, start)


def held_per_day(bookings: Sequence[BookingView], days: Sequence[date]) -> list[int]:
    """The units the bookings hold on each day."""
    held = [0] * len(days)
    if not days:
        return held
    first = days[0]
    for b in bookings:
        if b.status not in OCCUPYING:
            continue
        start, end = stay_of(b)
        quantity = b.actual_quantity if b.actual_quantity is not None else b.quantity
        for i in range(max(0, (start - first).days), min(len(days), (end - first).days + 1)):
            held[i] += quantity
    return held


def _weeks(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and int(text) in WEEK_CHOICES else DEFAULT_WEEKS


def _from_day(text: str, today: date) -> date:
    try:
        found = date.fromisoformat(text.strip()[:10])
    except ValueError:
        return today
    return found if abs((found - today).days) <= 3660 else today


def _rows(request: Request, w: Shown, bookings: Sequence[BookingView], names: dict[str, str], viewer: Viewer,
          code: str) -> list[Row]:
    _ = gettext_for(request)
    money = money_for(request, w.currency)
    table = CostTable(w.terms.lines) if w.terms.lines else None
    may_book = may_post(viewer, "/alliances/{code}/warehouses/{number}/bookings/{booking}/cancel", code)
    rows = []
    for b in bookings:
        estimate = ""
        if table is not None and b.status is not Status.CANCELLED:
            start, end = stay_of(b)
            quantity = b.actual_quantity if b.actual_quantity is not None else b.quantity
            estimate = stay_words(_, money, stay_price((end - start).days + 1, quantity, w.terms, table), w.terms,
                                  w.unit_text)
        rows.append(Row(b, names.get(b.member, b.member), _(STATUS_LABELS[b.status]), estimate,
                        w.may_manage and b.status is Status.BOOKED,
                        w.may_manage and b.status is Status.CHECKED_IN,
                        may_book and b.status in (Status.BOOKED, Status.WAITLISTED)
                        and (w.may_manage or b.member == viewer.principal.member)))
    return rows


def _warehouse_page(request: Request, store: Store, clock: Clock, viewer: Viewer, code: str, number: int, *,
                    status: int = 200, form: FormView | None = None, overflow: Overflow | None = None,
                    refused: str = "", priced: Priced | None = None) -> HTMLResponse:
    _ = gettext_for(request)
    principal = viewer.principal
    alliance = registry.get_alliance(store, code)
    names = member_names(store, code)
    w = shown(request, service.warehouse(store, code, principal, number, clock), names)
    today = local_today(clock, alliance.timezone)
    weeks = _weeks(request.query_params.get("weeks", ""))
    start = _from_day(request.query_params.get("from", ""), today)
    end = start + timedelta(days=7 * weeks - 1)
    free = service.availability(store, code, principal, number, start, end)
    days = [d.day for d in free.days]
    booked = [max(0, w.capacity - d.free) for d in free.days]
    bookings = service.bookings(store, code, principal, number)
    own_member = principal.member
    own = held_per_day([b for b in bookings if b.member == own_member], days) if own_member else None
    option = occupancy_option(_, w.capacity, booked, own, w.unit_text, [d.strftime("%m-%d") for d in days])
    rates = service.idle_rates(store, code, principal, number, clock, weeks=IDLE_WEEKS)
    may_book = may_post(viewer, "/alliances/{code}/warehouses/{number}/bookings", code) and w.active
    options = booking_member_options(store, code, viewer, _)
    return render(request, "warehouse/detail.html", status=status, alliance=alliance, section="warehouses", w=w,
                  option=option, own_apart=own is not None, weeks=weeks, shown_from=start.isoformat(),
                  week_options=[(str(n), _("%(n)d weeks") % {"n": n}) for n in WEEK_CHOICES],
                  full_days=[d.day for d in free.days if d.free <= 0], least_free=free.least_free,
                  rows=_rows(request, w, bookings, names, viewer, code),
                  sees_all=w.may_manage or principal.member is None,  # the coordinator, the auditor, the owner
                  waitlist=[b for b in bookings if b.status is Status.WAITLISTED],
                  idle=idle_share(rates), idle_days=counted_days(rates, w.capacity),
                  weekly_idle=[r for r in rates if r.capacity_unit_days],  # the weeks since it was added
                  may_book=may_book, member_options=options, today=today.isoformat(),
                  priority_options=[(str(p), _(PRIORITY_TEXT) % {"n": p} if p == 1 else str(p)) for p in range(1, 6)],
                  form=form or FormView({"member": own_member or "", "priority": "3", "starts_on": today.isoformat()}),
                  overflow=overflow, refused_action=refused, priced=priced, may_bill=may_post(viewer, 
                      "/alliances/{code}/warehouses/{number}/billing", code),
                  saved=SAVED.get(request.query_params.get("saved", "")))


def booking_member_options(store: Store, code: str, viewer: Viewer, say: Callable[[str], str]) -> list[tuple[str, str]]:
    """Whom the viewer books for: its own member, or (the coordinator) any member."""
    return owner_options(store, code, viewer, say)


@router.get("/alliances/{code}/warehouses/{number}", response_class=HTMLResponse)
def warehouse_page(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                   viewer: PageViewer) -> HTMLResponse:
    """The warehouse's space and prices, its occupancy chart, the booking form and the bookings the
    viewer may see."""
    return _warehouse_page(request, store, clock, viewer, code, number)


def read_booking(form: PostedForm) -> tuple[str, int, date, date, int] | None:
    member = form.text("member", 32)
    quantity = form.whole("quantity", 0, 10**9)  # the service names 0 and beyond the capacity
    starts_on = form.day("starts_on")
    ends_on = form.day("ends_on")
    priority = form.whole("priority", 1, 5)
    if not form.ok or quantity is None or starts_on is None or ends_on is None or priority is None:
        return None
    return member, quantity, starts_on, ends_on, priority


@router.post("/alliances/{code}/warehouses/{number}/bookings", response_class=HTMLResponse)
async def book(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    """Book space; when the warehouse is full, say on which day first, offer the waitlist and show
    other members' storage (409, nothing stored); with "waitlist" ticked, join the waitlist."""
    posted = await PostedForm.read(request)

    def work() -> Response:
        _ = gettext_for(request)
        asked = read_booking(posted)
        if asked is None:
            return _warehouse_page(request, store, clock, viewer, code, number, status=422,
                                   form=posted.view(request, [_(NOT_VALID)]))
        member, quantity, starts_on, ends_on, priority = asked
        if posted.values.get("quote") == "1":  # the price first, nothing stored
            return _quote_page(request, store, clock, viewer, code, number, posted, quantity, starts_on, ends_on)
        try:
            outcome = service.book(store, code, viewer.principal, number, member, quantity, starts_on, ends_on, clock,
                                   priority=priority, waitlist=posted.values.get("waitlist") == "1")
        except OverCapacity as exc:
            found = Overflow(exc.full_on, exc.free, quantity, exc.suggestions)
            return _warehouse_page(request, store, clock, viewer, code, number, status=409,
                                   form=FormView(posted.values), overflow=found)
        except InvalidInput as exc:
            errors, lines = refusal_lines(say_for(request), exc, FORM_FIELDS["booking"])
            return _warehouse_page(request, store, clock, viewer, code, number, status=422,
                                   form=FormView(posted.values, errors, lines or [_(NOT_VALID)]))
        saved = "waitlisted" if outcome.booking.status is Status.WAITLISTED else "booked"
        return redirect(code, f"/{number}", saved, "bookings")

    return await run_in_threadpool(work)


@dataclass(frozen=True, slots=True)
class Priced:
    """A stay priced before it is booked: its total, its words, and the first full day if it does not fit."""

    total_minor: int
    words: str
    full_on: date | None


def _quote_page(request: Request, store: Store, clock: Clock, viewer: Viewer, code: str, number: int,
                posted: PostedForm, quantity: int, starts_on: date, ends_on: date) -> HTMLResponse:
    _ = gettext_for(request)
    try:
        found = service.quote(store, code, viewer.principal, number, quantity, starts_on, ends_on)
    except InvalidInput as exc:
        errors, lines = refusal_lines(say_for(request), exc, FORM_FIELDS["booking"])
        return _warehouse_page(request, store, clock, viewer, code, number, status=422,
                               form=FormView(posted.values, errors, lines or [_(NOT_VALID)]))
    w = shown(request, service.warehouse(store, code, viewer.principal, number, clock), member_names(store, code))
    price = stay_price(found.days, quantity, w.terms, CostTable(w.terms.lines))
    words = stay_words(_, money_for(request, found.currency), price, w.terms, w.unit_text)
    return _warehouse_page(request, store, clock, viewer, code, number, form=FormView(posted.values),
                           priced=Priced(found.total_minor, words, found.full_on))


async def _booking_act(request: Request, store: Store, clock: Clock, viewer: Viewer, code: str, number: int,
                       act: Callable[[PostedForm], Any], saved: str) -> Response:
    """Do `act`; a refusal (a state that does not allow it, a day out of range) is said above the page
    (with its status) and nothing is stored."""
    posted = await PostedForm.read(request)

    def work() -> Response:
        try:
            act(posted)
        except AllianceError as exc:
            if exc.status >= 500 or exc.status in (401, 403, 404):
                raise
            return _warehouse_page(request, store, clock, viewer, code, number, status=exc.status,
                                   refused=say_for(request)(exc.message))
        return redirect(code, f"/{number}", saved, "bookings")

    return await run_in_threadpool(work)


def _day(form: PostedForm, today: date) -> date:
    """The posted day (today when left blank); another text is refused by name."""
    text = form.values.get("day", "").strip()
    try:
        return date.fromisoformat(text) if text else today
    except ValueError:
        raise InvalidInput(Message("{text!r} is not a date (YYYY-MM-DD)", text=text[:40])) from None


def _today(store: Store, code: str, clock: Clock) -> date:
    return local_today(clock, registry.get_alliance(store, code).timezone)


@router.post("/alliances/{code}/warehouses/{number}/bookings/{booking}/check-in", response_class=HTMLResponse)
async def check_in(request: Request, code: Code, number: Id, booking: Id, store: StoreDep, clock: ClockDep,
                   viewer: PageViewer) -> Response:
    def act(form: PostedForm) -> None:
        text = form.values.get("quantity", "").strip()
        quantity = int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
        service.check_in(store, code, viewer.principal, booking, _day(form, _today(store, code, clock)), clock,
                         quantity=quantity)

    return await _booking_act(request, store, clock, viewer, code, number, act, "checked_in")


@router.post("/alliances/{code}/warehouses/{number}/bookings/{booking}/check-out", response_class=HTMLResponse)
async def check_out(request: Request, code: Code, number: Id, booking: Id, store: StoreDep, clock: ClockDep,
                    viewer: PageViewer) -> Response:
    def act(form: PostedForm) -> None:
        service.check_out(store, code, viewer.principal, booking, _day(form, _today(store, code, clock)), clock)

    return await _booking_act(request, store, clock, viewer, code, number, act, "checked_out")


@router.post("/alliances/{code}/warehouses/{number}/bookings/{booking}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, code: Code, number: Id, booking: Id, store: StoreDep, clock: ClockDep,
                 viewer: PageViewer) -> Response:
    def act(_: PostedForm) -> None:
        service.cancel(store, code, viewer.principal, booking, clock)

    return await _booking_act(request, store, clock, viewer, code, number, act, "cancelled")


# -- a month's billing ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class InvoiceRow:
    """An invoice line with the member's name and its explanation in the page's language."""

    booking: int
    member: str
    member_name: str
    days_in_month: int
    month_minor: int
    correction_minor: int
    amount_minor: int
    words: str  # in the page's language, from the stay as it was billed
    explanation: str  # the engine's words, as on the statement


def month_of(text: str) -> str | None:
    """"2026-11" as typed (a month from 2000 to 2999), or None."""
    text = text.strip()[:7]
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit() and 1 <= int(text[5:]) <= 12 \
            and 2000 <= int(text[:4]) <= 2999:
        return text
    return None


def previous_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def line_words(_: Callable[[str], str], money: Callable[[int], str], w: Shown, month: str, line: Any) -> str:
    """An invoice line in words, from the stay as it was billed: the booking's days and their price
    (cheapest combination, free days, surcharge, quantity), the days of the month and what they
    accrue, and a correction of earlier months."""
    parts = []
    if line.stay_start is not None and line.quantity is not None:
        start, end = line.stay_start, line.stay_end
        detail = _Detail(line)
        said = (_("Booking %(n)d, %(start)s (1 day): %(price)s") if start == end
                else _("Booking %(n)d, %(start)s – %(end)s (%(days)d days): %(price)s"))
        parts.append(said % {"n": line.booking, "start": start.isoformat(), "end": end.isoformat(),
                             "days": line.stay_days, "price": stay_words(_, money, billed_price(detail), w.terms,
                                                                         w.unit_text)})
        parts.append(_("%(month)s: %(days)d days, %(amount)s") % {
            "month": month, "days": line.days_in_month, "amount": money(line.month_minor)})
    else:
        parts.append(_("Booking %(n)d: cancelled") % {"n": line.booking})
    if line.correction_minor:
        parts.append(_("correction of earlier months: %(amount)s") % {"amount": money(line.correction_minor)})
    return _("; ").join(parts)


@dataclass(frozen=True, slots=True)
class _Detail:
    """An invoice line's kept stay, in the shape of `billing.StayDetail`."""

    line: Any

    def __getattr__(self, name: str) -> Any:
        renamed = {"days": "stay_days"}
        return getattr(self.line, renamed.get(name, name))


def invoice_rows(request: Request, w: Shown, invoice: InvoiceView, names: dict[str, str]) -> list[InvoiceRow]:
    _ = gettext_for(request)
    money = money_for(request, invoice.currency)
    return [InvoiceRow(line.booking, line.member, names.get(line.member, line.member), line.days_in_month,
                       line.month_minor, line.correction_minor, line.amount_minor,
                       line_words(_, money, w, invoice.month, line), line.explanation)
            for line in invoice.lines]


def _billing_page(request: Request, store: Store, clock: Clock, viewer: Viewer, code: str, number: int, *,
                  status: int = 200, month: str | None = None, refused: str = "") -> HTMLResponse:
    _ = gettext_for(request)
    principal = viewer.principal
    alliance: Alliance = registry.get_alliance(store, code)
    names = member_names(store, code)
    w = shown(request, service.warehouse(store, code, principal, number, clock), names)
    today = local_today(clock, alliance.timezone)
    typed = request.query_params.get("month", "")
    month = month or month_of(typed) or previous_month(today)
    month_errors = {"month": _("Enter a month as YYYY-MM.")} if typed and month_of(typed) is None else {}
    billed = service.invoices(store, code, principal, number)
    found = next((i for i in billed if i.month == month), None)
    rows = invoice_rows(request, w, found, names) if found else []
    return render(request, "warehouse/billing.html", status=status if not month_errors else 422, alliance=alliance,
                  section="warehouses", w=w, month=month, month_errors=month_errors, invoice=found, lines=rows,
                  billed_months=[i.month for i in billed], names=names, currency=w.currency,
                  sees_all=w.may_manage or principal.member is None,
                  may_bill=may_post(viewer, "/alliances/{code}/warehouses/{number}/billing", code),
                  month_over=month < today.strftime("%Y-%m"), refused_action=refused,
                  saved=SAVED.get(request.query_params.get("saved", "")))


@router.get("/alliances/{code}/warehouses/{number}/billing", response_class=HTMLResponse)
def billing_page(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                 viewer: PageViewer) -> HTMLResponse:
    """A month's invoice of the warehouse: every line for the owner and the coordinator, a member's own
    lines for a member, each explained; the coordinator bills a month that is over."""
    return _billing_page(request, store, clock, viewer, code, number)


@router.post("/alliances/{code}/warehouses/{number}/billing", response_class=HTMLResponse)
async def bill(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    """Bill the posted month (once: a second time, or a month not over, is said above the page, 409)."""
    posted = await PostedForm.read(request)

    def work() -> Response:
        month = month_of(posted.values.get("month", ""))
        try:
            if month is None:
                raise InvalidInput(Message("{text!r} is not a month (YYYY-MM)", text=posted.values.get("month", "")[:20]))
            service.bill_month(store, code, viewer.principal, month, clock, number=number)
        except AllianceError as exc:
            if exc.status >= 500 or exc.status in (401, 403, 404):
                raise
            return _billing_page(request, store, clock, viewer, code, number, status=exc.status, month=month,
                                 refused=say_for(request)(exc.message))
        return RedirectResponse(f"/alliances/{code}/warehouses/{number}/billing?month={month}&saved=billed#invoice",
                                status_code=303)

    return await run_in_threadpool(work)
