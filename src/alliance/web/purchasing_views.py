"""What a joint purchasing campaign's page shows, built from the service's views (pure but for the
page's language): the price chart, the split's lines, the organiser's actions, the charges with the
lines the reader may see, and how a moment and a unit price are written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency

from alliance.operations.purchasing.model import CampaignDetail, CampaignState, CampaignView, Position
from alliance.registry.model import Alliance
from alliance.web import charts
from alliance.web.i18n import N_

STATE_CLASSES = {"open": "status--forming", "succeeded": "status--active", "ordered": "status--active",
                 "delivered": "status--active", "closed_short": "status--dissolving", "expired": "status--dissolved",
                 "cancelled": "status--dissolved"}
CHARGE_KINDS = {"deposit": N_("Deposit"), "delivery": N_("Delivery %(n)s"), "deposit-return": N_("Deposits returned")}


def moment_text(value: datetime | None, alliance: Alliance, language: str) -> str:
    """A moment in the alliance's time zone, as the page's language writes it."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(ZoneInfo(alliance.timezone)), format="medium", locale=language)


def price_formatter(language: str, currency: str) -> Callable[[Decimal], str]:
    """A unit price as the page's language writes money, with its own decimals (up to 4) kept: "¥4.50", "¥3.1250"."""
    return lambda value: format_currency(value, currency, format="¤#,##0.00##", locale=language, currency_digits=False)


def price_chart(view: CampaignView, names: tuple[str, str, str]) -> dict[str, Any]:
    """Each quote's unit price as a step line over the aggregate quantity, the quantity committed so
    far marked by a vertical line (a chart's numbers only: the page says every figure as text)."""
    quantity_name, price_name, now_name = names
    last = max([t.min_quantity for q in view.quotes for t in q.tiers] + [view.quantity, view.minimum, 1])
    end = max(int(last * 1.25), last + 1)
    series = []
    for i, quote in enumerate(view.quotes):
        points = [[t.min_quantity, float(t.unit_price)] for t in quote.tiers]
        points.append([end, float(quote.tiers[-1].unit_price)])
        series.append({"type": "line", "name": quote.supplier, "step": "end", "data": points, "showSymbol": True,
                       "color": charts.PALETTE[i % len(charts.PALETTE)]})
    if series:
        series[0]["markLine"] = {"silent": True, "symbol": "none", "label": {"formatter": f"{now_name}: {view.quantity}"},
                                 "lineStyle": {"type": "dashed", "color": "#be123c"}, "data": [{"xAxis": view.quantity}]}
    return {"tooltip": {"trigger": "axis", "renderMode": "richText"},
            "legend": {"top": 0} if len(series) > 1 else {"show": False},
            "grid": {"left": 32, "right": 24, "top": 40, "bottom": 32, "containLabel": True},
            "xAxis": {"type": "value", "name": quantity_name, "nameLocation": "middle", "nameGap": 28, "min": 0, "max": end},
            "yAxis": {"type": "value", "name": price_name, "nameLocation": "middle", "nameGap": 40, "min": 0},
            "series": series}


@dataclass(frozen=True, slots=True)
class SplitLine:
    member: str
    name: str
    quantity: int
    alone: int
    savings: int
    fee: int
    pays: int


def split(detail: CampaignDetail, names: Mapping[str, str]) -> dict[str, Any] | None:
    """The split as the page shows it: one line per member the reader may see (cost alone − savings
    share + fee = pays, to the cent), and the totals for those who see every member."""
    outcome = detail.campaign.outcome
    if outcome is None:
        return None
    lines = []
    for p in detail.positions:
        if p.pays_minor is None or p.quantity <= 0:
            continue
        savings = p.savings_minor if p.savings_minor is not None else p.alone_minor - p.pays_minor
        fee = p.fee_minor if p.fee_minor is not None else p.pays_minor - p.alone_minor + savings
        lines.append(SplitLine(p.member, names.get(p.member, p.member), p.quantity, p.alone_minor, savings, fee,
                               p.pays_minor))
    return {"quantity": outcome.quantity, "price": outcome.unit_price, "lines": lines, "totals": detail.sees_all,
            "invoice": outcome.invoice_minor, "savings": sum(line.savings for line in lines), "fee": outcome.fee_minor,
            "alone_total": sum(line.alone for line in lines), "pays_total": sum(line.pays for line in lines)}


def actions(detail: CampaignDetail) -> list[str]:
    if not detail.may_manage:
        return []
    c = detail.campaign
    found = []
    if c.state is CampaignState.OPEN and c.due:
        found.append("close")
    if c.state is CampaignState.SUCCEEDED:
        found.append("order")
    if c.state is CampaignState.ORDERED:
        found += ["deliver", "close_short"] if c.delivered else ["deliver"]
    if c.state in (CampaignState.OPEN, CampaignState.SUCCEEDED, CampaignState.ORDERED) and not c.delivered:
        found.append("cancel")
    return found


def charges(detail: CampaignDetail, names: Mapping[str, str], alliance: Alliance, language: str,
             _: Callable[[str], str]) -> list[dict[str, Any]]:
    """The campaign's charges with the lines the service lets this reader see."""
    shown = []
    for charge in detail.charges:
        lines = [{"name": account_name(line.account, names), "rate": line.rate, "amount_minor": line.amount_minor}
                 for line in charge.lines]
        what = CHARGE_KINDS.get(charge.kind)
        shown.append({"id": charge.id, "title": charge.title, "booked_on": charge.booked_on, "lines": lines,
                      "what": (_(what) % {"n": charge.delivery or ""}) if what else "",
                      "when": moment_text(charge.created_at, alliance, language)})
    return shown


def account_name(account: str, names: Mapping[str, str]) -> str:
    """A member by its name and code; an outside account (a supplier) as it is booked."""
    return f"{names[account]} ({account})" if account in names else account


def own(position: Position, names: Mapping[str, str]) -> dict[str, Any]:
    return {"name": names.get(position.member, position.member), "quantity": position.quantity,
            "alone_price": position.alone_unit_price if position.quantity else None,
            "deposit_minor": position.deposit_minor}


def reached(tiers: Sequence[Any], tier: Any, quantity: int) -> bool:
    """Whether `tier` is the row that applies at `quantity` (the largest n ≤ quantity)."""
    applying = [t for t in tiers if t.min_quantity <= max(quantity, 1)]
    return bool(applying) and applying[-1] == tier and quantity > 0


def next_tier(c: CampaignView) -> tuple[int, Decimal] | None:
    if c.state is not CampaignState.OPEN or c.next_tier is None:
        return None
    at, price = c.next_tier
    return at - c.quantity, price
