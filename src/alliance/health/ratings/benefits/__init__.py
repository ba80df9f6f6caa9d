"""Tier benefits, one module per kind, found by kind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.health.ratings.benefits.agreement_share import AgreementShare
from alliance.health.ratings.benefits.base import Benefit
from alliance.health.ratings.benefits.lead_priority import LeadPriority
from alliance.health.ratings.benefits.placement import PremiumPlacement
from alliance.health.ratings.benefits.subsidy import MarketingSubsidy

BENEFITS: dict[str, Benefit] = {b.kind: b for b in (PremiumPlacement(), MarketingSubsidy(), AgreementShare(),
                                                    LeadPriority())}

# What a new alliance's tiers carry until it sets its own (docs/health.md).
DEFAULT_BENEFITS: tuple[dict[str, Any], ...] = (
    {"stars": 5, "kind": "premium_placement"},
    {"stars": 5, "kind": "lead_priority"},
    {"stars": 4, "kind": "lead_priority"},
)


class BenefitsInvalid(InvalidInput):
    code = "rating_benefits_invalid"
    title = Message("Tier benefits are invalid")


def check_benefits(items: Sequence[Mapping[str, Any]], currency: str) -> tuple[dict[str, Any], ...]:
    """Each benefit {"stars": 2..5, "kind": ..., params}: normalised, or BenefitsInvalid with every problem."""
    problems: list[Problem] = []
    found: list[dict[str, Any]] = []
    for n, item in enumerate(items, start=1):
        where = Message("benefit {n}", n=n)
        kind = BENEFITS.get(str(item.get("kind", "")))
        if kind is None:
            problems.append(Problem(where, "kind", Message("{kind!r} is not a benefit kind (one of {kinds})",
                                                           kind=str(item.get("kind", "")), kinds=", ".join(BENEFITS))))
            continue
        try:
            stars = int(str(item.get("stars", "")))
        except ValueError:
            stars = 0
        if not 2 <= stars <= 5:
            problems.append(Problem(where, "stars", Message("a benefit belongs to a tier of 2 to 5 stars")))
            continue
        params, found_problems = kind.check({k: v for k, v in item.items() if k not in ("stars", "kind")}, currency,
                                            where)
        problems.extend(found_problems)
        if not found_problems:
            found.append({"stars": stars, "kind": kind.kind, **params})
    if problems:
        raise BenefitsInvalid(Message("the tier benefits were not changed: {first}", first=problems[0].text()),
                              problems)
    return tuple(found)


def of_tier(benefits: Sequence[Mapping[str, Any]], stars: int) -> list[Mapping[str, Any]]:
    return [b for b in benefits if int(b["stars"]) == stars]


def describe(benefit: Mapping[str, Any]) -> Message:
    return BENEFITS[str(benefit["kind"])].describe(benefit)


def entitlement(benefit: Mapping[str, Any]) -> Message | None:
    return BENEFITS[str(benefit["kind"])].entitlement(benefit)
