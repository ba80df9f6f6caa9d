"""Inventory turnover days (库存周转天数): how many days the stock on hand lasts at the period's rate of
sales, average stock units × days / units sold, over the days known so far (lower is better). The
formula is the inventory board's (operations.inventory.turnover): the average is over the member's
snapshot days in the period, units sold count refunds negative. Only members on the inventory board
(a live inventory view) that share their sales (a live sales view) have a reading; no snapshot in the
period, or nothing sold: no reading. The alliance: Σ the members' average stock × days / Σ their
units sold, over the members with a reading."""

from __future__ import annotations

from fractions import Fraction

from alliance.health.kpis.indicators.base import PLACES, IndicatorData, Reading, Readings, Window
from alliance.operations.inventory.turnover import average, decimal

CODE = "inventory_turnover_days"
SUMMARY = "average stock units × days / units sold in the period, over the inventory board's members (days)"


def compute(data: IndicatorData, window: Window) -> Readings:
    days = (window.as_of - window.start).days
    stock: dict[str, list[int]] = {}
    sold: dict[str, int] = {}
    for row in data.stock_days:
        if window.holds(row.day) and row.day < window.as_of:
            stock.setdefault(row.member, []).append(row.quantity)
    for sale in data.sold_days:
        if window.holds(sale.day) and sale.day < window.as_of:
            sold[sale.member] = sold.get(sale.member, 0) + sale.units
    found: Readings = {}
    counted: list[tuple[Fraction, int]] = []
    for member in data.members:
        mean = average(stock.get(member, []))
        units = sold.get(member, 0) if member in data.sales_shared else None
        if days <= 0 or mean is None or units is None or units <= 0:
            found[member] = Reading(None)
            continue
        counted.append((mean, units))
        found[member] = Reading(decimal(mean * days / units, PLACES), {"units_sold": units, "days": days})
    if counted:
        total_stock = sum((m for m, _ in counted), Fraction(0))
        total_sold = sum(u for _, u in counted)
        found[None] = Reading(decimal(total_stock * days / total_sold, PLACES),
                              {"units_sold": total_sold, "days": days, "members": len(counted)})
    else:
        found[None] = Reading(None)
    return found
