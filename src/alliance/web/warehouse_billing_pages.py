"""A shared warehouse's month in the browser: the invoice once the month is billed, each line said
in the reader's language from the stay as it was billed (its days, the cheapest combination of price
lines, free days, surcharge, the month's share accrued day by day, corrections of earlier months);
the owner's accounts, the coordinator and the auditor see every line, a member its own. The
coordinator bills a month that is over (once: a second time is refused, 409)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.operations.warehouse import service
from alliance.operations.warehouse.views import InvoiceView
from alliance.registry import service as registry
from alliance.registry.model import Alliance
from alliance.store.database import Store
from alliance.web.forms import PostedForm
from alliance.web.render import gettext_for, render, say_for
from alliance.web.viewer import PageViewer, Viewer
from alliance.web.warehouse_form import SAVED, Shown, may_post, member_names, money_for, month_of, previous_month, shown
from alliance.web.warehouse_words import billed_price, stay_words

router = APIRouter(include_in_schema=False)


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
                             "days": line.stay_days, "price": stay_words(_, money, billed_price(detail), line.terms or w.terms,
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
