"""What a rating input is, and what it reads (`Source`, provided by the service). Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any, ClassVar, Protocol

from alliance.core.messages import Message
from alliance.health.ratings.engine import HUNDRED, NEUTRAL, InputScore, exact_text


@dataclass(frozen=True)
class Period:
    name: str      # "2027Q1"
    first: date
    last: date


class Source(Protocol):
    """What the inputs read for one alliance (the service implements it over the store)."""

    store: Any
    alliance_code: str

    def review_stars(self, member: str, first: date, last: date) -> list[int]: ...

    def disputes(self, member: str, first: date, last: date) -> tuple[int, int]:
        """(disputes of the member ruled in the period, those ruled against it)."""
        ...

    def innovation_entry(self, member: str, period: str) -> Fraction | None: ...


class RatingInput:
    """One input: a member's 0-100 score for a period, with its raw figures."""

    code: ClassVar[str]
    title: ClassVar[Message]

    def score(self, source: Source, member: str, period: Period) -> InputScore:
        raise NotImplementedError


def clamp(value: Fraction) -> Fraction:
    return min(HUNDRED, max(Fraction(0), value))


def neutral(code: str, raw: Mapping[str, str], note: str) -> InputScore:
    return InputScore(code, NEUTRAL, dict(raw), note)


def kpi_values(source: Source, kpi: str, member: str, period: Period) -> list[Fraction]:
    """The member's values of `kpi` in the period, from the scorecard (health.kpis, imported here so
    that ratings work, with neutral scores, where the scorecard is not installed)."""
    from alliance.health.kpis import service as kpis  # built beside ratings (issue 20)

    result = kpis.series(source.store, source.alliance_code, [kpi], granularity="quarter", since=period.first,
                         until=period.last, members=[member])
    return [v for v in _values(result, kpi, member)]


def _field(item: Any, *names: str) -> Any:
    for name in names:
        if isinstance(item, Mapping) and name in item:
            return item[name]
        if hasattr(item, name):
            return getattr(item, name)
    return None


def _values(result: Any, kpi: str, member: str) -> Iterable[Fraction]:
    """Values from what `series` answers: points (objects or mappings with a value and, optionally, a
    kpi/code and a member), possibly nested in mappings by kpi and member, or a `.points` list."""
    if result is None:
        return
    if hasattr(result, "points") and not isinstance(result, Mapping):
        result = result.points
    if isinstance(result, Mapping):
        for key in (kpi, member):
            if key in result:
                yield from _values(result[key], kpi, member)
                return
        for value in result.values():
            yield from _values(value, kpi, member)
        return
    if isinstance(result, (str, bytes)):
        return
    if isinstance(result, Iterable):
        for item in result:
            value = _field(item, "value")
            if value is None and not isinstance(item, (Mapping, list, tuple)):
                continue
            if value is None:
                yield from _values(item, kpi, member)
                continue
            code = _field(item, "kpi", "code", "kpi_code")
            who = _field(item, "member", "member_code")
            if (code is None or code == kpi) and (who is None or who == member):
                yield Fraction(str(value))


def raw_number(value: Fraction) -> str:
    return exact_text(value) if value.denominator != 1 else str(value.numerator)
