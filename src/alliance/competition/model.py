"""A screening's vocabulary: occasions, market relations, participants and checked markets. Pure.

Shares are exact `Fraction`s of a whole market in **percent** (30 means 30%), so an HHI is the sum of
their squares in points (0 to 10,000) with nothing rounded. They come either as entered (a decimal
or a fraction of a percent: "30", "12.5", "100/3") or from a participant's sales against the
market's size, both integer minor units of the alliance's currency (`checks.check_markets`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from fractions import Fraction

from alliance.core.messages import Message

HUNDRED = Fraction(100)


class Occasion(StrEnum):
    """When a screening is run: before the alliance forms, before one company joins, or on demand."""

    FORMING = "forming"
    JOINING = "joining"
    ON_DEMAND = "on_demand"


class Relation(StrEnum):
    """How the alliance's members meet in a market: as competitors (horizontal), or one supplying
    the other (vertical: the market is upstream or downstream of another member's)."""

    HORIZONTAL = "horizontal"
    VERTICAL = "vertical"


class Role(StrEnum):
    """A participant in a market: a current member, the company about to join, or another firm."""

    MEMBER = "member"
    JOINING = "joining"
    OTHER = "other"


OCCASION_NAMES: dict[Occasion, Message] = {
    Occasion.FORMING: Message("before the alliance forms"),
    Occasion.JOINING: Message("before a company joins"),
    Occasion.ON_DEMAND: Message("on demand"),
}
RELATION_NAMES: dict[Relation, Message] = {
    Relation.HORIZONTAL: Message("horizontal (members compete in it)"),
    Relation.VERTICAL: Message("vertical (upstream or downstream)"),
}
ROLE_NAMES: dict[Role, Message] = {
    Role.MEMBER: Message("member"),
    Role.JOINING: Message("joining company"),
    Role.OTHER: Message("other firm in the market"),
}
# The alliance's side of a market: who the screening treats as one firm after it forms (or after the
# company joins).
ALLIANCE_ROLES = frozenset({Role.MEMBER, Role.JOINING})


@dataclass(frozen=True)
class Participant:
    name: str           # a member's code, the joining company's name, or another firm's name
    role: Role
    share: Fraction     # percent of the market, exact


@dataclass(frozen=True)
class Market:
    """A checked market: its name (product and region), relation and participants' exact shares.
    `size_minor` is the market's size when shares came from sales (else None)."""

    product: str
    region: str
    relation: Relation
    participants: tuple[Participant, ...]
    size_minor: int | None = None

    @property
    def label(self) -> str:
        return f"{self.product} / {self.region}"


def fraction_text(value: Fraction) -> str:
    """The exact form stored and recorded: "30", "100/3"."""
    return str(value)


def rounded(value: Fraction, places: int) -> Decimal:
    """`value` rounded half-even to `places` decimals: only where a person reads it."""
    exact = Decimal(value.numerator) / Decimal(value.denominator) if value.denominator != 1 else Decimal(value.numerator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


# What a person reads (docs/competition.md "Rounding"): shares to two decimals, HHI to one decimal,
# both half-even, trailing zeros dropped. The stored figures stay exact.
SHARE_PLACES = 2
HHI_PLACES = 1


def percent_text(value: Fraction) -> str:
    return f"{_plain(rounded(value, SHARE_PLACES))}%"


def points_text(value: Fraction) -> str:
    shown = _plain(rounded(value, HHI_PLACES))
    whole, _, decimals = shown.partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-')):,}"
    return sign + grouped + (f".{decimals}" if decimals else "")


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
