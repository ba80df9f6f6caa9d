"""The rates a settlement run converts by: every business day and foreign currency its lines hold.

Before a run (or a replay, or a report) reads any totals, it asks the fact store which (business day,
currency) pairs the lines it will read hold, and looks each foreign one up in the alliance's
exchange-rate register: a pair without its rate stops the run (`RateMissing`, naming the currency
and the day) before anything is computed, so nothing is half-settled. The rates found become a
`Conversion`, the exact factors the fact store (DuckDB or Spark) converts each line by.

The day limit (alliance.core.limits) bounds what a day carries in each currency's minor units, at
import; converted, a day could carry more (a currency worth many of the settlement currency's
units): the day's volume, converted, is checked here against CONVERTED_DAY_LIMIT_MINOR, so every
statement amount still fits its 64-bit column (`DayOverConverted`; `alliance orders check` lists
such a day's lines, which may be set aside).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from alliance.core.errors import InvalidInput
from alliance.core.limits import CONVERTED_DAY_LIMIT_MINOR, LINE_LIMIT_MINOR
from alliance.core.messages import Message
from alliance.core.money import Money
from alliance.settlement.facts import Adjusting, Conversion, CurrencyDay, SettlementFacts, Window
from alliance.settlement.fx.conversion import RateMissing, convert, factor
from alliance.settlement.fx.rates import Rate, rate_text
from alliance.settlement.totals import Period, window
from alliance.store.database import Store
from alliance.store.fx_repository import FxRepository
from alliance.store.settlement_repository import StoredConversion


class DayOverConverted(InvalidInput):
    code = "day_over_converted"
    title = Message("Day too large once converted")


@dataclass(frozen=True, slots=True)
class RunRates:
    """What a run converts by: `conversion` (None when every line is in the settlement currency)
    and the register's rates it used, by (business day, currency), with their sources."""

    conversion: Conversion | None = None
    used: dict[tuple[date, str], Rate] = field(default_factory=dict)

    def rate_text(self, day: date, currency: str) -> str:
        return rate_text(self.used[(day, currency)].rate)


def run_rates(store: Store, facts: SettlementFacts, alliance_id: int, alliance_code: str, currency: str,
              first: date, last: date, seen_by: int | None, *, in_snapshot: bool = False) -> RunRates:
    """The rates for the lines of [first, last] (those that arrived by `seen_by`), or RateMissing for
    the first (day, currency) without one; DayOverConverted for a day too large once converted.

    `in_snapshot`: the caller reads the lines inside the fact store snapshot this was asked in (a
    settlement run), so the conversions stored with the lines may be summed when every foreign line
    has one; elsewhere a line stored meanwhile could lack one, and every foreign line is converted."""
    held = facts.currency_days(alliance_code, first, last, seen_by)
    foreign = [d for d in held if d.currency != currency]
    if not foreign:
        return RunRates()
    with store.unit_of_work() as uow:
        stored = {r.key: r for r in FxRepository(uow.connection).between(alliance_id, first, last)}
    used: dict[tuple[date, str], Rate] = {}
    for held_day in foreign:  # in day order, then currency: the first missing is the one named
        rate = stored.get((held_day.day, held_day.currency))
        if rate is None:
            raise RateMissing(held_day.currency, held_day.day, currency)
        used[(held_day.day, held_day.currency)] = rate
    rates = {key: rate.rate for key, rate in used.items()}
    _check_days(held, rates, currency)
    # Converted when stored, every one of them: the run sums those (the same factors: the register
    # is append-only), else it converts every foreign line itself.
    stored = in_snapshot and all(d.unconverted == 0 for d in foreign)
    return RunRates(conversion_by(rates, currency, max(d.largest for d in foreign), stored), used)


