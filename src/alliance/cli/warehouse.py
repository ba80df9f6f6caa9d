"""`alliance warehouse ...`: the shared warehouse (operations.warehouse.service): warehouses and their
price lines, bookings with the waitlist, check-in and check-out, quotes, the monthly billing and the
idle rate. The command line acts as a platform admin, as the governance commands do; changes name the
OS user (or ALLIANCE_ACTOR). Booking is a member's own step: `book` names the user account acting with
--as USER, an admin of that member (cli.member_accounts). Amounts are printed in the alliance's currency."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from alliance.cli.governance import _operator
from alliance.cli.lazy import Deferred
from alliance.cli.member_accounts import MemberUserOpt, member_account
from alliance.cli.output import OutputFormat, console, emit, fails_cleanly, open_store
from alliance.core.clock import SystemClock
from alliance.core.money import Money

if TYPE_CHECKING:
    from alliance.operations.warehouse import service
else:
    service = Deferred("alliance.operations.warehouse.service")

warehouse_app = typer.Typer(help="The shared warehouse: warehouses and price lines, bookings and the waitlist, "
                                 "check-in and check-out, quotes, monthly billing, idle rate.", no_args_is_help=True)

AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")]
NumberArg = Annotated[int, typer.Argument(help="The warehouse's number.")]
BookingArg = Annotated[int, typer.Argument(help="The booking's number.")]
DayOpt = Annotated[str, typer.Option("--on", help="The day, YYYY-MM-DD.")]


def _money(minor: int, currency: str) -> str:
    return Money(minor, currency).amount_text()


def _day(text: str, option: str) -> date:
    from alliance.core.errors import InvalidInput, Problem
    from alliance.core.messages import Message

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(Message("{option} {text!r} is not a date (YYYY-MM-DD)", option=option, text=text),
                           [Problem(option, "", Message("a date as YYYY-MM-DD"))]) from None


def _record(view: Any) -> dict[str, Any]:
    """A view as the API answers it (amounts as minor units and as text)."""
    from alliance.operations.warehouse.records import as_json

    return as_json(view)


def _warehouse_options(name: str | None, owner: str | None, location: str | None, capacity: str | None,
                       unit: str | None, day: str | None, week: str | None, month: str | None, free_days: str | None,
                       surcharge_after: str | None, surcharge_percent: str | None) -> dict[str, Any]:
    return {"name": name, "owner": owner, "location": location, "capacity": capacity, "unit": unit,
            "price_day": day, "price_week": week, "price_month": month, "free_days": free_days,
            "surcharge_after": surcharge_after, "surcharge_percent": surcharge_percent}


@warehouse_app.command("add")
@fails_cleanly
def add(alliance: AllianceOpt,
        name: Annotated[str, typer.Option("--name", help="The warehouse's name.")],
        owner: Annotated[str, typer.Option("--owner", help="The member that owns it and receives the billing.")],
        capacity: Annotated[str, typer.Option("--capacity", help="Capacity, a whole number of units.")],
        unit: Annotated[str, typer.Option("--unit", help="pallet, m3 or m2.")] = "pallet",
        location: Annotated[str, typer.Option("--location", help="Where it is.")] = "",
        day: Annotated[str | None, typer.Option("--day", help="Price per unit and day, e.g. 10.00.")] = None,
        week: Annotated[str | None, typer.Option("--week", help="Price per unit and week (7 days).")] = None,
        month: Annotated[str | None, typer.Option("--month", help="Price per unit and month (30 days).")] = None,
        free_days: Annotated[str, typer.Option("--free-days", help="Free days at the start of each stay.")] = "0",
        surcharge_after: Annotated[str, typer.Option("--surcharge-after",
                                                     help="Long-storage surcharge after this many days.")] = "0",
        surcharge_percent: Annotated[str, typer.Option("--surcharge-percent",
                                                       help="The surcharge, % on the days beyond.")] = "0",
        fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Add a warehouse with its price lines (at least one of --day, --week, --month)."""
    raw = _warehouse_options(name, owner, location, capacity, unit, day, week, month, free_days, surcharge_after,
                             surcharge_percent)
    view = service.save_warehouse(open_store(), alliance, _operator(), raw, SystemClock())
    _show_warehouses([view], fmt)


