"""The shared warehouse's words on its pages (共享云仓): units, periods, statuses, price lines and an
invoice line's explanation, said in the page's language from the engine's numbers (the engine's own
`pricing.explain` is the English, neutral-digit text that goes into statement lines).

Pure: every function takes the page's `gettext` (and a money formatter where it says amounts)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from alliance.operations.warehouse.model import Period, PriceLine, Status, Terms, Unit
from alliance.operations.warehouse.pricing import Combination, StayPrice
from alliance.web import charts
from alliance.web.i18n import N_

Say = Callable[[str], str]
MoneyText = Callable[[int], str]

UNIT_LABELS = {Unit.PALLET: N_("pallet positions"), Unit.M3: N_("m³"), Unit.M2: N_("m²")}
UNIT_CHOICES = {Unit.PALLET: N_("Pallet positions (托盘位)"), Unit.M3: N_("Cubic metres (m³)"),
                Unit.M2: N_("Square metres (m²)")}
PERIOD_FIELDS = {Period.DAY: N_("Price per day"), Period.WEEK: N_("Price per week (7 days)"),
                 Period.MONTH: N_("Price per month (30 days)")}
PERIOD_LINES = {Period.DAY: N_("%(price)s per unit per day"), Period.WEEK: N_("%(price)s per unit per week (7 days)"),
                Period.MONTH: N_("%(price)s per unit per month (30 days)")}
PERIOD_COUNTS = {Period.DAY: N_("%(n)d × day at %(price)s"), Period.WEEK: N_("%(n)d × week at %(price)s"),
                 Period.MONTH: N_("%(n)d × month at %(price)s")}
PERIOD_ONLY = {Period.DAY: N_("%(n)d × day"), Period.WEEK: N_("%(n)d × week"), Period.MONTH: N_("%(n)d × month")}
STATUS_LABELS = {Status.BOOKED: N_("Booked, not checked in yet"), Status.WAITLISTED: N_("On the waitlist"),
                 Status.CHECKED_IN: N_("Checked in"), Status.CHECKED_OUT: N_("Checked out"),
                 Status.CANCELLED: N_("Cancelled")}
PRIORITY_TEXT = N_("%(n)d (1 is the most urgent)")


@dataclass(frozen=True, slots=True)
class PriceText:
    period: str
    text: str


def unit_text(_: Say, unit: Unit | str) -> str:
    return _(UNIT_LABELS[Unit(unit)]) if unit in Unit.__members__.values() else str(unit)


def price_texts(_: Say, money: MoneyText, lines: Sequence[PriceLine]) -> list[PriceText]:
    """Each price line in words, the shortest period first."""
    ordered = sorted(lines, key=lambda line: line.period.days)
    return [PriceText(line.period.value, _(PERIOD_LINES[line.period]) % {"price": money(line.price_minor)})
            for line in ordered]


def stay_words(_: Say, money: MoneyText, price: StayPrice, terms: Terms, unit: str) -> str:
    """A stay's price in the page's language: "8 billable days = 1 × week at ¥60.00 + 1 × day at
    ¥10.00; 2 free days; × 3 pallet positions = ¥210.00" (and the surcharge when there is one)."""
    prices = {line.period: line.price_minor for line in terms.lines}
    # A stay billed under earlier prices: its lines are said by count alone (the amounts are the billed ones).
    priced = all(p in prices for p, _c in price.combination.counts) and \
        sum(prices[p] * c for p, c in price.combination.counts) * price.quantity == price.base_minor
    parts = [_(PERIOD_COUNTS[p]) % {"n": c, "price": money(prices[p])} if priced else _(PERIOD_ONLY[p]) % {"n": c}
             for p, c in price.combination.counts]
    said = _("1 billable day = %(parts)s") if price.billable == 1 else _("%(n)d billable days = %(parts)s")
    text = said % {"n": price.billable, "parts": " + ".join(parts) if parts else "0"}
    if price.free_days:
        text += _("; free days: %(n)d") % {"n": price.free_days}
    text += _("; × %(quantity)d %(unit)s") % {"quantity": price.quantity, "unit": unit}
    if price.surcharge_minor:
        text += _("; long-storage surcharge +%(percent)s%% on %(n)d days: %(amount)s") % {
            "percent": terms.surcharge_percent, "n": price.surcharge_days, "amount": money(price.surcharge_minor)}
    return text + _(" = %(total)s") % {"total": money(price.total_minor)}


def billed_price(detail: Any) -> StayPrice:
    """The stay's price as an invoice line kept it when its month was billed (`billing.StayDetail`)."""
    counts = tuple((Period(p), c) for p, c in detail.combination)
    per_unit = detail.base_minor // detail.quantity if detail.quantity else 0
    return StayPrice(detail.days, detail.free_days, detail.billable_days, detail.quantity,
                     Combination(counts, per_unit), detail.base_minor, detail.surcharge_days, detail.surcharge_minor)


def occupancy_option(_: Say, capacity: int, booked: Sequence[int], own: Sequence[int] | None, unit: str,
                     labels: Sequence[str]) -> dict[str, Any]:
    """Stacked bars of the space booked on each day (the viewer's own apart when `own` is given) under
    the capacity, drawn as a dashed line."""
    series: dict[str, Sequence[Decimal | float | None]] = {}
    if own is None:
        series[_("Booked space")] = [float(t) for t in booked]
    else:
        series[_("Booked by others")] = [float(max(0, t - o)) for t, o in zip(booked, own, strict=True)]
        series[_("Your bookings")] = [float(o) for o in own]
    option = charts.bars(list(labels), series, stack=True, unit=unit)
    option["series"].append({"type": "line", "name": _("Total space"), "step": "middle", "showSymbol": False,
                             "data": [capacity] * len(labels), "lineStyle": {"type": "dashed"}})
    option["legend"] = {"top": 0}
    option["xAxis"]["axisLabel"] = {"interval": "auto"}
    return option
