"""The SQL of totals queries (`settlement.facts.TotalsQuery`) over the stored order lines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
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
    rows = ", ".join(f"(DATE '{day.isoformat()}', {sql.literal(currency)}, {num}, {den})"
                     for day, currency, num, den in conversion.factors) or "(NULL::DATE, NULL::VARCHAR, NULL, NULL)"
    return f"(VALUES {rows}) AS f(day, currency, num, den)"


# Up to this many days of factors are looked up with a CASE; more are joined.
FACTOR_CASE_DAYS = 3


def _factor_case(conversion: Conversion, part: int) -> str:
    """SQL picking a line's factor numerator (`part` 2) or denominator (3) by its day and currency
    with nested CASEs (NULL where the conversion has none)."""
    by_day: dict[date, list[tuple[str, int]]] = {}
    for factor in conversion.factors:
        by_day.setdefault(factor[0], []).append((factor[1], factor[part]))
    if not by_day:
        return "NULL"
    branches = " ".join(
        f"WHEN DATE '{day.isoformat()}' THEN CASE l.currency "
        + " ".join(f"WHEN {sql.literal(code)} THEN {value}" for code, value in found) + " END"
        for day, found in sorted(by_day.items()))
    return f"CASE l.business_day {branches} END"


def _half_even(product: str) -> str:
    """SQL rounding `product / den` half-even to an integer, exactly, from the columns `s_<product>`
    (its sign), `q_<product>` and `r_<product>` (quotient and remainder of its magnitude): half-even
    is symmetric, so a refund converts to minus its sale."""
    q, r = f"q_{product}", f"r_{product}"
    return f"s_{product} * ({q} + CASE WHEN 2 * {r} > den OR (2 * {r} = den AND {q} % 2 = 1) THEN 1 ELSE 0 END)"


# What a line converts: its amount (`a`), and its amount less cost (`p`, a profit rule's base).
_PRODUCTS = {"a": "amount_minor", "p": "amount_minor - coalesce(cost_minor, 0)"}


def _split(kind: str, inner: str, products: dict[str, str]) -> str:
    """SQL over `inner` (a relation with `num` and `den` of type `kind`): each of `products` times
    `num`, split once into its sign, the quotient and the remainder of its magnitude by `den` (the
    columns `_half_even` rounds from)."""
    multiplied = "SELECT *, " + ", ".join(f"CAST({v} AS {kind}) * num AS {k}" for k, v in products.items()) + \
        f" FROM ({inner})"
    return "SELECT *, " + ", ".join(f"sign({k}) AS s_{k}, abs({k}) // den AS q_{k}, abs({k}) % den AS r_{k}"
                                    for k in products) + f" FROM ({multiplied})"


def _own(conversion: Conversion, value: str) -> str:
    """SQL: `value` of a line in the settlement currency; for any other line (one that should have
    been stored converted) an error, never its unconverted minor units. Evaluated only where the
    stored conversion is NULL (coalesce's second argument)."""
    return (f"CASE WHEN currency = {sql.literal(conversion.into)} THEN {value} ELSE error('a line in ' || currency || "
            f"' of ' || CAST(business_day AS VARCHAR) || ' was not stored converted') END")


def stored_amount(conversion: Conversion) -> str:
    """SQL: a line's amount in the settlement currency, as stored (see `stored_conversions`)."""
    return f"coalesce(amount_c, {_own(conversion, 'amount_minor')})"


def stored_conversions(conversion: Conversion) -> str:
    """SQL: the new lines of `classified` (intake) with `amount_c` (the amount converted) and `cost_c`
    (that, less the amount less cost converted) computed exactly as settlement computes them
    (`converted_lines`) where the conversion has their day's factor; NULL elsewhere (a line in the
    settlement currency, or one whose rate is not in the register yet)."""
    kind = "BIGINT" if conversion.narrow() else "HUGEINT"
    picked = (f"SELECT c.*, CAST(f.num AS {kind}) AS num, CAST(f.den AS {kind}) AS den FROM classified c "
              f"LEFT JOIN {factors_sql(conversion)} ON f.day = c.business_day AND f.currency = c.currency "
              f"WHERE c.status = 'new'")
    split = _split(kind, picked, _PRODUCTS)
    # A conversion beyond 64 bits (an extreme rate on a huge line) is not stored: the run converts that
    # line itself and refuses its day as too large (run_rates), rather than intake failing.
    amount, cost = _half_even("a"), f"{_half_even('a')} - ({_half_even('p')})"
    fits = f"den IS NOT NULL AND abs({amount}) < {2**63 - 1} AND abs({cost}) < {2**63 - 1}"
    return (f"SELECT * EXCLUDE (num, den, a, p, s_a, q_a, r_a, s_p, q_p, r_p), "
            f"CASE WHEN {fits} THEN {amount} END AS amount_c, CASE WHEN {fits} THEN {cost} END AS cost_c "
            f"FROM ({split})")


def converted_lines(conversion: Conversion, where: list[str], *, profit: bool = True) -> str:
    """The lines of a WHERE (over `l`) with `amount_c` (amount converted) and, if `profit`, `profit_c`
    (amount less cost converted), each line converted once, on the fly (lines stored converted are
    summed by `totals_sql` and `FactStore.converted_sales` directly): a line in the
    settlement currency as it is (factor 1/1); else at its day's factor, rounded half-even; a line
    with no factor stops the query (settlement checks every rate first: a store never guesses, nor
    drops a line). In 64-bit integers when every product fits (`Conversion.narrow`), else 128-bit:
    exact either way (an overflow in 64 bits would be an error, never a wrong sum)."""
    into = sql.literal(conversion.into)
    kind = "BIGINT" if conversion.narrow() else "HUGEINT"
    days = sorted({day for day, _, _, _ in conversion.factors})
    if len(days) <= FACTOR_CASE_DAYS:
        # A day's or two's factors as a CASE: ~2x cheaper per line than joining them.
        found_num, found_den, source = _factor_case(conversion, 2), _factor_case(conversion, 3), "order_lines l"
    else:
        found_num, found_den = "f.num", "f.den"
        source = f"order_lines l LEFT JOIN {factors_sql(conversion)} ON f.day = l.business_day AND f.currency = l.currency"
    num = (f"CAST(CASE WHEN l.currency = {into} THEN 1 ELSE coalesce({found_num}, error('no exchange rate of ' || "
           f"l.currency || ' for ' || CAST(l.business_day AS VARCHAR))) END AS {kind})")
    den = f"CAST(CASE WHEN l.currency = {into} THEN 1 ELSE {found_den} END AS {kind})"
    products = _PRODUCTS if profit else {"a": _PRODUCTS["a"]}
    picked = (f"SELECT l.seller, l.product_owner, l.attributed_to, l.business_day, l.currency, l.amount_minor, "
              f"l.cost_minor, {num} AS num, {den} AS den FROM {source} WHERE {' AND '.join(where)}")
    out = f"{_half_even('a')} AS amount_c" + (f", {_half_even('p')} AS profit_c" if profit else "")
    return (f"SELECT seller, product_owner, attributed_to, business_day, currency, amount_minor, cost_minor, {out} "
            f"FROM ({_split(kind, picked, products)})")


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
    if conversion is not None and conversion.stored:
        # Converted when stored (see `converted_lines`): the stored sums, straight from the lines.
        amount = stored_amount(conversion)
        cost = f"sum(coalesce(cost_c, {_own(conversion, 'cost_minor')}))" if profit else "NULL"
        return (f"SELECT {columns}, sum({amount}), {cost} FROM order_lines WHERE {' AND '.join(where)} "
                f"GROUP BY {group}")
    if conversion is not None:
        cost = "sum(amount_c - profit_c)" if profit else "NULL"
        # (only `currency` is in both order_lines and the factors: no WHERE names it)
        source = f"({converted_lines(conversion, where, profit=profit)})"
        return f"SELECT {columns}, sum(amount_c), {cost} FROM {source} GROUP BY {group}"
    cost = "sum(cost_minor)" if profit else "NULL"
    return f"SELECT {columns}, sum(amount_minor), {cost} FROM order_lines WHERE {' AND '.join(where)} GROUP BY {group}"
