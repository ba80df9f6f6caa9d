"""The SQL of totals queries (`settlement.facts.TotalsQuery`) over the stored order lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alliance.settlement.facts import GROUP_COLUMNS, NOTHING_SEEN, Adjusting, Arrival, Window
from alliance.sharing.agreement import Selector
from alliance.store.facts import sql


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(sql.literal(v) for v in values)})"


def mark(after: int | None) -> int:
    return NOTHING_SEEN if after is None else after


def not_open(adjusting: Adjusting) -> str:
    """SQL leaving out the days an older version left open (dates are ours: literals are safe)."""
    if not adjusting.open_days:
        return ""
    return "AND business_day NOT IN (" + ", ".join(f"DATE '{d.isoformat()}'" for d in adjusting.open_days) + ")"


def after(op: str) -> str:
    """Whether a line arrived after (`>`) or by (`<=`) a watermark given as a parameter."""
    return f"epoch_us(ingested_at) {op} ?"


def window_where(window: Window, *, bounded: bool) -> tuple[list[str], list[Any]]:
    """The WHERE clauses (and their parameters) picking a window's lines (`bounded`: apply its
    `seen_by`)."""
    where = ["alliance = ?", "business_day BETWEEN ? AND ?"]
    parameters: list[Any] = [window.alliance, window.first_day, window.last_day]
    if window.arrival is not Arrival.ANY:
        seen = after(">" if window.arrival is Arrival.AFTER else "<=")
        parameters.append(window.mark)
        if window.or_day_before is not None:
            seen = f"({seen} OR business_day < ?)"
            parameters.append(window.or_day_before)
        where.append(seen)
    if bounded and window.seen_by is not None:
        where.append(after("<="))
        parameters.append(window.seen_by)
    return where, parameters


def totals_sql(sets: Sequence[tuple[str, ...]], selector: Selector, profit: bool, period: list[str]) -> str:
    """One aggregate over the lines a selector picks in a period: the sum of amounts (and costs)
    per key of each set.

    The selection is written as literals (member codes, channels and prefixes were validated with
    the agreement) so that DuckDB can push it into the scan.
    """
    where = list(period)
    if selector.seller:
        where.append(_in("seller", selector.seller))
    if selector.product_owner:
        where.append(_in("product_owner", selector.product_owner))
    if selector.channel:
        where.append(_in("channel", selector.channel))
    if selector.sku_prefix:
        where.append("(" + " OR ".join(f"starts_with(sku, {sql.literal(p)})" for p in selector.sku_prefix) + ")")
    used = {c for keys in sets for c in keys}
    columns = ", ".join(c if c in used else f"NULL::VARCHAR AS {c}" for c in GROUP_COLUMNS)
    cost = "sum(cost_minor)" if profit else "NULL"
    if len(sets) == 1:
        group = ", ".join(sets[0])
    else:
        group = "GROUPING SETS (" + ", ".join(f"({', '.join(keys)})" for keys in sets) + ")"
    return f"SELECT {columns}, sum(amount_minor), {cost} FROM order_lines WHERE {' AND '.join(where)} GROUP BY {group}"
