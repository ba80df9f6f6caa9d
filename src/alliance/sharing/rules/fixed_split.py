"""`fixed_split`: the base of the selected lines is shared in fixed proportions (hardware profit,
three tenths to one member and seven tenths to the other).

Settlement: the day's base B of the selected lines is owed to the members by their shares; each
line's seller, who collected it, owes its base (`COLLECTED`). `dynamic` shares the same way with
shares that change by month, hence `share_base`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from alliance.core.messages import Message
from alliance.sharing.reader import Reader
from alliance.sharing.rules.base import (Builder, Need, ParseContext, RuleKindSpec, RuleTotals, Settling, Wording, fmt)
from alliance.sharing.rules.form import N_, SHARE_HINT, FormField, KindForm, Widget
from alliance.sharing.terms import RuleKind


@dataclass(frozen=True, slots=True)
class Params:
    shares: Mapping[str, Decimal]  # member -> share, summing to exactly 1


def share_base(b: Builder, t: RuleTotals, shares: Mapping[str, Fraction]) -> None:
    """The day's base owed by its sellers to the members by `shares` (exact, then apportioned)."""
    pool = sum(t.by_seller.values())
    b.collect_from_sellers(t.by_seller)
    b.share_out(pool, {m: pool * s for m, s in shares.items()}, pool, {m: fmt(s) for m, s in shares.items()})


class FixedSplit(RuleKindSpec):
    kind = RuleKind.FIXED_SPLIT
    label = N_("Fixed split")
    Params = Params
    keys = ("shares",)
    form = KindForm("fixed_split", N_("Fixed split"), N_(
        "The base of the selected lines is shared in fixed proportions, e.g. hardware profit, three tenths to one member and seven tenths to the other."), (
        FormField("shares", N_("Shares"), Widget.MEMBER_DECIMALS, required=True, hint=SHARE_HINT),
    ))

    def parse(self, r: Reader, raw: Mapping[str, Any], where: str, ctx: ParseContext) -> Params:
        return Params(shares=r.shares(r.mapping(raw, "shares", where), where, "shares", ctx.parties))

    def needs(self, params: Params, *, adjusting: bool = False) -> frozenset[Need]:
        return frozenset({Need.SELLER})

    def settle(self, b: Builder, t: RuleTotals, params: Params, s: Settling) -> None:
        share_base(b, t, {m: Fraction(x) for m, x in params.shares.items()})

    def describe(self, params: Params, say: Wording) -> Message:
        return Message("The base is shared in fixed proportions: {shares}.", shares=say.shares(params.shares))


SPEC = FixedSplit()
