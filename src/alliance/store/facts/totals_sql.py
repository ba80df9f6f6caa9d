"""The SQL of totals queries (`settlement.facts.TotalsQuery`) over the stored order lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alliance.settlement.facts import GROUP_COLUMNS, NOTHING_SEEN, Adjusting, Arrival, Conversion, Window
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


def factors_sql(conversion: Conversion) -> str:
    """The conversion's factors as an inline relation f(day, currency, num, den) (dates, codes and
    integers of ours: literals are safe)."""
    rows = ", ".join(f"(DATE '{day.isoformat()}', {sql.literal(currency)}, {num}::HUGEINT, {den}::HUGEINT)"
                     for day, currency, num, den in conversion.factors) or \
        "(NULL::DATE, NULL::VARCHAR, NULL::HUGEINT, NULL::HUGEINT)"
    return f"(VALUES {rows}) AS f(day, currency, num, den)"


def _half_even(product: str) -> str:
    """SQL rounding `product / f.den` (HUGEINT, exact) half-even to an integer: on the magnitude,
    then the sign put back (half-even is symmetric: a refund converts to minus its sale)."""
    q, r = f"(abs({product}) // f.den)", f"(abs({product}) % f.den)"
    return f"sign({product}) * ({q} + CASE WHEN 2 * {r} > f.den OR (2 * {r} = f.den AND {q} % 2 = 1) THEN 1 ELSE 0 END)"


def converted(column: str, into: str) -> str:
    """SQL for a line's `column` (minor units of its currency) converted into `into`: as it is in
    `into`; else once, at its day's factor, rounded half-even; a line with no factor stops the
    query (settlement checks every rate first: this never guesses, nor drops a line)."""
    product = f"(CAST({column} AS HUGEINT) * f.num)"
    return (f"CASE WHEN l.currency = {sql.literal(into)} THEN CAST({column} AS HUGEINT) "
            f"WHEN f.num IS NULL THEN error('no exchange rate of ' || l.currency || ' for ' || "
            f"CAST(l.business_day AS VARCHAR)) ELSE {_half_even(product)} END")


def converted_lines(conversion: Conversion, where: list[str]) -> str:
    """The lines of a WHERE (over `l`) with `amount_c` (amount converted) and `profit_c` (amount less
    cost converted), each line converted once (see `settlement.facts.Conversion`)."""
    into = conversion.into
    return (f"SELECT l.*, {converted('l.amount_minor', into)} AS amount_c, "
            f"{converted('l.amount_minor - coalesce(l.cost_minor, 0)', into)} AS profit_c "
            f"FROM order_lines l LEFT JOIN {factors_sql(conversion)} "
            f"ON f.day = l.business_day AND f.currency = l.currency WHERE {' AND '.join(where)}")


def totals_sql(sets: Sequence[tuple[str, ...]], selector: Selector, profit: bool, period: list[str],
               conversion: Conversion | None = None) -> str:
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
    if len(sets) == 1:
        group = ", ".join(sets[0])
    else:
        group = "GROUPING SETS (" + ", ".join(f"({', '.join(keys)})" for keys in sets) + ")"
    if conversion is not None:
        cost = "sum(amount_c - profit_c)" if profit else "NULL"
        source = f"({converted_lines(conversion, where)})"  # (only `currency` is in both: no WHERE names it)
        return f"SELECT {columns}, sum(amount_c), {cost} FROM {source} GROUP BY {group}"
    cost = "sum(cost_minor)" if profit else "NULL"
    return f"SELECT {columns}, sum(amount_minor), {cost} FROM order_lines WHERE {' AND '.join(where)} GROUP BY {group}"