def conversion_by(rates: Mapping[tuple[date, str], Decimal], currency: str, magnitude: int,
                  stored: bool = False) -> Conversion:
    """The `Conversion` into `currency` by these rates ((business day, currency) -> rate)."""
    factors = tuple((day, code, *factor(rate, code, currency)) for (day, code), rate in sorted(rates.items()))
    return Conversion(currency, factors, magnitude, stored)


def ingest_rates(store: Store, alliance_id: int, currency: str) -> Callable[[Sequence[tuple[date, str]]],
                                                                            Conversion | None]:
    """For intake: the conversion of the (business day, currency) pairs whose rates the register
    holds now, so their lines are stored converted (the others are converted by the runs)."""
    def rates(keys: Sequence[tuple[date, str]]) -> Conversion | None:
        with store.unit_of_work() as uow:
            found = FxRepository(uow.connection).known(alliance_id, keys)
        # A line holds at most LINE_LIMIT_MINOR of amount and of cost, so a profit at most twice it.
        return conversion_by(found, currency, 2 * LINE_LIMIT_MINOR) if found else None
    return rates


def over_converted(held: Sequence[CurrencyDay], rates: Mapping[tuple[date, str], Decimal],
                   currency: str) -> dict[date, int]:
    """The days of `held` whose lines, converted by `rates` (those known: a day missing one is
    judged on what is known), carry more than CONVERTED_DAY_LIMIT_MINOR of amounts and costs."""
    volume: dict[date, int] = {}
    for d in held:
        if d.currency == currency:
            converted = d.volume
        elif (d.day, d.currency) in rates:
            converted = convert(d.volume, d.currency, currency, rates[(d.day, d.currency)]).minor
        else:
            continue
        # Each line is rounded on its own: at most half a minor unit each away from the total's conversion.
        volume[d.day] = volume.get(d.day, 0) + converted + d.lines
    return {day: total for day, total in sorted(volume.items()) if total > CONVERTED_DAY_LIMIT_MINOR}


def _check_days(held: Sequence[CurrencyDay], rates: Mapping[tuple[date, str], Decimal], currency: str) -> None:
    over = over_converted(held, rates, currency)
    if over:
        day = next(iter(over))
        raise DayOverConverted(Message(
            "business day {day} carries more than {limit} {currency} of amounts and costs once converted at its "
            "rates, the most one alliance's day may: list its lines with `alliance orders check`, set some aside, "
            "then settle again (docs/settlement.md)",
            day=day.isoformat(), limit=Money(CONVERTED_DAY_LIMIT_MINOR, currency).amount_text(), currency=currency))


def read_span(day: date, late: Sequence[date], adjusting: Adjusting | None) -> tuple[date, date]:
    """The business days a run of `day` reads: from the first of the month of its earliest day (the
    day, or a late day) to the latest day any of its windows reaches (the day, or, adjusting, the
    latest closed day: a month's volume before a late line counts the closed days after it, and a
    legacy gap's late days come after it)."""
    first = min([day, *late]).replace(day=1)
    last = max(day, adjusting.through) if adjusting is not None else day
    return first, last


def converted_sales(facts: SettlementFacts, alliance_code: str, day: date, late: Mapping[date, int],
                    adjusting: Adjusting | None, seen_by: int | None, rates: RunRates) -> list[StoredConversion]:
    """What a run converts, as it keeps it: the day's lines, and the late lines of closed days it
    settles (as adjustments), by business day, seller and currency, each with the rate used."""
    if rates.conversion is None:
        return []
    windows: list[Window] = [window(Period.TODAY, alliance_code, day, None, seen_by)]
    if adjusting is not None:
        windows += [window(Period.TODAY, alliance_code, late_day, adjusting, seen_by) for late_day in late]
    return [StoredConversion(c.day, c.seller, c.currency, rates.rate_text(c.day, c.currency),
                             rates.used[(c.day, c.currency)].source, c.lines, c.original, c.converted, c.day != day)
            for c in facts.converted_sales(windows, rates.conversion)]
