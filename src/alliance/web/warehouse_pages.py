"""The shared warehouse (共享云仓) in the browser, for a coordinator and the members: the warehouses with
their space and idle rate; a new warehouse with its price lines; a warehouse's page with its
occupancy over the coming weeks (booked against capacity per day, the viewer's own bookings apart),
the booking form and, when the warehouse is full, the answer: the first full day, the offer to join
the waitlist and other members' storage space from the resource map; check-in and check-out for the
owner. A month's invoice is `web.warehouse_billing_pages`; the forms are read by `web.warehouse_form`.

The rules are `alliance.operations.warehouse.service`'s: who may book for whom, who checks in, who
bills, what a member sees of the others (the free space per day, never their bookings or lines).
These pages read the form, name each wrong field beside it (422, nothing stored) and put the
engine's numbers into words in the page's language (`web.warehouse_words`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Action
from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.money import Money
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.operations.warehouse import service
from alliance.operations.warehouse.model import OverCapacity, Status, Unit
from alliance.operations.warehouse.views import BookingView
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.sharing import attorneys
from alliance.web.forms import CHOOSE, FormView, PostedForm
from alliance.web.render import gettext_for, render, say_for
from alliance.web.viewer import PageViewer, Viewer
from alliance.web.warehouse_form import (
    FORM_FIELDS, IDLE_WEEKS, NOT_VALID, OCCUPYING, SAVED, WEEK_CHOICES, Shown, counted_days, from_day, idle_share,
    may_post, member_names, money_for, owner_options, posted_day, read_booking, read_warehouse, redirect, refusal_lines,
    shown, weeks_of,
)
from alliance.web.warehouse_words import (PERIOD_FIELDS, PRIORITY_TEXT, STATUS_LABELS, UNIT_CHOICES, occupancy_option,
                                          stay_words)

router = APIRouter(include_in_schema=False)


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

def _new_page(request: Request, store: Store, viewer: Viewer, code: str, *, status: int = 200,
              form: FormView | None = None, editing: Shown | None = None) -> HTMLResponse:
    """The warehouse form: empty for a new one, or `editing` one (its owner stays)."""
    _ = gettext_for(request)
    alliance = registry.get_alliance(store, code)
    owners = ([(editing.owner, f"{editing.owner_name} ({editing.owner})")] if editing is not None
              else owner_options(store, code, viewer, _))
    return render(request, "warehouse/new.html", status=status, alliance=alliance, section="warehouses",
                  form=form or FormView({"unit": Unit.PALLET.value, "free_days": "0",
                                         "owner": viewer.principal.member or ""}),
                  member_options=owners, editing=editing,
                  unit_options=[(u.value, _(text)) for u, text in UNIT_CHOICES.items()],
                  period_fields=[(p.value, _(text)) for p, text in PERIOD_FIELDS.items()])


@router.get("/alliances/{code}/warehouses/new", response_class=HTMLResponse)
def new_warehouse_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return _new_page(request, store, viewer, code)


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


# -- changing a warehouse ---------------------------------------------------------------------------------------

def warehouse_values(w: Shown) -> dict[str, str]:
    """A warehouse's fields as its form shows them (prices as amounts of its currency)."""
    prices = {p.period.value: Money(p.price_minor, w.currency).amount_text() for p in w.price_lines}
    surcharge = w.surcharge_percent > 0
    return {"name": w.name, "owner": w.owner, "location": w.location, "capacity": str(w.capacity),
            "unit": w.unit.value, **{f"price_{period}": text for period, text in prices.items()},
            "free_days": str(w.free_days), "surcharge_after": str(w.surcharge_after) if surcharge else "",
            "surcharge_percent": str(w.surcharge_percent) if surcharge else "", "active": "1" if w.active else ""}


@router.get("/alliances/{code}/warehouses/{number}/edit", response_class=HTMLResponse)
def edit_warehouse_page(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                        viewer: PageViewer) -> HTMLResponse:
    w = shown(request, service.warehouse(store, code, viewer.principal, number, clock), member_names(store, code))
    return _new_page(request, store, viewer, code, form=FormView(warehouse_values(w)), editing=w)


@router.post("/alliances/{code}/warehouses/{number}/edit", response_class=HTMLResponse)
async def edit_warehouse(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                         viewer: PageViewer) -> Response:
    """Change the warehouse's name, place, space, prices and terms, or close it for bookings; a space
    below what is booked on some day is named beside the space (nothing stored)."""
    posted = await PostedForm.read(request)

    def work() -> Response:
        _ = gettext_for(request)
        alliance = registry.get_alliance(store, code)
        w = shown(request, service.warehouse(store, code, viewer.principal, number, clock), member_names(store, code))
        posted.values["owner"] = w.owner  # the owner stays
        draft = read_warehouse(posted, alliance.currency, [w.owner])
        if draft is None:
            return _new_page(request, store, viewer, code, status=422, form=posted.view(request, [_(NOT_VALID)]),
                             editing=w)
        try:
            service.update_warehouse(store, code, viewer.principal, number,
                                     replace(draft, active=posted.values.get("active") == "1"), clock)
        except OverCapacity as exc:
            return _new_page(request, store, viewer, code, status=409, editing=w,
                             form=FormView(posted.values, {"capacity": say_for(request)(exc.message)}))
        except InvalidInput as exc:
            errors, lines = refusal_lines(say_for(request), exc, FORM_FIELDS["warehouse"])
            return _new_page(request, store, viewer, code, status=422, editing=w,
                             form=FormView(posted.values, errors, lines or [_(NOT_VALID)]))
        return redirect(code, f"/{number}", "warehouse")

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


