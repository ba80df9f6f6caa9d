"""What a rating input is, and what it reads (`Source`, provided by the service). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
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
    """The member's values of `kpi` in the period, from the scorecard's quarterly series
    (health.kpis.service.series: entered values carried forward, computed ones for the quarter)."""
    from alliance.health.kpis import service as kpis

    found = kpis.series(source.store, source.alliance_code, [kpi], granularity="quarter", since=period.first,
                        until=period.last + timedelta(days=1), members=[member])
    return [Fraction(str(value)) for _, value in found.get((kpi, member), []) if value is not None]


def raw_number(value: Fraction) -> str:
    return exact_text(value) if value.denominator != 1 else str(value.numerator)