@warehouse_app.command("edit")
@fails_cleanly
def edit(number: NumberArg, alliance: AllianceOpt,
         name: Annotated[str | None, typer.Option("--name", help="The warehouse's name.")] = None,
         capacity: Annotated[str | None, typer.Option("--capacity", help="Capacity, a whole number of units.")] = None,
         unit: Annotated[str | None, typer.Option("--unit", help="pallet, m3 or m2.")] = None,
         location: Annotated[str | None, typer.Option("--location", help="Where it is.")] = None,
         day: Annotated[str | None, typer.Option("--day", help="Price per unit and day; \"\" removes the line.")]
         = None,
         week: Annotated[str | None, typer.Option("--week", help="Price per unit and week; \"\" removes it.")] = None,
         month: Annotated[str | None, typer.Option("--month", help="Price per unit and month; \"\" removes it.")]
         = None,
         free_days: Annotated[str | None, typer.Option("--free-days", help="Free days of each stay.")] = None,
         surcharge_after: Annotated[str | None, typer.Option("--surcharge-after", help="Surcharge after days.")]
         = None,
         surcharge_percent: Annotated[str | None, typer.Option("--surcharge-percent", help="Surcharge, %.")] = None,
         active: Annotated[bool | None, typer.Option("--active/--inactive", help="Take bookings or not.")] = None,
         fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Change a warehouse: the options given; the others stay."""
    store = open_store()
    now = service.warehouse(store, alliance, _operator(), number, SystemClock())
    prices = {line.period.value: _money(line.price_minor, now.currency) for line in now.price_lines}
    raw = {"name": now.name, "owner": now.owner, "location": now.location, "capacity": str(now.capacity),
           "unit": now.unit.value, "price_day": prices.get("day"), "price_week": prices.get("week"),
           "price_month": prices.get("month"), "free_days": str(now.free_days),
           "surcharge_after": str(now.surcharge_after), "surcharge_percent": str(now.surcharge_percent),
           "active": now.active}
    given = _warehouse_options(name, None, location, capacity, unit, day, week, month, free_days, surcharge_after,
                               surcharge_percent)
    raw.update({k: v for k, v in given.items() if v is not None})
    if active is not None:
        raw["active"] = active
    view = service.save_warehouse(store, alliance, _operator(), raw, SystemClock(), number=number)
    _show_warehouses([view], fmt)


def _show_warehouses(views: list[Any], fmt: OutputFormat) -> None:
    rows = [[v.number, v.name, v.owner, v.location, f"{v.capacity} {v.unit.value}", v.free_today,
             ", ".join(f"{p.period.value} {_money(p.price_minor, v.currency)}" for p in v.price_lines),
             v.free_days, f"{v.surcharge_percent}% after {v.surcharge_after}" if v.surcharge_percent else "",
             "yes" if v.active else "no"] for v in views]
    emit(fmt, ["number", "name", "owner", "location", "capacity", "free today", "prices", "free days",
               "surcharge", "active"], rows, [_record(v) for v in views], title="Warehouses")


@warehouse_app.command("list")
@fails_cleanly
def list_(alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """The alliance's warehouses, their prices and what is free today."""
    _show_warehouses(service.warehouses(open_store(), alliance, _operator(), SystemClock()), fmt)


def _show_bookings(views: list[Any], currency: str, fmt: OutputFormat, title: str) -> None:
    rows = [[b.number, b.warehouse, b.member, b.quantity, b.starts_on, b.ends_on, b.priority, b.status.value,
             b.waitlist_position or "", b.checked_in_on or "", b.checked_out_on or "",
             _money(b.estimate_minor, currency), b.estimate_text] for b in views]
    emit(fmt, ["number", "warehouse", "member", "quantity", "starts", "ends", "priority", "status", "waitlist",
               "in", "out", "estimate", "how"], rows, [_record(b) for b in views], title=title)


def _currency(alliance: str) -> str:
    from alliance.registry import service as registry

    return registry.get_alliance(open_store(), alliance).currency


@warehouse_app.command("book")
@fails_cleanly
def book(number: NumberArg, alliance: AllianceOpt, as_user: MemberUserOpt,
         quantity: Annotated[int, typer.Option("--quantity", help="Units of capacity.")],
         start: Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")],
         end: Annotated[str, typer.Option("--end", help="Last day (inclusive), YYYY-MM-DD.")],
         priority: Annotated[int, typer.Option("--priority", help="1 (high) to 5 (low), for the waitlist.")] = 3,
         waitlist: Annotated[bool, typer.Option("--waitlist", help="If it does not fit, join the waitlist.")] = False,
         note: Annotated[str, typer.Option("--note", help="A note.")] = "",
         member: Annotated[str | None, typer.Option("--member", help="The member the space is for (default: the "
                                                                     "member of --as).")] = None,
         fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Book space for a member, as --as (one of its admin accounts); over capacity: the first full day and other
    members' space, or the waitlist."""
    store = open_store()
    acting = member_account(store, as_user, alliance)
    outcome = service.book(store, alliance, acting, number, member or acting.member or "", quantity,
                           _day(start, "--start"), _day(end, "--end"), SystemClock(), priority=priority,
                           waitlist=waitlist, note=note)
    _show_bookings([outcome.booking], _currency(alliance), fmt, "Booking")
    if outcome.full_on is not None and fmt is OutputFormat.TABLE:
        console.print(f"Full on {outcome.full_on}: waitlisted at position {outcome.booking.waitlist_position}.",
                      highlight=False)


@warehouse_app.command("bookings")
@fails_cleanly
def bookings(alliance: AllianceOpt,
             warehouse: Annotated[int | None, typer.Option("--warehouse", help="One warehouse's.")] = None,
             member: Annotated[str | None, typer.Option("--member", help="One member's.")] = None,
             fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Bookings, newest first, with the waitlist position and the stay's price."""
    found = service.bookings(open_store(), alliance, _operator(), warehouse, member=member)
    _show_bookings(found, _currency(alliance), fmt, "Bookings")


def _outcome(alliance: str, outcome: Any, fmt: OutputFormat, title: str) -> None:
    _show_bookings([outcome.booking, *outcome.promoted], _currency(alliance), fmt, title)
    if outcome.promoted and fmt is OutputFormat.TABLE:
        console.print("Promoted from the waitlist: " + ", ".join(str(b.number) for b in outcome.promoted),
                      highlight=False)


@warehouse_app.command("cancel")
@fails_cleanly
def cancel(booking: BookingArg, alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Cancel a booking (or a waitlist entry); the waitlist is offered the space."""
    _outcome(alliance, service.cancel(open_store(), alliance, _operator(), booking, SystemClock()), fmt, "Cancelled")


@warehouse_app.command("check-in")
@fails_cleanly
def check_in(booking: BookingArg, alliance: AllianceOpt, on: DayOpt,
             quantity: Annotated[int | None, typer.Option("--quantity", help="Actual units, if not as booked.")]
             = None, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Record the actual arrival of a booking."""
    view = service.check_in(open_store(), alliance, _operator(), booking, _day(on, "--on"), SystemClock(),
                            quantity=quantity)
    _show_bookings([view], _currency(alliance), fmt, "Checked in")


@warehouse_app.command("check-out")
@fails_cleanly
def check_out(booking: BookingArg, alliance: AllianceOpt, on: DayOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Record the actual departure; billing then uses the actual days."""
    outcome = service.check_out(open_store(), alliance, _operator(), booking, _day(on, "--on"), SystemClock())
    _outcome(alliance, outcome, fmt, "Checked out")


@warehouse_app.command("quote")
@fails_cleanly
def quote(number: NumberArg, alliance: AllianceOpt,
          quantity: Annotated[int, typer.Option("--quantity", help="Units of capacity.")],
          start: Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")],
          end: Annotated[str, typer.Option("--end", help="Last day (inclusive), YYYY-MM-DD.")],
          fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """The price of a stay (the cheapest combination of price lines) and whether it fits; nothing stored."""
    q = service.quote(open_store(), alliance, _operator(), number, quantity, _day(start, "--start"), _day(end, "--end"))
    rows = [[q.days, q.billable_days, _money(q.total_minor, q.currency), "yes" if q.fits else f"no: full on {q.full_on}",
             q.text]]
    emit(fmt, ["days", "billable", "price", "fits", "how"], rows, _record(q), title=f"Quote, warehouse {number}")


@warehouse_app.command("bill")
@fails_cleanly
def bill(month: Annotated[str, typer.Argument(help="The month, YYYY-MM (over).")], alliance: AllianceOpt,
         warehouse: Annotated[int | None, typer.Option("--warehouse", help="Only this warehouse.")] = None,
         fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Bill a month: invoice lines per booking and one charge per warehouse for the next settlement run."""
    views = service.bill_month(open_store(), alliance, _operator(), month, SystemClock(), number=warehouse)
    _show_invoices(views, fmt)


def _show_invoices(views: list[Any], fmt: OutputFormat) -> None:
    rows = [[v.warehouse, v.month, line.booking, line.member, line.days_in_month, _money(line.month_minor, v.currency),
             _money(line.correction_minor, v.currency), _money(line.amount_minor, v.currency), line.explanation]
            for v in views for line in v.lines]
    emit(fmt, ["warehouse", "month", "booking", "member", "days", "month", "correction", "amount", "how"], rows,
         [_record(v) for v in views], title="Invoices")
    if fmt is OutputFormat.TABLE:
        for v in views:
            owner = "" if v.owner_minor is None else f"; the owner receives {_money(v.owner_minor, v.currency)}"
            console.print(f"{v.title}: total {_money(v.total_minor, v.currency)}{owner}; charge "
                          f"{v.charge_id or '-'}", highlight=False)


@warehouse_app.command("invoices")
@fails_cleanly
def invoices(alliance: AllianceOpt,
             warehouse: Annotated[int | None, typer.Option("--warehouse", help="One warehouse's.")] = None,
             month: Annotated[str | None, typer.Option("--month", help="One month, YYYY-MM.")] = None,
             fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Billed months with their self-explaining lines."""
    _show_invoices(service.invoices(open_store(), alliance, _operator(), warehouse, month=month), fmt)


@warehouse_app.command("idle")
@fails_cleanly
def idle(number: NumberArg, alliance: AllianceOpt,
         weeks: Annotated[int, typer.Option("--weeks", help="How many weeks back (1 to 53).")] = 4,
         fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """The idle rate per week: 1 − used unit-days / capacity unit-days."""
    found = service.idle_rates(open_store(), alliance, _operator(), number, SystemClock(), weeks=weeks)
    rows = [[v.start, v.end, v.used_unit_days, v.capacity_unit_days, f"{v.percent}%",
             "above 15%" if v.above_threshold else ""] for v in found]
    emit(fmt, ["from", "to", "used", "capacity", "idle", ""], rows, [_record(v) for v in found],
         title=f"Idle rate, warehouse {number}")
