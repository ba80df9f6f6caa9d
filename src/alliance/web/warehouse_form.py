"""The shared warehouse's pages' forms and common pieces: a warehouse as the pages show it, the
posted warehouse and booking read field by field (every wrong field at once, in the page's language),
a refusal's problems put beside their fields, the idle share over some weeks, the month and day
typed. Used by `web.warehouse_pages` and `web.warehouse_billing_pages`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.core.money import Money, MoneyError
from alliance.core.settings import get_settings
from alliance.edge.routes import PAGES
from alliance.operations.warehouse.model import Period, PriceLine, Status, Terms, Unit, WarehouseDraft
from alliance.operations.warehouse.views import WarehouseView
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.web.forms import CHOOSE, PostedForm
from alliance.web.i18n import N_, get_environment, request_locale
from alliance.web.render import gettext_for
from alliance.web.viewer import Viewer
from alliance.web.warehouse_words import price_texts, unit_text

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


def owner_options(store: Store, code: str, viewer: Viewer, say: Callable[[str], str]) -> list[tuple[str, str]]:
    """The members a warehouse may be created for: the coordinator any, a member's admin its own."""
    own = viewer.principal.member
    members = [m for m in registry.list_members(store, code) if own is None or m.code == own]
    return ([] if own else [("", say(CHOOSE))]) + [(m.code, f"{m.legal_name} ({m.code})") for m in members]


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


def read_booking(form: PostedForm) -> tuple[str, int, date, date, int] | None:
    member = form.text("member", 32)
    quantity = form.whole("quantity", 0, 10**9)  # the service names 0 and beyond the capacity
    starts_on = form.day("starts_on")
    ends_on = form.day("ends_on")
    priority = form.whole("priority", 1, 5)
    if not form.ok or quantity is None or starts_on is None or ends_on is None or priority is None:
        return None
    return member, quantity, starts_on, ends_on, priority


def weeks_of(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and int(text) in WEEK_CHOICES else DEFAULT_WEEKS


def from_day(text: str, today: date) -> date:
    try:
        found = date.fromisoformat(text.strip()[:10])
    except ValueError:
        return today
    return found if abs((found - today).days) <= 3660 else today


def posted_day(form: PostedForm, today: date) -> date:
    """The posted day (today when left blank); another text is refused by name."""
    text = form.values.get("day", "").strip()
    try:
        return date.fromisoformat(text) if text else today
    except ValueError:
        raise InvalidInput(Message("{text!r} is not a date (YYYY-MM-DD)", text=text[:40])) from None


def month_of(text: str) -> str | None:
    """"2026-11" as typed (a month from 2000 to 2999), or None."""
    text = text.strip()[:7]
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit() and 1 <= int(text[5:]) <= 12 \
            and 2000 <= int(text[:4]) <= 2999:
        return text
    return None


def previous_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
