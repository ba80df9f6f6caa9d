"""The agreement format's vocabulary: rule kinds, bases, selectors, tiers and their choices.

Its own module so that both the document parser (`sharing.agreement`) and the rule kinds
(`sharing.rules`), which the parser calls, can name them without importing each other.
`sharing.agreement` re-exports every name here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from alliance.core.money import Money


class Base(StrEnum):
    REVENUE = "revenue"  # the line's amount
    PROFIT = "profit"  # amount - cost


class AgreementKind(StrEnum):
    """Where an agreement stands in its alliance's contract set."""

    STANDALONE = "standalone"  # on its own (every agreement before contract sets)
    FRAMEWORK = "framework"    # the alliance-wide terms project agreements work under
    PROJECT = "project"        # under one framework (`under`), never contradicting it
    SUPPLEMENT = "supplement"  # amends one agreement (`amends`): its clauses replace that one's, kind by kind


@dataclass(frozen=True, slots=True)
class Placement:
    """What a kind of agreement is in the contract set: the key naming its parent (`under` for a
    project, `amends` for a supplement; None: it stands on its own) and whether it needs rules."""

    parent_key: str | None
    needs_rules: bool


PLACEMENTS: dict[AgreementKind, Placement] = {
    AgreementKind.STANDALONE: Placement(None, True),
    AgreementKind.FRAMEWORK: Placement(None, False),
    AgreementKind.PROJECT: Placement("under", True),
    AgreementKind.SUPPLEMENT: Placement("amends", False),
}
PARENT_KEYS = {p.parent_key: kind for kind, p in PLACEMENTS.items() if p.parent_key}  # "under" -> PROJECT ...


class RuleKind(StrEnum):
    FIXED_SPLIT = "fixed_split"
    TIERED = "tiered"
    THREE_LEVEL = "three_level"
    DYNAMIC = "dynamic"
    GROWTH_FUND = "growth_fund"
    REBATE = "rebate"
    COST_SHARE = "cost_share"
    CONTRIBUTION = "contribution"
    MILESTONE_RELEASE = "milestone_release"


class TierMode(StrEnum):
    MARGINAL = "marginal"  # each slice of volume at its own tier's rate
    WHOLE = "whole"  # all of the volume at the rate of the tier reached


class VolumeOf(StrEnum):
    SELLER = "seller"
    PRODUCT_OWNER = "product_owner"


class Period(StrEnum):
    DAY = "day"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Selector:
    """Which order lines a rule applies to: every given key must match (a list matches any item)."""

    seller: tuple[str, ...] = ()
    product_owner: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    sku_prefix: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Tier:
    up_to: Money | None  # exclusive upper bound of the monthly volume; None: no bound (last tier)
    rate: Decimal
