"""Concentration of one market: combined share, HHI before and after, ΔHHI. Pure, exact.

HHI (Herfindahl-Hirschman index) is the sum of the squared shares of the firms in a market, shares
in percent, so it runs from near 0 (many small firms) to 10,000 (one firm). After the alliance forms
its members are treated as one firm: post-HHI = (Σ alliance shares)² + Σ others². Before, each
"group" is separate: for an alliance forming (or screened on demand) each member is its own group;
for a company joining, the existing members are already one group and the joiner another, so ΔHHI
measures what the joining changes. ΔHHI = post − pre = 2·Σ_{i<j} g_i·g_j over the groups' shares
(never negative).

Known and unknown firms: when the shares entered (members and any other firms) add up to 100% the
HHI is exact. When they add up to less, the rest of the market belongs to firms not named: their
squares are at least 0 (the rest spread over countless tiny firms) and at most rest² (one firm
holds all of it), so each HHI is an interval [known, known + rest²] and the result says the figure
is a lower bound. ΔHHI, the combined share and each member's share do not depend on the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from alliance.competition.model import ALLIANCE_ROLES, HUNDRED, Market, Occasion, Role


@dataclass(frozen=True)
class Span:
    """An exact figure, or the interval it lies in when part of the market is unknown."""

    low: Fraction
    high: Fraction

    @property
    def exact(self) -> bool:
        return self.low == self.high

    @classmethod
    def of(cls, value: Fraction) -> Span:
        return cls(value, value)


@dataclass(frozen=True)
class Figures:
    """One market's figures: shares in percent, HHI in points."""

    combined_share: Fraction     # the alliance's side together
    largest_share: Fraction      # the largest single share on the alliance's side (vertical tests)
    known_share: Fraction        # every share entered, members and others
    pre_hhi: Span
    post_hhi: Span
    delta_hhi: Fraction

    @property
    def complete(self) -> bool:
        """Whether the shares entered cover the whole market (the HHI is exact)."""
        return self.known_share == HUNDRED


def groups_before(market: Market, occasion: Occasion) -> list[Fraction]:
    """The alliance side's shares as separate firms before the alliance (or the joining): each member
    alone, or, for a company joining, the existing members together and the joiner alone."""
    side = [p for p in market.participants if p.role in ALLIANCE_ROLES]
    if occasion is Occasion.JOINING:
        members = sum((p.share for p in side if p.role is Role.MEMBER), Fraction(0))
        joining = [p.share for p in side if p.role is Role.JOINING]
        return ([members] if any(p.role is Role.MEMBER for p in side) else []) + joining
    return [p.share for p in side]


def pairwise_delta(groups: Sequence[Fraction]) -> Fraction:
    """2·Σ_{i<j} g_i·g_j: the rise in HHI when the groups become one firm."""
    total = Fraction(0)
    running = Fraction(0)
    for g in groups:
        total += g * running
        running += g
    return 2 * total


def figures(market: Market, occasion: Occasion) -> Figures:
    """The market's figures, exact (see the module docstring for unknown firms)."""
    side = [p.share for p in market.participants if p.role in ALLIANCE_ROLES]
    others = [p.share for p in market.participants if p.role is Role.OTHER]
    before = groups_before(market, occasion)
    combined = sum(side, Fraction(0))
    known = combined + sum(others, Fraction(0))
    rest = max(HUNDRED - known, Fraction(0))
    others_squares = sum((s * s for s in others), Fraction(0))
    pre = sum((g * g for g in before), Fraction(0)) + others_squares
    post = combined * combined + others_squares
    unknown = rest * rest
    return Figures(combined_share=combined, largest_share=max(side, default=Fraction(0)), known_share=known,
                   pre_hhi=Span(pre, pre + unknown), post_hhi=Span(post, post + unknown),
                   delta_hhi=pairwise_delta(before))