def _rows(request: Request, w: Shown, bookings: Sequence[BookingView], names: dict[str, str], viewer: Viewer,
          code: str) -> list[Row]:
    _ = gettext_for(request)
    money = money_for(request, w.currency)
    may_book = may_post(viewer, "/alliances/{code}/warehouses/{number}/bookings/{booking}/cancel", code)
    rows = []
    for b in bookings:
        estimate = ""
        if b.price is not None and b.terms is not None and b.terms.lines and b.status is not Status.CANCELLED:
            estimate = stay_words(_, money, b.price, b.terms, w.unit_text)
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
    weeks = weeks_of(request.query_params.get("weeks", ""))
    start = from_day(request.query_params.get("from", ""), today)
    end = start + timedelta(days=7 * weeks - 1)
    free = service.availability(store, code, principal, number, start, end)
    days = [d.day for d in free.days]
    booked = [max(0, w.capacity - d.free) for d in free.days]
    bookings = service.bookings(store, code, principal, number)
    own_member = principal.member
    own = held_per_day([b for b in bookings if b.member == own_member], days) if own_member else None
    option = occupancy_option(_, w.capacity, booked, own, w.unit_text, [d.strftime("%m-%d") for d in days])
    rates = service.idle_rates(store, code, principal, number, clock, weeks=IDLE_WEEKS)
    options = booking_member_options(store, code, viewer, _, clock, owner=w.owner)
    may_book = may_post(viewer, "/alliances/{code}/warehouses/{number}/bookings", code) and w.active and any(value for value, _text in options)
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
                  overflow=overflow, refused_action=refused, priced=priced, may_edit=w.may_manage, may_bill=may_post(viewer, 
                      "/alliances/{code}/warehouses/{number}/billing", code),
                  saved=SAVED.get(request.query_params.get("saved", "")))


def booking_member_options(store: Store, code: str, viewer: Viewer, say: Callable[[str], str],
                           clock: Clock, *, owner: str | None = None) -> list[tuple[str, str]]:
    """Whom the viewer books for: its own member, and the members whose `operate` power of attorney it
    holds; the coordinator and a platform admin none without one (booking is a member's own step:
    policy.authorize_member_step). In a warehouse `owner` owns, the owner's accounts book for no other
    member (the member would pay their own: attorneys.refuse_self_dealing)."""
    operated = attorneys.operated_members(store, viewer.principal, code, clock)
    members = registry.list_members(store, code)
    allowed = {m for m in viewer.step_members(Action.BOOK_WAREHOUSE, code, [m.code for m in members], operated=operated)
               if owner is None or not attorneys.deals_with_itself(viewer.principal, m, {owner})}
    own = viewer.principal.member
    return ([] if own in allowed else [("", say(CHOOSE))]) + [(m.code, f"{m.legal_name} ({m.code})")
                                                              for m in members if m.code in allowed]


@router.get("/alliances/{code}/warehouses/{number}", response_class=HTMLResponse)
def warehouse_page(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                   viewer: PageViewer) -> HTMLResponse:
    """The warehouse's space and prices, its occupancy chart, the booking form and the bookings the
    viewer may see."""
    return _warehouse_page(request, store, clock, viewer, code, number)


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
    assert found.price is not None  # the service prices every quote
    words = stay_words(_, money_for(request, found.currency), found.price, w.terms, w.unit_text)
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


def _today(store: Store, code: str, clock: Clock) -> date:
    return local_today(clock, registry.get_alliance(store, code).timezone)


@router.post("/alliances/{code}/warehouses/{number}/bookings/{booking}/check-in", response_class=HTMLResponse)
async def check_in(request: Request, code: Code, number: Id, booking: Id, store: StoreDep, clock: ClockDep,
                   viewer: PageViewer) -> Response:
    def act(form: PostedForm) -> None:
        text = form.values.get("quantity", "").strip()
        quantity = int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
        service.check_in(store, code, viewer.principal, booking, posted_day(form, _today(store, code, clock)), clock,
                         quantity=quantity)

    return await _booking_act(request, store, clock, viewer, code, number, act, "checked_in")


@router.post("/alliances/{code}/warehouses/{number}/bookings/{booking}/check-out", response_class=HTMLResponse)
async def check_out(request: Request, code: Code, number: Id, booking: Id, store: StoreDep, clock: ClockDep,
                    viewer: PageViewer) -> Response:
    def act(form: PostedForm) -> None:
        service.check_out(store, code, viewer.principal, booking, posted_day(form, _today(store, code, clock)), clock)

    return await _booking_act(request, store, clock, viewer, code, number, act, "checked_out")


@router.post("/alliances/{code}/warehouses/{number}/bookings/{booking}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, code: Code, number: Id, booking: Id, store: StoreDep, clock: ClockDep,
                 viewer: PageViewer) -> Response:
    def act(_: PostedForm) -> None:
        service.cancel(store, code, viewer.principal, booking, clock)

    return await _booking_act(request, store, clock, viewer, code, number, act, "cancelled")
